//! The policy service's one error type and its exhaustive mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::CatalogError;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Missing, or not visible to the caller: the two look the same.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    PermissionDenied(String),
    /// What the catalog refused when the policy record was read or written.
    #[error(transparent)]
    Catalog(CatalogError),
}

impl From<Violations> for PolicyError {
    fn from(v: Violations) -> Self {
        PolicyError::Invalid(v)
    }
}

impl From<CatalogError> for PolicyError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(v) => PolicyError::Invalid(v),
            other => PolicyError::Catalog(other),
        }
    }
}

impl From<PolicyError> for Status {
    fn from(error: PolicyError) -> Self {
        match error {
            PolicyError::Invalid(violations) => invalid_argument(&violations),
            PolicyError::NotFound(what) => Status::not_found(format!("{what} not found")),
            PolicyError::PermissionDenied(why) => Status::permission_denied(why),
            PolicyError::Catalog(inner) => inner.into(),
        }
    }
}
