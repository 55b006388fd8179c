//! Accounts for people: users who sign in with a login name and a password
//! (argon2id), bound to an organization and a role; invitations an admin
//! issues (single use, expiring); sign-in with back-off after repeated
//! failures; browser sessions with a per-session CSRF token. API tokens stay
//! for machines. The domain API here knows no transport: the gRPC adapter
//! (`grpc`) and the web console call it alike.
//!
//! | file | what lives there |
//! |---|---|
//! | `store.rs` | the [`store::AccountStore`] contract and its records |
//! | `sqlite.rs`, `postgres.rs` | the contract in each record store |
//! | `password.rs` | argon2id hashing and the rules for logins and passwords |
//! | `error.rs` | [`AccountError`] and its mapping to gRPC statuses |
//! | `grpc.rs` | the `AccountService` adapter |

pub mod error;
pub mod grpc;
pub mod password;
pub(crate) mod postgres;
pub(crate) mod sqlite;
pub mod store;

use std::time::Duration;

use innomatch_core::{
    auth::{Principal, hash_token},
    model::{Record, RecordKind, RecordStatus, Role, now_ms},
    validation::Violations,
};
use rand::RngCore;

pub use self::error::AccountError;
use self::store::{InvitationRecord, SessionRecord, UserRecord};
use crate::{Catalog, service::role_binding_violations, store::StoreError};

/// The prefix of invitation codes, so a leaked link is recognizable.
pub const INVITATION_PREFIX: &str = "imi_";
/// The prefix of user principals' ids, which never collide with token ids.
pub const USER_PRINCIPAL_PREFIX: &str = "user:";

/// How sign-in failures slow an attacker down and how long things last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPolicy {
    /// Failed sign-ins in a row before the account is locked.
    pub free_failures: u32,
    /// The first lock; each further failure doubles it, up to `max_lock`.
    pub first_lock: Duration,
    pub max_lock: Duration,
    pub session_lifetime: Duration,
    pub default_invitation_lifetime: Duration,
    pub max_invitation_lifetime: Duration,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(15 * 60),
            session_lifetime: Duration::from_secs(12 * 3600),
            default_invitation_lifetime: Duration::from_secs(7 * 24 * 3600),
            max_invitation_lifetime: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl AccountPolicy {
    /// How long the account locks after `failures` failures in a row (zero: not yet).
    pub fn lock_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures).min(16);
        self.first_lock.saturating_mul(1 << doublings).min(self.max_lock)
    }
}

/// A user as shown to others: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub organization_id: Option<String>,
    pub role: Role,
    pub created_at_ms: i64,
    /// Signing in is refused until then (0: not locked).
    pub locked_until_ms: i64,
}

impl From<&UserRecord> for UserInfo {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            login: user.login.clone(),
            display_name: user.display_name.clone(),
            organization_id: user.organization_id.clone(),
            role: user.role,
            created_at_ms: user.created_at_ms,
            locked_until_ms: user.locked_until_ms,
        }
    }
}

impl UserInfo {
    /// The principal the user acts as: the same rules as a token of that
    /// organization and role.
    pub fn principal(&self) -> Principal {
        Principal {
            token_id: format!("{USER_PRINCIPAL_PREFIX}{}", self.id),
            organization_id: self.organization_id.clone(),
            role: self.role,
        }
    }
}

/// A user to create, as an admin asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub organization_id: Option<String>,
    pub role: Option<Role>,
}

/// A newly issued invitation; `code` goes into the link and is shown once.
#[derive(Debug, Clone)]
pub struct IssuedInvitation {
    pub id: String,
    pub code: String,
    pub expires_at_ms: i64,
}

/// What accepting an invitation asks of the invitee.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    pub code: String,
    pub login: String,
    pub display_name: String,
    pub password: String,
}

/// A signed-in browser: the cookie's secret (shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at_ms: i64,
    pub user: UserInfo,
}

/// A session found by its cookie, with the user behind it.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub user: UserInfo,
    pub csrf_token: String,
    pub expires_at_ms: i64,
    /// The stored key of the session (its id's hash).
    pub session_key: String,
}

impl ActiveSession {
    pub fn principal(&self) -> Principal {
        self.user.principal()
    }
}

/// The accounts' domain API over the catalog's store.
#[derive(Debug, Clone)]
pub struct Accounts {
    catalog: Catalog,
    policy: AccountPolicy,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn new_user_id() -> String {
    format!("usr_{}", uuid::Uuid::now_v7().simple())
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn admin_only(principal: &Principal, what: &str) -> Result<(), AccountError> {
    if principal.is_admin() { Ok(()) } else { Err(AccountError::PermissionDenied(format!("only an admin can {what}"))) }
}

impl Accounts {
    pub fn new(catalog: Catalog) -> Self {
        Self::with_policy(catalog, AccountPolicy::default())
    }

    pub fn with_policy(catalog: Catalog, policy: AccountPolicy) -> Self {
        Self { catalog, policy }
    }

    pub fn policy(&self) -> &AccountPolicy {
        &self.policy
    }

    fn store(&self) -> &std::sync::Arc<dyn crate::store::RecordStore> {
        self.catalog.store()
    }

    /// Admin only: creates a user bound to an organization in a role.
    pub async fn create_user(&self, principal: &Principal, new: NewUser) -> Result<UserInfo, AccountError> {
        admin_only(principal, "create users")?;
        let mut v = Violations::new();
        let login = password::normalize_login(&new.login);
        password::check_login(&mut v, "login", &login);
        password::check_password(&mut v, "password", &new.password, &login);
        v.text("display_name", &new.display_name, 100, false);
        let role = match new.role {
            Some(role) => role,
            None => {
                v.add("role", "must be set");
                Role::Member
            }
        };
        role_binding_violations(&mut v, new.organization_id.as_deref(), role);
        v.into_result(())?;
        self.catalog.check_role_binding(new.organization_id.as_deref(), role).await?;
        let user = UserRecord {
            id: new_user_id(),
            display_name: display_name_or_login(&new.display_name, &login),
            login,
            password_hash: password::hash(new.password).await?,
            organization_id: new.organization_id,
            role,
            created_at_ms: now_ms(),
            failed_logins: 0,
            locked_until_ms: 0,
        };
        let info = UserInfo::from(&user);
        self.store().insert_user(user).await.map_err(|e| taken(e, &info.login))?;
        tracing::info!(user_id = %info.id, role = %info.role, "user created");
        Ok(info)
    }

    /// Creates a user without an authorization check: for the demo logins
    /// of the sample data only. The same validation as [`Self::create_user`].
    pub async fn create_user_unchecked(&self, new: NewUser) -> Result<UserInfo, AccountError> {
        let system = Principal { token_id: "system:accounts".into(), organization_id: None, role: Role::Admin };
        self.create_user(&system, new).await
    }

    /// Admin only: an invitation to become a user of `organization_id` in
    /// `role`, valid once, for `valid_for` (default seven days).
    pub async fn issue_invitation(
        &self,
        principal: &Principal,
        organization_id: Option<String>,
        role: Option<Role>,
        valid_for: Option<Duration>,
    ) -> Result<IssuedInvitation, AccountError> {
        admin_only(principal, "invite users")?;
        let mut v = Violations::new();
        let role = role.unwrap_or_else(|| {
            v.add("role", "must be set");
            Role::Member
        });
        role_binding_violations(&mut v, organization_id.as_deref(), role);
        let valid_for = valid_for.unwrap_or(self.policy.default_invitation_lifetime);
        if valid_for.is_zero() || valid_for > self.policy.max_invitation_lifetime {
            v.add(
                "valid_for",
                format!("must be between 1 second and {} days", self.policy.max_invitation_lifetime.as_secs() / 86_400),
            );
        }
        v.into_result(())?;
        self.catalog.check_role_binding(organization_id.as_deref(), role).await?;
        let code = format!("{INVITATION_PREFIX}{}", random_hex());
        let now = now_ms();
        let invitation = InvitationRecord {
            id: format!("inv_{}", uuid::Uuid::now_v7().simple()),
            code_hash: hash_token(&code),
            organization_id,
            role,
            issued_by: principal.token_id.clone(),
            created_at_ms: now,
            expires_at_ms: now.saturating_add(millis(valid_for)),
            accepted_by: None,
        };
        let issued = IssuedInvitation { id: invitation.id.clone(), code, expires_at_ms: invitation.expires_at_ms };
        self.store().insert_invitation(invitation).await?;
        tracing::info!(invitation_id = %issued.id, role = %role, "invitation issued");
        Ok(issued)
    }

    /// The invitation behind a code, while it can still be accepted: what
    /// the acceptance page shows before the invitee chooses a password.
    pub async fn open_invitation(&self, code: &str) -> Result<InvitationRecord, AccountError> {
        let invitation = self.store().invitation_by_code_hash(&hash_token(code.trim())).await?;
        invitation
            .filter(|i| i.accepted_by.is_none() && i.expires_at_ms > now_ms())
            .ok_or(AccountError::InvitationUnusable)
    }

    /// Accepts an invitation: the invitee becomes a user of the invited
    /// organization and role. The code works once and only before it expires.
    pub async fn accept_invitation(&self, acceptance: Acceptance) -> Result<UserInfo, AccountError> {
        let mut v = Violations::new();
        let login = password::normalize_login(&acceptance.login);
        if acceptance.code.trim().is_empty() {
            v.add("code", "must not be empty");
        }
        password::check_login(&mut v, "login", &login);
        password::check_password(&mut v, "password", &acceptance.password, &login);
        v.text("display_name", &acceptance.display_name, 100, false);
        v.into_result(())?;
        let invitation = self.open_invitation(&acceptance.code).await?;
        // The organization may have been archived since the invitation was issued.
        self.catalog.check_role_binding(invitation.organization_id.as_deref(), invitation.role).await?;
        let user = UserRecord {
            id: new_user_id(),
            display_name: display_name_or_login(&acceptance.display_name, &login),
            login,
            password_hash: password::hash(acceptance.password).await?,
            organization_id: invitation.organization_id.clone(),
            role: invitation.role,
            created_at_ms: now_ms(),
            failed_logins: 0,
            locked_until_ms: 0,
        };
        let info = UserInfo::from(&user);
        match self.store().accept_invitation(&invitation.code_hash, user, now_ms()).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(AccountError::InvitationUnusable),
            Err(error) => return Err(taken(error, &info.login)),
        }
        tracing::info!(user_id = %info.id, invitation_id = %invitation.id, "invitation accepted");
        Ok(info)
    }

    /// Users, all (admin) or of the caller's own organization (anyone else,
    /// whatever `organization_id` asks for).
    pub async fn list_users(
        &self,
        principal: &Principal,
        organization_id: Option<&str>,
    ) -> Result<Vec<UserInfo>, AccountError> {
        let scope = if principal.is_admin() {
            organization_id.map(str::to_owned)
        } else {
            match (&principal.organization_id, organization_id) {
                (Some(own), None) => Some(own.clone()),
                (Some(own), Some(asked)) if asked == own => Some(own.clone()),
                _ => {
                    return Err(AccountError::PermissionDenied(
                        "only an admin can list other organizations' users".into(),
                    ));
                }
            }
        };
        let users = self.store().list_users(scope.as_deref()).await?;
        Ok(users.iter().map(UserInfo::from).collect())
    }

    /// Checks a login name and password with back-off: after
    /// [`AccountPolicy::free_failures`] failures in a row the account locks
    /// for a while, longer with each further failure; while locked, even the
    /// right password is refused. Unknown logins cost the same hashing work.
    pub async fn verify_password(&self, login: &str, password: &str) -> Result<UserInfo, AccountError> {
        let login = password::normalize_login(login);
        let Some(user) = self.store().user_by_login(&login).await? else {
            password::verify_dummy(password.to_owned()).await;
            return Err(AccountError::InvalidCredentials);
        };
        let now = now_ms();
        if user.locked_until_ms > now {
            return Err(AccountError::Locked { retry_after_secs: retry_after_secs(user.locked_until_ms - now) });
        }
        if password::verify(password.to_owned(), user.password_hash.clone()).await {
            // Told only to whoever knows the password.
            if self.organization_archived(user.organization_id.as_deref()).await? {
                return Err(AccountError::PermissionDenied(
                    "the organization is archived: its users no longer sign in".into(),
                ));
            }
            if user.failed_logins > 0 {
                self.store().clear_failed_logins(&user.id).await?;
            }
            let mut info = UserInfo::from(&user);
            info.locked_until_ms = 0;
            return Ok(info);
        }
        let failures = self.store().note_failed_login(&user.id).await?;
        let lock = self.policy.lock_after(failures);
        if !lock.is_zero() {
            self.store().lock_user(&user.id, now.saturating_add(millis(lock))).await?;
            tracing::warn!(user_id = %user.id, failures, lock_secs = lock.as_secs(), "account locked after failed sign-ins");
        }
        Err(AccountError::InvalidCredentials)
    }

    /// Signs in: a new session for the browser when the password is right.
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<NewSession, AccountError> {
        let user = self.verify_password(login, password).await?;
        let secret = random_hex();
        let now = now_ms();
        let session = SessionRecord {
            id_hash: hash_token(&secret),
            user_id: user.id.clone(),
            csrf_token: random_hex(),
            created_at_ms: now,
            expires_at_ms: now.saturating_add(millis(self.policy.session_lifetime)),
        };
        let new =
            NewSession { secret, csrf_token: session.csrf_token.clone(), expires_at_ms: session.expires_at_ms, user };
        self.store().insert_session(session).await?;
        tracing::info!(user_id = %new.user.id, "signed in");
        Ok(new)
    }

    /// The session behind a cookie's secret, while it lasts and its user's
    /// organization is active; `None` otherwise (the browser is signed out).
    pub async fn session(&self, secret: &str) -> Result<Option<ActiveSession>, AccountError> {
        if secret.is_empty() || secret.len() > 128 {
            return Ok(None);
        }
        let key = hash_token(secret);
        let Some(session) = self.store().session(&key).await? else { return Ok(None) };
        if session.expires_at_ms <= now_ms() {
            self.store().delete_session(&key).await?;
            return Ok(None);
        }
        let Some(user) = self.store().user_by_id(&session.user_id).await? else { return Ok(None) };
        if self.organization_archived(user.organization_id.as_deref()).await? {
            return Ok(None);
        }
        Ok(Some(ActiveSession {
            user: UserInfo::from(&user),
            csrf_token: session.csrf_token,
            expires_at_ms: session.expires_at_ms,
            session_key: key,
        }))
    }

    /// Ends the session behind a cookie's secret (nothing when there is none).
    pub async fn sign_out(&self, secret: &str) -> Result<(), AccountError> {
        self.store().delete_session(&hash_token(secret)).await?;
        Ok(())
    }

    /// Changes a password, proven by the current one (with the same back-off
    /// as signing in). Every other session of the user ends; `keep_session`
    /// (the stored key of the session that asked) stays signed in.
    pub async fn change_password(
        &self,
        login: &str,
        current_password: &str,
        new_password: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AccountError> {
        let login = password::normalize_login(login);
        let mut v = Violations::new();
        password::check_password(&mut v, "new_password", new_password, &login);
        if new_password == current_password {
            v.add("new_password", "must differ from the current password");
        }
        v.into_result(())?;
        let user = self.verify_password(&login, current_password).await?;
        let hash = password::hash(new_password.to_owned()).await?;
        if !self.store().set_password(&user.id, &hash).await? {
            return Err(AccountError::NotFound(format!("user {login}")));
        }
        self.store().delete_user_sessions(&user.id, keep_session).await?;
        tracing::info!(user_id = %user.id, "password changed");
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, AccountError> {
        Ok(self.store().delete_expired_sessions(now_ms()).await?)
    }

    async fn organization_archived(&self, organization_id: Option<&str>) -> Result<bool, AccountError> {
        let Some(id) = organization_id else { return Ok(false) };
        Ok(match self.store().get(RecordKind::Organization, id).await? {
            Some(Record::Organization(org)) => org.meta.status() == RecordStatus::Archived,
            _ => true,
        })
    }
}

fn display_name_or_login(display_name: &str, login: &str) -> String {
    let trimmed = display_name.trim();
    if trimmed.is_empty() { login.to_owned() } else { trimmed.to_owned() }
}

fn retry_after_secs(millis: i64) -> u64 {
    u64::try_from(millis.max(0)).unwrap_or(0).div_ceil(1000).max(1)
}

fn taken(error: StoreError, login: &str) -> AccountError {
    match error {
        StoreError::AlreadyExists => AccountError::LoginTaken(login.to_owned()),
        other => AccountError::Storage(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_grows_with_each_failure_past_the_free_ones_and_stops_at_the_cap() {
        let policy = AccountPolicy::default();
        assert_eq!(policy.lock_after(4), Duration::ZERO);
        assert_eq!(policy.lock_after(5), Duration::from_secs(30));
        assert_eq!(policy.lock_after(6), Duration::from_secs(60));
        assert_eq!(policy.lock_after(7), Duration::from_secs(120));
        assert_eq!(policy.lock_after(40), Duration::from_secs(15 * 60));
    }
}
