//! The people's accounts in the embedded SQLite store: users, invitations
//! and web sessions, in the catalog database beside records and tokens.

use async_trait::async_trait;
use innomatch_core::model::Role;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::store::{AccountStore, InvitationRecord, SessionRecord, UserRecord};
use crate::{sqlite::SqliteStore, store::StoreError};

/// The accounts' tables, one migration appended to the catalog's list.
pub(crate) const MIGRATION: &str = r#"
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    login            TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    organization_id  TEXT,
    role             TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_by_organization ON users (organization_id, created_at_ms);
CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    code_hash        TEXT NOT NULL UNIQUE,
    organization_id  TEXT,
    role             TEXT NOT NULL,
    issued_by        TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    accepted_by      TEXT
);
CREATE TABLE web_sessions (
    id_hash          TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token       TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL
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

fn role(code: &str) -> Result<Role, StoreError> {
    Role::from_code(code).ok_or_else(|| backend(format!("unknown stored role {code:?}")))
}

/// A row of [`USER_COLUMNS`], the role still a code.
fn user_row(r: &Row<'_>) -> rusqlite::Result<(UserRecord, String)> {
    Ok((
        UserRecord {
            id: r.get(0)?,
            login: r.get(1)?,
            display_name: r.get(2)?,
            password_hash: r.get(3)?,
            organization_id: r.get(4)?,
            role: Role::Member,
            created_at_ms: r.get(6)?,
            failed_logins: r.get(7)?,
            locked_until_ms: r.get(8)?,
        },
        r.get(5)?,
    ))
}

fn with_role((mut user, code): (UserRecord, String)) -> Result<UserRecord, StoreError> {
    user.role = role(&code)?;
    Ok(user)
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn insert_user_row(conn: &rusqlite::Connection, user: &UserRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            user.id,
            user.login,
            user.display_name,
            user.password_hash,
            user.organization_id,
            user.role.code(),
            user.created_at_ms,
            user.failed_logins,
            user.locked_until_ms
        ],
    )
    .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { backend(e) })?;
    Ok(())
}

impl SqliteStore {
    async fn user_where(&self, column: &'static str, value: String) -> Result<Option<UserRecord>, StoreError> {
        self.with_conn(move |conn| {
            conn.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1"), [value], user_row)
                .optional()
                .map_err(backend)?
                .map(with_role)
                .transpose()
        })
        .await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn insert_user(&self, user: UserRecord) -> Result<(), StoreError> {
        self.with_conn(move |conn| insert_user_row(conn, &user)).await
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>, StoreError> {
        self.user_where("login", login.to_owned()).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        self.user_where("id", id.to_owned()).await
    }

    async fn list_users(&self, organization_id: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        let organization_id = organization_id.map(str::to_owned);
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE ?1 IS NULL OR organization_id = ?1 ORDER BY created_at_ms, id"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([organization_id], user_row).map_err(backend)?;
            let users: Result<Vec<UserRecord>, StoreError> = rows.map(|row| with_role(row.map_err(backend)?)).collect();
            users
        })
        .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<bool, StoreError> {
        let (user_id, password_hash) = (user_id.to_owned(), password_hash.to_owned());
        self.with_conn(move |conn| {
            let changed = conn
                .execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user_id, password_hash])
                .map_err(backend)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn note_failed_login(&self, user_id: &str) -> Result<u32, StoreError> {
        let user_id = user_id.to_owned();
        self.with_conn(move |conn| {
            conn.query_row(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?1 RETURNING failed_logins",
                [user_id],
                |r| r.get::<_, u32>(0),
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(backend)
        })
        .await
    }

    async fn lock_user(&self, user_id: &str, until_ms: i64) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.with_conn(move |conn| {
            conn.execute("UPDATE users SET locked_until_ms = ?2 WHERE id = ?1", params![user_id, until_ms])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn clear_failed_logins(&self, user_id: &str) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.with_conn(move |conn| {
            conn.execute("UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = ?1", [user_id])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn insert_invitation(&self, invitation: InvitationRecord) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            conn.execute(
                &format!("INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    invitation.id,
                    invitation.code_hash,
                    invitation.organization_id,
                    invitation.role.code(),
                    invitation.issued_by,
                    invitation.created_at_ms,
                    invitation.expires_at_ms,
                    invitation.accepted_by
                ],
            )
            .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { backend(e) })?;
            Ok(())
        })
        .await
    }

    async fn invitation_by_code_hash(&self, code_hash: &str) -> Result<Option<InvitationRecord>, StoreError> {
        let code_hash = code_hash.to_owned();
        self.with_conn(move |conn| {
            let row = conn
                .query_row(
                    &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE code_hash = ?1"),
                    [code_hash],
                    |r| {
                        Ok((
                            InvitationRecord {
                                id: r.get(0)?,
                                code_hash: r.get(1)?,
                                organization_id: r.get(2)?,
                                role: Role::Member,
                                issued_by: r.get(4)?,
                                created_at_ms: r.get(5)?,
                                expires_at_ms: r.get(6)?,
                                accepted_by: r.get(7)?,
                            },
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(backend)?;
            row.map(|(mut invitation, code)| {
                invitation.role = role(&code)?;
                Ok(invitation)
            })
            .transpose()
        })
        .await
    }

    async fn accept_invitation(&self, code_hash: &str, user: UserRecord, now_ms: i64) -> Result<(), StoreError> {
        let code_hash = code_hash.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            let taken = tx
                .execute(
                    "UPDATE invitations SET accepted_by = ?2
                     WHERE code_hash = ?1 AND accepted_by IS NULL AND expires_at_ms > ?3",
                    params![code_hash, user.id, now_ms],
                )
                .map_err(backend)?;
            if taken == 0 {
                return Err(StoreError::NotFound);
            }
            // Dropping the transaction on a taken login rolls the acceptance back.
            insert_user_row(&tx, &user)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn insert_session(&self, session: SessionRecord) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO web_sessions (id_hash, user_id, csrf_token, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![session.id_hash, session.user_id, session.csrf_token, session.created_at_ms, session.expires_at_ms],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.with_conn(move |conn| {
            conn.query_row(
                "SELECT id_hash, user_id, csrf_token, created_at_ms, expires_at_ms FROM web_sessions WHERE id_hash = ?1",
                [id_hash],
                |r| {
                    Ok(SessionRecord {
                        id_hash: r.get(0)?,
                        user_id: r.get(1)?,
                        csrf_token: r.get(2)?,
                        created_at_ms: r.get(3)?,
                        expires_at_ms: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM web_sessions WHERE id_hash = ?1", [id_hash]).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), StoreError> {
        let (user_id, keep) = (user_id.to_owned(), keep.map(str::to_owned));
        self.with_conn(move |conn| {
            conn.execute(
                "DELETE FROM web_sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash != ?2)",
                params![user_id, keep],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.with_conn(move |conn| {
            let removed =
                conn.execute("DELETE FROM web_sessions WHERE expires_at_ms <= ?1", [now_ms]).map_err(backend)?;
            Ok(removed as u64)
        })
        .await
    }
}
