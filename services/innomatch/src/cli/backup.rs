//! `innomatch admin backup` and `innomatch admin restore`: consistent copies
//! of the embedded stores through SQLite's online backup API, taken while the
//! server keeps writing, and brought back into a fresh data directory whose
//! search index the server then rebuilds from the restored change feed.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;
use rusqlite::{
    Connection, OpenFlags,
    backup::{Backup, StepResult},
};

/// The store files of a data directory; everything else in it (the index,
/// the matcher's checkpoint) is derived from them.
pub const STORE_FILES: &[&str] = &["catalog.sqlite3", "leads.sqlite3"];

/// Copies `source` into a new database at `target` in one step: one read
/// transaction, so the copy is the database as of one commit.
fn copy_database(source: &Path, target: &Path) -> anyhow::Result<()> {
    let from = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("opening {}", source.display()))?;
    // Writers hold the lock only briefly (WAL): wait for them rather than fail.
    from.busy_timeout(Duration::from_secs(10))?;
    let mut to = Connection::open(target).with_context(|| format!("creating {}", target.display()))?;
    let backup = Backup::new(&from, &mut to)?;
    loop {
        // -1: every page in one step, inside one read transaction.
        match backup.step(-1).with_context(|| format!("copying {}", source.display()))? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => std::thread::sleep(Duration::from_millis(10)),
            other => anyhow::bail!("copying {}: {other:?}", source.display()),
        }
    }
}

/// Backs up the stores of `data_dir` into the directory `out` (created; it
/// must not hold a backup already). Returns the files written.
pub fn backup(data_dir: &Path, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for name in STORE_FILES {
        let source = data_dir.join(name);
        if !source.exists() {
            continue;
        }
        let target = out.join(name);
        anyhow::ensure!(!target.exists(), "{} exists already: back up into an empty directory", target.display());
        copy_database(&source, &target)?;
        written.push(target);
    }
    anyhow::ensure!(!written.is_empty(), "{} holds no store to back up", data_dir.display());
    Ok(written)
}

/// Restores the backup in `from` into `data_dir`, which must hold no store
/// (stop the server and move the old directory away first). The search
/// index and the matcher's checkpoint are not restored: the server rebuilds
/// them from the change feed when it starts.
pub fn restore(from: &Path, data_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    for name in STORE_FILES {
        let existing = data_dir.join(name);
        anyhow::ensure!(!existing.exists(), "{} exists: restore into an empty data directory", existing.display());
    }
    let mut written = Vec::new();
    for name in STORE_FILES {
        let source = from.join(name);
        if source.exists() {
            let target = data_dir.join(name);
            copy_database(&source, &target)?;
            written.push(target);
        }
    }
    anyhow::ensure!(!written.is_empty(), "{} holds no backup", from.display());
    Ok(written)
}
