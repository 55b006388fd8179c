//! The lookup's one error type and its exhaustive mapping to gRPC statuses.

use innomatch_catalog::{CatalogError, interest::error::InterestError, policy::PolicyError};
use innomatch_core::{status::invalid_argument, validation::Violations};
use innomatch_leads::{error::LeadsError, notifications::error::NotificationError};
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Interests(#[from] InterestError),
    #[error(transparent)]
    Leads(#[from] LeadsError),
    #[error(transparent)]
    Notifications(#[from] NotificationError),
    #[error(transparent)]
    Policies(#[from] PolicyError),
}

impl From<Violations> for LookupError {
    fn from(v: Violations) -> Self {
        LookupError::Invalid(v)
    }
}

impl From<LookupError> for Status {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Invalid(violations) => invalid_argument(&violations),
            LookupError::NotFound(message) => Status::not_found(message),
            LookupError::PermissionDenied(message) => Status::permission_denied(message),
            LookupError::Catalog(inner) => inner.into(),
            LookupError::Interests(inner) => inner.into(),
            LookupError::Leads(inner) => inner.into(),
            LookupError::Notifications(inner) => inner.into(),
            LookupError::Policies(inner) => inner.into(),
        }
    }
}
