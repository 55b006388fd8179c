//! innomatch catalog: organizations, technology needs, capabilities and
//! service offers; the record store with its change feed; API tokens; the
//! people's accounts (users, invitations, web sessions).

pub mod accounts;
pub mod bulk;
pub mod convert;
pub mod error;
pub mod expiry;
pub mod grpc;
pub mod plan;
pub mod postgres;
pub mod service;
pub mod sqlite;
pub mod store;
pub mod tokens;

pub use accounts::Accounts;
pub use error::CatalogError;
pub use service::Catalog;
