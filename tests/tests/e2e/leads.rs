//! Leads over gRPC against a real server: streaming, acknowledgment and
//! answers, redelivery after a disconnect, isolation between agencies,
//! field-level validation, exports that parse back, and delivery through a
//! Redis that is killed and restarted mid-delivery.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    time::Duration,
};

use innomatch_core::{config::Secret, model::OrganizationKind};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

const WAIT: Duration = Duration::from_secs(15);

type Deliveries = tonic::Streaming<pb::LeadDelivery>;

fn offer(agency: &str, n: usize, title: &str) -> pb::OfferLeadRequest {
    pb::OfferLeadRequest {
        agency_organization_id: agency.into(),
        offer_id: format!("offer_{agency}"),
        need_id: format!("need_{n}"),
        need_organization_id: String::new(),
        need_title: title.into(),
        need_summary: "湛江企业需要第三方检测与认证".into(),
        category: pb::ServiceCategory::TestingInspection as i32,
        score: 0.8,
        reasons: vec!["关键词“检测”与服务重合".into()],
        replaces_lead_id: String::new(),
        policy_id: String::new(),
    }
}

fn draft(agency: &str, n: usize, title: &str) -> innomatch_leads::LeadDraft {
    innomatch_leads::LeadDraft {
        agency_organization_id: agency.into(),
        offer_id: format!("offer_{agency}"),
        need_id: format!("need_{n}"),
        need_organization_id: String::new(),
        need_title: title.into(),
        need_summary: String::new(),
        category: innomatch_core::model::ServiceCategory::TestingInspection,
        score: 0.7,
        reasons: vec![],
        replaces_lead_id: String::new(),
        policy_id: String::new(),
    }
}

async fn offer_as_admin(app: &TestApp, request: pb::OfferLeadRequest) -> pb::Lead {
    let mut admin = app.leads_client(Some(&app.admin_token.clone())).await;
    admin.offer_lead(request).await.expect("offer").into_inner().lead.expect("lead")
}

async fn subscribe(client: &mut LeadsClient) -> Deliveries {
    client.subscribe_leads(pb::SubscribeLeadsRequest {}).await.expect("subscribe").into_inner()
}

async fn next(stream: &mut Deliveries) -> pb::LeadDelivery {
    tokio::time::timeout(WAIT, stream.message())
        .await
        .expect("a delivery in time")
        .expect("stream ok")
        .expect("stream open")
}

async fn agency(app: &TestApp, name: &str) -> (String, String) {
    app.tenant(name, OrganizationKind::IntermediaryAgency).await
}

async fn leads_health(app: &TestApp) -> i32 {
    HealthClient::new(app.channel().await)
        .check(HealthCheckRequest { service: "innomatch.v1.LeadsService".into() })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or_default()
}

async fn wait_health(app: &TestApp, want: ServingStatus) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while leads_health(app).await != want as i32 {
        assert!(tokio::time::Instant::now() < deadline, "LeadsService health never became {want:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_agency_streams_acknowledges_and_answers_its_leads() {
    let app = spawn_app().await;
    wait_health(&app, ServingStatus::Serving).await;
    let (org, token) = agency(&app, "湛江市科技成果转化服务中心").await;
    let lead = offer_as_admin(&app, offer(&org, 1, "预制菜冷链检测")).await;
    assert_eq!(lead.status, pb::LeadStatus::New as i32);
    assert!(lead.id.starts_with("lead_"));
    let again = offer_as_admin(&app, offer(&org, 1, "预制菜冷链检测")).await;
    assert_eq!(again.id, lead.id, "offering the same need × offer again is the same lead");

    let mut client = app.leads_client(Some(&token)).await;
    let mut stream = subscribe(&mut client).await;
    let delivery = next(&mut stream).await;
    assert_eq!(delivery.attempt, 1);
    let delivered = delivery.lead.expect("lead");
    assert_eq!((delivered.id.as_str(), delivered.status), (lead.id.as_str(), pb::LeadStatus::Delivered as i32));
    assert_eq!(delivered.need_title, "预制菜冷链检测");

    let acked = client.ack_lead(pb::AckLeadRequest { lead_id: lead.id.clone() }).await.expect("ack").into_inner();
    let twice = client.ack_lead(pb::AckLeadRequest { lead_id: lead.id.clone() }).await.expect("ack again").into_inner();
    assert_eq!(acked, twice, "a second ack is harmless");
    assert!(acked.lead.as_ref().and_then(|l| l.acked_at.as_ref()).is_some());

    let accepted = client
        .respond_to_lead(pb::RespondToLeadRequest {
            lead_id: lead.id.clone(),
            accept: true,
            note: "明天上门".into(),
            ..Default::default()
        })
        .await
        .expect("accept")
        .into_inner();
    assert_eq!(accepted.status, pb::LeadStatus::Accepted as i32);
    let illegal = client
        .update_lead_outcome(pb::UpdateLeadOutcomeRequest {
            lead_id: lead.id.clone(),
            status: pb::LeadStatus::Won as i32,
            note: String::new(),
        })
        .await
        .expect_err("won before contacted");
    assert_eq!(illegal.code(), Code::FailedPrecondition, "{illegal:?}");
    for status in [pb::LeadStatus::Contacted, pb::LeadStatus::Lost] {
        client
            .update_lead_outcome(pb::UpdateLeadOutcomeRequest {
                lead_id: lead.id.clone(),
                status: status as i32,
                note: "企业改为自建实验室".into(),
            })
            .await
            .expect("outcome");
    }
    let listed = client.list_leads(pb::ListLeadsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.leads.len(), 1);
    let final_lead = &listed.leads[0];
    assert_eq!(final_lead.status, pb::LeadStatus::Lost as i32);
    let steps: Vec<(i32, &str)> =
        final_lead.history.iter().filter(|t| t.from != t.to).map(|t| (t.to, t.actor.as_str())).collect();
    let token_id = steps[1].1.to_owned();
    assert!(token_id.starts_with("tok_"), "the agency's token id is the actor: {token_id}");
    assert_eq!(
        steps,
        [
            (pb::LeadStatus::Delivered as i32, "system"),
            (pb::LeadStatus::Accepted as i32, token_id.as_str()),
            (pb::LeadStatus::Contacted as i32, token_id.as_str()),
            (pb::LeadStatus::Lost as i32, token_id.as_str()),
        ]
    );
    assert!(final_lead.history.iter().all(|t| t.at.is_some()));
}

#[tokio::test]
async fn a_client_that_disconnects_gets_the_unacknowledged_lead_again() {
    let app = spawn_app().await;
    let (org, token) = agency(&app, "湛江海洋知识产权服务有限公司").await;
    let lead = app.leads().offer(draft(&org, 1, "对虾养殖病害检测认证")).await.expect("offer in-process");

    let mut client = app.leads_client(Some(&token)).await;
    let mut stream = subscribe(&mut client).await;
    let first = next(&mut stream).await;
    assert_eq!((first.lead.as_ref().map(|l| l.id.clone()), first.attempt), (Some(lead.id.clone()), 1));
    drop(stream);
    drop(client); // the connection goes away mid-stream, nothing acknowledged

    let mut client = app.leads_client(Some(&token)).await;
    let mut stream = subscribe(&mut client).await;
    let again = next(&mut stream).await;
    assert_eq!((again.lead.as_ref().map(|l| l.id.clone()), again.attempt), (Some(lead.id.clone()), 2));
    client.ack_lead(pb::AckLeadRequest { lead_id: lead.id.clone() }).await.expect("ack");
    // Nothing else is pending: the next delivery is a new lead.
    let sentinel = app.leads().offer(draft(&org, 2, "氢冶金专利布局")).await.expect("offer");
    assert_eq!(next(&mut stream).await.lead.map(|l| l.id), Some(sentinel.id));
    assert_eq!(app.leads().pending(&org).await.expect("pending"), 1, "only the sentinel awaits its ack");
}

#[tokio::test]
async fn agencies_are_isolated_and_members_are_refused() {
    let app = spawn_app().await;
    let (org_a, token_a) = agency(&app, "湛江检验检测认证中心").await;
    let (org_b, token_b) = agency(&app, "广州技术转移服务中心").await;
    let (_, member_token) = app.tenant("湛江对虾养殖合作社", OrganizationKind::Enterprise).await;
    let lead_a = offer_as_admin(&app, offer(&org_a, 1, "预制菜冷链检测")).await;
    let lead_b = offer_as_admin(&app, offer(&org_b, 2, "对虾养殖病害检测认证")).await;

    let mut b = app.leads_client(Some(&token_b)).await;
    let foreign = b.ack_lead(pb::AckLeadRequest { lead_id: lead_a.id.clone() }).await.expect_err("not b's");
    let missing =
        b.ack_lead(pb::AckLeadRequest { lead_id: "lead_000000000000000000000000".into() }).await.expect_err("missing");
    assert_eq!((foreign.code(), missing.code()), (Code::NotFound, Code::NotFound));
    assert_eq!(
        foreign.message().replace(&lead_a.id, "ID"),
        missing.message().replace("lead_000000000000000000000000", "ID"),
        "another agency's lead looks exactly like a missing one"
    );
    let respond = b
        .respond_to_lead(pb::RespondToLeadRequest { lead_id: lead_a.id.clone(), accept: true, ..Default::default() })
        .await
        .expect_err("not b's");
    assert_eq!(respond.code(), Code::NotFound);
    let listed = b.list_leads(pb::ListLeadsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.leads.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), vec![lead_b.id.clone()]);
    let mut stream = subscribe(&mut b).await;
    assert_eq!(next(&mut stream).await.lead.map(|l| l.id), Some(lead_b.id));

    let mut member = app.leads_client(Some(&member_token)).await;
    let denied = [
        member.subscribe_leads(pb::SubscribeLeadsRequest {}).await.map(|_| ()).expect_err("member"),
        member.ack_lead(pb::AckLeadRequest { lead_id: lead_a.id.clone() }).await.map(|_| ()).expect_err("member"),
        member.list_leads(pb::ListLeadsRequest::default()).await.map(|_| ()).expect_err("member"),
        member
            .export_leads(pb::ExportLeadsRequest { format: pb::ExportFormat::Csv as i32, statuses: vec![] })
            .await
            .map(|_| ())
            .expect_err("member"),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let mut a = app.leads_client(Some(&token_a)).await;
    let offered_by_agency = a.offer_lead(offer(&org_a, 3, "氢冶金专利布局")).await.expect_err("admin only");
    assert_eq!(offered_by_agency.code(), Code::PermissionDenied);
    let unauthenticated =
        app.leads_client(None).await.list_leads(pb::ListLeadsRequest::default()).await.expect_err("no token");
    assert_eq!(unauthenticated.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn bad_requests_name_their_fields_and_change_nothing() {
    let app = spawn_app().await;
    let (org, token) = agency(&app, "湛江科技金融服务中心").await;
    let mut client = app.leads_client(Some(&token)).await;
    let cases: Vec<(tonic::Status, Vec<&str>)> = vec![
        (client.ack_lead(pb::AckLeadRequest { lead_id: "bad id!".into() }).await.expect_err("id"), vec!["lead_id"]),
        (
            client
                .list_leads(pb::ListLeadsRequest {
                    page_size: 10_000,
                    statuses: vec![42],
                    category: 99,
                    ..Default::default()
                })
                .await
                .expect_err("list"),
            vec!["page_size", "statuses[0]", "category"],
        ),
        (
            client
                .respond_to_lead(pb::RespondToLeadRequest {
                    lead_id: "lead_x".into(),
                    accept: false,
                    ..Default::default()
                })
                .await
                .expect_err("decline without reason"),
            vec!["decline_reason"],
        ),
        (
            client
                .update_lead_outcome(pb::UpdateLeadOutcomeRequest {
                    lead_id: String::new(),
                    status: pb::LeadStatus::Accepted as i32,
                    note: String::new(),
                })
                .await
                .expect_err("outcome"),
            vec!["lead_id", "status"],
        ),
        (client.export_leads(pb::ExportLeadsRequest::default()).await.map(|_| ()).expect_err("format"), vec!["format"]),
        (
            client
                .list_leads(pb::ListLeadsRequest { page_token: "forged".into(), ..Default::default() })
                .await
                .expect_err("token"),
            vec!["page_token"],
        ),
    ];
    for (status, fields) in cases {
        assert_eq!(violated_fields(&status), fields, "{status:?}");
    }
    let mut admin = app.leads_client(Some(&app.admin_token.clone())).await;
    let bad_offer = admin
        .offer_lead(pb::OfferLeadRequest { agency_organization_id: org.clone(), score: -1.0, ..Default::default() })
        .await
        .expect_err("offer");
    assert_eq!(violated_fields(&bad_offer), ["category", "offer_id", "need_id", "need_title", "score"]);
    let listed = client.list_leads(pb::ListLeadsRequest::default()).await.expect("list").into_inner();
    assert!(listed.leads.is_empty(), "nothing was created");
}

async fn export(client: &mut LeadsClient, format: pb::ExportFormat) -> (String, Vec<u8>) {
    let mut stream = client
        .export_leads(pb::ExportLeadsRequest { format: format as i32, statuses: vec![] })
        .await
        .expect("export")
        .into_inner();
    let (mut name, mut bytes) = (String::new(), Vec::new());
    while let Some(chunk) = stream.message().await.expect("chunk") {
        if name.is_empty() {
            name = chunk.file_name;
        }
        bytes.extend(chunk.data);
    }
    (name, bytes)
}

#[tokio::test]
async fn exports_parse_back_as_csv_and_xlsx() {
    use calamine::Reader;

    let app = spawn_app().await;
    let (org, token) = agency(&app, "湛江创新服务有限公司").await;
    let titles = ["预制菜冷链检测", "对虾养殖病害检测认证", "=HYPERLINK(\"http://x\")"];
    for (n, title) in titles.iter().enumerate() {
        offer_as_admin(&app, offer(&org, n, title)).await;
    }
    let mut client = app.leads_client(Some(&token)).await;
    let listed = client.list_leads(pb::ListLeadsRequest::default()).await.expect("list").into_inner();
    client
        .respond_to_lead(pb::RespondToLeadRequest {
            lead_id: listed.leads[0].id.clone(),
            accept: false,
            decline_reason: pb::DeclineReason::NoCapacity as i32,
            note: "本月排期已满".into(),
        })
        .await
        .expect("decline");

    let (name, csv_bytes) = export(&mut client, pb::ExportFormat::Csv).await;
    assert!(name.starts_with(&format!("leads-{org}-")) && name.ends_with(".csv"), "{name}");
    assert!(csv_bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM so Excel reads UTF-8");
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(&headers[0], "线索编号 Lead ID");
    assert_eq!(&headers[2], "需求标题 Need title");
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 3);
    let declined = rows.iter().find(|r| r[0] == listed.leads[0].id).expect("declined row");
    assert_eq!(
        (&declined[5], &declined[8], &declined[9]),
        ("已谢绝 declined", "服务能力已满 no_capacity", "本月排期已满")
    );
    let csv_titles: HashSet<&str> = rows.iter().map(|r| r.get(2).unwrap_or_default()).collect();
    assert!(csv_titles.contains("对虾养殖病害检测认证"));
    assert!(csv_titles.contains("'=HYPERLINK(\"http://x\")"), "formulas are defused: {csv_titles:?}");

    let (name, xlsx_bytes) = export(&mut client, pb::ExportFormat::Xlsx).await;
    assert!(name.ends_with(".xlsx"));
    assert!(xlsx_bytes.starts_with(b"PK\x03\x04"), "an XLSX file is a zip");
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx_bytes)).expect("a workbook calamine reads");
    assert_eq!(workbook.sheet_names(), ["线索 Leads"]);
    let range = workbook.worksheet_range("线索 Leads").expect("sheet");
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows.len(), 4, "header and three leads");
    assert_eq!(rows[0][3], "服务类别 Category");
    let titles_read: HashSet<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(titles_read, titles.iter().copied().collect::<HashSet<_>>(), "text cells are never formulas in XLSX");
    assert!(rows[1..].iter().all(|r| r[4].parse::<f64>().is_ok()), "scores are numbers");
}

/// A redis-server of our own, so killing it disturbs no one.
struct OwnRedis {
    child: Child,
}

impl OwnRedis {
    fn start(port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let redis = OwnRedis { child };
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "redis-server listens on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        redis
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn redis_server_available() -> bool {
    let found = Command::new("redis-server").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but redis-server is not installed");
        println!("skipped: redis-server not installed");
    }
    found
}

#[tokio::test]
async fn leads_survive_a_redis_restart_during_delivery() {
    if !redis_server_available() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut redis = OwnRedis::start(port);
    let app = spawn_app_with(|s| {
        s.redis_url = Some(Secret::new(format!("redis://127.0.0.1:{port}")));
        s.leads.redis_key_prefix = "imtest".into();
        s.leads.redis_health_interval_ms = 100;
        s.leads.redis_block_ms = 300;
    })
    .await;
    wait_health(&app, ServingStatus::Serving).await;
    let (org, token) = agency(&app, "湛江绿色石化检测服务中心").await;
    let leads = app.leads();
    let first = leads.offer(draft(&org, 1, "预制菜冷链检测")).await.expect("offer");
    let second = leads.offer(draft(&org, 2, "对虾养殖病害检测认证")).await.expect("offer");

    let mut client = app.leads_client(Some(&token)).await;
    let mut stream = subscribe(&mut client).await;
    let got: Vec<String> = vec![next(&mut stream).await, next(&mut stream).await]
        .into_iter()
        .filter_map(|d| d.lead.map(|l| l.id))
        .collect();
    assert_eq!(got, [first.id.clone(), second.id.clone()]);
    client.ack_lead(pb::AckLeadRequest { lead_id: first.id.clone() }).await.expect("ack");

    redis.kill();
    wait_health(&app, ServingStatus::NotServing).await;
    // Leads offered while Redis is down wait in the store.
    let mut during = HashSet::new();
    for n in 10..13 {
        during.insert(leads.offer(draft(&org, n, "氢冶金专利布局")).await.expect("offer while redis is down").id);
    }

    let _redis = OwnRedis::start(port); // same port, empty: it kept nothing
    wait_health(&app, ServingStatus::Serving).await;
    let mut arrived = HashSet::new();
    while arrived.len() < during.len() {
        let d = next(&mut stream).await;
        let id = d.lead.map(|l| l.id).unwrap_or_default();
        assert!(during.contains(&id), "only the new leads arrive on this stream (got {id})");
        assert_eq!(d.attempt, 1);
        assert!(arrived.insert(id), "no lead arrives twice");
    }
    for id in during.iter().chain([&second.id]) {
        client.ack_lead(pb::AckLeadRequest { lead_id: id.clone() }).await.expect("ack");
    }
    let listed = client.list_leads(pb::ListLeadsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.leads.len(), 5, "nothing lost, nothing doubled");
    assert!(listed.leads.iter().all(|l| l.acked_at.is_some()));
    // A republished entry may still be read (and then dropped) after its ack.
    let deadline = tokio::time::Instant::now() + WAIT;
    while leads.pending(&org).await.expect("pending") != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the pending list empties");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
