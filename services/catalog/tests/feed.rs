//! The change feed of a catalog in this process: a follower that has caught
//! up takes new commits as the store announces them, without reading the
//! change log back, and still reads the log when another process commits.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use futures::StreamExt;
use innomatch_catalog::{
    Catalog,
    accounts::store::{AccountStore, InvitationRecord, SessionRecord, UserRecord},
    bulk::{BulkOwner, BulkRow},
    interest::store::{InterestEventRecord, InterestPage, InterestQuery, InterestRecord, InterestStore},
    plan::{PlanBoard, store::PlanSnapshotStore},
    policy::store::{PolicyPush, PolicyPushStore},
    sqlite::SqliteStore,
    store::{
        Change, CommittedChanges, ListQuery, PrivateNeeds, RecordPage, RecordStore, StoreError, TokenRecord, Write,
    },
    tokens::TokenRegistry,
};
use innomatch_core::{
    auth::Principal,
    model::{
        ChangeOperation, Organization, OrganizationKind, Record, RecordKind, RecordMeta, Role, TechNeed, Visibility,
    },
    tag::Tag,
};
use tokio::sync::{broadcast, watch};

/// The embedded store, counting how often the change log is read.
struct CountingStore {
    inner: SqliteStore,
    log_reads: Arc<AtomicUsize>,
}

#[async_trait]
impl AccountStore for CountingStore {
    async fn insert_user(&self, user: UserRecord) -> Result<(), StoreError> {
        self.inner.insert_user(user).await
    }
    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>, StoreError> {
        self.inner.user_by_login(login).await
    }
    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        self.inner.user_by_id(id).await
    }
    async fn list_users(&self, organization_id: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        self.inner.list_users(organization_id).await
    }
    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.inner.set_password(user_id, password_hash).await
    }
    async fn note_failed_login(&self, user_id: &str) -> Result<u32, StoreError> {
        self.inner.note_failed_login(user_id).await
    }
    async fn lock_user(&self, user_id: &str, until_ms: i64) -> Result<(), StoreError> {
        self.inner.lock_user(user_id, until_ms).await
    }
    async fn clear_failed_logins(&self, user_id: &str) -> Result<(), StoreError> {
        self.inner.clear_failed_logins(user_id).await
    }
    async fn insert_invitation(&self, invitation: InvitationRecord) -> Result<(), StoreError> {
        self.inner.insert_invitation(invitation).await
    }
    async fn invitation_by_code_hash(&self, code_hash: &str) -> Result<Option<InvitationRecord>, StoreError> {
        self.inner.invitation_by_code_hash(code_hash).await
    }
    async fn accept_invitation(&self, code_hash: &str, user: UserRecord, now_ms: i64) -> Result<(), StoreError> {
        self.inner.accept_invitation(code_hash, user, now_ms).await
    }
    async fn insert_session(&self, session: SessionRecord) -> Result<(), StoreError> {
        self.inner.insert_session(session).await
    }
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.session(id_hash).await
    }
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.inner.delete_session(id_hash).await
    }
    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), StoreError> {
        self.inner.delete_user_sessions(user_id, keep).await
    }
    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.inner.delete_expired_sessions(now_ms).await
    }
}

#[async_trait]
impl InterestStore for CountingStore {
    async fn insert_interest(&self, interest: InterestRecord, event: InterestEventRecord) -> Result<(), StoreError> {
        self.inner.insert_interest(interest, event).await
    }
    async fn interest(&self, id: &str) -> Result<Option<InterestRecord>, StoreError> {
        self.inner.interest(id).await
    }
    async fn move_interest(
        &self,
        interest: InterestRecord,
        event: InterestEventRecord,
    ) -> Result<InterestRecord, StoreError> {
        self.inner.move_interest(interest, event).await
    }
    async fn list_interests(&self, query: &InterestQuery) -> Result<InterestPage, StoreError> {
        self.inner.list_interests(query).await
    }
    async fn interest_events(
        &self,
        interest_id: Option<&str>,
        need_id: Option<&str>,
    ) -> Result<Vec<InterestEventRecord>, StoreError> {
        self.inner.interest_events(interest_id, need_id).await
    }
    async fn interest_events_after(
        &self,
        after_sequence: i64,
        limit: u32,
    ) -> Result<Vec<InterestEventRecord>, StoreError> {
        self.inner.interest_events_after(after_sequence, limit).await
    }
    async fn disclosed_between(&self, organization_a: &str, organization_b: &str) -> Result<bool, StoreError> {
        self.inner.disclosed_between(organization_a, organization_b).await
    }
    async fn pending_of_inactive_needs(&self, limit: u32) -> Result<Vec<InterestRecord>, StoreError> {
        self.inner.pending_of_inactive_needs(limit).await
    }
}

#[async_trait]
impl PlanSnapshotStore for CountingStore {
    async fn save_plan_snapshot(&self, board: &PlanBoard) -> Result<bool, StoreError> {
        self.inner.save_plan_snapshot(board).await
    }
    async fn has_plan_snapshot(&self, day: &str) -> Result<bool, StoreError> {
        self.inner.has_plan_snapshot(day).await
    }
    async fn plan_snapshots(&self, since_day: &str, limit: u32) -> Result<Vec<PlanBoard>, StoreError> {
        self.inner.plan_snapshots(since_day, limit).await
    }
}

#[async_trait]
impl PolicyPushStore for CountingStore {
    async fn record_policy_push(&self, push: PolicyPush) -> Result<bool, StoreError> {
        self.inner.record_policy_push(push).await
    }
    async fn policy_pushes_of(&self, organization_id: &str) -> Result<Vec<PolicyPush>, StoreError> {
        self.inner.policy_pushes_of(organization_id).await
    }
    async fn policy_pushes_for(&self, policy_id: &str) -> Result<Vec<PolicyPush>, StoreError> {
        self.inner.policy_pushes_for(policy_id).await
    }
}

#[async_trait]
impl RecordStore for CountingStore {
    async fn insert(&self, record: Record) -> Result<Change, StoreError> {
        self.inner.insert(record).await
    }
    async fn update(
        &self,
        record: Record,
        expected_version: Option<i64>,
        operation: ChangeOperation,
    ) -> Result<Change, StoreError> {
        self.inner.update(record, expected_version, operation).await
    }
    async fn write_batch(&self, writes: Vec<Write>) -> Result<Vec<Result<Change, StoreError>>, StoreError> {
        self.inner.write_batch(writes).await
    }
    async fn get(&self, kind: RecordKind, id: &str) -> Result<Option<Record>, StoreError> {
        self.inner.get(kind, id).await
    }
    async fn get_many(&self, kind: RecordKind, ids: &[String]) -> Result<Vec<Record>, StoreError> {
        self.inner.get_many(kind, ids).await
    }
    async fn find_external(&self, keys: &[String]) -> Result<Vec<(String, Record)>, StoreError> {
        self.inner.find_external(keys).await
    }
    async fn list(&self, query: &ListQuery) -> Result<RecordPage, StoreError> {
        self.inner.list(query).await
    }
    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.log_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.changes_after(after, limit).await
    }
    fn sequence(&self) -> watch::Receiver<i64> {
        self.inner.sequence()
    }
    fn committed(&self) -> broadcast::Receiver<CommittedChanges> {
        self.inner.committed()
    }
    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.inner.insert_token(token).await
    }
    async fn revoke_token(&self, token_id: &str) -> Result<bool, StoreError> {
        self.inner.revoke_token(token_id).await
    }
    async fn list_tokens(&self, organization_id: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        self.inner.list_tokens(organization_id).await
    }
    async fn count(&self, kind: RecordKind) -> Result<u64, StoreError> {
        self.inner.count(kind).await
    }
    async fn count_tagged(&self, kind: RecordKind, tags: &[Tag]) -> Result<u64, StoreError> {
        self.inner.count_tagged(kind, tags).await
    }
    async fn count_visible(
        &self,
        kind: RecordKind,
        tags: &[Tag],
        private_needs: &PrivateNeeds,
    ) -> Result<u64, StoreError> {
        self.inner.count_visible(kind, tags, private_needs).await
    }
}

fn admin() -> Principal {
    Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin }
}

fn need(title: &str) -> Record {
    Record::Need(TechNeed {
        meta: RecordMeta::default(),
        title: title.into(),
        description: "湛江企业寻求高校院所合作开展中试".into(),
        industries: vec!["green_steel".into()],
        visibility: Some(Visibility::Public),
        ..TechNeed::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caught_up_follower_takes_new_commits_without_reading_the_log_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_reads = Arc::new(AtomicUsize::new(0));
    let store: Arc<dyn RecordStore> = Arc::new(CountingStore {
        inner: SqliteStore::open(dir.path()).expect("store"),
        log_reads: Arc::clone(&log_reads),
    });
    let tokens = TokenRegistry::load(store.as_ref()).await.expect("tokens");
    let catalog = Catalog::new(Arc::clone(&store), tokens);
    let organization = Organization {
        name: "湛江绿色钢铁有限公司".into(),
        kind: Some(OrganizationKind::Enterprise),
        region_code: "440802".into(),
        ..Organization::default()
    };
    let owner = catalog.create(&admin(), Record::Organization(organization), "").await.expect("org").meta().id.clone();

    let mut feed = Box::pin(catalog.watch(admin(), 0, Vec::new()));
    let first = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.expect("in time");
    assert_eq!(first.expect("an event").expect("a change").sequence, 1);
    let reads_when_caught_up = log_reads.load(Ordering::SeqCst);

    // Single writes and an import batch, all committed by this process.
    for n in 0..20 {
        catalog.create(&admin(), need(&format!("氢冶金低碳炼钢中试（{n}）")), &owner).await.expect("need");
    }
    let rows = (0..100)
        .map(|n| BulkRow {
            record: need(&format!("预制菜冷链保鲜（{n}）")),
            owner: BulkOwner::Id(owner.clone()),
            external_id: format!("row-{n}"),
            record_id: String::new(),
        })
        .collect();
    for result in catalog.write_bulk(&admin(), rows).await.expect("batch") {
        result.expect("row");
    }
    let mut sequences = Vec::new();
    while sequences.len() < 120 {
        let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.expect("in time");
        sequences.push(next.expect("an event").expect("a change").sequence);
    }
    assert_eq!(sequences, (2..=121).collect::<Vec<i64>>(), "every commit, in order, once");
    let extra_reads = log_reads.load(Ordering::SeqCst) - reads_when_caught_up;
    assert!(extra_reads <= 2, "the follower read the log back {extra_reads} times for 21 commits");

    // A commit of another process (another store on the same file) is not
    // announced here: the follower finds it in the log.
    let other = SqliteStore::open(dir.path()).expect("another store");
    let mut elsewhere = need("对虾养殖尾水处理");
    elsewhere.meta_mut().id = "need_elsewhere".into();
    elsewhere.meta_mut().organization_id = owner.clone();
    other.insert(elsewhere).await.expect("insert elsewhere");
    let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.expect("found at the next poll");
    let change = next.expect("an event").expect("a change");
    assert_eq!((change.sequence, change.record.meta().id.as_str()), (122, "need_elsewhere"));
}
