//! Schema migrations of the embedded SQLite stores (the catalog's records and
//! the leads outbox), in one place, with `rusqlite_migration`: migrations are
//! append-only SQL, `PRAGMA user_version` counts the applied ones (the
//! counter these stores have always kept, so existing data directories
//! migrate on), and a database from a newer binary is refused rather than
//! guessed at. A PostgreSQL store keeps its own migrations beside its code.

use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

/// Brings `conn` to the newest of `migrations`; `what` names the database in errors.
pub fn migrate(conn: &mut Connection, what: &str, migrations: &'static [&'static str]) -> Result<(), String> {
    let schema = Migrations::new(migrations.iter().map(|sql| M::up(sql)).collect());
    schema.to_latest(conn).map_err(|error| match error {
        rusqlite_migration::Error::MigrationDefinition(MigrationDefinitionError::DatabaseTooFarAhead) => {
            let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap_or(-1);
            format!("the {what} has schema version {applied}, newer than this binary knows ({})", migrations.len())
        }
        other => format!("migrating the {what}: {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[&str] = &["CREATE TABLE needs (title TEXT)", "ALTER TABLE needs ADD COLUMN region TEXT"];

    #[test]
    fn migrations_apply_once_and_a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        migrate(&mut conn, "test database", &TWO[..1]).expect("first migration");
        migrate(&mut conn, "test database", TWO).expect("second migration on top");
        migrate(&mut conn, "test database", TWO).expect("nothing left to apply");
        conn.execute("INSERT INTO needs (title, region) VALUES ('氢冶金', '440800')", []).expect("both columns");
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(version, 2);
        let refused = migrate(&mut conn, "test database", &TWO[..1]).expect_err("database is ahead");
        assert!(refused.contains("schema version 2, newer than this binary knows (1)"), "{refused}");
    }
}
