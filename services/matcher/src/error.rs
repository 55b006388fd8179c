//! The matcher's one error type; `grpc.rs` maps it to gRPC codes.

use innomatch_catalog::CatalogError;

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// Reading a record failed, or the caller may not see it (its own code).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The search index failed.
    #[error("index: {0}")]
    Index(#[from] innomatch_search::index::IndexError),
    /// A blocking matching task panicked or was cancelled.
    #[error("matching task failed: {0}")]
    Task(String),
}
