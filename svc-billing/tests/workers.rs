//! Billing's background workers under supervision: a worker that dies is
//! restarted, and while it is dead gRPC health says NOT_SERVING.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nds_common::Shutdown;
use nds_common::grpc::mirror_health_signal;
use svc_billing::service::workers::{WorkerHealth, supervise};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const SERVICE: &str = "nds.billing.v1.BillingService";

async fn grpc_status(client: &mut HealthClient<tonic::transport::Channel>) -> ServingStatus {
    let response = client.check(HealthCheckRequest { service: SERVICE.into() }).await.unwrap().into_inner();
    ServingStatus::try_from(response.status).unwrap()
}

/// Polls until the health service answers `wanted` (the supervisor works in the background).
async fn until_status(client: &mut HealthClient<tonic::transport::Channel>, wanted: ServingStatus) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while grpc_status(client).await != wanted {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("health never said {wanted:?}"));
}

#[tokio::test]
async fn a_worker_that_panics_is_reported_not_serving_then_restarted() {
    let shutdown = Shutdown::new();
    let health = WorkerHealth::default();
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health_service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    tokio::spawn(mirror_health_signal(health.health_signal(SERVICE), reporter, shutdown.clone()));
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    let mut client = HealthClient::new(channel);

    // The first run panics; the restarted one runs until shutdown.
    let starts = Arc::new(AtomicUsize::new(0));
    let (panicked_tx, panicked_rx) = tokio::sync::oneshot::channel::<()>();
    let panicked_tx = Arc::new(std::sync::Mutex::new(Some(panicked_tx)));
    let worker = {
        let (starts, shutdown) = (starts.clone(), shutdown.clone());
        move || {
            let run = starts.fetch_add(1, Ordering::SeqCst);
            let (shutdown, panicked_tx) = (shutdown.clone(), panicked_tx.clone());
            async move {
                if run == 0 {
                    if let Some(sender) = panicked_tx.lock().unwrap().take() {
                        sender.send(()).ok();
                    }
                    panic!("a worker bug");
                }
                shutdown.wait().await;
            }
        }
    };
    // A long first pause: the dead window is easy to observe.
    tokio::spawn(supervise("test-worker", health.clone(), shutdown.clone(), Duration::from_secs(3), worker));
    panicked_rx.await.unwrap();
    until_status(&mut client, ServingStatus::NotServing).await;
    assert_eq!(health.dead_workers(), vec!["test-worker"]);
    until_status(&mut client, ServingStatus::Serving).await;
    assert_eq!(starts.load(Ordering::SeqCst), 2, "restarted once");
    assert!(health.is_serving());
    shutdown.trigger();
}
