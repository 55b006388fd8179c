//! The server as operators see it: health, reflection listing only what is
//! mounted, and message-size limits.

use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

#[tokio::test]
async fn health_reports_serving_for_the_mounted_services() {
    let app = spawn_app().await;
    let mut health = HealthClient::new(app.channel().await);
    for service in [
        "",
        "innomatch.v1.CatalogService",
        "innomatch.v1.AdminService",
        "innomatch.v1.StatsService",
        "innomatch.v1.InterestService",
        "innomatch.v1.AccountService",
        "innomatch.v1.PolicyService",
        "innomatch.v1.SearchService",
        "innomatch.v1.MatcherService",
        "innomatch.v1.LeadsService",
        "innomatch.v1.NotificationService",
    ] {
        let status = health
            .check(HealthCheckRequest { service: service.into() })
            .await
            .expect("health answers")
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health.check(HealthCheckRequest { service: "innomatch.v1.Nope".into() }).await.expect_err("unknown");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn reflection_lists_the_mounted_services() {
    let app = spawn_app().await;
    let mut reflection = ServerReflectionClient::new(app.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses =
        reflection.server_reflection_info(tokio_stream::iter([request])).await.expect("reflection").into_inner();
    let response = responses.message().await.expect("ok").expect("one response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a service list, got {response:?}");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
            "innomatch.v1.AccountService",
            "innomatch.v1.AdminService",
            "innomatch.v1.CatalogService",
            "innomatch.v1.InterestService",
            "innomatch.v1.LeadsService",
            "innomatch.v1.MatcherService",
            "innomatch.v1.NotificationService",
            "innomatch.v1.PolicyService",
            "innomatch.v1.SearchService",
            "innomatch.v1.StatsService",
        ]
    );
}

#[tokio::test]
async fn oversized_messages_are_refused_without_harm() {
    let app = spawn_app().await;
    let mut admin = app.admin_catalog().await;
    let huge = pb::Organization { name: "大".repeat(3 * 1024 * 1024), ..Default::default() };
    let status = admin
        .create_organization(pb::CreateOrganizationRequest { organization: Some(huge), ..Default::default() })
        .await
        .expect_err("over the message limit");
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    // The server is still fine.
    admin.list_organizations(pb::ListOrganizationsRequest::default()).await.expect("still serving");
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_code_and_report_the_index() {
    let app = spawn_app().await;
    let counter = r#"innomatch_rpc_requests_total{method="/innomatch.v1.CatalogService/GetNeed",code="NotFound"}"#;
    let before = metric_value(&scrape_metrics(&app).await, counter);
    let mut admin = app.admin_catalog().await;
    for _ in 0..3 {
        admin.get_need(pb::GetNeedRequest { id: "need_missing".into() }).await.expect_err("missing");
    }
    let text = scrape_metrics(&app).await;
    // Other tests in this process share the recorder, so compare the change.
    assert!(metric_value(&text, counter) >= before + 3.0, "{text}");
    assert!(text.contains("innomatch_rpc_duration_seconds"), "latencies are recorded");
    assert!(text.contains("innomatch_index_documents"), "index size is reported");
    assert!(text.contains("innomatch_index_lag_changes"), "index lag is reported");
}
