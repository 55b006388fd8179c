//! Security and limits as a client meets them: weak bootstrap tokens are
//! refused, reflection speaks both protocol versions, counts and the change
//! feed leak nothing of other tenants, revoked or archived principals lose
//! their streams, and fair-use limits answer RESOURCE_EXHAUSTED.

use std::time::Duration;

use innomatch_core::{
    config::Secret,
    model::{OrganizationKind, Role},
};
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

const STREAM_WAIT: Duration = Duration::from_secs(10);

/// Reads `feed` until it fails; returns the error and the titles of the needs it delivered.
async fn feed_until_closed(feed: &mut tonic::Streaming<pb::ChangeEvent>) -> (tonic::Status, Vec<String>) {
    let mut titles = Vec::new();
    loop {
        match tokio::time::timeout(STREAM_WAIT, feed.message()).await.expect("the feed closes within 10 s") {
            Ok(Some(event)) => {
                if let Some(pb::change_event::Record::Need(need)) = event.record {
                    titles.push(need.title);
                }
            }
            Ok(None) => panic!("the feed ended without an error"),
            Err(status) => return (status, titles),
        }
    }
}

async fn watch_all(app: &TestApp, token: &str) -> tonic::Streaming<pb::ChangeEvent> {
    app.catalog(Some(token))
        .await
        .watch_changes(pb::WatchChangesRequest { after_sequence: 0, kinds: vec![] })
        .await
        .expect("watch")
        .into_inner()
}

#[tokio::test]
async fn revoking_a_token_closes_its_change_feed_and_delivers_nothing_newer() {
    let app = spawn_app().await;
    let (org, _) = app.tenant("湛江工业互联网研究院", OrganizationKind::ResearchInstitute).await;
    let issued = app
        .admin(Some(&app.admin_token.clone()))
        .await
        .issue_token(pb::IssueTokenRequest {
            organization_id: org,
            role: Role::Member.to_proto(),
            label: "feed".into(),
        })
        .await
        .expect("issue")
        .into_inner();
    let (_, poster) = app.tenant("湛江对虾养殖合作社", OrganizationKind::Enterprise).await;
    let mut feed = watch_all(&app, &issued.token).await;
    post_need(&app, &poster, "对虾养殖尾水处理", pb::Visibility::Public).await;
    let first = tokio::time::timeout(STREAM_WAIT, feed.message()).await.expect("an event").expect("ok");
    assert!(first.is_some(), "the feed works before the revocation");

    app.admin(Some(&app.admin_token.clone()))
        .await
        .revoke_token(pb::RevokeTokenRequest { token_id: issued.token_id })
        .await
        .expect("revoke");
    post_need(&app, &poster, "撤销之后的预制菜需求", pb::Visibility::Public).await;
    let (status, titles) = feed_until_closed(&mut feed).await;
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    assert!(!titles.iter().any(|t| t == "撤销之后的预制菜需求"), "delivered after revocation: {titles:?}");
}

#[tokio::test]
async fn archiving_an_organization_closes_its_streams_and_stops_its_tokens() {
    let app = spawn_app().await;
    let (agency, agency_token) = app.tenant("湛江市科技成果转化服务中心", OrganizationKind::IntermediaryAgency).await;
    let (member, member_token) = app.tenant("湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
    let lead = app
        .leads_client(Some(&app.admin_token.clone()))
        .await
        .offer_lead(pb::OfferLeadRequest {
            agency_organization_id: agency.clone(),
            offer_id: "offer_testing".into(),
            need_id: "need_prefab".into(),
            need_title: "预制菜冷链检测".into(),
            category: pb::ServiceCategory::TestingInspection as i32,
            score: 0.8,
            ..Default::default()
        })
        .await
        .expect("offer")
        .into_inner()
        .lead
        .expect("lead");
    let mut agency_leads = app.leads_client(Some(&agency_token)).await;
    let mut deliveries =
        agency_leads.subscribe_leads(pb::SubscribeLeadsRequest {}).await.expect("subscribe").into_inner();
    let delivered = tokio::time::timeout(STREAM_WAIT, deliveries.message()).await.expect("a lead").expect("ok");
    assert_eq!(delivered.and_then(|d| d.lead).map(|l| l.id), Some(lead.id.clone()));
    let mut member_feed = watch_all(&app, &member_token).await;

    let mut admin = app.admin_catalog().await;
    for id in [&agency, &member] {
        admin.archive_organization(pb::ArchiveRequest { id: id.clone(), expected_version: 0 }).await.expect("archive");
    }

    let closed = tokio::time::timeout(STREAM_WAIT, async {
        loop {
            if let Err(status) = deliveries.message().await {
                return status;
            }
        }
    })
    .await
    .expect("the lead stream closes within 10 s");
    assert_eq!(closed.code(), tonic::Code::PermissionDenied, "{closed:?}");
    let (status, _) = feed_until_closed(&mut member_feed).await;
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");

    let answer = agency_leads
        .respond_to_lead(pb::RespondToLeadRequest { lead_id: lead.id, accept: true, ..Default::default() })
        .await
        .expect_err("an archived agency cannot answer leads");
    assert_eq!(answer.code(), tonic::Code::PermissionDenied, "{answer:?}");
    let resubscribe = agency_leads.subscribe_leads(pb::SubscribeLeadsRequest {}).await.map(|_| ()).expect_err("no");
    assert_eq!(resubscribe.code(), tonic::Code::PermissionDenied);
    let read = app
        .catalog(Some(&member_token))
        .await
        .list_needs(pb::ListNeedsRequest::default())
        .await
        .map(|_| ())
        .expect_err("an archived member reads nothing");
    assert_eq!(read.code(), tonic::Code::PermissionDenied);
}

/// Changes a need's visibility as its owner.
async fn set_visibility(app: &TestApp, token: &str, id: &str, visibility: pb::Visibility) {
    let mut owner = app.catalog(Some(token)).await;
    let mut need = owner.get_need(pb::GetNeedRequest { id: id.into() }).await.expect("get").into_inner();
    let version = need.meta.as_ref().map(|m| m.version).unwrap_or_default();
    need.visibility = visibility as i32;
    owner.update_need(pb::UpdateNeedRequest { need: Some(need), expected_version: version }).await.expect("update");
}

#[tokio::test]
async fn replaying_the_feed_honours_todays_visibility() {
    let app = spawn_app().await;
    let (owner_org, owner) = app.tenant("湛江氢冶金钢铁有限公司", OrganizationKind::Enterprise).await;
    let (_, rival) = app.tenant("茂名石化新材料有限公司", OrganizationKind::Enterprise).await;
    let hidden = post_need(&app, &owner, "氢基竖炉中试（后转保密）", pb::Visibility::Public).await;
    let veiled = post_need(&app, &owner, "绿色钢铁碳足迹核算（后转匿名）", pb::Visibility::Public).await;
    set_visibility(&app, &owner, &hidden, pb::Visibility::Private).await;
    set_visibility(&app, &owner, &veiled, pb::Visibility::Anonymous).await;
    let marker = post_need(&app, &owner, "工业互联网标识解析", pb::Visibility::Public).await;

    let mut feed = app
        .catalog(Some(&rival))
        .await
        .watch_changes(pb::WatchChangesRequest { after_sequence: 0, kinds: vec![pb::RecordKind::Need as i32] })
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    while events.last().is_none_or(|e: &pb::ChangeEvent| e.record_id != marker) {
        let event = tokio::time::timeout(STREAM_WAIT, feed.message()).await.expect("in time").expect("ok");
        events.push(event.expect("open"));
    }
    let of = |id: &str| events.iter().filter(|e| e.record_id == id).collect::<Vec<_>>();
    let hidden_events = of(&hidden);
    assert!(!hidden_events.is_empty(), "the feed still says where the change was");
    assert!(hidden_events.iter().all(|e| e.record.is_none()), "no content of a need now private: {hidden_events:?}");
    let veiled_events = of(&veiled);
    assert!(!veiled_events.is_empty());
    for event in veiled_events {
        let Some(pb::change_event::Record::Need(need)) = &event.record else { panic!("a need: {event:?}") };
        let owner_shown = need.meta.as_ref().map(|m| m.organization_id.as_str()).unwrap_or_default();
        assert!(owner_shown.is_empty(), "the owner of a need now anonymous leaked: {owner_shown}");
    }
    // The owner still replays its own history in full.
    let mut own = app
        .catalog(Some(&owner))
        .await
        .watch_changes(pb::WatchChangesRequest { after_sequence: 0, kinds: vec![pb::RecordKind::Need as i32] })
        .await
        .expect("watch")
        .into_inner();
    let first = tokio::time::timeout(STREAM_WAIT, own.message()).await.expect("in time").expect("ok").expect("open");
    assert_eq!(first.record_id, hidden);
    let Some(pb::change_event::Record::Need(need)) = first.record else { panic!("content for the owner") };
    assert_eq!(need.meta.map(|m| m.organization_id), Some(owner_org));
}

/// Calls `path` with an empty message, as a client that made the path up would.
async fn call_path(app: &TestApp, path: &'static str) -> tonic::Code {
    let mut grpc = tonic::client::Grpc::new(app.channel().await);
    grpc.ready().await.expect("ready");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
    let mut request = tonic::Request::new(());
    request.metadata_mut().insert("authorization", format!("Bearer {}", app.admin_token).parse().expect("header"));
    grpc.unary(request, path, codec).await.map(|_| tonic::Code::Ok).unwrap_or_else(|s| s.code())
}

#[tokio::test]
async fn made_up_method_paths_share_one_series_and_series_are_described() {
    let app = spawn_app().await;
    for path in ["/innomatch.v1.CatalogService/DropAllTables", "/attacker.Series7f3a/Flood"] {
        assert_eq!(call_path(&app, path).await, tonic::Code::Unimplemented);
    }
    app.admin_catalog().await.list_needs(pb::ListNeedsRequest::default()).await.expect("a real call");
    let text = scrape_metrics(&app).await;
    assert!(!text.contains("DropAllTables") && !text.contains("Series7f3a"), "made-up paths became series:\n{text}");
    assert!(text.contains(r#"innomatch_rpc_requests_total{method="unknown",code="Unimplemented"}"#), "{text}");
    assert!(text.contains("# HELP innomatch_rpc_requests_total"), "{text}");
    assert!(text.contains("# TYPE innomatch_rpc_duration_seconds histogram"), "{text}");
    assert!(
        text.contains(r#"innomatch_rpc_duration_seconds_bucket{method="/innomatch.v1.CatalogService/ListNeeds",le="#),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let token = "metrics-scraper-7d1f0c2b9a";
    let app = spawn_app_with(|s| s.metrics_token = Some(Secret::new(token))).await;
    assert_eq!(get_metrics(&app, None).await.0, 401);
    assert_eq!(get_metrics(&app, Some("a-guess")).await.0, 401);
    let (status, body) = get_metrics(&app, Some(token)).await;
    assert_eq!(status, 200);
    assert!(body.contains("innomatch_"), "{body}");
}

/// The client connection preface and an empty SETTINGS frame: a complete HTTP/2 handshake.
const H2_HANDSHAKE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// Reads until the server closes the connection; how long that took, or `None` within `wait`.
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let started = tokio::time::Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

async fn connect_raw(app: &TestApp, send: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(send).await.expect("send");
    stream
}

#[tokio::test]
async fn silent_and_half_handshake_connections_are_closed() {
    let app = spawn_app_with(|s| s.limits.handshake_timeout_ms = 300).await;
    let connected = tokio::time::Instant::now();
    let mut silent = connect_raw(&app, b"").await;
    let mut partial = connect_raw(&app, b"PRI * HTTP/2.0\r\n").await;
    for (name, stream) in [("silent", &mut silent), ("partial preface", &mut partial)] {
        let closed = closed_within(stream, Duration::from_secs(5)).await;
        assert!(closed.is_some(), "{name} stays open");
        assert!(connected.elapsed() >= Duration::from_millis(250), "{name} closed before its deadline");
    }
}

#[tokio::test]
async fn connections_without_calls_are_closed_and_open_streams_are_not() {
    let idle = Duration::from_millis(400);
    let app = spawn_app_with(|s| s.limits.idle_timeout_ms = idle.as_millis() as u64).await;
    let (_, poster) = app.tenant("湛江预制菜产业园", OrganizationKind::Enterprise).await;
    let mut feed = watch_all(&app, &poster).await;

    let mut handshaken = connect_raw(&app, H2_HANDSHAKE).await;
    let took = closed_within(&mut handshaken, Duration::from_secs(5)).await;
    assert!(took.is_some_and(|t| t >= idle - Duration::from_millis(50)), "an idle connection is closed: {took:?}");

    // The feed's connection has an open call: it outlives the idle timeout.
    tokio::time::sleep(idle * 3).await;
    let id = post_need(&app, &poster, "预制菜中央厨房冷链", pb::Visibility::Public).await;
    loop {
        let event = tokio::time::timeout(STREAM_WAIT, feed.message()).await.expect("in time").expect("ok");
        if event.expect("open").record_id == id {
            break;
        }
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_on_accept() {
    let app = spawn_app_with(|s| s.limits.max_connections = 2).await;
    let first = connect_raw(&app, H2_HANDSHAKE).await;
    let _second = connect_raw(&app, H2_HANDSHAKE).await;
    // Give the server time to accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect_raw(&app, H2_HANDSHAKE).await;
    let took = closed_within(&mut third, Duration::from_secs(2)).await;
    assert!(took.is_some(), "the third connection is refused");
    drop(first);
    // A slot is free again once the server sees the first connection go.
    let deadline = tokio::time::Instant::now() + STREAM_WAIT;
    loop {
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{}", app.addr)).expect("url").connect().await;
        let mut health = tonic_health::pb::health_client::HealthClient::new(match channel {
            Ok(channel) => channel,
            Err(_) => continue,
        });
        if health.check(tonic_health::pb::HealthCheckRequest::default()).await.is_ok() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "a freed slot is usable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_token_over_its_rate_gets_resource_exhausted_with_a_retry_hint() {
    use tonic_types::StatusExt;
    let app = spawn_app_with(|s| {
        s.limits.requests_per_second_per_token = 2;
        s.limits.request_burst_per_token = 5;
    })
    .await;
    let (_, greedy) = app.tenant("湛江对虾饲料有限公司", OrganizationKind::Enterprise).await;
    let (_, patient) = app.tenant("湛江菠萝罐头有限公司", OrganizationKind::Enterprise).await;
    let mut greedy_client = app.catalog(Some(&greedy)).await;
    let mut refused = None;
    for _ in 0..20 {
        if let Err(status) = greedy_client.list_needs(pb::ListNeedsRequest::default()).await {
            refused = Some(status);
            break;
        }
    }
    let refused = refused.expect("the burst runs out");
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted, "{refused:?}");
    let retry = refused.get_details_retry_info().and_then(|r| r.retry_delay).expect("a retry hint");
    assert!(retry > Duration::ZERO && retry <= Duration::from_secs(1), "{retry:?}");
    // Other tenants and the admin keep their own allowance.
    let mut patient_client = app.catalog(Some(&patient)).await;
    patient_client.list_needs(pb::ListNeedsRequest::default()).await.expect("another tenant is not limited");
    let mut admin = app.admin_catalog().await;
    for _ in 0..20 {
        admin.list_needs(pb::ListNeedsRequest::default()).await.expect("admins are not limited");
    }
    tokio::time::sleep(retry).await;
    greedy_client.list_needs(pb::ListNeedsRequest::default()).await.expect("after the hinted wait");
}

#[tokio::test]
async fn a_token_may_keep_only_so_many_streams_open() {
    let app = spawn_app_with(|s| s.limits.streams_per_token = 2).await;
    let (_, member) = app.tenant("湛江工业互联网平台有限公司", OrganizationKind::Enterprise).await;
    let (_, other) = app.tenant("湛江海洋牧场有限公司", OrganizationKind::Enterprise).await;
    let first = watch_all(&app, &member).await;
    let _second = watch_all(&app, &member).await;
    let mut client = app.catalog(Some(&member)).await;
    let request = || pb::WatchChangesRequest { after_sequence: 0, kinds: vec![] };
    let third = client.watch_changes(request()).await.map(|_| ()).expect_err("a third stream");
    assert_eq!(third.code(), tonic::Code::ResourceExhausted, "{third:?}");
    let _theirs = watch_all(&app, &other).await;
    drop(first);
    let deadline = tokio::time::Instant::now() + STREAM_WAIT;
    while client.watch_changes(request()).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "a closed stream frees its slot");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A private CA, a server certificate for `localhost` and a client certificate, as PEM files.
struct TestPki {
    dir: tempfile::TempDir,
}

impl TestPki {
    fn generate() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
        let issue = |name: &str, san: &str| {
            let key = KeyPair::generate().expect("key");
            let cert =
                CertificateParams::new(vec![san.to_owned()]).expect("params").signed_by(&key, &ca).expect("sign");
            std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).expect("write cert");
            std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).expect("write key");
        };
        issue("server", "localhost");
        issue("client", "ops.kjj.zhanjiang.example");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write ca");
        Self { dir }
    }

    fn path(&self, file: &str) -> std::path::PathBuf {
        self.dir.path().join(file)
    }

    fn client(&self, with_certificate: bool) -> innomatch_core::transport::ClientTls {
        innomatch_core::transport::ClientTls {
            ca_cert: Some(self.path("ca.pem")),
            cert: with_certificate.then(|| self.path("client.pem")),
            key: with_certificate.then(|| self.path("client.key")),
        }
    }
}

async fn health_over(url: &str, tls: &innomatch_core::transport::ClientTls) -> Result<(), String> {
    let endpoint = innomatch_core::transport::endpoint(url, tls)?.connect_timeout(Duration::from_secs(5));
    let channel = endpoint.connect().await.map_err(|e| format!("connect: {e:?}"))?;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    health.check(tonic_health::pb::HealthCheckRequest::default()).await.map(|_| ()).map_err(|e| format!("{e:?}"))
}

#[tokio::test]
async fn grpc_is_served_over_tls_and_client_certificates_can_be_required() {
    let pki = TestPki::generate();
    let app = spawn_app_with(|s| {
        s.tls_cert = Some(pki.path("server.pem"));
        s.tls_key = Some(pki.path("server.key"));
    })
    .await;
    let https = format!("https://localhost:{}", app.addr.port());
    health_over(&https, &pki.client(false)).await.expect("a TLS client with the CA is served");
    let plain = format!("http://127.0.0.1:{}", app.addr.port());
    assert!(health_over(&plain, &pki.client(false)).await.is_err(), "plaintext is refused");

    let mutual = spawn_app_with(|s| {
        s.tls_cert = Some(pki.path("server.pem"));
        s.tls_key = Some(pki.path("server.key"));
        s.tls_client_ca = Some(pki.path("ca.pem"));
    })
    .await;
    let https = format!("https://localhost:{}", mutual.addr.port());
    assert!(health_over(&https, &pki.client(false)).await.is_err(), "mTLS refuses a client without certificate");
    health_over(&https, &pki.client(true)).await.expect("a client with a certificate from the CA is served");

    // Authenticated calls work as before over TLS.
    let channel = innomatch_core::transport::endpoint(&https, &pki.client(true)).expect("endpoint").connect().await;
    let auth = innomatch_core::auth::BearerToken::new(Some(&mutual.admin_token)).expect("token");
    let mut catalog =
        pb::catalog_service_client::CatalogServiceClient::with_interceptor(channel.expect("connect"), auth);
    catalog.list_needs(pb::ListNeedsRequest::default()).await.expect("a call over mTLS");
}

/// The matcher's client of a leads service in another process speaks TLS to
/// an `https://` URL with the same plumbing as the CLI: it trusts the given
/// CA, presents its certificate to a server that requires one, and a lead
/// it offers arrives.
#[tokio::test]
async fn the_matchers_leads_client_speaks_tls_and_mtls_to_an_https_leads_service() {
    use innomatch_core::model::ServiceCategory;
    use innomatch_leads::model::LeadDraft;
    use innomatch_matcher::auto::{LeadSink, RemoteLeads};
    let pki = TestPki::generate();
    let app = spawn_app_with(|s| {
        s.tls_cert = Some(pki.path("server.pem"));
        s.tls_key = Some(pki.path("server.key"));
        s.tls_client_ca = Some(pki.path("ca.pem"));
    })
    .await;
    let draft = || LeadDraft {
        agency_organization_id: "org_agency_tls".into(),
        offer_id: "offer_tls".into(),
        need_id: "need_tls".into(),
        need_organization_id: "org_steel_tls".into(),
        need_title: "氢冶金中试检测".into(),
        need_summary: "氢基竖炉直接还原中试的检验检测".into(),
        category: ServiceCategory::TestingInspection,
        score: 0.8,
        reasons: vec!["检验检测 氢冶金".into()],
        replaces_lead_id: String::new(),
        policy_id: String::new(),
    };
    let https = format!("https://localhost:{}", app.addr.port());
    let without_certificate = RemoteLeads::new(&https, &app.admin_token, &pki.client(false)).expect("client");
    assert!(without_certificate.offer(draft()).await.is_err(), "the server requires a client certificate");
    let plaintext =
        RemoteLeads::new(&format!("http://127.0.0.1:{}", app.addr.port()), &app.admin_token, &pki.client(true));
    assert!(plaintext.expect("client").offer(draft()).await.is_err(), "the server speaks TLS only");

    let client = RemoteLeads::new(&https, &app.admin_token, &pki.client(true)).expect("client");
    client.offer(draft()).await.expect("the lead is offered over mTLS");
    let agency = innomatch_core::auth::Principal {
        token_id: "tok_agency_tls".into(),
        organization_id: Some("org_agency_tls".into()),
        role: Role::Agency,
    };
    let leads = app.leads().list(&agency, Default::default()).await.expect("list").leads;
    assert_eq!(leads.iter().map(|l| l.need_id.as_str()).collect::<Vec<_>>(), ["need_tls"]);
}

/// Streams `rows` to Import as a grpcio client does: one HTTP/2 DATA frame
/// per row, as fast as the connection takes them. Returns the summary.
async fn import_one_frame_per_row(app: &TestApp, rows: &[pb::ImportRecord]) -> Result<pb::ImportSummary, String> {
    use innomatch_proto::prost::Message;
    let tcp = tokio::net::TcpStream::connect(app.addr).await.map_err(|e| e.to_string())?;
    let (client, connection) = h2::client::handshake(tcp).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let mut client = client.ready().await.map_err(|e| e.to_string())?;
    let request = tonic::codegen::http::Request::post(format!("http://{}/innomatch.v1.SearchService/Import", app.addr))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {}", app.admin_token))
        .body(())
        .map_err(|e| e.to_string())?;
    let (response, mut send) = client.send_request(request, false).map_err(|e| e.to_string())?;
    for row in rows {
        let message = row.encode_to_vec();
        let mut frame = Vec::with_capacity(message.len() + 5);
        frame.push(0);
        frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
        frame.extend_from_slice(&message);
        send.reserve_capacity(frame.len());
        while send.capacity() < frame.len() {
            match futures::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("stream closed".into()),
            }
        }
        send.send_data(bytes::Bytes::from(frame), false).map_err(|e| e.to_string())?;
    }
    send.send_data(bytes::Bytes::new(), true).map_err(|e| e.to_string())?;
    let response = response.await.map_err(|e| e.to_string())?;
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        let _ = body.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await.map_err(|e| e.to_string())?.unwrap_or_default();
    let status = trailers.get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("?").to_owned();
    if status != "0" {
        return Err(format!("grpc-status {status}: {:?}", trailers.get("grpc-message")));
    }
    pb::ImportSummary::decode(bytes.get(5..).unwrap_or_default()).map_err(|e| e.to_string())
}

// Two workers, as a server runs: the rows are read while they are committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_small_rows_one_frame_each_completes() {
    let app = spawn_app().await;
    // Rows far below h2's 256-byte framing threshold: each one spends its
    // budget until the server reads it.
    const ROWS: usize = 8_000;
    let rows: Vec<pb::ImportRecord> = (0..ROWS)
        .map(|n| pb::ImportRecord {
            record: Some(pb::import_record::Record::Organization(pb::Organization {
                name: format!("南药合作社{n}"),
                kind: OrganizationKind::Enterprise.to_proto(),
                region_code: "440881".into(),
                ..Default::default()
            })),
            ..Default::default()
        })
        .collect();
    let summary = import_one_frame_per_row(&app, &rows).await.expect("the import completes");
    assert_eq!(
        (summary.received, summary.imported, summary.rejected_rows),
        (ROWS as u64, ROWS as u64, 0),
        "{:?}",
        summary.rejected
    );
}

async fn import_with_key(app: &TestApp, key: &str, names: &[&str]) -> pb::ImportSummary {
    let rows: Vec<pb::ImportRecord> = names
        .iter()
        .map(|name| pb::ImportRecord {
            record: Some(pb::import_record::Record::Organization(pb::Organization {
                name: (*name).into(),
                kind: OrganizationKind::Enterprise.to_proto(),
                region_code: "440803".into(),
                ..Default::default()
            })),
            ..Default::default()
        })
        .collect();
    let mut request = tonic::Request::new(tokio_stream::iter(rows));
    request.metadata_mut().insert("idempotency-key", key.parse().expect("ascii key"));
    app.search(Some(&app.admin_token.clone())).await.import(request).await.expect("import").into_inner()
}

async fn organizations_named(app: &TestApp, prefix: &str) -> usize {
    let page = app
        .admin_catalog()
        .await
        .list_organizations(pb::ListOrganizationsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    page.organizations.iter().filter(|o| o.name.starts_with(prefix)).count()
}

#[tokio::test]
async fn retrying_an_import_with_its_idempotency_key_duplicates_nothing() {
    let app = spawn_app().await;
    let first = ["菠萝罐头厂甲", "菠萝罐头厂乙", "菠萝罐头厂丙"];
    let summary = import_with_key(&app, "zhanjiang-pineapple-2025-11", &first).await;
    assert_eq!((summary.received, summary.imported), (3, 3));
    let again = import_with_key(&app, "zhanjiang-pineapple-2025-11", &first).await;
    assert_eq!((again.received, again.imported), (3, 3), "the retry reports the same import");
    assert_eq!(organizations_named(&app, "菠萝罐头厂").await, 3, "the retry wrote nothing again");
    let longer = ["菠萝罐头厂甲", "菠萝罐头厂乙", "菠萝罐头厂丙", "菠萝罐头厂丁"];
    let resumed = import_with_key(&app, "zhanjiang-pineapple-2025-11", &longer).await;
    assert_eq!((resumed.received, resumed.imported), (4, 4), "only the new row is imported");
    assert_eq!(organizations_named(&app, "菠萝罐头厂").await, 4);
    let other = import_with_key(&app, "another-file", &first).await;
    assert_eq!(other.imported, 3, "another key is another import");
}
