//! Measurements, not assertions: `cargo test -p svc-catalog --test measure -- --ignored --nocapture`.
//! Write throughput with the feed's commit-order lock, catch-up speed of a stream,
//! and the delay from commit to delivery for a waiting stream.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use nds_common::testing::TestDatabase;
use nds_proto::catalog::v1 as wire;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run by `tests/run --bench`"]
async fn measure_writes_and_feed_on_postgres() {
    let database = TestDatabase::postgres().await;
    let catalog = TestCatalog::start(&database).await;
    let world = World::new();
    let manager = manager_token(world.own);

    let mut client = catalog.client().await;
    let probe = create(&mut client, &manager, "").await;
    let started = Instant::now();
    for _ in 0..50 {
        client.get_listing(request(wire::GetListingRequest { id: probe.id.clone() }, Some(&manager))).await.unwrap();
    }
    println!("cached reads: 50 in {:?} ({:?} each)", started.elapsed(), started.elapsed() / 50);
    let pipeline = svc_catalog::service::PhotoPipeline::new(
        svc_catalog::store::media::MediaStore::in_memory(),
        svc_catalog::domain::photos::PhotoLimits::default(),
        svc_catalog::service::photo_fetch::PhotoFetcher::new(Default::default()).unwrap(),
    );
    let service = service_over(&database, &catalog.runtime, pipeline).await;
    let principal =
        catalog.runtime.authenticator.authenticate_bearer(Some(&format!("Bearer {manager}"))).await.unwrap();
    let input = svc_catalog::convert::listing_input_from_wire(listing_input("")).unwrap();
    let started = Instant::now();
    for _ in 0..50 {
        service.create_listing(principal.as_ref(), None, &input).await.unwrap();
    }
    println!("creates without gRPC: 50 in {:?} ({:?} each)", started.elapsed(), started.elapsed() / 50);

    // The same service behind a server whose accepted sockets have TCP_NODELAY.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nodelay_address = format!("http://{}", listener.local_addr().unwrap());
    let server = svc_catalog::build(&catalog.runtime).await.unwrap().grpc;
    let incoming = futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(socket, _)| {
            socket.set_nodelay(true).ok();
            socket
        });
        Some((accepted, listener))
    });
    tokio::spawn(tonic::transport::Server::builder().add_service(server).serve_with_incoming(incoming));
    let mut nodelay_client =
        wire::catalog_service_client::CatalogServiceClient::connect(nodelay_address).await.unwrap();
    let started = Instant::now();
    for _ in 0..50 {
        nodelay_client
            .get_listing(request(wire::GetListingRequest { id: probe.id.clone() }, Some(&manager)))
            .await
            .unwrap();
    }
    println!(
        "cached reads, server sockets with TCP_NODELAY: 50 in {:?} ({:?} each)",
        started.elapsed(),
        started.elapsed() / 50
    );

    let sequential = 200;
    let started = Instant::now();
    for _ in 0..sequential {
        create(&mut client, &manager, "").await;
    }
    let elapsed = started.elapsed();
    println!("sequential creates: {sequential} in {elapsed:?} ({:.0}/s)", sequential as f64 / elapsed.as_secs_f64());

    let writers = 8;
    let per_writer = 50;
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|_| {
            let address = catalog.address.clone();
            let manager = manager.clone();
            tokio::spawn(async move {
                let mut client = wire::catalog_service_client::CatalogServiceClient::connect(address).await.unwrap();
                for _ in 0..per_writer {
                    create(&mut client, &manager, "").await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let total = writers * per_writer;
    println!(
        "{writers} concurrent writers: {total} creates in {elapsed:?} ({:.0}/s)",
        total as f64 / elapsed.as_secs_f64()
    );

    let expected = (sequential + total + 51) as i64;
    let started = Instant::now();
    let mut stream = client
        .stream_changes(request(wire::StreamChangesRequest { after_sequence: 0 }, Some(&internal_token())))
        .await
        .unwrap()
        .into_inner();
    let mut last = 0;
    while last < expected {
        last = stream.message().await.unwrap().unwrap().sequence;
    }
    let elapsed = started.elapsed();
    println!("catch-up: {expected} changes streamed in {elapsed:?} ({:.0}/s)", expected as f64 / elapsed.as_secs_f64());

    let mut delays = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        create(&mut client, &manager, "").await;
        tokio::time::timeout(Duration::from_secs(10), stream.message()).await.unwrap().unwrap().unwrap();
        delays.push(started.elapsed());
    }
    delays.sort();
    println!(
        "create → delivered to a waiting stream: median {:?}, max {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
    drop(stream);
    catalog.stop().await;
}
