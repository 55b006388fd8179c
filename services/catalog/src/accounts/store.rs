//! The account store contract: people's logins, the invitations an admin
//! issues and the browser sessions of the web console. Implemented by the
//! record stores (SQLite and PostgreSQL) beside their records and tokens.

use async_trait::async_trait;
use innomatch_core::model::Role;

use crate::store::StoreError;

/// A person who signs in with a login name and a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    /// Unique, lowercase.
    pub login: String,
    pub display_name: String,
    /// The argon2id hash in PHC string form (salt and parameters included).
    pub password_hash: String,
    /// The organization the user acts for; `None` only for admins.
    pub organization_id: Option<String>,
    pub role: Role,
    pub created_at_ms: i64,
    /// Failed sign-ins since the last successful one.
    pub failed_logins: u32,
    /// Sign-ins are refused until then (milliseconds since the epoch; 0: not locked).
    pub locked_until_ms: i64,
}

/// A single-use, expiring invitation to create a user bound to an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: String,
    /// SHA-256 of the code in the link; the code itself is never stored.
    pub code_hash: String,
    pub organization_id: Option<String>,
    pub role: Role,
    /// Who issued it (a token id or a user id).
    pub issued_by: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// Set when accepted: the invitation then acts no more.
    pub accepted_by: Option<String>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie's session id; the id itself is never stored.
    pub id_hash: String,
    pub user_id: String,
    /// The per-session token every form must send back.
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Stores a new user; [`StoreError::AlreadyExists`] when the login is taken.
    async fn insert_user(&self, user: UserRecord) -> Result<(), StoreError>;

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>, StoreError>;

    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError>;

    /// All users, or those of one organization, oldest first.
    async fn list_users(&self, organization_id: Option<&str>) -> Result<Vec<UserRecord>, StoreError>;

    /// Replaces the password hash; false when no such user exists.
    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<bool, StoreError>;

    /// Counts one more failed sign-in and returns the new count (0: no such user).
    async fn note_failed_login(&self, user_id: &str) -> Result<u32, StoreError>;

    /// Refuses sign-ins until `until_ms`.
    async fn lock_user(&self, user_id: &str, until_ms: i64) -> Result<(), StoreError>;

    /// A successful sign-in: the failure count and the lock are cleared.
    async fn clear_failed_logins(&self, user_id: &str) -> Result<(), StoreError>;

    async fn insert_invitation(&self, invitation: InvitationRecord) -> Result<(), StoreError>;

    async fn invitation_by_code_hash(&self, code_hash: &str) -> Result<Option<InvitationRecord>, StoreError>;

    /// In one transaction: marks the invitation accepted by `user` and stores
    /// the user. [`StoreError::NotFound`] when the invitation is unknown,
    /// already accepted or expired at `now_ms` (nothing is written);
    /// [`StoreError::AlreadyExists`] when the login is taken (the invitation
    /// stays open).
    async fn accept_invitation(&self, code_hash: &str, user: UserRecord, now_ms: i64) -> Result<(), StoreError>;

    async fn insert_session(&self, session: SessionRecord) -> Result<(), StoreError>;

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Ends every session of a user but `keep` (the one that changed the password).
    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), StoreError>;

    /// Removes sessions that expired before `now_ms`; returns how many.
    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError>;
}
