//! The delivery conformance suite: the same scenarios, written once against
//! the domain API, run on the embedded backend and on Redis, each over the
//! SQLite store and the PostgreSQL one, so none of them can drift — for
//! leads and for notifications, which travel through the same backends.
//! Redis scenarios use 127.0.0.1:6379 with a random key prefix each, deleted
//! afterwards; PostgreSQL scenarios use a schema of their own in the test
//! database, dropped afterwards. With `CI=true` both must run (an
//! unreachable server fails them); elsewhere they print "skipped: redis not
//! reachable" or "skipped: postgresql not reachable".

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use innomatch_core::{
    auth::Principal, config::LeadsSettings, model::Role, model::ServiceCategory, postgres::TestSchema,
};
use innomatch_leads::{
    Delivery, Leads, LeadsError, Notifications,
    clock::{Clock, ManualClock},
    delivery::{
        DeliveryBackend,
        embedded::EmbeddedDelivery,
        redis::{NOTIFICATION_STREAMS, RedisDelivery},
    },
    lifecycle::next_status,
    model::{DeclineReason, LeadDraft, LeadStatus, Outcome, Response},
    notifications::{
        NotificationFilter, NotificationPolicy, NotificationStream,
        model::{NoticeDraft, Notification, NotificationKind},
        postgres::PostgresNotificationStore,
        sqlite::SqliteNotificationStore,
        store::NotificationStore,
    },
    postgres::PostgresLeadStore,
    service::{DeliveryStream, ListFilter},
    sqlite::SqliteLeadStore,
    store::LeadStore,
};

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const WAIT: Duration = Duration::from_secs(10);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// How leads reach agencies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    Embedded,
    Redis,
}

/// Where leads are stored.
#[derive(Debug, Clone, Copy, PartialEq)]
enum StoreKind {
    Sqlite,
    Postgres,
}

/// One combination under test.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Kind {
    via: Via,
    store: StoreKind,
}

impl Kind {
    const EMBEDDED: Kind = Kind { via: Via::Embedded, store: StoreKind::Sqlite };
    const REDIS: Kind = Kind { via: Via::Redis, store: StoreKind::Sqlite };
}

/// Deletes a test's Redis keys when dropped, even when the test panicked.
struct RedisKeys {
    prefix: String,
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(REDIS_URL) else { return };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(1)) else { return };
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query(&mut conn).unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}

/// One backend under test: its leads service, clock and store (a file or a
/// schema). Field order matters: the service closes before the schema is dropped.
struct Harness {
    kind: Kind,
    leads: Leads,
    clock: Arc<ManualClock>,
    store: Arc<dyn LeadStore>,
    dir: tempfile::TempDir,
    settings: LeadsSettings,
    _redis: Option<RedisKeys>,
    schema: Option<TestSchema>,
}

fn test_settings(prefix: &str) -> LeadsSettings {
    LeadsSettings {
        redis_key_prefix: prefix.to_owned(),
        redis_block_ms: 200,
        redis_claim_min_idle_ms: 300,
        redis_claim_interval_ms: 100,
        redis_health_interval_ms: 100,
        // Expiry is driven by the tests through `expire_due`.
        expiry_sweep_secs: 3600,
        ..LeadsSettings::default()
    }
}

async fn redis_reachable() -> bool {
    let Ok(client) = redis::Client::open(REDIS_URL) else { return false };
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(_)))
}

fn build(kind: Kind, store: Arc<dyn LeadStore>, clock: Arc<ManualClock>, settings: &LeadsSettings) -> Leads {
    let delivery: Arc<dyn DeliveryBackend> = match kind.via {
        Via::Embedded => Arc::new(EmbeddedDelivery::new(store.clone(), clock.clone())),
        Via::Redis => Arc::new(
            RedisDelivery::new(REDIS_URL, store.clone(), clock.clone(), settings.into()).expect("redis backend"),
        ),
    };
    Leads::new(store, delivery, clock, settings.clone())
}

impl Harness {
    /// `None` when the backend is Redis, Redis is down and this is not CI.
    async fn new(kind: Kind) -> Option<Harness> {
        let prefix = format!("imtest-{}", uuid::Uuid::now_v7().simple());
        let redis = if kind.via == Via::Redis {
            if !redis_reachable().await {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but redis at {REDIS_URL} is unreachable"
                );
                println!("skipped: redis not reachable at {REDIS_URL}");
                return None;
            }
            Some(RedisKeys { prefix: prefix.clone() })
        } else {
            None
        };
        let schema = match kind.store {
            StoreKind::Sqlite => None,
            StoreKind::Postgres => Some(TestSchema::create().await?),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open_store(&dir, schema.as_ref()).await;
        let clock = Arc::new(ManualClock::at(innomatch_core::model::now_ms()));
        let settings = test_settings(&prefix);
        let leads = build(kind, store.clone(), clock.clone(), &settings);
        if kind.via == Via::Redis {
            wait_ready(&leads).await;
        }
        // The sweeper runs once at start; let it finish, so a test that moves
        // the clock and sweeps by hand never races it.
        leads.sweeps().wait_for(|&n| n >= 1).await.expect("the sweeper runs");
        Some(Harness { kind, leads, clock, store, dir, settings, _redis: redis, schema })
    }

    /// Drops the service (as a crash would: nothing is flushed or closed
    /// first) and starts a new one on the same store file and Redis keys.
    async fn crash_and_restart(&mut self) {
        let store = open_store(&self.dir, self.schema.as_ref()).await;
        self.store = store.clone();
        self.leads = build(self.kind, store, self.clock.clone(), &self.settings);
        if self.kind.via == Via::Redis {
            wait_ready(&self.leads).await;
        }
        self.leads.sweeps().wait_for(|&n| n >= 1).await.expect("the sweeper runs");
    }
}

/// The store in `dir`, or in `schema` when PostgreSQL is under test.
async fn open_store(dir: &tempfile::TempDir, schema: Option<&TestSchema>) -> Arc<dyn LeadStore> {
    match schema {
        Some(schema) => Arc::new(
            PostgresLeadStore::connect(&schema.url, Some(&schema.name), &TestSchema::settings())
                .await
                .expect("postgres lead store"),
        ),
        None => Arc::new(SqliteLeadStore::open(dir.path()).expect("store")),
    }
}

async fn wait_ready(leads: &Leads) {
    let mut ready = leads.readiness();
    tokio::time::timeout(WAIT, ready.wait_for(|r| *r)).await.expect("backend ready in time").expect("readiness");
}

fn agency(org: &str, token: &str) -> Principal {
    Principal { token_id: token.into(), organization_id: Some(org.into()), role: Role::Agency }
}

fn draft(agency_org: &str, n: usize, title: &str, category: ServiceCategory) -> LeadDraft {
    LeadDraft {
        agency_organization_id: agency_org.into(),
        offer_id: format!("offer_{agency_org}_{}", category.code()),
        need_id: format!("need_{n}"),
        need_organization_id: format!("org_enterprise_{n}"),
        need_title: title.into(),
        need_summary: "湛江企业技术需求，寻求第三方检测与认证服务".into(),
        category,
        score: 0.5 + n as f32 / 100.0,
        reasons: vec!["需求关键词与服务关键词重合".into()],
        replaces_lead_id: String::new(),
        policy_id: String::new(),
    }
}

const TITLES: [&str; 3] = ["预制菜冷链检测", "对虾养殖病害检测认证", "氢冶金专利布局"];

fn title(n: usize) -> &'static str {
    TITLES[n % TITLES.len()]
}

async fn offer_n(leads: &Leads, org: &str, range: std::ops::Range<usize>) -> Vec<String> {
    let mut ids = Vec::new();
    for n in range {
        ids.push(leads.offer(draft(org, n, title(n), ServiceCategory::TestingInspection)).await.expect("offer").id);
    }
    ids
}

async fn next(stream: &mut DeliveryStream) -> Delivery {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a delivery within the deadline")
        .expect("the stream stays open")
        .expect("delivery ok")
}

/// Offers a sentinel lead and checks it is the very next delivery: proof
/// that nothing else was pending on this stream.
async fn expect_nothing_else(h: &Harness, stream: &mut DeliveryStream, org: &str, n: usize) {
    let sentinel = h.leads.offer(draft(org, n, "哨兵线索", ServiceCategory::Consulting)).await.expect("offer sentinel");
    let got = next(stream).await;
    assert_eq!(got.lead.id, sentinel.id, "expected only the sentinel, got {:?}", got.lead.need_title);
}

async fn offer_is_idempotent_and_delivers_once(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let (first, created) = h
        .leads
        .offer_reporting(draft(org, 1, "预制菜冷链检测", ServiceCategory::TestingInspection))
        .await
        .expect("offer");
    assert!(created);
    assert_eq!(first.status, LeadStatus::New);
    let (again, created_again) = h
        .leads
        .offer_reporting(draft(org, 1, "预制菜冷链检测", ServiceCategory::TestingInspection))
        .await
        .expect("offer again");
    assert!(!created_again, "the same need × offer is the same lead");
    assert_eq!(again.id, first.id);

    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    let delivered = next(&mut stream).await;
    assert_eq!(delivered.lead.id, first.id);
    assert_eq!(delivered.attempt, 1);
    assert_eq!(delivered.lead.status, LeadStatus::Delivered);
    assert_eq!(delivered.lead.history[0].actor, "system");
    h.leads.ack(&principal, &first.id).await.expect("ack");

    // Offering an acknowledged pair again changes nothing and sends nothing.
    let (third, created_third) = h
        .leads
        .offer_reporting(draft(org, 1, "预制菜冷链检测", ServiceCategory::TestingInspection))
        .await
        .expect("offer");
    assert!(!created_third);
    assert_eq!(third.delivery_attempts, 1);
    expect_nothing_else(&h, &mut stream, org, 99).await;
    let all = h.leads.list(&principal, ListFilter::default()).await.expect("list");
    assert_eq!(all.leads.len(), 2, "one lead per pair plus the sentinel");
}

async fn unacknowledged_leads_come_again_first_with_attempts_counted(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..3).await;
    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    let mut got = Vec::new();
    for _ in 0..3 {
        let d = next(&mut stream).await;
        assert_eq!(d.attempt, 1);
        got.push(d.lead.id);
    }
    assert_eq!(got, ids, "delivered in the order offered");
    h.leads.ack(&principal, &ids[0]).await.expect("ack");
    drop(stream); // the client disconnects mid-stream

    let mut stream = h.leads.subscribe(&principal).await.expect("resubscribe");
    let again: Vec<(String, u32)> = {
        let mut v = Vec::new();
        for _ in 0..2 {
            let d = next(&mut stream).await;
            v.push((d.lead.id, d.attempt));
        }
        v
    };
    assert_eq!(again, vec![(ids[1].clone(), 2), (ids[2].clone(), 2)], "same ids, attempt incremented");
    let fresh =
        h.leads.offer(draft(org, 10, "对虾养殖病害检测认证", ServiceCategory::TestingInspection)).await.expect("offer");
    let d = next(&mut stream).await;
    assert_eq!((d.lead.id, d.attempt), (fresh.id, 1), "then new leads, live");
}

async fn acks_are_idempotent_and_the_pending_list_drains(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..2).await;
    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    next(&mut stream).await;
    next(&mut stream).await;
    assert_eq!(h.leads.pending(org).await.expect("pending"), 2);
    let first = h.leads.ack(&principal, &ids[0]).await.expect("ack");
    let twice = h.leads.ack(&principal, &ids[0]).await.expect("second ack is harmless");
    assert_eq!(first, twice, "a second ack changes nothing");
    assert_eq!(first.status, LeadStatus::Delivered, "acknowledged leads stay DELIVERED");
    assert!(first.acked_at_ms.is_some());
    assert_eq!(first.history.iter().filter(|t| t.note == "acknowledged").count(), 1);
    h.leads.ack(&principal, &ids[1]).await.expect("ack");
    assert_eq!(h.leads.pending(org).await.expect("pending"), 0);
    drop(stream);
    let mut stream = h.leads.subscribe(&principal).await.expect("resubscribe");
    expect_nothing_else(&h, &mut stream, org, 50).await;
}

async fn a_crash_redelivers_everything_not_acknowledged(kind: Kind) {
    let Some(mut h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..5).await;
    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    let mut streamed = Vec::new();
    for _ in 0..3 {
        streamed.push(next(&mut stream).await.lead.id);
    }
    drop(stream);
    h.crash_and_restart().await;

    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe after restart");
    let mut seen = std::collections::HashMap::new();
    for _ in 0..5 {
        let d = next(&mut stream).await;
        assert!(seen.insert(d.lead.id.clone(), d.attempt).is_none(), "{} arrived twice", d.lead.id);
    }
    let mut all: Vec<&String> = seen.keys().collect();
    all.sort();
    let mut expected: Vec<&String> = ids.iter().collect();
    expected.sort();
    assert_eq!(all, expected, "every lead arrives after the crash");
    for id in &streamed {
        assert_eq!(seen[id], 2, "{id} was streamed before the crash");
    }
    for id in &ids {
        h.leads.ack(&principal, id).await.expect("ack");
    }
    assert_eq!(h.leads.pending(org).await.expect("pending"), 0);
    let listed = h.leads.list(&principal, ListFilter::default()).await.expect("list");
    assert_eq!(listed.leads.len(), 5, "each lead exactly once");
    expect_nothing_else(&h, &mut stream, org, 70).await;
}

async fn answers_follow_the_lifecycle(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..3).await;
    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    for _ in 0..3 {
        next(&mut stream).await;
    }

    let accepted =
        h.leads.respond(&principal, &ids[0], Response::Accept { note: "本周内联系企业".into() }).await.expect("accept");
    assert_eq!(accepted.status, LeadStatus::Accepted);
    assert!(accepted.acked_at_ms.is_some(), "answering acknowledges");
    let contacted = h.leads.update_outcome(&principal, &ids[0], Outcome::Contacted, "").await.expect("contacted");
    assert_eq!(contacted.status, LeadStatus::Contacted);
    let won = h.leads.update_outcome(&principal, &ids[0], Outcome::Won, "签订检测服务合同").await.expect("won");
    assert_eq!(won.status, LeadStatus::Won);
    let path: Vec<(LeadStatus, &str)> =
        won.history.iter().filter(|t| t.from != t.to).map(|t| (t.to, t.actor.as_str())).collect();
    assert_eq!(
        path,
        [
            (LeadStatus::Delivered, "system"),
            (LeadStatus::Accepted, "tok_a"),
            (LeadStatus::Contacted, "tok_a"),
            (LeadStatus::Won, "tok_a")
        ]
    );

    let declined = h
        .leads
        .respond(
            &principal,
            &ids[1],
            Response::Decline { reason: DeclineReason::NoCapacity, note: "本月检测排期已满".into() },
        )
        .await
        .expect("decline");
    assert_eq!((declined.status, declined.decline_reason), (LeadStatus::Declined, Some(DeclineReason::NoCapacity)));

    // Illegal moves are refused and change nothing.
    let illegal = [
        h.leads.update_outcome(&principal, &ids[1], Outcome::Won, "").await,
        h.leads.respond(&principal, &ids[0], Response::Accept { note: String::new() }).await,
        h.leads.update_outcome(&principal, &ids[2], Outcome::Contacted, "").await,
        h.leads.respond(&principal, &ids[1], Response::Accept { note: String::new() }).await,
    ];
    for result in illegal {
        assert!(matches!(result, Err(LeadsError::FailedPrecondition(_))), "{result:?}");
    }
    assert!(next_status(LeadStatus::Declined, innomatch_leads::lifecycle::Event::Win).is_none());
    let other_without_note = h
        .leads
        .respond(&principal, &ids[2], Response::Decline { reason: DeclineReason::Other, note: " ".into() })
        .await;
    assert!(matches!(other_without_note, Err(LeadsError::Invalid(_))));

    // Answered leads are not redelivered; the unanswered, unacknowledged one is.
    drop(stream);
    let mut stream = h.leads.subscribe(&principal).await.expect("resubscribe");
    assert_eq!(next(&mut stream).await.lead.id, ids[2]);
    expect_nothing_else(&h, &mut stream, org, 80).await;
}

async fn expired_leads_are_neither_delivered_nor_answerable(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..2).await;
    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    assert_eq!(next(&mut stream).await.lead.id, ids[0]);
    assert_eq!(next(&mut stream).await.lead.id, ids[1]);
    drop(stream);

    h.clock.advance(DAY * 7 + Duration::from_secs(1));
    // ids[0] is answered late: refused, and it expires on the spot.
    let late = h.leads.respond(&principal, &ids[0], Response::Accept { note: String::new() }).await;
    assert!(matches!(late, Err(LeadsError::FailedPrecondition(_))), "{late:?}");
    assert_eq!(h.leads.get(&principal, &ids[0]).await.expect("get").status, LeadStatus::Expired);
    // The sweeper's work expires the rest.
    assert_eq!(h.leads.expire_due().await.expect("sweep"), 1);
    assert_eq!(h.leads.expire_due().await.expect("sweep again"), 0);
    let expired = h.leads.get(&principal, &ids[1]).await.expect("get");
    assert_eq!(expired.status, LeadStatus::Expired);
    let last = expired.history.last().expect("history");
    assert_eq!((last.from, last.to, last.actor.as_str()), (LeadStatus::Delivered, LeadStatus::Expired, "system"));
    assert_eq!(h.leads.pending(org).await.expect("pending"), 0, "expired leads leave the pending list");

    let mut stream = h.leads.subscribe(&principal).await.expect("resubscribe");
    expect_nothing_else(&h, &mut stream, org, 90).await;
}

async fn agencies_see_only_their_own_leads(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let a_ids = offer_n(&h.leads, "org_agency_a", 0..2).await;
    let b_ids = offer_n(&h.leads, "org_agency_b", 10..11).await;
    let a = agency("org_agency_a", "tok_a");
    let b = agency("org_agency_b", "tok_b");

    let mut b_stream = h.leads.subscribe(&b).await.expect("subscribe b");
    assert_eq!(next(&mut b_stream).await.lead.id, b_ids[0]);
    for result in [
        h.leads.get(&b, &a_ids[0]).await,
        h.leads.ack(&b, &a_ids[0]).await,
        h.leads.respond(&b, &a_ids[0], Response::Accept { note: String::new() }).await,
        h.leads.update_outcome(&b, &a_ids[0], Outcome::Lost, "").await,
        h.leads.get(&b, "lead_000000000000000000000000").await,
    ] {
        assert!(matches!(result, Err(LeadsError::NotFound(_))), "{result:?}");
    }
    let listed = h.leads.list(&b, ListFilter::default()).await.expect("list");
    assert_eq!(listed.leads.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), b_ids);
    expect_nothing_else(&h, &mut b_stream, "org_agency_b", 95).await;
    assert_eq!(h.leads.get(&a, &a_ids[0]).await.expect("own lead").delivery_attempts, 0, "untouched by b");

    let member = Principal { role: Role::Member, ..agency("org_enterprise", "tok_m") };
    assert!(matches!(h.leads.subscribe(&member).await, Err(LeadsError::PermissionDenied(_))));
    assert!(matches!(h.leads.list(&member, ListFilter::default()).await, Err(LeadsError::PermissionDenied(_))));
}

async fn another_subscriber_takes_over_what_a_vanished_one_held(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..1).await;
    let first = agency(org, "tok_laptop");
    let mut stream = h.leads.subscribe(&first).await.expect("subscribe");
    assert_eq!(next(&mut stream).await.lead.id, ids[0]);
    drop(stream); // that client never comes back

    // Another token of the same agency gets the lead: at once in-process, after
    // the idle time through XAUTOCLAIM on Redis.
    let second = agency(org, "tok_phone");
    let mut stream = h.leads.subscribe(&second).await.expect("subscribe");
    let d = next(&mut stream).await;
    assert_eq!((d.lead.id.as_str(), d.attempt), (ids[0].as_str(), 2));
    h.leads.ack(&second, &ids[0]).await.expect("ack");
    assert_eq!(h.leads.pending(org).await.expect("pending"), 0);
}

async fn lists_page_and_filter(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let principal = agency(org, "tok_a");
    let mut ids = Vec::new();
    for n in 0..7 {
        let category =
            if n % 2 == 0 { ServiceCategory::TestingInspection } else { ServiceCategory::IntellectualProperty };
        ids.push(h.leads.offer(draft(org, n, title(n), category)).await.expect("offer").id);
    }
    h.leads.respond(&principal, &ids[0], Response::Accept { note: String::new() }).await.expect("accept");
    let mut token = String::new();
    let mut pages = Vec::new();
    loop {
        let page = h
            .leads
            .list(&principal, ListFilter { page_size: 3, page_token: token.clone(), ..ListFilter::default() })
            .await
            .expect("list");
        pages.push(page.leads.iter().map(|l| l.id.clone()).collect::<Vec<_>>());
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(pages.concat(), newest_first);
    let ip = h
        .leads
        .list(&principal, ListFilter { category: Some(ServiceCategory::IntellectualProperty), ..ListFilter::default() })
        .await
        .expect("list");
    assert_eq!(ip.leads.len(), 3);
    let accepted = h
        .leads
        .list(&principal, ListFilter { statuses: vec![LeadStatus::Accepted], ..ListFilter::default() })
        .await
        .expect("list");
    assert_eq!(accepted.leads.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), vec![ids[0].clone()]);
    let bad = h.leads.list(&principal, ListFilter { page_token: "garbage".into(), ..ListFilter::default() }).await;
    assert!(matches!(bad, Err(LeadsError::Invalid(_))));
}

/// Runs each scenario against every delivery × store combination.
/// A need's leads close with it (delivery stops, final ones stay as they
/// are, repeating closes nothing more), and a declined lead waits to be
/// passed on until a lead replacing it is offered, once.
async fn leads_close_with_their_need_and_declined_ones_pass_on_once(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let (a, b, c) = ("org_agency_a", "org_agency_b", "org_agency_c");
    let first = h.leads.offer(draft(a, 1, "预制菜冷链检测", ServiceCategory::TestingInspection)).await.expect("offer");
    let second = h.leads.offer(draft(b, 1, "预制菜冷链检测", ServiceCategory::TestingInspection)).await.expect("offer");
    let other_need =
        h.leads.offer(draft(a, 2, "对虾养殖病害检测认证", ServiceCategory::TestingInspection)).await.expect("offer");
    let of_need: Vec<String> =
        h.leads.leads_of_need("need_1").await.expect("of need").into_iter().map(|l| l.id).collect();
    assert_eq!(of_need, [first.id.clone(), second.id.clone()]);

    // B declines: its lead waits to be passed on; C takes over, once.
    let declined = h
        .leads
        .respond(
            &agency(b, "tok_b"),
            &second.id,
            Response::Decline { reason: DeclineReason::NoCapacity, note: String::new() },
        )
        .await
        .expect("decline");
    assert!(declined.awaits_pass_on());
    let waiting: Vec<String> = h.leads.awaiting_pass_on(10).await.expect("waiting").into_iter().map(|l| l.id).collect();
    assert_eq!(waiting, std::slice::from_ref(&second.id));
    let mut takeover = draft(c, 1, "预制菜冷链检测", ServiceCategory::TestingInspection);
    takeover.replaces_lead_id = second.id.clone();
    let replacement = h.leads.offer(takeover).await.expect("take over");
    assert_eq!(replacement.replaces_lead_id, second.id);
    assert!(h.leads.awaiting_pass_on(10).await.expect("waiting").is_empty(), "passed on once");
    let replaced = h.leads.leads_of_need("need_1").await.expect("of need");
    assert!(replaced.iter().any(|l| l.id == second.id && l.passed_on));
    let declined_again = h
        .leads
        .respond(
            &agency(c, "tok_c"),
            &replacement.id,
            Response::Decline { reason: DeclineReason::OutOfScope, note: String::new() },
        )
        .await
        .expect("decline the replacement");
    assert!(!declined_again.awaits_pass_on(), "a lead that took over is not passed on again");

    // The need closes: open leads close, the declined one stays declined.
    assert_eq!(h.leads.close_for_need("need_1", "需求已解决").await.expect("close"), 1);
    assert_eq!(h.leads.close_for_need("need_1", "需求已解决").await.expect("close again"), 0);
    let statuses: Vec<(String, LeadStatus)> =
        h.leads.leads_of_need("need_1").await.expect("of need").into_iter().map(|l| (l.id, l.status)).collect();
    assert_eq!(
        statuses,
        [
            (first.id.clone(), LeadStatus::Closed),
            (second.id.clone(), LeadStatus::Declined),
            (replacement.id.clone(), LeadStatus::Declined)
        ]
    );
    // A closed lead is not delivered; the other need's lead still is.
    let mut stream = h.leads.subscribe(&agency(a, "tok_a")).await.expect("subscribe");
    assert_eq!(next(&mut stream).await.lead.id, other_need.id);
    expect_nothing_else(&h, &mut stream, a, 90).await;
}

/// Every write to a lead moves the change counter a live page follows: a
/// new lead, its answer; offering the same lead again writes nothing and
/// moves nothing.
async fn writes_move_the_change_counter(kind: Kind) {
    let Some(h) = Harness::new(kind).await else { return };
    let org = "org_agency_a";
    let mut changes = h.leads.changes();
    let before = *changes.borrow_and_update();
    let lead =
        h.leads.offer(draft(org, 1, "对虾养殖病害检测认证", ServiceCategory::TestingInspection)).await.expect("offer");
    tokio::time::timeout(WAIT, changes.changed()).await.expect("a change within the deadline").expect("open");
    let offered = *changes.borrow_and_update();
    assert!(offered > before);
    h.leads.offer(draft(org, 1, "对虾养殖病害检测认证", ServiceCategory::TestingInspection)).await.expect("again");
    assert!(!changes.has_changed().expect("open"), "an offer repeated writes nothing");
    let principal = agency(org, "tok_a");
    h.leads.respond(&principal, &lead.id, Response::Accept { note: String::new() }).await.expect("accept");
    tokio::time::timeout(WAIT, changes.changed()).await.expect("a change within the deadline").expect("open");
    assert!(*changes.borrow_and_update() > offered);
}

macro_rules! conformance {
    ($($scenario:ident),+ $(,)?) => {
        conformance!(@module embedded_backend, Embedded, Sqlite; $($scenario),+);
        conformance!(@module redis_backend, Redis, Sqlite; $($scenario),+);
        conformance!(@module embedded_on_postgres, Embedded, Postgres; $($scenario),+);
        conformance!(@module redis_on_postgres, Redis, Postgres; $($scenario),+);
    };
    (@module $module:ident, $via:ident, $store:ident; $($scenario:ident),+) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let kind = super::Kind { via: super::Via::$via, store: super::StoreKind::$store };
                    super::$scenario(kind).await
                }
            )+
        }
    };
}

conformance!(
    offer_is_idempotent_and_delivers_once,
    unacknowledged_leads_come_again_first_with_attempts_counted,
    acks_are_idempotent_and_the_pending_list_drains,
    a_crash_redelivers_everything_not_acknowledged,
    answers_follow_the_lifecycle,
    expired_leads_are_neither_delivered_nor_answerable,
    agencies_see_only_their_own_leads,
    another_subscriber_takes_over_what_a_vanished_one_held,
    lists_page_and_filter,
    leads_close_with_their_need_and_declined_ones_pass_on_once,
    writes_move_the_change_counter,
);

macro_rules! notice_conformance {
    ($($scenario:ident),+ $(,)?) => {
        conformance!(@module notifications_embedded_backend, Embedded, Sqlite; $($scenario),+);
        conformance!(@module notifications_redis_backend, Redis, Sqlite; $($scenario),+);
        conformance!(@module notifications_embedded_on_postgres, Embedded, Postgres; $($scenario),+);
        conformance!(@module notifications_redis_on_postgres, Redis, Postgres; $($scenario),+);
    };
}

// --- notifications: the same backends, the same guarantees ---

/// Notifications under test, over a store kind and a backend, with a
/// manual clock for the rate-limit window. Field order: the service closes
/// before the schema is dropped.
struct NoticeHarness {
    kind: Kind,
    notifications: Notifications,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
    settings: LeadsSettings,
    policy: NotificationPolicy,
    _redis: Option<RedisKeys>,
    schema: Option<TestSchema>,
}

async fn open_notification_store(dir: &tempfile::TempDir, schema: Option<&TestSchema>) -> Arc<dyn NotificationStore> {
    match schema {
        Some(schema) => Arc::new(
            PostgresNotificationStore::connect(&schema.url, Some(&schema.name), &TestSchema::settings())
                .await
                .expect("postgres notification store"),
        ),
        None => Arc::new(SqliteNotificationStore::open(dir.path()).expect("store")),
    }
}

fn build_notifications(
    kind: Kind,
    store: Arc<dyn NotificationStore>,
    clock: Arc<ManualClock>,
    settings: &LeadsSettings,
    policy: NotificationPolicy,
) -> Notifications {
    let outbox: Arc<dyn innomatch_leads::delivery::Outbox<Notification>> = store.clone();
    let delivery: Arc<dyn DeliveryBackend<Notification>> = match kind.via {
        Via::Embedded => Arc::new(EmbeddedDelivery::over(outbox, clock.clone())),
        Via::Redis => Arc::new(
            RedisDelivery::over(REDIS_URL, outbox, clock.clone(), settings.into(), NOTIFICATION_STREAMS)
                .expect("redis backend"),
        ),
    };
    Notifications::new(store, delivery, clock, policy)
}

impl NoticeHarness {
    async fn new(kind: Kind, policy: NotificationPolicy) -> Option<NoticeHarness> {
        let prefix = format!("imtest-{}", uuid::Uuid::now_v7().simple());
        let redis = if kind.via == Via::Redis {
            if !redis_reachable().await {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but redis at {REDIS_URL} is unreachable"
                );
                println!("skipped: redis not reachable at {REDIS_URL}");
                return None;
            }
            Some(RedisKeys { prefix: prefix.clone() })
        } else {
            None
        };
        let schema = match kind.store {
            StoreKind::Sqlite => None,
            StoreKind::Postgres => Some(TestSchema::create().await?),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open_notification_store(&dir, schema.as_ref()).await;
        let clock = Arc::new(ManualClock::at(innomatch_core::model::now_ms()));
        let settings = test_settings(&prefix);
        let notifications = build_notifications(kind, store, clock.clone(), &settings, policy);
        let harness = NoticeHarness { kind, notifications, clock, dir, settings, policy, _redis: redis, schema };
        harness.wait_ready().await;
        Some(harness)
    }

    async fn wait_ready(&self) {
        let mut ready = self.notifications.readiness();
        tokio::time::timeout(WAIT, ready.wait_for(|r| *r)).await.expect("backend ready in time").expect("readiness");
    }

    /// Drops the service as a crash would and starts another on the same data.
    async fn crash_and_restart(&mut self) {
        let store = open_notification_store(&self.dir, self.schema.as_ref()).await;
        self.notifications = build_notifications(self.kind, store, self.clock.clone(), &self.settings, self.policy);
        self.wait_ready().await;
    }
}

fn member(org: &str, token: &str) -> Principal {
    Principal { token_id: token.into(), organization_id: Some(org.into()), role: Role::Member }
}

fn notice(org: &str, kind: NotificationKind, need: &str, subject: &str, title: &str) -> NoticeDraft {
    NoticeDraft {
        organization_id: org.into(),
        kind,
        need_id: need.into(),
        subject_id: subject.into(),
        title: title.into(),
        body: format!("新需求「{title}」与贵单位的能力匹配"),
        score: 0.62,
    }
}

async fn next_notice(stream: &mut NotificationStream) -> (String, u32) {
    let d = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a notification within the deadline")
        .expect("the stream stays open")
        .expect("delivery ok");
    (d.notification.id, d.attempt)
}

/// Notifies a sentinel and checks it is the very next delivery: nothing
/// else was pending on this stream.
async fn expect_only_sentinel(h: &NoticeHarness, stream: &mut NotificationStream, org: &str, n: usize) {
    let need = format!("need_sentinel_{n}");
    let (sentinel, _) = h
        .notifications
        .notify(notice(org, NotificationKind::FittingNeed, &need, "", "哨兵通知"))
        .await
        .expect("sentinel");
    assert_eq!(next_notice(stream).await.0, sentinel.id, "only the sentinel was pending");
}

const UNIVERSITY: &str = "org_gdou";
const ENTERPRISE: &str = "org_steel";

async fn notices_come_once_per_need_organization_and_kind_until_acknowledged(kind: Kind) {
    let Some(h) = NoticeHarness::new(kind, NotificationPolicy::default()).await else { return };
    let n = &h.notifications;
    let fitting = notice(UNIVERSITY, NotificationKind::FittingNeed, "need_1", "", "氢冶金低碳炼钢中试");
    let (first, created) = n.notify(fitting.clone()).await.expect("notify");
    assert!(created);
    // The same need × organization × kind again (a replayed feed): the same one, not a second.
    let (again, created) = n.notify(fitting.clone()).await.expect("notify again");
    assert!(!created);
    assert_eq!(again.id, first.id);
    // Another kind for the same need, or another partner, is another notification.
    let partner = notice(ENTERPRISE, NotificationKind::NewPartner, "need_1", UNIVERSITY, "氢冶金低碳炼钢中试");
    let (to_owner, _) = n.notify(partner).await.expect("notify the owner");
    let (second, _) =
        n.notify(notice(UNIVERSITY, NotificationKind::FittingNeed, "need_2", "", "对虾养殖尾水处理")).await.expect("x");

    let mut stream = n.subscribe(&member(UNIVERSITY, "tok_u1")).await.expect("subscribe");
    assert_eq!(next_notice(&mut stream).await, (first.id.clone(), 1));
    assert_eq!(next_notice(&mut stream).await, (second.id.clone(), 1));
    expect_only_sentinel(&h, &mut stream, UNIVERSITY, 1).await;
    drop(stream);

    // Not acknowledged: delivered again to the next subscription, attempts counted.
    n.ack(&member(UNIVERSITY, "tok_u1"), &first.id).await.expect("ack");
    n.ack(&member(UNIVERSITY, "tok_u1"), &first.id).await.expect("a second ack is harmless");
    let mut stream = n.subscribe(&member(UNIVERSITY, "tok_u1")).await.expect("subscribe");
    assert_eq!(next_notice(&mut stream).await, (second.id.clone(), 2));
    let (sentinel_again, attempt) = next_notice(&mut stream).await;
    assert!(sentinel_again.starts_with("ntf_") && attempt == 2, "the unacknowledged sentinel comes again");
    expect_only_sentinel(&h, &mut stream, UNIVERSITY, 2).await;

    // Another organization sees none of it, and cannot acknowledge it.
    let mut owner = n.subscribe(&member(ENTERPRISE, "tok_e1")).await.expect("subscribe");
    assert_eq!(next_notice(&mut owner).await.0, to_owner.id);
    expect_only_sentinel(&h, &mut owner, ENTERPRISE, 3).await;
    let foreign = n.ack(&member(ENTERPRISE, "tok_e1"), &second.id).await;
    assert!(matches!(foreign, Err(innomatch_leads::notifications::NotificationError::NotFound(_))), "{foreign:?}");
    let listed = n
        .list(&member(UNIVERSITY, "tok_u1"), NotificationFilter { unacknowledged_only: true, ..Default::default() })
        .await
        .expect("list");
    assert!(listed.notifications.iter().all(|x| x.organization_id == UNIVERSITY && x.acked_at_ms.is_none()));
    assert!(!listed.notifications.iter().any(|x| x.id == first.id), "acknowledged ones are left out");
}

async fn a_crash_loses_no_unacknowledged_notification(kind: Kind) {
    let Some(mut h) = NoticeHarness::new(kind, NotificationPolicy::default()).await else { return };
    let mut ids = Vec::new();
    for (i, title) in ["预制菜冷链保鲜", "金鲳鱼深海网箱养殖", "工业互联网平台"].into_iter().enumerate()
    {
        let draft = notice(UNIVERSITY, NotificationKind::FittingNeed, &format!("need_{i}"), "", title);
        ids.push(h.notifications.notify(draft).await.expect("notify").0.id);
    }
    let mut stream = h.notifications.subscribe(&member(UNIVERSITY, "tok_u1")).await.expect("subscribe");
    assert_eq!(next_notice(&mut stream).await.0, ids[0]);
    h.notifications.ack(&member(UNIVERSITY, "tok_u1"), &ids[0]).await.expect("ack");
    assert_eq!(next_notice(&mut stream).await.0, ids[1]);
    drop(stream);
    h.crash_and_restart().await;
    let mut stream = h.notifications.subscribe(&member(UNIVERSITY, "tok_u1")).await.expect("subscribe");
    assert_eq!(next_notice(&mut stream).await, (ids[1].clone(), 2), "delivered, never acknowledged: again");
    assert_eq!(next_notice(&mut stream).await, (ids[2].clone(), 1));
    expect_only_sentinel(&h, &mut stream, UNIVERSITY, 9).await;
}

async fn beyond_the_burst_notices_fold_into_one_digest(kind: Kind) {
    let policy =
        NotificationPolicy { burst: 2, window: Duration::from_secs(600), digest_sweep: Duration::from_secs(3600) };
    let Some(h) = NoticeHarness::new(kind, policy).await else { return };
    let n = &h.notifications;
    let mut ids = Vec::new();
    for i in 0..5 {
        let draft = notice(UNIVERSITY, NotificationKind::FittingNeed, &format!("need_{i}"), "", "绿色钢铁");
        ids.push(n.notify(draft).await.expect("notify").0);
    }
    assert!(ids[..2].iter().all(|x| x.digest_id.is_empty()), "the burst goes out one by one");
    assert!(ids[2..].iter().all(|x| !x.digest_id.is_empty() && x.digest_id == ids[2].digest_id), "one digest");
    let mut stream = n.subscribe(&member(UNIVERSITY, "tok_u1")).await.expect("subscribe");
    assert_eq!(next_notice(&mut stream).await.0, ids[0].id);
    assert_eq!(next_notice(&mut stream).await.0, ids[1].id);
    // The window has not ended: no digest yet.
    assert_eq!(n.make_due_digests().await.expect("digests"), 0);
    h.clock.advance(Duration::from_secs(601));
    assert_eq!(n.make_due_digests().await.expect("digests"), 1);
    assert_eq!(n.make_due_digests().await.expect("digests"), 0, "made once");
    let (digest, _) = next_notice(&mut stream).await;
    assert_eq!(digest, ids[2].digest_id);
    let listed = n
        .list(
            &member(UNIVERSITY, "tok_u1"),
            NotificationFilter { kinds: vec![NotificationKind::Digest], ..Default::default() },
        )
        .await
        .expect("list");
    let folded: Vec<&str> = ids[2..].iter().map(|x| x.id.as_str()).collect();
    assert_eq!(listed.notifications.len(), 1);
    assert_eq!(listed.notifications[0].items, folded);
    // A new window starts a new burst.
    let (fresh, _) =
        n.notify(notice(UNIVERSITY, NotificationKind::FittingNeed, "need_9", "", "对虾养殖")).await.expect("x");
    assert!(fresh.digest_id.is_empty());
    assert_eq!(next_notice(&mut stream).await.0, fresh.id);
}

notice_conformance!(
    notices_come_once_per_need_organization_and_kind_until_acknowledged,
    a_crash_loses_no_unacknowledged_notification,
    beyond_the_burst_notices_fold_into_one_digest,
);

/// Redis only: a second stream entry for a lead (a publish retried after a
/// crash) is recognized, acknowledged and deleted; the agency sees one lead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_duplicate_entries_show_as_one_lead() {
    let Some(h) = Harness::new(Kind::REDIS).await else { return };
    let org = "org_agency_a";
    let ids = offer_n(&h.leads, org, 0..1).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while h.store.published_entry(&ids[0]).await.expect("entry").is_none() {
        assert!(tokio::time::Instant::now() < deadline, "the outbox publishes the lead");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let key = innomatch_leads::delivery::redis::stream_key(&h.settings.redis_key_prefix, org);
    let client = redis::Client::open(REDIS_URL).expect("client");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
    let _: String =
        redis::cmd("XADD").arg(&key).arg("*").arg("lead").arg(&ids[0]).query_async(&mut conn).await.expect("xadd");

    let principal = agency(org, "tok_a");
    let mut stream = h.leads.subscribe(&principal).await.expect("subscribe");
    let d = next(&mut stream).await;
    assert_eq!((d.lead.id.as_str(), d.attempt), (ids[0].as_str(), 1));
    expect_nothing_else(&h, &mut stream, org, 60).await;
    let len: usize = redis::cmd("XLEN").arg(&key).query_async(&mut conn).await.expect("xlen");
    assert_eq!(len, 2, "the duplicate was deleted: the lead and the sentinel remain");
}

/// The sweeper runs on its own schedule (time paused: no waiting).
#[tokio::test(start_paused = true)]
async fn the_sweeper_expires_unanswered_leads_on_schedule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteLeadStore::open(dir.path()).expect("store"));
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    let settings = LeadsSettings { expiry_sweep_secs: 60, response_deadline_secs: 3600, ..LeadsSettings::default() };
    let leads = build(Kind::EMBEDDED, store, clock.clone(), &settings);
    let lead = leads
        .offer(draft("org_agency_a", 1, "氢冶金专利布局", ServiceCategory::IntellectualProperty))
        .await
        .expect("offer");
    assert_eq!(lead.respond_by_ms, 1_700_000_000_000 + 3_600_000);
    let principal = agency("org_agency_a", "tok_a");

    let mut sweeps = leads.sweeps();
    // The first sweep runs at start; wait for it so the next one is ours.
    sweeps.wait_for(|n| *n >= 1).await.expect("the first sweep ran");
    let before = *sweeps.borrow_and_update();
    clock.advance(Duration::from_secs(3601));
    tokio::time::advance(Duration::from_secs(61)).await;
    sweeps.wait_for(|n| *n > before).await.expect("a sweep ran");
    let swept = leads.get(&principal, &lead.id).await.expect("get");
    assert_eq!(swept.status, LeadStatus::Expired);
}

/// Several processes offer leads at once while a reader pages through the
/// agency's deliverable leads by position, as in-process delivery does: a
/// lead that committed late with a lower position than the reader's cursor
/// would never be handed out. Every offered lead must be read exactly once.
async fn concurrent_offers_are_positioned_in_commit_order(store: StoreKind) {
    let kind = Kind { via: Via::Embedded, store };
    let Some(h) = Harness::new(kind).await else { return };
    const PROCESSES: usize = 3;
    const OFFERS_PER_TASK: usize = 20;
    let org = "org_agency_a";
    let mut services = Vec::new();
    for _ in 0..PROCESSES {
        let store = open_store(&h.dir, h.schema.as_ref()).await;
        services.push(build(kind, store, h.clock.clone(), &h.settings));
    }
    let total = PROCESSES * 2 * OFFERS_PER_TASK;
    let offering_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, clock, done) = (Arc::clone(&h.store), h.clock.clone(), Arc::clone(&offering_done));
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = std::collections::HashSet::new();
            loop {
                // Read the flag first: once it is set, every offer has committed.
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = store.deliverable(org, cursor, clock.now_ms(), 5).await.expect("deliverable");
                if batch.is_empty() && finished {
                    return seen;
                }
                for (pos, lead) in batch {
                    assert!(pos > cursor);
                    cursor = pos;
                    assert!(seen.insert(lead.id), "read twice");
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = Vec::new();
    for (p, leads) in services.iter().enumerate() {
        for t in 0..2 {
            let leads = leads.clone();
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..OFFERS_PER_TASK {
                    let n = (p * 2 + t) * 1000 + n;
                    ids.push(
                        leads
                            .offer(draft(org, n, title(n), ServiceCategory::TestingInspection))
                            .await
                            .expect("offer")
                            .id,
                    );
                }
                ids
            }));
        }
    }
    let mut offered = std::collections::HashSet::new();
    for task in tasks {
        offered.extend(task.await.expect("offering task"));
    }
    offering_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let read = reader.await.expect("reader");
    assert_eq!(offered.len(), total);
    let missed = offered.difference(&read).count();
    assert_eq!(missed, 0, "{missed} leads committed behind the reader's cursor and were never read");
    assert_eq!(read.len(), total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_offers_are_positioned_in_commit_order_on_sqlite() {
    concurrent_offers_are_positioned_in_commit_order(StoreKind::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_offers_are_positioned_in_commit_order_on_postgres() {
    concurrent_offers_are_positioned_in_commit_order(StoreKind::Postgres).await
}
