//! The command-line client: one file per command family, all sharing the
//! connection, bearer token and error printing of [`client`].
//!
//! | file | commands |
//! |---|---|
//! | `catalog.rs` | `admin …`, `need …`, `whoami`, `watch` |
//! | `records.rs` | `org …`, `capability …`, `offer …` |
//! | `labels.rs` | Chinese labels for codes in human output |
//! | `backup.rs` | `admin backup`, `admin restore` (local, on the data directory) |
//! | `search.rs` | `search`, `index rebuild` |
//! | `matcher.rs` | `match`, `match-capability`, `consortium`, `services` |
//! | `leads.rs` | `leads …` |
//! | `interest.rs` | `interest …` (expressions of interest, staged disclosure) |
//! | `notifications.rs` | `notifications watch\|list\|ack` |
//! | `policy.rs` | `policy …` (support policies, eligibility, pushes) |
//! | `transfer.rs` | `import`, `export` |
//! | `stats.rs` | `stats` (`--by district`, `--history`, `--xlsx`) |
//! | `lookup.rs` | `lookup` (the bureau's enterprise lookup) |

pub mod backup;
pub mod catalog;
pub mod client;
pub mod interest;
pub mod labels;
pub mod leads;
pub mod lookup;
pub mod matcher;
pub mod notifications;
pub mod policy;
pub mod records;
pub mod search;
pub mod stats;
pub mod transfer;

pub use client::ClientArgs;
