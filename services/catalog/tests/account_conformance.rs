//! The account-store conformance suite and the accounts' rules over it: the
//! same scenarios run on the embedded SQLite store and on PostgreSQL (a
//! schema of its own in the test database, dropped afterwards; with
//! `CI=true` it must run, elsewhere it prints "skipped: postgresql not
//! reachable" when the server is down).

use std::{sync::Arc, time::Duration};

use innomatch_catalog::{
    Accounts, Catalog,
    accounts::{
        Acceptance, AccountError, AccountPolicy, NewUser,
        store::{InvitationRecord, SessionRecord, UserRecord},
    },
    postgres::PostgresStore,
    sqlite::SqliteStore,
    store::{RecordStore, StoreError},
    tokens::TokenRegistry,
};
use innomatch_core::{
    auth::Principal,
    model::{Organization, OrganizationKind, Record, RecordMeta, Role, now_ms},
    postgres::TestSchema,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Field order matters: stores close before the schema is dropped.
struct Harness {
    store: Arc<dyn RecordStore>,
    _dir: tempfile::TempDir,
    _schema: Option<TestSchema>,
}

impl Harness {
    async fn new(backend: Backend) -> Option<Harness> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, schema): (Arc<dyn RecordStore>, _) = match backend {
            Backend::Sqlite => (Arc::new(SqliteStore::open(dir.path()).expect("sqlite store")), None),
            Backend::Postgres => {
                let schema = TestSchema::create().await?;
                let store = PostgresStore::connect(&schema.url, Some(&schema.name), &TestSchema::settings())
                    .await
                    .expect("postgres store");
                (Arc::new(store), Some(schema))
            }
        };
        Some(Harness { store, _dir: dir, _schema: schema })
    }

    async fn catalog(&self) -> Catalog {
        let tokens = TokenRegistry::load(self.store.as_ref()).await.expect("tokens");
        Catalog::new(Arc::clone(&self.store), tokens)
    }
}

fn admin() -> Principal {
    Principal { token_id: "test-admin".into(), organization_id: None, role: Role::Admin }
}

fn user(id: &str, login: &str, organization_id: &str) -> UserRecord {
    UserRecord {
        id: id.into(),
        login: login.into(),
        display_name: "张三".into(),
        password_hash: "$argon2id$stand-in".into(),
        organization_id: Some(organization_id.into()),
        role: Role::Member,
        created_at_ms: now_ms(),
        failed_logins: 0,
        locked_until_ms: 0,
    }
}

fn invitation(id: &str, code_hash: &str, expires_at_ms: i64) -> InvitationRecord {
    InvitationRecord {
        id: id.into(),
        code_hash: code_hash.into(),
        organization_id: Some("org_steel".into()),
        role: Role::Member,
        issued_by: "test-admin".into(),
        created_at_ms: now_ms(),
        expires_at_ms,
        accepted_by: None,
    }
}

async fn organization(catalog: &Catalog, name: &str, kind: OrganizationKind) -> String {
    let record = Record::Organization(Organization {
        meta: RecordMeta::default(),
        name: name.into(),
        kind: Some(kind),
        region_code: "440802".into(),
        ..Organization::default()
    });
    catalog.create(&admin(), record, "").await.expect("organization").meta().id.clone()
}

async fn users_are_stored_found_and_logins_are_unique(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = h.store.as_ref();
    store.insert_user(user("usr_1", "zhang.san", "org_steel")).await.expect("first user");
    store.insert_user(user("usr_2", "li.si", "org_shrimp")).await.expect("second user");
    let taken = store.insert_user(user("usr_3", "zhang.san", "org_shrimp")).await;
    assert!(matches!(taken, Err(StoreError::AlreadyExists)), "{taken:?}");

    let found = store.user_by_login("zhang.san").await.expect("read").expect("found");
    assert_eq!(found, user("usr_1", "zhang.san", "org_steel").with_created(found.created_at_ms));
    assert_eq!(store.user_by_id("usr_2").await.expect("read").map(|u| u.login), Some("li.si".into()));
    assert!(store.user_by_login("wang.wu").await.expect("read").is_none());

    let all: Vec<String> = store.list_users(None).await.expect("list").into_iter().map(|u| u.id).collect();
    assert_eq!(all, ["usr_1", "usr_2"]);
    let shrimp: Vec<String> =
        store.list_users(Some("org_shrimp")).await.expect("list").into_iter().map(|u| u.id).collect();
    assert_eq!(shrimp, ["usr_2"]);

    assert!(store.set_password("usr_1", "$argon2id$new").await.expect("set"));
    assert!(!store.set_password("usr_9", "$argon2id$new").await.expect("set"));
    assert_eq!(store.user_by_id("usr_1").await.expect("read").expect("found").password_hash, "$argon2id$new");
}

trait WithCreated {
    fn with_created(self, at: i64) -> Self;
}

impl WithCreated for UserRecord {
    fn with_created(mut self, at: i64) -> Self {
        self.created_at_ms = at;
        self
    }
}

async fn failed_logins_count_lock_and_clear(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = h.store.as_ref();
    store.insert_user(user("usr_1", "zhang.san", "org_steel")).await.expect("user");
    assert_eq!(store.note_failed_login("usr_1").await.expect("note"), 1);
    assert_eq!(store.note_failed_login("usr_1").await.expect("note"), 2);
    assert_eq!(store.note_failed_login("nobody").await.expect("note"), 0);
    store.lock_user("usr_1", 4_102_444_800_000).await.expect("lock");
    let locked = store.user_by_id("usr_1").await.expect("read").expect("found");
    assert_eq!((locked.failed_logins, locked.locked_until_ms), (2, 4_102_444_800_000));
    store.clear_failed_logins("usr_1").await.expect("clear");
    let cleared = store.user_by_id("usr_1").await.expect("read").expect("found");
    assert_eq!((cleared.failed_logins, cleared.locked_until_ms), (0, 0));
}

async fn an_invitation_is_accepted_once_and_never_after_it_expires(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = h.store.as_ref();
    let now = now_ms();
    store.insert_invitation(invitation("inv_1", "hash-open", now + 60_000)).await.expect("invitation");
    store.insert_invitation(invitation("inv_2", "hash-expired", now - 1)).await.expect("invitation");
    store.insert_user(user("usr_0", "taken", "org_steel")).await.expect("user");

    // A taken login rolls the acceptance back: the invitation stays open.
    let taken = store.accept_invitation("hash-open", user("usr_1", "taken", "org_steel"), now).await;
    assert!(matches!(taken, Err(StoreError::AlreadyExists)), "{taken:?}");
    assert_eq!(store.invitation_by_code_hash("hash-open").await.expect("read").expect("found").accepted_by, None);

    store.accept_invitation("hash-open", user("usr_1", "zhang.san", "org_steel"), now).await.expect("accepted");
    let accepted = store.invitation_by_code_hash("hash-open").await.expect("read").expect("found");
    assert_eq!(accepted.accepted_by.as_deref(), Some("usr_1"));
    assert!(store.user_by_login("zhang.san").await.expect("read").is_some());

    let again = store.accept_invitation("hash-open", user("usr_2", "li.si", "org_steel"), now).await;
    assert!(matches!(again, Err(StoreError::NotFound)), "used twice: {again:?}");
    let expired = store.accept_invitation("hash-expired", user("usr_3", "wang.wu", "org_steel"), now).await;
    assert!(matches!(expired, Err(StoreError::NotFound)), "expired: {expired:?}");
    let unknown = store.accept_invitation("hash-unknown", user("usr_4", "zhao.liu", "org_steel"), now).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "unknown: {unknown:?}");
    assert!(store.user_by_login("li.si").await.expect("read").is_none(), "nothing written on a refusal");
    assert!(store.user_by_login("wang.wu").await.expect("read").is_none(), "nothing written on a refusal");
}

async fn sessions_are_found_ended_and_purged(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let store = h.store.as_ref();
    store.insert_user(user("usr_1", "zhang.san", "org_steel")).await.expect("user");
    let now = now_ms();
    let session = |key: &str, expires_at_ms: i64| SessionRecord {
        id_hash: key.into(),
        user_id: "usr_1".into(),
        csrf_token: format!("csrf-{key}"),
        created_at_ms: now,
        expires_at_ms,
    };
    for (key, expires) in [("a", now + 60_000), ("b", now + 60_000), ("c", now + 60_000), ("old", now - 1)] {
        store.insert_session(session(key, expires)).await.expect("session");
    }
    assert_eq!(store.session("a").await.expect("read"), Some(session("a", now + 60_000)));
    store.delete_session("a").await.expect("delete");
    assert!(store.session("a").await.expect("read").is_none());
    assert_eq!(store.delete_expired_sessions(now).await.expect("purge"), 1);
    assert!(store.session("old").await.expect("read").is_none());
    store.delete_user_sessions("usr_1", Some("b")).await.expect("others ended");
    assert!(store.session("b").await.expect("read").is_some(), "the kept session stays");
    assert!(store.session("c").await.expect("read").is_none());
    store.delete_user_sessions("usr_1", None).await.expect("all ended");
    assert!(store.session("b").await.expect("read").is_none());
}

fn quick_lock() -> AccountPolicy {
    AccountPolicy { free_failures: 3, first_lock: Duration::from_secs(2), ..AccountPolicy::default() }
}

async fn signing_in_backs_off_after_repeated_failures(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let catalog = h.catalog().await;
    let accounts = Accounts::with_policy(catalog.clone(), quick_lock());
    let steel = organization(&catalog, "湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
    let new = NewUser {
        login: "Zhang.San".into(),
        display_name: "张三".into(),
        password: "氢冶金-green-steel".into(),
        organization_id: Some(steel.clone()),
        role: Some(Role::Member),
    };
    let created = accounts.create_user(&admin(), new).await.expect("user");
    assert_eq!(created.login, "zhang.san", "logins are lowercase");

    let session = accounts.sign_in("zhang.san", "氢冶金-green-steel").await.expect("signed in");
    let active = accounts.session(&session.secret).await.expect("read").expect("active");
    assert_eq!(active.principal().organization_id.as_deref(), Some(steel.as_str()));
    assert_eq!(active.csrf_token, session.csrf_token);
    assert_ne!(session.secret, session.csrf_token);

    for _ in 0..3 {
        let wrong = accounts.sign_in("zhang.san", "wrong-password").await;
        assert!(matches!(wrong, Err(AccountError::InvalidCredentials)), "{wrong:?}");
    }
    let locked = accounts.sign_in("zhang.san", "氢冶金-green-steel").await;
    assert!(matches!(locked, Err(AccountError::Locked { .. })), "the right password waits out the lock: {locked:?}");
    let unknown = accounts.sign_in("nobody", "氢冶金-green-steel").await;
    assert!(matches!(unknown, Err(AccountError::InvalidCredentials)), "{unknown:?}");

    // The lock ends at a known time; after it the right password works and clears the count.
    let locked_until = accounts.list_users(&admin(), None).await.expect("users")[0].locked_until_ms;
    let wait = u64::try_from(locked_until - now_ms()).unwrap_or(0) + 20;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    accounts.sign_in("zhang.san", "氢冶金-green-steel").await.expect("signed in after the lock");
    let after = accounts.list_users(&admin(), None).await.expect("users");
    assert_eq!(after[0].locked_until_ms, 0);

    accounts.sign_out(&session.secret).await.expect("signed out");
    assert!(accounts.session(&session.secret).await.expect("read").is_none());
}

async fn invitations_and_password_changes_follow_the_rules(backend: Backend) {
    let Some(h) = Harness::new(backend).await else { return };
    let catalog = h.catalog().await;
    let accounts = Accounts::new(catalog.clone());
    let shrimp = organization(&catalog, "湛江对虾养殖合作社", OrganizationKind::Enterprise).await;
    let agency = organization(&catalog, "湛江科技成果转化服务中心", OrganizationKind::IntermediaryAgency).await;
    let member = Principal { token_id: "tok_member".into(), organization_id: Some(shrimp.clone()), role: Role::Member };

    let refused = accounts.issue_invitation(&member, Some(shrimp.clone()), Some(Role::Member), None).await;
    assert!(matches!(refused, Err(AccountError::PermissionDenied(_))), "{refused:?}");
    let wrong_kind = accounts.issue_invitation(&admin(), Some(shrimp.clone()), Some(Role::Agency), None).await;
    assert!(matches!(wrong_kind, Err(AccountError::FailedPrecondition(_))), "{wrong_kind:?}");
    let no_org = accounts.issue_invitation(&admin(), None, Some(Role::Member), None).await;
    assert!(matches!(no_org, Err(AccountError::Invalid(_))), "{no_org:?}");

    let invitation =
        accounts.issue_invitation(&admin(), Some(agency.clone()), Some(Role::Agency), None).await.expect("issued");
    let accept = |login: &str, password: &str| Acceptance {
        code: invitation.code.clone(),
        login: login.into(),
        display_name: "王经理".into(),
        password: password.into(),
    };
    let weak = accounts.accept_invitation(accept("wang.jl", "short")).await;
    match weak {
        Err(AccountError::Invalid(v)) => assert_eq!(v.0[0].field, "password"),
        other => panic!("a weak password must be refused: {other:?}"),
    }
    let user = accounts.accept_invitation(accept("wang.jl", "科技中介-服务-2025")).await.expect("accepted");
    assert_eq!((user.role, user.organization_id.as_deref()), (Role::Agency, Some(agency.as_str())));
    let twice = accounts.accept_invitation(accept("wang.jl2", "科技中介-服务-2025")).await;
    assert!(matches!(twice, Err(AccountError::InvitationUnusable)), "{twice:?}");

    // Members list their own organization's users only.
    let listed = accounts.list_users(&member, None).await.expect("own users");
    assert!(listed.is_empty());
    let others = accounts.list_users(&member, Some(&agency)).await;
    assert!(matches!(others, Err(AccountError::PermissionDenied(_))), "{others:?}");

    // A password change ends the other sessions, keeps the asking one.
    let first = accounts.sign_in("wang.jl", "科技中介-服务-2025").await.expect("first browser");
    let second = accounts.sign_in("wang.jl", "科技中介-服务-2025").await.expect("second browser");
    let keep = accounts.session(&second.secret).await.expect("read").expect("active").session_key;
    let wrong = accounts.change_password("wang.jl", "not-the-password", "新密码-更长-更安全", Some(&keep)).await;
    assert!(matches!(wrong, Err(AccountError::InvalidCredentials)), "{wrong:?}");
    accounts
        .change_password("wang.jl", "科技中介-服务-2025", "新密码-更长-更安全", Some(&keep))
        .await
        .expect("changed");
    assert!(accounts.session(&first.secret).await.expect("read").is_none(), "other browsers are signed out");
    assert!(accounts.session(&second.secret).await.expect("read").is_some(), "the asking browser stays");
    assert!(matches!(accounts.sign_in("wang.jl", "科技中介-服务-2025").await, Err(AccountError::InvalidCredentials)));
    accounts.sign_in("wang.jl", "新密码-更长-更安全").await.expect("the new password works");
}

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
    users_are_stored_found_and_logins_are_unique,
    failed_logins_count_lock_and_clear,
    an_invitation_is_accepted_once_and_never_after_it_expires,
    sessions_are_found_ended_and_purged,
    signing_in_backs_off_after_repeated_failures,
    invitations_and_password_changes_follow_the_rules,
);
