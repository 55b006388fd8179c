//! The catalog's one error type and its exhaustive mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Missing, or not visible to the caller: the two must look the same.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{what} was changed by someone else: you sent version {expected}, it is at version {actual}")]
    VersionConflict { what: String, expected: i64, actual: i64 },
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    FailedPrecondition(String),
    /// Another record already holds what must be unique (or, unless the
    /// caller insists, what should be).
    #[error("{0}")]
    AlreadyExists(String),
    #[error("storage failed: {0}")]
    Storage(StoreError),
    /// The catalog a replica follows did not answer (see `remote`).
    #[error("the catalog is unavailable: {0}")]
    Unavailable(String),
}

impl From<Violations> for CatalogError {
    fn from(v: Violations) -> Self {
        CatalogError::Invalid(v)
    }
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { key, existing_id } => CatalogError::AlreadyExists(match key.split_once(':') {
                Some(("credit_code", code)) => {
                    format!("the credit code {code} is already registered: organization {existing_id}")
                }
                _ => format!("{existing_id} already holds {key}"),
            }),
            other => CatalogError::Storage(other),
        }
    }
}

impl From<CatalogError> for Status {
    fn from(error: CatalogError) -> Self {
        match &error {
            CatalogError::Invalid(violations) => invalid_argument(violations),
            CatalogError::NotFound(_) => Status::not_found(error.to_string()),
            CatalogError::VersionConflict { .. } => Status::aborted(error.to_string()),
            CatalogError::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            CatalogError::FailedPrecondition(_) => Status::failed_precondition(error.to_string()),
            CatalogError::AlreadyExists(_) => Status::already_exists(error.to_string()),
            CatalogError::Storage(inner) => {
                tracing::error!(error = %inner, "catalog storage failed");
                Status::internal("storage failed; the error was logged")
            }
            CatalogError::Unavailable(_) => Status::unavailable(error.to_string()),
        }
    }
}
