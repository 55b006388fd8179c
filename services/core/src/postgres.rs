//! PostgreSQL plumbing shared by the stores that can live there (the
//! catalog's records, the leads): a connection pool whose every connection
//! carries statement and idle-transaction timeouts, numbered migrations
//! recorded per component in a `schema_version` table, and a throwaway
//! schema for tests.
//!
//! Migrations are append-only SQL, like the SQLite ones; they run in one
//! transaction under a database-wide advisory lock, so replicas starting at
//! once apply each step exactly once, and a database migrated by a newer
//! binary is refused rather than guessed at.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::config::DatabaseSettings;

pub use deadpool_postgres::{Object as PooledClient, Pool as PgPool, Transaction as PgTransaction};
pub use tokio_postgres::{Config as PgConfig, Error as PgError, IsolationLevel, Row, types::ToSql};

/// Key of the advisory lock migrations run under ("innomatc" in ASCII).
const MIGRATION_LOCK: i64 = 0x696e_6e6f_6d61_7463;

/// Where the tests' throwaway schemas are created, unless
/// `INNOMATCH_TEST_DATABASE_URL` says otherwise.
pub const TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// An error with the server's message and SQLSTATE (the client's own
/// `Display` of a server error says only "db error").
pub fn describe(error: &PgError) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code()),
        None => error.to_string(),
    }
}

/// True for a name usable unquoted as a schema: lowercase ASCII letters,
/// digits and `_`, not starting with a digit, at most 63 bytes.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 63
}

/// The connection settings for `url`: the URL's own `options` are kept and
/// the timeouts (and `search_path`, when `schema` is given) are added, so
/// every pooled connection starts with them.
pub fn connection_config(
    url: &str,
    schema: Option<&str>,
    settings: &DatabaseSettings,
) -> Result<tokio_postgres::Config, String> {
    // The URL may carry a password: never echo it in the error.
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|e| format!("the database URL is not a valid PostgreSQL URL: {e}"))?;
    let mut options = config.get_options().unwrap_or_default().to_owned();
    options.push_str(&format!(
        " -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
        settings.statement_timeout_ms, settings.idle_in_transaction_timeout_ms
    ));
    if let Some(schema) = schema {
        if !is_plain_identifier(schema) {
            return Err(format!("schema name {schema:?} must be lowercase letters, digits and _"));
        }
        options.push_str(&format!(" -c search_path={schema}"));
    }
    config.options(options.trim_start());
    if config.get_application_name().is_none() {
        config.application_name("innomatch");
    }
    config.connect_timeout(Duration::from_millis(settings.connect_timeout_ms));
    Ok(config)
}

/// A pool of connections to `url` (optionally confined to `schema`), checked
/// by taking one connection: a wrong URL fails here, at start, not on the
/// first request.
pub async fn connect(url: &str, schema: Option<&str>, settings: &DatabaseSettings) -> Result<Pool, String> {
    let config = connection_config(url, schema, settings)?;
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let connect_timeout = Duration::from_millis(settings.connect_timeout_ms);
    let pool = Pool::builder(manager)
        .max_size(settings.max_connections.max(1))
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(connect_timeout))
        // A request waiting longer than a statement may run would fail anyway.
        .wait_timeout(Some(Duration::from_millis(settings.statement_timeout_ms.max(1))))
        .recycle_timeout(Some(connect_timeout))
        .build()
        .map_err(|e| format!("building the database pool: {e}"))?;
    drop(pool.get().await.map_err(|e| format!("connecting to the database: {e}"))?);
    Ok(pool)
}

/// Brings `component`'s tables to the newest of `migrations`.
pub async fn migrate(pool: &Pool, component: &str, migrations: &[&str]) -> Result<(), String> {
    let fail = |step: &str, e: PgError| format!("migrating the {component} database ({step}): {}", describe(&e));
    let mut client = pool.get().await.map_err(|e| format!("connecting to the database: {e}"))?;
    let tx = client.transaction().await.map_err(|e| fail("begin", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(|e| fail("lock", e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    )
    .await
    .map_err(|e| fail("schema_version", e))?;
    let applied: i32 = tx
        .query_opt("SELECT version FROM schema_version WHERE component = $1", &[&component])
        .await
        .map_err(|e| fail("read version", e))?
        .map_or(0, |row| row.get(0));
    let known = migrations.len();
    let applied_steps = usize::try_from(applied).map_err(|_| format!("negative schema version {applied}"))?;
    if applied_steps > known {
        // Release the migration lock now, not whenever the connection is next used.
        tx.rollback().await.map_err(|e| fail("rollback", e))?;
        return Err(format!(
            "the {component} database has schema version {applied}, newer than this binary knows ({known})"
        ));
    }
    for (step, sql) in migrations.iter().enumerate().skip(applied_steps) {
        tx.batch_execute(sql).await.map_err(|e| fail(&format!("step {}", step + 1), e))?;
    }
    if applied_steps < known {
        let version = i32::try_from(known).map_err(|_| "too many migrations".to_owned())?;
        tx.execute(
            "INSERT INTO schema_version (component, version) VALUES ($1, $2)
             ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
            &[&component, &version],
        )
        .await
        .map_err(|e| fail("record version", e))?;
    }
    tx.commit().await.map_err(|e| fail("commit", e))
}

/// Opens a connection of its own (outside any pool) that `LISTEN`s on
/// `channel`; returns it with the payloads of the notifications it receives.
/// The receiver ends when the connection does.
pub async fn listen(
    config: &tokio_postgres::Config,
    channel: &str,
) -> Result<(tokio_postgres::Client, tokio::sync::mpsc::UnboundedReceiver<String>), String> {
    if !is_plain_identifier(channel) {
        return Err(format!("channel name {channel:?} must be lowercase letters, digits and _"));
    }
    let (client, mut connection) =
        config.connect(NoTls).await.map_err(|e| format!("connecting to listen: {}", describe(&e)))?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection must be polled for the client's queries to complete and
    // for notifications to arrive; it ends when the client is dropped.
    tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {channel}"))
        .await
        .map_err(|e| format!("LISTEN {channel}: {}", describe(&e)))?;
    Ok((client, rx))
}

/// `host:port/database` of a URL, for messages (a URL may carry a password).
fn server_of(url: &str) -> String {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else { return "an unparsable URL".to_owned() };
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or_default())
}

/// A schema of its own for one test, dropped with everything in it when
/// this value is dropped (also when the test panicked).
///
/// With `CI=true` an unreachable server fails the test; elsewhere
/// [`TestSchema::create`] prints that the test is skipped and returns `None`.
#[derive(Debug)]
pub struct TestSchema {
    /// The test database, with [`TestSchema::name`] as the application name.
    pub url: String,
    /// `test_<random>`: pass it as the schema, or put it in the `search_path`.
    pub name: String,
}

impl TestSchema {
    /// Creates `test_<random>` in the test database. [`TestSchema::url`]
    /// names the schema as the application name of every connection made
    /// with it, so dropping the schema can end the test's connections first.
    pub async fn create() -> Option<TestSchema> {
        let base = std::env::var("INNOMATCH_TEST_DATABASE_URL").unwrap_or_else(|_| TEST_DATABASE_URL.to_owned());
        let name = format!("test_{}", uuid::Uuid::now_v7().simple());
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}application_name={name}");
        let create = async {
            let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
            let driver = tokio::spawn(connection);
            let created = client.batch_execute(&format!("CREATE SCHEMA {name}")).await;
            drop(client);
            let _ = driver.await;
            created
        };
        match tokio::time::timeout(Duration::from_secs(5), create).await {
            Ok(Ok(())) => Some(TestSchema { url, name }),
            outcome => {
                let why = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    _ => "no answer within 5 s".to_owned(),
                };
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but postgresql at {} is unusable: {why}",
                    server_of(&base)
                );
                println!("skipped: postgresql not reachable at {} ({why})", server_of(&base));
                None
            }
        }
    }

    /// Settings for test pools: small, with short timeouts.
    pub fn settings() -> DatabaseSettings {
        DatabaseSettings { max_connections: 8, ..DatabaseSettings::default() }
    }

    /// A pool confined to this schema.
    pub async fn pool(&self) -> Pool {
        match connect(&self.url, Some(&self.name), &Self::settings()).await {
            Ok(pool) => pool,
            Err(e) => panic!("connecting to the test schema {}: {e}", self.name),
        }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop may run inside a runtime (the test's): do the async work on a
        // thread of its own with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async {
                let Ok((client, connection)) = tokio_postgres::connect(&url, NoTls).await else { return };
                let driver = tokio::spawn(connection);
                // A connection the test left inside a transaction (its runtime
                // is blocked right here) would hold locks the drop waits for.
                let _ = client
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                        &[&name],
                    )
                    .await;
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await;
                drop(client);
                let _ = driver.await;
            });
        });
        let _ = dropped.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers_only() {
        assert!(is_plain_identifier("test_0190abcdef"));
        assert!(is_plain_identifier("innomatch"));
        for bad in ["", "1abc", "Test", "a;DROP", "a b", "模式", &"x".repeat(64)] {
            assert!(!is_plain_identifier(bad), "{bad:?}");
        }
    }

    #[test]
    fn timeouts_and_schema_are_added_to_the_urls_own_options() {
        let settings = DatabaseSettings::default();
        let config = connection_config(
            "postgres://innomatch:secret@db.internal:5432/innomatch?options=-c%20work_mem%3D8MB",
            Some("innomatch"),
            &settings,
        )
        .expect("valid url");
        let options = config.get_options().expect("options");
        assert!(options.starts_with("-c work_mem=8MB "), "{options}");
        assert!(options.contains(&format!("statement_timeout={}", settings.statement_timeout_ms)), "{options}");
        assert!(options.ends_with("-c search_path=innomatch"), "{options}");
        let refused = connection_config("postgres://db/innomatch", Some("x; DROP TABLE records"), &settings);
        assert!(refused.is_err());
        let unparsable =
            connection_config("postgres://innomatch:hunter2@db:notaport/x", None, &settings).expect_err("bad port");
        assert!(!unparsable.contains("hunter2"), "{unparsable}");
    }

    #[tokio::test]
    async fn migrations_apply_once_per_component_and_a_newer_database_is_refused() {
        let Some(schema) = TestSchema::create().await else { return };
        let pool = schema.pool().await;
        let two = ["CREATE TABLE needs (title TEXT)", "ALTER TABLE needs ADD COLUMN region TEXT"];
        migrate(&pool, "catalog", &two[..1]).await.expect("first step");
        migrate(&pool, "catalog", &two).await.expect("second step on top");
        migrate(&pool, "catalog", &two).await.expect("nothing left to apply");
        migrate(&pool, "leads", &["CREATE TABLE leads (id TEXT)"]).await.expect("another component");
        let client = pool.get().await.expect("client");
        let timeout: String = client.query_one("SHOW statement_timeout", &[]).await.expect("show").get(0);
        assert_eq!(timeout, "5s", "every pooled connection carries the statement timeout");
        client
            .execute("INSERT INTO needs (title, region) VALUES ('氢冶金', '440800')", &[])
            .await
            .expect("both columns");
        let refused = migrate(&pool, "catalog", &two[..1]).await.expect_err("database is ahead");
        assert!(refused.contains("schema version 2, newer than this binary knows (1)"), "{refused}");
    }
}
