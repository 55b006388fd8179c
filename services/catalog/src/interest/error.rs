//! The interests' one error type and its exhaustive mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::{CatalogError, store::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum InterestError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Missing, or hidden from the caller: the two must look the same.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{what} was changed by someone else: you sent version {expected}, it is at version {actual}")]
    VersionConflict { what: String, expected: i64, actual: i64 },
    #[error("storage failed: {0}")]
    Storage(StoreError),
}

impl From<Violations> for InterestError {
    fn from(v: Violations) -> Self {
        InterestError::Invalid(v)
    }
}

impl From<StoreError> for InterestError {
    fn from(e: StoreError) -> Self {
        InterestError::Storage(e)
    }
}

/// Reading the need is the catalog's (visibility, ownership).
impl From<CatalogError> for InterestError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(v) => InterestError::Invalid(v),
            CatalogError::NotFound(what) => InterestError::NotFound(what),
            CatalogError::PermissionDenied(why) => InterestError::PermissionDenied(why),
            CatalogError::FailedPrecondition(why) => InterestError::FailedPrecondition(why),
            CatalogError::AlreadyExists(why) => InterestError::AlreadyExists(why),
            CatalogError::VersionConflict { what, expected, actual } => {
                InterestError::VersionConflict { what, expected, actual }
            }
            CatalogError::Storage(e) => InterestError::Storage(e),
            CatalogError::Unavailable(why) => InterestError::Storage(crate::store::StoreError::Backend(why)),
        }
    }
}

impl From<InterestError> for Status {
    fn from(error: InterestError) -> Self {
        match &error {
            InterestError::Invalid(violations) => invalid_argument(violations),
            InterestError::NotFound(_) => Status::not_found(error.to_string()),
            InterestError::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            InterestError::FailedPrecondition(_) => Status::failed_precondition(error.to_string()),
            InterestError::AlreadyExists(_) => Status::already_exists(error.to_string()),
            InterestError::VersionConflict { .. } => Status::aborted(error.to_string()),
            InterestError::Storage(inner) => {
                tracing::error!(error = %inner, "interest storage failed");
                Status::internal("storage failed; the error was logged")
            }
        }
    }
}
