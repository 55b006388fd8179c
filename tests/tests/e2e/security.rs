//! Security and limits as a client meets them: weak bootstrap tokens are
//! refused, reflection speaks both protocol versions, counts and the change
//! feed leak nothing of other tenants, revoked or archived principals lose
//! their streams, and fair-use limits answer RESOURCE_EXHAUSTED.

use innomatch_core::{config::Secret, model::OrganizationKind};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

#[tokio::test]
async fn a_short_or_placeholder_admin_token_stops_the_start() {
    for weak in ["change-me", "imt_short_admin_token"] {
        let error = try_spawn_app_with(|s| s.admin_token = Some(Secret::new(weak)))
            .await
            .expect_err("a weak admin token is refused");
        assert!(error.to_string().contains("admin token"), "{error:#}");
    }
    let strong = try_spawn_app_with(|s| s.admin_token = Some(Secret::new("imt_9f2c51d0a7e84b36b1c2d3e4f5a6b7c8")))
        .await
        .expect("a 32-character token starts the server");
    strong.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn reflection_answers_v1alpha_clients_too() {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let mut reflection = ServerReflectionClient::new(app.channel().await);
    let list = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let describe = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol("innomatch.v1.CatalogService".into())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter([list, describe]))
        .await
        .expect("v1alpha reflection is served")
        .into_inner();
    let listed = responses.message().await.expect("ok").expect("a list");
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("expected a service list, got {listed:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.iter().any(|n| n == "innomatch.v1.CatalogService"), "{names:?}");
    let described = responses.message().await.expect("ok").expect("a file");
    assert!(
        matches!(described.message_response, Some(MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty()),
        "{described:?}"
    );
}

/// The `needs_posted` figure as `token` reads it, and whether lead figures came.
async fn needs_posted(app: &TestApp, token: &str) -> (u64, bool) {
    let stats = app.stats(Some(token)).await.get_stats(pb::GetStatsRequest {}).await.expect("stats").into_inner();
    let count = stats.figures.iter().find(|f| f.key == "needs_posted").map(|f| f.count).expect("needs_posted");
    (count, stats.leads_counted)
}

/// A need of `owner` with the given visibility.
async fn post_need(app: &TestApp, token: &str, title: &str, visibility: pb::Visibility) -> String {
    let need = pb::TechNeed { title: title.into(), visibility: visibility as i32, ..steel_need() };
    let created =
        app.catalog(Some(token)).await.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("create");
    created.into_inner().meta.expect("meta").id
}

#[tokio::test]
async fn stats_do_not_count_other_tenants_private_needs() {
    let app = spawn_app().await;
    let (_, owner) = app.tenant("湛江氢冶金钢铁有限公司", OrganizationKind::Enterprise).await;
    let (_, rival) = app.tenant("廉江预制菜食品有限公司", OrganizationKind::Enterprise).await;
    post_need(&app, &owner, "绿色钢铁公开需求", pb::Visibility::Public).await;
    post_need(&app, &owner, "氢冶金保密需求", pb::Visibility::Private).await;

    assert_eq!(needs_posted(&app, &app.admin_token).await, (2, true), "the admin counts everything");
    assert_eq!(needs_posted(&app, &owner).await.0, 2, "the owner counts its own private need");
    let (rival_count, rival_leads) = needs_posted(&app, &rival).await;
    assert_eq!(rival_count, 1, "another tenant cannot learn that a private need exists");
    assert!(!rival_leads, "lead figures (every agency's business) are for admins");
}
