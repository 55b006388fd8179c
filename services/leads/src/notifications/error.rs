//! The notification service's one error type and its exhaustive mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::{delivery::DeliveryError, store::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Missing, or another organization's: the two must look the same.
    #[error("notification {0} not found")]
    NotFound(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("the notification store failed: {0}")]
    Storage(StoreError),
    #[error("notification delivery failed: {0}")]
    Delivery(DeliveryError),
    #[error("the notification service is shutting down")]
    ShuttingDown,
}

impl From<Violations> for NotificationError {
    fn from(v: Violations) -> Self {
        NotificationError::Invalid(v)
    }
}

impl From<StoreError> for NotificationError {
    fn from(e: StoreError) -> Self {
        NotificationError::Storage(e)
    }
}

impl From<DeliveryError> for NotificationError {
    fn from(e: DeliveryError) -> Self {
        NotificationError::Delivery(e)
    }
}

impl From<NotificationError> for Status {
    fn from(error: NotificationError) -> Self {
        match &error {
            NotificationError::Invalid(violations) => invalid_argument(violations),
            NotificationError::NotFound(_) => Status::not_found(error.to_string()),
            NotificationError::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            NotificationError::Storage(StoreError::VersionConflict { .. }) => {
                Status::aborted("the notification was changed concurrently; retry")
            }
            NotificationError::Storage(inner) => {
                tracing::error!(error = %inner, "notification storage failed");
                Status::internal("storage failed; the error was logged")
            }
            NotificationError::Delivery(inner) => Status::unavailable(inner.to_string()),
            NotificationError::ShuttingDown => Status::unavailable(error.to_string()),
        }
    }
}
