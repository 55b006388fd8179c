//! innomatch catalog: organizations, technology needs, capabilities and
//! service offers; the record store with its change feed; API tokens; the
//! people's accounts (users, invitations, web sessions); expressions of
//! interest in needs and the staged disclosure they lead to; the bureau's
//! support policies, who is eligible for them and what was pushed; the reads
//! the search and matcher services make, here or over gRPC from a replica.

pub mod accounts;
pub mod bulk;
pub mod convert;
pub mod error;
pub mod expiry;
pub mod grpc;
pub mod interest;
pub mod plan;
pub mod policy;
pub mod postgres;
pub mod reader;
pub mod remote;
pub mod service;
pub mod sqlite;
pub mod store;
pub mod tokens;

pub use accounts::Accounts;
pub use error::CatalogError;
pub use interest::Interests;
pub use policy::Policies;
pub use service::Catalog;
