//! The leads service's one error type and its exhaustive mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::{delivery::DeliveryError, lifecycle::TransitionError, store::StoreError};

/// Everything that can go wrong in the leads service.
#[derive(Debug, thiserror::Error)]
pub enum LeadsError {
    /// Bad input, field by field.
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Missing, or another agency's: the two must look the same.
    #[error("lead {0} not found")]
    NotFound(String),
    /// The token may not use leads (not an agency).
    #[error("{0}")]
    PermissionDenied(String),
    /// The lead's status does not allow the move (an illegal transition).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The store failed (or kept conflicting after retries).
    #[error("the lead store failed: {0}")]
    Storage(StoreError),
    /// The delivery backend failed.
    #[error("lead delivery failed: {0}")]
    Delivery(DeliveryError),
    /// Writing a CSV or XLSX file failed.
    #[error("writing the export failed: {0}")]
    Export(String),
    /// The service is shutting down.
    #[error("the leads service is shutting down")]
    ShuttingDown,
}

impl From<Violations> for LeadsError {
    fn from(v: Violations) -> Self {
        LeadsError::Invalid(v)
    }
}

impl From<StoreError> for LeadsError {
    fn from(e: StoreError) -> Self {
        LeadsError::Storage(e)
    }
}

impl From<DeliveryError> for LeadsError {
    fn from(e: DeliveryError) -> Self {
        LeadsError::Delivery(e)
    }
}

impl From<TransitionError> for LeadsError {
    fn from(e: TransitionError) -> Self {
        LeadsError::FailedPrecondition(e.to_string())
    }
}

impl From<LeadsError> for Status {
    fn from(error: LeadsError) -> Self {
        match &error {
            LeadsError::Invalid(violations) => invalid_argument(violations),
            LeadsError::NotFound(_) => Status::not_found(error.to_string()),
            LeadsError::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            LeadsError::FailedPrecondition(_) => Status::failed_precondition(error.to_string()),
            LeadsError::Storage(StoreError::VersionConflict { .. }) => {
                Status::aborted("the lead was changed concurrently; read it again and retry")
            }
            LeadsError::Storage(inner) => {
                tracing::error!(error = %inner, "lead storage failed");
                Status::internal("storage failed; the error was logged")
            }
            LeadsError::Delivery(inner) => Status::unavailable(inner.to_string()),
            LeadsError::Export(inner) => {
                tracing::error!(error = %inner, "lead export failed");
                Status::internal("the export could not be written; the error was logged")
            }
            LeadsError::ShuttingDown => Status::unavailable(error.to_string()),
        }
    }
}
