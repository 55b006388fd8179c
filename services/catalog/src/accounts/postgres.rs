//! The people's accounts in the shared PostgreSQL store: users, invitations
//! and web sessions beside the records and tokens, for every replica alike.

use async_trait::async_trait;
use innomatch_core::{
    model::Role,
    postgres::{self, PgError, Row},
};

use super::store::{AccountStore, InvitationRecord, SessionRecord, UserRecord};
use crate::{postgres::PostgresStore, store::StoreError};

/// The accounts' tables, one migration appended to the catalog's list.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    login            TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    organization_id  TEXT,
    role             TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_by_organization ON users (organization_id, created_at_ms);
CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    code_hash        TEXT NOT NULL UNIQUE,
    organization_id  TEXT,
    role             TEXT NOT NULL,
    issued_by        TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    expires_at_ms    BIGINT NOT NULL,
    accepted_by      TEXT
);
CREATE TABLE web_sessions (
    id_hash          TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token       TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    expires_at_ms    BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
"#;

const USER_COLUMNS: &str =
    "id, login, display_name, password_hash, organization_id, role, created_at_ms, failed_logins, locked_until_ms";
const INVITATION_COLUMNS: &str =
    "id, code_hash, organization_id, role, issued_by, created_at_ms, expires_at_ms, accepted_by";

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn db(e: PgError) -> StoreError {
    StoreError::Backend(postgres::describe(&e))
}

/// A unique-key violation is the caller's "already exists", anything else a backend failure.
fn unique_or_db(e: PgError) -> StoreError {
    // 23505: unique_violation.
    if e.code().is_some_and(|state| state.code() == "23505") { StoreError::AlreadyExists } else { db(e) }
}

fn role(code: &str) -> Result<Role, StoreError> {
    Role::from_code(code).ok_or_else(|| backend(format!("unknown stored role {code:?}")))
}

fn user(row: &Row) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: row.get(0),
        login: row.get(1),
        display_name: row.get(2),
        password_hash: row.get(3),
        organization_id: row.get(4),
        role: role(row.get(5))?,
        created_at_ms: row.get(6),
        failed_logins: u32::try_from(row.get::<_, i32>(7)).unwrap_or(0),
        locked_until_ms: row.get(8),
    })
}

fn invitation(row: &Row) -> Result<InvitationRecord, StoreError> {
    Ok(InvitationRecord {
        id: row.get(0),
        code_hash: row.get(1),
        organization_id: row.get(2),
        role: role(row.get(3))?,
        issued_by: row.get(4),
        created_at_ms: row.get(5),
        expires_at_ms: row.get(6),
        accepted_by: row.get(7),
    })
}

const INSERT_USER: &str = "INSERT INTO users (id, login, display_name, password_hash, organization_id, role, created_at_ms, failed_logins, locked_until_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

fn failed_logins(user: &UserRecord) -> i32 {
    i32::try_from(user.failed_logins).unwrap_or(i32::MAX)
}

impl PostgresStore {
    async fn user_where(&self, column: &'static str, value: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1"), &[&value])
            .await
            .map_err(db)?;
        row.as_ref().map(user).transpose()
    }
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn insert_user(&self, user: UserRecord) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                INSERT_USER,
                &[
                    &user.id,
                    &user.login,
                    &user.display_name,
                    &user.password_hash,
                    &user.organization_id,
                    &user.role.code(),
                    &user.created_at_ms,
                    &failed_logins(&user),
                    &user.locked_until_ms,
                ],
            )
            .await
            .map_err(unique_or_db)?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>, StoreError> {
        self.user_where("login", login).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        self.user_where("id", id).await
    }

    async fn list_users(&self, organization_id: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE $1::text IS NULL OR organization_id = $1 ORDER BY created_at_ms, id"
                ),
                &[&organization_id],
            )
            .await
            .map_err(db)?;
        rows.iter().map(user).collect()
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<bool, StoreError> {
        let changed = self
            .client()
            .await?
            .execute("UPDATE users SET password_hash = $2 WHERE id = $1", &[&user_id, &password_hash])
            .await
            .map_err(db)?;
        Ok(changed > 0)
    }

    async fn note_failed_login(&self, user_id: &str) -> Result<u32, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
                &[&user_id],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| u32::try_from(r.get::<_, i32>(0)).unwrap_or(0)).unwrap_or_default())
    }

    async fn lock_user(&self, user_id: &str, until_ms: i64) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute("UPDATE users SET locked_until_ms = $2 WHERE id = $1", &[&user_id, &until_ms])
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn clear_failed_logins(&self, user_id: &str) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute("UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = $1", &[&user_id])
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_invitation(&self, invitation: InvitationRecord) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                &format!("INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
                &[
                    &invitation.id,
                    &invitation.code_hash,
                    &invitation.organization_id,
                    &invitation.role.code(),
                    &invitation.issued_by,
                    &invitation.created_at_ms,
                    &invitation.expires_at_ms,
                    &invitation.accepted_by,
                ],
            )
            .await
            .map_err(unique_or_db)?;
        Ok(())
    }

    async fn invitation_by_code_hash(&self, code_hash: &str) -> Result<Option<InvitationRecord>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE code_hash = $1"), &[&code_hash])
            .await
            .map_err(db)?;
        row.as_ref().map(invitation).transpose()
    }

    async fn accept_invitation(&self, code_hash: &str, user: UserRecord, now_ms: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // The conditional update takes the row lock: a second acceptance of
        // the same code waits, then finds it accepted.
        let taken = tx
            .execute(
                "UPDATE invitations SET accepted_by = $2
                 WHERE code_hash = $1 AND accepted_by IS NULL AND expires_at_ms > $3",
                &[&code_hash, &user.id, &now_ms],
            )
            .await
            .map_err(db)?;
        if taken == 0 {
            return Err(StoreError::NotFound);
        }
        tx.execute(
            INSERT_USER,
            &[
                &user.id,
                &user.login,
                &user.display_name,
                &user.password_hash,
                &user.organization_id,
                &user.role.code(),
                &user.created_at_ms,
                &failed_logins(&user),
                &user.locked_until_ms,
            ],
        )
        .await
        .map_err(unique_or_db)?;
        tx.commit().await.map_err(db)
    }

    async fn insert_session(&self, session: SessionRecord) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO web_sessions (id_hash, user_id, csrf_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
                &[&session.id_hash, &session.user_id, &session.csrf_token, &session.created_at_ms, &session.expires_at_ms],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT id_hash, user_id, csrf_token, created_at_ms, expires_at_ms FROM web_sessions WHERE id_hash = $1",
                &[&id_hash],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| SessionRecord {
            id_hash: r.get(0),
            user_id: r.get(1),
            csrf_token: r.get(2),
            created_at_ms: r.get(3),
            expires_at_ms: r.get(4),
        }))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.client().await?.execute("DELETE FROM web_sessions WHERE id_hash = $1", &[&id_hash]).await.map_err(db)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "DELETE FROM web_sessions WHERE user_id = $1 AND ($2::text IS NULL OR id_hash != $2)",
                &[&user_id, &keep],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.client().await?.execute("DELETE FROM web_sessions WHERE expires_at_ms <= $1", &[&now_ms]).await.map_err(db)
    }
}
