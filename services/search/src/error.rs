//! The search service's one error type and its mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::index::IndexError;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("the search task failed: {0}")]
    Task(String),
}

impl From<Violations> for SearchError {
    fn from(v: Violations) -> Self {
        SearchError::Invalid(v)
    }
}

impl From<SearchError> for Status {
    fn from(error: SearchError) -> Self {
        match &error {
            SearchError::Invalid(violations) => invalid_argument(violations),
            SearchError::Index(_) | SearchError::Task(_) => {
                tracing::error!(%error, "search failed");
                Status::internal("search failed; the error was logged")
            }
        }
    }
}
