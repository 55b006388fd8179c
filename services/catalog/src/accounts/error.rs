//! The accounts' one error type and its exhaustive mapping to gRPC statuses.

use innomatch_core::{status::invalid_argument, validation::Violations};
use tonic::Status;

use crate::{CatalogError, store::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("the login name {0} is taken")]
    LoginTaken(String),
    /// Unknown login or wrong password: the two must look the same.
    #[error("wrong login name or password")]
    InvalidCredentials,
    #[error("too many failed sign-ins: try again in {retry_after_secs} s")]
    Locked { retry_after_secs: u64 },
    /// Unknown, already accepted or expired: the three look the same.
    #[error("the invitation is unknown, already used or expired")]
    InvitationUnusable,
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("storage failed: {0}")]
    Storage(StoreError),
}

impl From<Violations> for AccountError {
    fn from(v: Violations) -> Self {
        AccountError::Invalid(v)
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Storage(e)
    }
}

/// The organization checks are the catalog's (see `Catalog::check_role_binding`).
impl From<CatalogError> for AccountError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(v) => AccountError::Invalid(v),
            CatalogError::NotFound(what) => AccountError::NotFound(what),
            CatalogError::PermissionDenied(why) => AccountError::PermissionDenied(why),
            CatalogError::FailedPrecondition(why) => AccountError::FailedPrecondition(why),
            conflict @ (CatalogError::VersionConflict { .. } | CatalogError::AlreadyExists(_)) => {
                AccountError::FailedPrecondition(conflict.to_string())
            }
            CatalogError::Storage(e) => AccountError::Storage(e),
            CatalogError::Unavailable(why) => AccountError::Storage(crate::store::StoreError::Backend(why)),
        }
    }
}

impl From<AccountError> for Status {
    fn from(error: AccountError) -> Self {
        match &error {
            AccountError::Invalid(violations) => invalid_argument(violations),
            AccountError::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            AccountError::NotFound(_) => Status::not_found(error.to_string()),
            AccountError::FailedPrecondition(_) => Status::failed_precondition(error.to_string()),
            AccountError::LoginTaken(_) => Status::already_exists(error.to_string()),
            AccountError::InvalidCredentials => Status::unauthenticated(error.to_string()),
            AccountError::Locked { .. } => Status::resource_exhausted(error.to_string()),
            AccountError::InvitationUnusable => Status::not_found(error.to_string()),
            AccountError::Hashing(_) | AccountError::Storage(_) => {
                tracing::error!(%error, "accounts failed");
                Status::internal("accounts failed; the error was logged")
            }
        }
    }
}
