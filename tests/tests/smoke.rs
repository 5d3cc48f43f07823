//! The whole system starts as `nds dev` does and answers its three front doors:
//! GraphQL, gRPC health for every service, and gRPC reflection.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nds_common::config::ServiceName;
use nds_tests::TestSystem;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

async fn connect(url: &str) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    tonic::transport::Endpoint::from_shared(url.to_string())?.connect().await
}

#[tokio::test]
async fn graphql_answers_typename() {
    let system = TestSystem::start(&[]).await.unwrap();
    let response = system.graphql("{ __typename }", serde_json::json!({}), None).await.unwrap();
    assert_eq!(response, serde_json::json!({ "data": { "__typename": "Query" } }));
    system.stop().await.unwrap();
}

#[tokio::test]
async fn every_service_reports_serving_on_grpc_health() {
    let system = TestSystem::start(&[]).await.unwrap();
    let mut health = HealthClient::new(connect(&system.grpc_url()).await.unwrap());
    let mut names: Vec<&str> = ServiceName::ALL.into_iter().map(nds::system::service_health_name).collect();
    names.push("");
    for name in names {
        let response = health.check(HealthCheckRequest { service: name.to_string() }).await.unwrap().into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{name:?}");
    }
    let unknown = health.check(HealthCheckRequest { service: "nds.nothing.v1.Nothing".into() }).await;
    assert_eq!(unknown.unwrap_err().code(), tonic::Code::NotFound);

    // The calls above are counted in Prometheus, served by the edge's /metrics.
    let metrics = reqwest::get(system.http_url("/metrics")).await.unwrap().text().await.unwrap();
    let health_line = metrics
        .lines()
        .find(|line| line.starts_with("nds_requests_total") && line.contains("/grpc.health.v1.Health/Check"))
        .unwrap_or_else(|| panic!("no gRPC request metric in:\n{metrics}"));
    assert!(health_line.contains("surface=\"grpc\""), "{health_line}");
    system.stop().await.unwrap();
}

#[tokio::test]
async fn reflection_lists_every_service_in_the_old_protocol_too() {
    let system = TestSystem::start(&[]).await.unwrap();
    // v1alpha: the grpcurl that PyPI carries speaks only this version.
    let mut reflection = ServerReflectionClient::new(connect(&system.grpc_url()).await.unwrap());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses =
        reflection.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer: {response:?}");
    };
    let listed: Vec<String> = list.service.into_iter().map(|service| service.name).collect();
    for service in ServiceName::ALL {
        let name = nds::system::service_health_name(service);
        assert!(listed.iter().any(|listed| listed == name), "{name} missing from {listed:?}");
    }
    assert!(listed.iter().any(|name| name == "grpc.health.v1.Health"));
    system.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_flips_health_and_closes_the_listeners() {
    let system = TestSystem::start(&[]).await.unwrap();
    let grpc_url = system.grpc_url();
    let http_url = system.http_url("/healthz");
    assert_eq!(reqwest::get(&http_url).await.unwrap().text().await.unwrap(), "ok");
    system.stop().await.unwrap();
    assert!(reqwest::get(&http_url).await.is_err(), "edge still answers after shutdown");
    assert!(connect(&grpc_url).await.is_err(), "gRPC still accepts after shutdown");
}
