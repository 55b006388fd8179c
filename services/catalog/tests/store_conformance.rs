//! The record-store conformance suite: the same scenarios, written once
//! against the `RecordStore` trait, run on the embedded SQLite store and on
//! PostgreSQL, so the two cannot drift. PostgreSQL scenarios use a schema of
//! their own in the test database (`INNOMATCH_TEST_DATABASE_URL`, default
//! 127.0.0.1:5432/test), dropped afterwards; with `CI=true` they must run
//! (an unreachable server fails them), elsewhere they print
//! "skipped: postgresql not reachable".

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use innomatch_catalog::{
    Catalog,
    interest::store::{InterestAction, InterestEventRecord, InterestQuery, InterestRecord, InterestStatus},
    plan::china_day_start,
    policy::store::PolicyPush,
    postgres::PostgresStore,
    sqlite::SqliteStore,
    store::{ListQuery, PrivateNeeds, RecordStore, StoreError, TokenRecord, Write},
    tokens::TokenRegistry,
};
use innomatch_core::{
    model::{
        Benefit, BenefitKind, ChangeOperation, Eligibility, Organization, OrganizationKind, Qualification,
        QualificationCertificate, Record, RecordKind, RecordMeta, RecordStatus, Role, ServiceCategory, ServiceOffer,
        SupportPolicy, TechNeed, Visibility, now_ms,
    },
    postgres::TestSchema,
    tag::Tag,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// One store under test, and what it takes to open another on the same data.
/// Field order matters: stores close before the schema is dropped.
struct Harness {
    store: Arc<dyn RecordStore>,
    backend: Backend,
    dir: tempfile::TempDir,
    schema: Option<TestSchema>,
}

impl Harness {
    /// `None` when the backend is PostgreSQL, the server is down and this is not CI.
    async fn new(backend: Backend) -> Option<Harness> {
        let dir = tempfile::tempdir().expect("temp dir");
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestSchema::create().await?),
        };
        let store = open(backend, &dir, schema.as_ref()).await;
        Some(Harness { store, backend, dir, schema })
    }

    /// Another store on the same data, as another process would open it.
    async fn open_another(&self) -> Arc<dyn RecordStore> {
        open(self.backend, &self.dir, self.schema.as_ref()).await
    }
}

async fn open(backend: Backend, dir: &tempfile::TempDir, schema: Option<&TestSchema>) -> Arc<dyn RecordStore> {
    match (backend, schema) {
        (Backend::Postgres, Some(schema)) => Arc::new(
            PostgresStore::connect(&schema.url, Some(&schema.name), &TestSchema::settings())
                .await
                .expect("postgres store"),
        ),
        _ => Arc::new(SqliteStore::open(dir.path()).expect("sqlite store")),
    }
}

fn meta(id: &str, organization_id: &str) -> RecordMeta {
    RecordMeta { id: id.into(), organization_id: organization_id.into(), ..RecordMeta::default() }
}

fn organization(id: &str, name: &str, kind: OrganizationKind) -> Record {
    Record::Organization(Organization {
        meta: meta(id, id),
        name: name.into(),
        kind: Some(kind),
        region_code: "440802".into(),
        industries: vec!["green_steel".into()],
        ..Organization::default()
    })
}

fn need(id: &str, owner: &str, title: &str, visibility: Visibility) -> Record {
    Record::Need(TechNeed {
        meta: meta(id, owner),
        title: title.into(),
        visibility: Some(visibility),
        region_code: "440802".into(),
        industries: vec!["prepared_dishes".into()],
        ..TechNeed::default()
    })
}

fn offer(id: &str, owner: &str, title: &str, category: ServiceCategory) -> Record {
    Record::Offer(ServiceOffer {
        meta: meta(id, owner),
        title: title.into(),
        category: Some(category),
        ..Default::default()
    })
}

fn query(kind: RecordKind) -> ListQuery {
    ListQuery {
        kind,
        organization_id: None,
        tags: Vec::new(),
        status: None,
        include_archived: false,
        private_needs: PrivateNeeds::All,
        hide_anonymous: false,
        after_cursor: 0,
        limit: 50,
    }
}

fn ids(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.meta().id.clone()).collect()
}

fn retitled(record: &Record, title: &str) -> Record {
    let mut record = record.clone();
    if let Record::Need(need) = &mut record {
        need.title = title.into();
    }
    record
}

async fn inserts_are_read_back_and_ids_are_unique(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let change =
        h.store.insert(need("need_1", "org_steel", "氢冶金低碳工艺", Visibility::Public)).await.expect("insert");
    assert_eq!((change.sequence, change.operation), (1, ChangeOperation::Created));
    let stored = h.store.get(RecordKind::Need, "need_1").await.expect("get").expect("stored");
    assert_eq!(stored, change.record);
    assert_eq!(stored.meta().version, 1);
    assert_eq!(stored.meta().status, Some(RecordStatus::Active));
    assert!(stored.meta().created_at_ms > 0 && stored.meta().created_at_ms == stored.meta().updated_at_ms);
    let Record::Need(read) = &stored else { panic!("a need comes back as a need") };
    assert_eq!(read.title, "氢冶金低碳工艺");

    let again = h.store.insert(need("need_1", "org_steel", "重复", Visibility::Public)).await;
    assert!(matches!(again, Err(StoreError::AlreadyExists)), "{again:?}");
    assert!(h.store.get(RecordKind::Capability, "need_1").await.expect("get").is_none(), "kind is part of the key");
    assert!(h.store.get(RecordKind::Need, "need_2").await.expect("get").is_none());
    assert_eq!(h.store.changes_after(0, 10).await.expect("changes").len(), 1, "a refused insert logs nothing");
}

async fn updates_check_the_expected_version(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let created =
        h.store.insert(need("need_1", "org_steel", "氢冶金低碳工艺", Visibility::Public)).await.expect("insert");
    let v2 = h
        .store
        .update(retitled(&created.record, "氢冶金低碳工艺（二期）"), Some(1), ChangeOperation::Updated)
        .await
        .expect("update at version 1");
    assert_eq!((v2.sequence, v2.record.meta().version), (2, 2));
    assert_eq!(v2.record.meta().created_at_ms, created.record.meta().created_at_ms, "creation time is kept");
    let stale = h.store.update(retitled(&created.record, "过期写入"), Some(1), ChangeOperation::Updated).await;
    assert!(matches!(stale, Err(StoreError::VersionConflict { actual: 2 })), "{stale:?}");
    let v3 =
        h.store.update(retitled(&created.record, "无条件写入"), None, ChangeOperation::Updated).await.expect("any");
    assert_eq!(v3.record.meta().version, 3);

    let missing =
        h.store.update(need("need_9", "org_steel", "不存在", Visibility::Public), None, ChangeOperation::Updated);
    assert!(matches!(missing.await, Err(StoreError::NotFound)));
    let wrong_kind = h.store.update(
        offer("need_1", "org_steel", "冒充", ServiceCategory::Consulting),
        None,
        ChangeOperation::Updated,
    );
    assert!(matches!(wrong_kind.await, Err(StoreError::NotFound)));
    let stored = h.store.get(RecordKind::Need, "need_1").await.expect("get").expect("stored");
    assert_eq!(stored, v3.record, "refused writes changed nothing");
    assert_eq!(h.store.changes_after(0, 10).await.expect("changes").len(), 3);
}

async fn the_change_log_replays_every_write_in_order(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let mut seen = h.store.sequence();
    assert_eq!(*seen.borrow_and_update(), 0);
    h.store.insert(organization("org_steel", "湛江绿色钢铁有限公司", OrganizationKind::Enterprise)).await.expect("org");
    let posted = h.store.insert(need("need_1", "org_steel", "预制菜冷链保鲜", Visibility::Public)).await.expect("need");
    let mut archived = posted.record.clone();
    archived.meta_mut().status = Some(RecordStatus::Archived);
    h.store.update(archived, Some(1), ChangeOperation::Archived).await.expect("archive");
    assert!(seen.has_changed().expect("sender alive"), "commits wake watchers");
    assert_eq!(*seen.borrow_and_update(), 3);

    let all = h.store.changes_after(0, 100).await.expect("changes");
    let log: Vec<(i64, ChangeOperation, String)> =
        all.iter().map(|c| (c.sequence, c.operation, c.record.meta().id.clone())).collect();
    assert_eq!(
        log,
        [
            (1, ChangeOperation::Created, "org_steel".to_owned()),
            (2, ChangeOperation::Created, "need_1".to_owned()),
            (3, ChangeOperation::Archived, "need_1".to_owned()),
        ]
    );
    assert_eq!(all[2].record.meta().status, Some(RecordStatus::Archived), "a change carries the record as written");
    let tail = h.store.changes_after(1, 1).await.expect("changes");
    assert_eq!(tail.iter().map(|c| c.sequence).collect::<Vec<_>>(), [2], "after and limit");
    assert!(h.store.changes_after(3, 10).await.expect("changes").is_empty());

    // A store opened later (a restart, another replica) continues the log.
    let reopened = h.open_another().await;
    assert_eq!(*reopened.sequence().borrow(), 3);
    let next =
        reopened.insert(need("need_2", "org_steel", "对虾养殖水质监测", Visibility::Public)).await.expect("need");
    assert_eq!(next.sequence, 4);
}

async fn lists_filter_by_owner_status_visibility_and_tags(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let s = &h.store;
    s.insert(need("need_public", "org_steel", "氢冶金低碳工艺", Visibility::Public)).await.expect("need");
    s.insert(need("need_private", "org_steel", "绿色钢铁工艺保密", Visibility::Private)).await.expect("need");
    s.insert(need("need_anonymous", "org_shrimp", "对虾养殖病害防控", Visibility::Anonymous)).await.expect("need");
    let closed = s.insert(need("need_closed", "org_shrimp", "预制菜冷链", Visibility::Public)).await.expect("need");
    let mut archived = closed.record.clone();
    archived.meta_mut().status = Some(RecordStatus::Archived);
    s.update(archived, Some(1), ChangeOperation::Archived).await.expect("archive");

    let listed = |q: ListQuery| async move { ids(&s.list(&q).await.expect("list").records) };
    assert_eq!(listed(query(RecordKind::Need)).await, ["need_public", "need_private", "need_anonymous"]);
    assert_eq!(
        listed(ListQuery { include_archived: true, ..query(RecordKind::Need) }).await,
        ["need_public", "need_private", "need_anonymous", "need_closed"]
    );
    assert_eq!(
        listed(ListQuery { status: Some(RecordStatus::Archived), ..query(RecordKind::Need) }).await,
        ["need_closed"]
    );
    assert_eq!(
        listed(ListQuery { organization_id: Some("org_shrimp".into()), ..query(RecordKind::Need) }).await,
        ["need_anonymous"]
    );
    assert_eq!(
        listed(ListQuery { private_needs: PrivateNeeds::None, hide_anonymous: true, ..query(RecordKind::Need) }).await,
        ["need_public"]
    );
    assert_eq!(
        listed(ListQuery { private_needs: PrivateNeeds::OwnedBy("org_shrimp".into()), ..query(RecordKind::Need) })
            .await,
        ["need_public", "need_anonymous"]
    );
    assert_eq!(
        listed(ListQuery { private_needs: PrivateNeeds::OwnedBy("org_steel".into()), ..query(RecordKind::Need) }).await,
        ["need_public", "need_private", "need_anonymous"]
    );
    let dishes = Tag::Industry("prepared_dishes".into());
    let district = Tag::Region("440802".into());
    let city = Tag::Region("440800".into());
    assert_eq!(
        listed(ListQuery { tags: vec![dishes.clone(), city.clone()], ..query(RecordKind::Need) }).await,
        ["need_public", "need_private", "need_anonymous"],
        "a district's records carry its city"
    );
    assert!(
        listed(ListQuery { tags: vec![Tag::Industry("green_steel".into())], ..query(RecordKind::Need) })
            .await
            .is_empty()
    );
    assert!(listed(query(RecordKind::Organization)).await.is_empty(), "kinds do not mix");

    assert_eq!(s.count(RecordKind::Need).await.expect("count"), 4, "count includes archived records");
    assert_eq!(s.count_tagged(RecordKind::Need, &[]).await.expect("count"), 3, "tagged counts only active ones");
    assert_eq!(s.count_tagged(RecordKind::Need, &[dishes, district]).await.expect("count"), 3);
    assert_eq!(s.count_tagged(RecordKind::Need, &[Tag::Industry("green_steel".into())]).await.expect("count"), 0);
}

async fn pages_follow_each_other(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let names = ["工业互联网平台甲", "工业互联网平台乙", "工业互联网平台丙", "工业互联网平台丁", "工业互联网平台戊"];
    for (n, name) in names.iter().enumerate() {
        h.store.insert(organization(&format!("org_{n}"), name, OrganizationKind::Enterprise)).await.expect("org");
    }
    let mut cursor = 0;
    let mut pages = Vec::new();
    loop {
        let page = h
            .store
            .list(&ListQuery { after_cursor: cursor, limit: 2, ..query(RecordKind::Organization) })
            .await
            .expect("page");
        pages.push(ids(&page.records));
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    assert_eq!(pages, [vec!["org_0", "org_1"], vec!["org_2", "org_3"], vec!["org_4"]]);
    let exact = h.store.list(&ListQuery { limit: 5, ..query(RecordKind::Organization) }).await.expect("page");
    assert_eq!((exact.records.len(), exact.next_cursor), (5, None), "a full last page says nothing follows");
}

async fn tokens_are_stored_listed_and_revoked(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let token = |id: &str, org: Option<&str>, role: Role, at: i64| TokenRecord {
        id: id.into(),
        hash: format!("hash_{id}"),
        organization_id: org.map(str::to_owned),
        role,
        label: "湛江检验检测服务中心前台".into(),
        created_at_ms: at,
        revoked: false,
    };
    h.store.insert_token(token("tok_admin", None, Role::Admin, 1)).await.expect("admin");
    h.store.insert_token(token("tok_agency", Some("org_agency"), Role::Agency, 2)).await.expect("agency");
    h.store.insert_token(token("tok_member", Some("org_steel"), Role::Member, 3)).await.expect("member");
    assert!(h.store.insert_token(token("tok_admin", None, Role::Admin, 4)).await.is_err(), "ids are unique");

    let all = h.store.list_tokens(None).await.expect("tokens");
    assert_eq!(all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["tok_admin", "tok_agency", "tok_member"]);
    assert_eq!(all[1], token("tok_agency", Some("org_agency"), Role::Agency, 2));
    let agency = h.store.list_tokens(Some("org_agency")).await.expect("tokens");
    assert_eq!(agency.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["tok_agency"]);

    assert!(h.store.revoke_token("tok_agency").await.expect("revoke"));
    assert!(h.store.revoke_token("tok_agency").await.expect("revoke twice"), "revoking again is harmless");
    assert!(!h.store.revoke_token("tok_unknown").await.expect("revoke unknown"));
    let revoked: Vec<bool> = h.store.list_tokens(None).await.expect("tokens").iter().map(|t| t.revoked).collect();
    assert_eq!(revoked, [false, true, false]);
}

/// Several stores (as several processes would) write at once while a
/// follower tails the log: every read must continue exactly where the last
/// one stopped (the sequence has no gaps, so a hole means a change became
/// visible after a later one and a follower would have stepped over it),
/// and the follower ends up with every write exactly once.
async fn concurrent_writers_never_leave_a_follower_behind(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    const WRITERS: usize = 3;
    const TASKS_PER_WRITER: usize = 3;
    const WRITES_PER_TASK: usize = 15;
    // Each write inserts a need and then updates it: two changes.
    let total = (WRITERS * TASKS_PER_WRITER * WRITES_PER_TASK * 2) as i64;

    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        writers.push(h.open_another().await);
    }
    let follower = {
        let store = Arc::clone(&h.store);
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = BTreeSet::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while cursor < total {
                assert!(tokio::time::Instant::now() < deadline, "the follower reached {cursor} of {total}");
                let batch = store.changes_after(cursor, 7).await.expect("changes");
                for change in batch {
                    assert_eq!(change.sequence, cursor + 1, "after {cursor} the follower read {}", change.sequence);
                    cursor = change.sequence;
                    assert!(seen.insert(change.sequence));
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let mut tasks = Vec::new();
    for (w, store) in writers.iter().enumerate() {
        for t in 0..TASKS_PER_WRITER {
            let store = Arc::clone(store);
            tasks.push(tokio::spawn(async move {
                for n in 0..WRITES_PER_TASK {
                    let id = format!("need_{w}_{t}_{n}");
                    let created = store
                        .insert(need(&id, "org_shrimp", "对虾养殖尾水处理", Visibility::Public))
                        .await
                        .expect("insert");
                    store
                        .update(
                            retitled(&created.record, "对虾养殖尾水处理（更新）"),
                            Some(1),
                            ChangeOperation::Updated,
                        )
                        .await
                        .expect("update");
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("writer task");
    }
    let seen = follower.await.expect("follower");
    assert_eq!(seen.len() as i64, total);
    assert_eq!(seen.last().copied(), Some(total), "sequences run 1..=total without gaps");
    assert!(h.store.changes_after(total, 10).await.expect("changes").is_empty());
    assert_eq!(h.store.count(RecordKind::Need).await.expect("count"), total as u64 / 2);
}

fn registered(id: &str, name: &str, credit_code: &str) -> Record {
    let Record::Organization(mut org) = organization(id, name, OrganizationKind::Enterprise) else {
        unreachable!("organization() builds an organization")
    };
    org.credit_code = credit_code.into();
    Record::Organization(org)
}

/// A credit code belongs to one organization that is not archived: a
/// second insert or an update onto it is refused naming the holder, even
/// when two stores (two processes) race for it; once the holder is archived
/// the code is free. Organizations are found by their normalized name.
async fn credit_codes_are_unique_among_live_organizations(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    // A code in the GB 32100-2015 format; stores do not check the check character.
    const CODE: &str = "91440800MA4UJ3XX6N";
    h.store.insert(registered("org_steel", "湛江绿钢科技有限公司", CODE)).await.expect("first");
    match h.store.insert(registered("org_copy", "湛江绿钢（集团）", CODE)).await {
        Err(StoreError::Duplicate { existing_id, .. }) => assert_eq!(existing_id, "org_steel"),
        other => panic!("a second holder of the code was stored: {other:?}"),
    }
    assert!(h.store.get(RecordKind::Organization, "org_copy").await.expect("get").is_none(), "nothing written");
    let other = h.store.insert(registered("org_other", "雷州对虾养殖合作社", "")).await.expect("no code");
    let Record::Organization(mut taking) = other.record else { unreachable!("an organization") };
    taking.credit_code = CODE.into();
    let refused = h.store.update(Record::Organization(taking), Some(1), ChangeOperation::Updated).await;
    assert!(matches!(refused, Err(StoreError::Duplicate { .. })), "{refused:?}");

    let by_name = |key: &str| {
        let mut q = query(RecordKind::Organization);
        q.tags = vec![Tag::Name(key.into())];
        q
    };
    let found = h.store.list(&by_name("湛江绿钢科技有限公司")).await.expect("list");
    assert_eq!(ids(&found.records), ["org_steel"]);

    // Two stores race for a fresh code: exactly one wins.
    const RACED: &str = "91440803617412345X";
    let (a, b) = (h.open_another().await, h.open_another().await);
    let (first, second) = tokio::join!(
        a.insert(registered("org_a", "湛江预制菜甲", RACED)),
        b.insert(registered("org_b", "湛江预制菜乙", RACED))
    );
    assert_eq!(
        [&first, &second].iter().filter(|r| r.is_ok()).count(),
        1,
        "one of two racing registrations wins: {first:?} {second:?}"
    );

    let Some(mut steel) = h.store.get(RecordKind::Organization, "org_steel").await.expect("get") else {
        panic!("org_steel is stored")
    };
    steel.meta_mut().status = Some(RecordStatus::Archived);
    h.store.update(steel, None, ChangeOperation::Archived).await.expect("archive");
    h.store.insert(registered("org_reborn", "湛江绿钢科技有限公司", CODE)).await.expect("the code is free again");
}

/// A batch commits its good writes together in one transaction; a failing
/// write (a taken id, a taken external key, a stale version) is rolled back
/// alone and reported in its place, logs nothing and leaves the rest intact.
async fn a_batch_commits_good_writes_and_rejects_bad_ones_alone(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let first =
        h.store.insert(need("need_1", "org_steel", "氢冶金低碳工艺", Visibility::Public)).await.expect("insert");
    let mut committed = h.store.committed();
    let writes = vec![
        Write::Insert {
            record: need("need_2", "org_steel", "绿色钢铁短流程", Visibility::Public),
            external_key: Some("need:org_steel:row-2".into()),
        },
        // The id is taken: refused, nothing of it stays.
        Write::Insert { record: need("need_1", "org_steel", "重复", Visibility::Public), external_key: None },
        // The external key is taken by the first write of this batch.
        Write::Insert {
            record: need("need_3", "org_steel", "重复的外部编号", Visibility::Public),
            external_key: Some("need:org_steel:row-2".into()),
        },
        Write::Update {
            record: retitled(&first.record, "氢冶金低碳工艺（二期）"),
            expected_version: Some(1),
            operation: ChangeOperation::Updated,
        },
        // Stale: the write before moved it to version 2.
        Write::Update {
            record: retitled(&first.record, "过期写入"),
            expected_version: Some(1),
            operation: ChangeOperation::Updated,
        },
        Write::Insert {
            record: need("need_4", "org_steel", "预制菜冷链保鲜", Visibility::Public),
            external_key: Some("need:org_steel:row-4".into()),
        },
    ];
    let outcomes = h.store.write_batch(writes).await.expect("batch");
    let shape: Vec<Result<i64, String>> = outcomes
        .iter()
        .map(|o| match o {
            Ok(change) => Ok(change.sequence),
            Err(StoreError::AlreadyExists) => Err("exists".into()),
            Err(StoreError::VersionConflict { actual }) => Err(format!("conflict at {actual}")),
            Err(other) => Err(other.to_string()),
        })
        .collect();
    assert_eq!(
        shape,
        [Ok(2), Err("exists".into()), Err("exists".into()), Ok(3), Err("conflict at 2".into()), Ok(4)],
        "one outcome per write, in order, sequences without gaps"
    );
    assert!(h.store.get(RecordKind::Need, "need_3").await.expect("get").is_none(), "a refused write left nothing");
    let Some(Record::Need(updated)) = h.store.get(RecordKind::Need, "need_1").await.expect("get") else {
        panic!("need_1 is stored")
    };
    assert_eq!((updated.title.as_str(), updated.meta.version), ("氢冶金低碳工艺（二期）", 2));
    let log: Vec<i64> = h.store.changes_after(0, 100).await.expect("changes").iter().map(|c| c.sequence).collect();
    assert_eq!(log, [1, 2, 3, 4], "only the committed writes are logged");

    // The commit is announced once, with its changes, before the sequence moves.
    let announced =
        tokio::time::timeout(Duration::from_secs(5), committed.recv()).await.expect("announced").expect("open");
    assert_eq!(announced.iter().map(|c| c.sequence).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(*h.store.sequence().borrow(), 4);

    // Records are found again by their external keys and read many at once.
    let keys = ["need:org_steel:row-2".to_owned(), "need:org_steel:row-4".to_owned(), "need:org_steel:none".to_owned()];
    let mut found: Vec<(String, String)> = h
        .store
        .find_external(&keys)
        .await
        .expect("find")
        .into_iter()
        .map(|(key, record)| (key, record.meta().id.clone()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("need:org_steel:row-2".to_owned(), "need_2".to_owned()),
            ("need:org_steel:row-4".to_owned(), "need_4".to_owned())
        ]
    );
    let ids_wanted = ["need_1".to_owned(), "need_4".to_owned(), "need_9".to_owned()];
    let mut many = ids(&h.store.get_many(RecordKind::Need, &ids_wanted).await.expect("many"));
    many.sort();
    assert_eq!(many, ["need_1", "need_4"]);
    assert!(h.store.get_many(RecordKind::Capability, &ids_wanted).await.expect("many").is_empty(), "kind counts");
}

/// Each body is stored once (a record's latest change reads it from the
/// record), yet every change replays the record exactly as it was then,
/// through updates, a batch and an archive, in this store and in another
/// opened on the same data.
async fn every_change_replays_its_own_version_of_the_record(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let v1 =
        h.store.insert(need("need_1", "org_shrimp", "对虾养殖尾水处理", Visibility::Public)).await.expect("insert");
    let v2 = h
        .store
        .update(retitled(&v1.record, "对虾养殖尾水处理（二期）"), Some(1), ChangeOperation::Updated)
        .await
        .expect("v2");
    let batch = vec![
        Write::Update {
            record: retitled(&v2.record, "对虾养殖尾水处理（三期）"),
            expected_version: Some(2),
            operation: ChangeOperation::Updated,
        },
        Write::Insert {
            record: need("need_2", "org_shrimp", "金鲳鱼深海网箱", Visibility::Public),
            external_key: None,
        },
    ];
    let written = h.store.write_batch(batch).await.expect("batch");
    let v3 = written[0].as_ref().expect("v3").clone();
    let mut archived = v3.record.clone();
    archived.meta_mut().status = Some(RecordStatus::Archived);
    let v4 = h.store.update(archived, Some(3), ChangeOperation::Archived).await.expect("v4");
    let expected = [v1.record, v2.record, v3.record, written[1].as_ref().expect("need_2").record.clone(), v4.record];
    for store in [Arc::clone(&h.store), h.open_another().await] {
        let replayed: Vec<Record> =
            store.changes_after(0, 100).await.expect("changes").into_iter().map(|c| c.record).collect();
        assert_eq!(replayed, expected, "each change carries its own version");
    }
}

fn interest(id: &str, need_id: &str, owner: &str, party: &str) -> InterestRecord {
    InterestRecord {
        id: id.into(),
        need_id: need_id.into(),
        owner_organization_id: owner.into(),
        party_organization_id: party.into(),
        lead_id: String::new(),
        message: "我校可提供预制菜冷链保鲜技术".into(),
        reply: String::new(),
        status: InterestStatus::Pending,
        created_at_ms: 1_000,
        updated_at_ms: 1_000,
        version: 1,
    }
}

fn step(interest: &InterestRecord, action: InterestAction, actor_organization_id: &str) -> InterestEventRecord {
    InterestEventRecord {
        sequence: 0,
        interest_id: interest.id.clone(),
        need_id: interest.need_id.clone(),
        action,
        actor: format!("tok_{actor_organization_id}"),
        actor_organization_id: actor_organization_id.into(),
        note: String::new(),
        at_ms: interest.updated_at_ms,
    }
}

fn moved(interest: &InterestRecord, status: InterestStatus) -> InterestRecord {
    InterestRecord { status, updated_at_ms: interest.updated_at_ms + 1, ..interest.clone() }
}

async fn interests_are_one_live_per_need_and_party_and_every_move_is_audited(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = &h.store;
    store.insert(need("need_1", "org_food", "预制菜冷链保鲜", Visibility::Anonymous)).await.expect("need");
    let first = interest("int_1", "need_1", "org_food", "org_lab");
    store.insert_interest(first.clone(), step(&first, InterestAction::Expressed, "org_lab")).await.expect("insert");
    assert_eq!(store.interest("int_1").await.expect("read"), Some(first.clone()));
    let twin = interest("int_2", "need_1", "org_food", "org_lab");
    let refused = store.insert_interest(twin.clone(), step(&twin, InterestAction::Expressed, "org_lab")).await;
    assert!(matches!(refused, Err(StoreError::AlreadyExists)), "{refused:?}");
    assert_eq!(store.interest("int_2").await.expect("read"), None, "a refused insert writes nothing");

    assert!(!store.disclosed_between("org_food", "org_lab").await.expect("disclosed"));
    let approved = store
        .move_interest(moved(&first, InterestStatus::Approved), step(&first, InterestAction::Approved, "org_food"))
        .await
        .expect("approve");
    assert_eq!((approved.status, approved.version), (InterestStatus::Approved, 2));
    assert!(store.disclosed_between("org_food", "org_lab").await.expect("disclosed"));
    assert!(store.disclosed_between("org_lab", "org_food").await.expect("either way round"));
    assert!(!store.disclosed_between("org_food", "org_other").await.expect("disclosed"));
    let stale = store
        .move_interest(moved(&first, InterestStatus::Withdrawn), step(&first, InterestAction::Withdrawn, "org_lab"))
        .await;
    assert!(matches!(stale, Err(StoreError::VersionConflict { actual: 2 })), "{stale:?}");

    // Withdrawn is not live: the party may express again.
    store
        .move_interest(
            moved(&approved, InterestStatus::Withdrawn),
            step(&approved, InterestAction::Withdrawn, "org_lab"),
        )
        .await
        .expect("withdraw");
    assert!(!store.disclosed_between("org_food", "org_lab").await.expect("no longer disclosed"));
    store.insert_interest(twin.clone(), step(&twin, InterestAction::Expressed, "org_lab")).await.expect("again");
    let other = interest("int_3", "need_1", "org_food", "org_steel");
    store.insert_interest(other.clone(), step(&other, InterestAction::Expressed, "org_steel")).await.expect("other");

    let trail: Vec<(String, InterestAction)> = store
        .interest_events(None, Some("need_1"))
        .await
        .expect("trail")
        .into_iter()
        .map(|e| (e.interest_id, e.action))
        .collect();
    assert_eq!(
        trail,
        [
            ("int_1".to_owned(), InterestAction::Expressed),
            ("int_1".to_owned(), InterestAction::Approved),
            ("int_1".to_owned(), InterestAction::Withdrawn),
            ("int_2".to_owned(), InterestAction::Expressed),
            ("int_3".to_owned(), InterestAction::Expressed),
        ],
        "the stale move left no trace"
    );
    assert_eq!(store.interest_events(Some("int_1"), None).await.expect("trail").len(), 3);
    // A follower reads the trail from a checkpoint, in order, a page at a time.
    let all = store.interest_events(None, Some("need_1")).await.expect("trail");
    let page = store.interest_events_after(all[1].sequence, 2).await.expect("after");
    assert_eq!(page, all[2..4].to_vec());
    assert!(store.interest_events_after(all[4].sequence, 10).await.expect("after").is_empty());

    let query = |statuses: Vec<InterestStatus>, party: Option<&str>| InterestQuery {
        owner_organization_id: Some("org_food".into()),
        party_organization_id: party.map(str::to_owned),
        statuses,
        limit: 2,
        ..InterestQuery::default()
    };
    let page = store.list_interests(&query(Vec::new(), None)).await.expect("list");
    let ids: Vec<&str> = page.interests.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["int_1", "int_2"]);
    let cursor = page.next_cursor.expect("a second page");
    let rest = store.list_interests(&InterestQuery { after_cursor: cursor, ..query(Vec::new(), None) }).await;
    let rest = rest.expect("list");
    assert_eq!(rest.interests.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["int_3"]);
    assert_eq!(rest.next_cursor, None);
    let pending = store.list_interests(&query(vec![InterestStatus::Pending], Some("org_lab"))).await.expect("list");
    assert_eq!(pending.interests.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["int_2"]);
}

async fn pending_interests_of_inactive_needs_are_found_for_expiry(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = &h.store;
    let open = store.insert(need("need_open", "org_food", "对虾养殖尾水处理", Visibility::Public)).await.expect("need");
    let closed = store.insert(need("need_closed", "org_food", "金鲳鱼深海网箱", Visibility::Anonymous)).await;
    let mut closed = closed.expect("need").record;
    for (id, need_id) in [("int_open", "need_open"), ("int_closed", "need_closed")] {
        let i = interest(id, need_id, "org_food", "org_lab");
        store.insert_interest(i.clone(), step(&i, InterestAction::Expressed, "org_lab")).await.expect("insert");
    }
    assert!(store.pending_of_inactive_needs(10).await.expect("sweep").is_empty(), "both needs are active");
    closed.meta_mut().status = Some(RecordStatus::Closed);
    store.update(closed, None, ChangeOperation::Updated).await.expect("close");
    let due: Vec<String> =
        store.pending_of_inactive_needs(10).await.expect("sweep").into_iter().map(|i| i.id).collect();
    assert_eq!(due, ["int_closed"]);
    assert_eq!(open.record.meta().id, "need_open");
}

fn certified(id: &str, region: &str, certificates: Vec<QualificationCertificate>) -> Record {
    Record::Organization(Organization {
        meta: meta(id, id),
        name: format!("湛江{id}预制菜科技有限公司"),
        kind: Some(OrganizationKind::Enterprise),
        region_code: region.into(),
        qualification_certificates: certificates,
        ..Organization::default()
    })
}

fn catalog_over(store: &Arc<dyn RecordStore>) -> Catalog {
    Catalog::new(Arc::clone(store), Arc::new(TokenRegistry::default()))
}

const DAY_MS: i64 = 86_400_000;

async fn the_plan_board_per_district_equals_a_direct_count_over_the_store(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = &h.store;
    let now = now_ms();
    let valid = |q, n: &str| QualificationCertificate::new(q, n, now - 30 * DAY_MS, now + 300 * DAY_MS);
    let expired = |q, n: &str| QualificationCertificate::new(q, n, now - 900 * DAY_MS, now - DAY_MS);
    let districts = ["440802", "440803", "440811", "440825", "440881"];
    for n in 0..40usize {
        let district = districts[n % districts.len()];
        let mut certificates = Vec::new();
        if n % 2 == 0 {
            certificates.push(valid(Qualification::HighTechEnterprise, &format!("GR{n}")));
        }
        if n % 3 == 0 {
            certificates.push(expired(Qualification::HighTechEnterprise, &format!("GR-old{n}")));
            certificates.push(valid(Qualification::TechSme, &format!("KJ{n}")));
        }
        if n % 5 == 0 {
            certificates.push(expired(Qualification::TechSme, &format!("KJ-old{n}")));
        }
        store.insert(certified(&format!("org_{n:02}"), district, certificates)).await.expect("insert");
    }
    // Archived, and outside the city: never counted.
    let mut archived = store
        .insert(certified("org_archived", "440802", vec![valid(Qualification::HighTechEnterprise, "GRa")]))
        .await
        .expect("insert")
        .record;
    archived.meta_mut().status = Some(RecordStatus::Archived);
    store.update(archived, None, ChangeOperation::Archived).await.expect("archive");
    store
        .insert(certified("org_shenzhen", "440300", vec![valid(Qualification::HighTechEnterprise, "GRs")]))
        .await
        .expect("insert");

    let board = catalog_over(store).plan_board(now).await.expect("board");
    for (key, qualification) in
        [("high_tech_enterprises", Qualification::HighTechEnterprise), ("tech_smes", Qualification::TechSme)]
    {
        let mut city = 0;
        for district in &board.districts {
            // The direct count: the store's own tag index, then the dates.
            let mut query = query(RecordKind::Organization);
            query.tags = vec![Tag::Region(district.region_code.clone()), Tag::Qualification(qualification)];
            query.status = Some(RecordStatus::Active);
            query.limit = 500;
            let direct = store
                .list(&query)
                .await
                .expect("list")
                .records
                .iter()
                .filter(|r| matches!(r, Record::Organization(org) if org.is_qualified(qualification, now)))
                .count() as u64;
            let figure = district.figures.iter().find(|f| f.key == key).expect(key);
            assert_eq!(figure.count, direct, "{key} in {}", district.name);
            city += direct;
        }
        assert_eq!(board.city_figure(key).map(|f| f.count), Some(city), "{key}: the city is its districts");
    }
    assert_eq!(board.city_figure("high_tech_enterprises").map(|f| f.count), Some(20));
    assert_eq!(board.city_figure("tech_smes").map(|f| f.count), Some(14), "expired certificates do not count");
}

async fn plan_snapshots_keep_one_per_day_and_accumulate(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = &h.store;
    let catalog = catalog_over(store);
    let first_day = china_day_start("2026-11-29").expect("day") + 9 * 3_600_000;
    let t = first_day;
    let grant = |n: &str| {
        QualificationCertificate::new(Qualification::HighTechEnterprise, n, t - 30 * DAY_MS, t + 900 * DAY_MS)
    };
    store.insert(certified("org_a", "440803", vec![grant("GR1")])).await.expect("insert");
    assert!(catalog.take_plan_snapshot(t).await.expect("snapshot"), "the day's first snapshot is kept");
    store.insert(certified("org_b", "440803", vec![grant("GR2")])).await.expect("insert");
    assert!(!catalog.take_plan_snapshot(t + 3_600_000).await.expect("again"), "one per day");
    // Two more days; the second of them taken by another store on the same data too.
    assert!(catalog.take_plan_snapshot(t + DAY_MS).await.expect("next day"));
    let another = catalog_over(&h.open_another().await);
    assert!(another.take_plan_snapshot(t + 2 * DAY_MS).await.expect("day three"));
    assert!(!catalog.take_plan_snapshot(t + 2 * DAY_MS + 60_000).await.expect("raced"), "another process took it");

    let history = catalog.plan_history(None, 100).await.expect("history");
    let days: Vec<&str> = history.iter().map(|b| b.day.as_str()).collect();
    assert_eq!(days, ["2026-11-29", "2026-11-30", "2026-12-01"], "oldest first, one a day");
    let counts: Vec<u64> =
        history.iter().map(|b| b.city_figure("high_tech_enterprises").map(|f| f.count).unwrap_or(99)).collect();
    assert_eq!(counts, [1, 2, 2], "the first snapshot of a day stands");
    assert_eq!(history[0].districts.iter().find(|d| d.region_code == "440803").map(|d| d.figures[0].count), Some(1));
    let since: Vec<String> =
        catalog.plan_history(Some("2026-11-30"), 100).await.expect("since").into_iter().map(|b| b.day).collect();
    assert_eq!(since, ["2026-11-30", "2026-12-01"]);
    let newest: Vec<String> = catalog.plan_history(None, 1).await.expect("newest").into_iter().map(|b| b.day).collect();
    assert_eq!(newest, ["2026-12-01"]);
    assert!(catalog.plan_history(Some("30.11.2026"), 10).await.is_err(), "a day is YYYY-MM-DD");
}

async fn policies_are_records_tagged_by_their_eligibility_and_pushes_are_kept_once(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = &h.store;
    let policy = Record::Policy(SupportPolicy {
        meta: RecordMeta { id: "pol_engineering".into(), ..Default::default() },
        title: "市级工程技术研究中心认定".into(),
        issuing_department: "湛江市科学技术局".into(),
        eligibility: Eligibility {
            qualifications: vec![Qualification::HighTechEnterprise],
            region_codes: vec!["440800".into()],
            industries: vec!["green_steel".into()],
            ..Default::default()
        },
        benefit: Benefit { kind: Some(BenefitKind::PlatformDesignation), ..Default::default() },
        ..Default::default()
    });
    let created = store.insert(policy).await.expect("policy stored");
    let read = store.get(RecordKind::Policy, "pol_engineering").await.expect("read").expect("present");
    assert_eq!(read, created.record, "the policy reads back as written");
    let tagged = store
        .count_tagged(RecordKind::Policy, &[Tag::Industry("green_steel".into()), Tag::Region("440800".into())])
        .await
        .expect("count");
    assert_eq!(tagged, 1);
    let changes = store.changes_after(0, 10).await.expect("feed");
    assert_eq!(changes.iter().map(|c| c.record.kind()).collect::<Vec<_>>(), [RecordKind::Policy]);

    let push = |org: &str, at: i64| PolicyPush {
        organization_id: org.into(),
        policy_id: "pol_engineering".into(),
        pushed_at_ms: at,
    };
    assert!(store.record_policy_push(push("org_lvgang", 10)).await.expect("first push"));
    assert!(!store.record_policy_push(push("org_lvgang", 20)).await.expect("again"), "once per pair");
    assert!(store.record_policy_push(push("org_duixia", 30)).await.expect("another organization"));
    let of = store.policy_pushes_of("org_lvgang").await.expect("of");
    assert_eq!(of, [push("org_lvgang", 10)], "the first push is kept");
    let other = h.open_another().await;
    let reached: Vec<String> =
        other.policy_pushes_for("pol_engineering").await.expect("for").into_iter().map(|p| p.organization_id).collect();
    assert_eq!(reached, ["org_lvgang", "org_duixia"], "another process reads the same ledger");
}

/// Runs each scenario against both backends.
macro_rules! conformance {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Sqlite).await
                }
            )+
        }
        mod postgres_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Postgres).await
                }
            )+
        }
    };
}

conformance!(
    inserts_are_read_back_and_ids_are_unique,
    updates_check_the_expected_version,
    the_change_log_replays_every_write_in_order,
    lists_filter_by_owner_status_visibility_and_tags,
    pages_follow_each_other,
    tokens_are_stored_listed_and_revoked,
    concurrent_writers_never_leave_a_follower_behind,
    credit_codes_are_unique_among_live_organizations,
    a_batch_commits_good_writes_and_rejects_bad_ones_alone,
    every_change_replays_its_own_version_of_the_record,
    interests_are_one_live_per_need_and_party_and_every_move_is_audited,
    pending_interests_of_inactive_needs_are_found_for_expiry,
    the_plan_board_per_district_equals_a_direct_count_over_the_store,
    plan_snapshots_keep_one_per_day_and_accumulate,
    policies_are_records_tagged_by_their_eligibility_and_pushes_are_kept_once,
);

/// PostgreSQL only: a commit made through another store (another process)
/// moves this store's sequence watch at once, through LISTEN/NOTIFY, so
/// change-feed subscribers need not wait for their next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commits_of_other_processes_wake_watchers() {
    let Some(h) = Harness::new(Backend::Postgres).await else { return };
    let mut watched = h.store.sequence();
    let other = h.open_another().await;
    let wait = |watched: &mut tokio::sync::watch::Receiver<i64>, target: i64| {
        let mut watched = watched.clone();
        async move { tokio::time::timeout(Duration::from_secs(5), watched.wait_for(|&s| s >= target)).await.is_ok() }
    };
    other.insert(need("need_1", "org_shrimp", "对虾养殖尾水处理", Visibility::Public)).await.expect("insert");
    // The first may arrive by the listener's catch-up read, which follows
    // its LISTEN: from here on only a notification can move the watch.
    assert!(wait(&mut watched, 1).await, "the watch reached sequence 1");
    other.insert(need("need_2", "org_shrimp", "金鲳鱼深海网箱养殖", Visibility::Public)).await.expect("insert");
    assert!(wait(&mut watched, 2).await, "the watch reached sequence 2 without a write of its own");
}
