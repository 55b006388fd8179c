//! innomatch search: the tantivy index of the catalog with Chinese + English
//! analysis, the follower that keeps it in step with the change feed, bulk
//! import, and the gRPC adapter.

pub mod analysis;
pub mod convert;
pub mod discriminant;
pub mod document;
pub mod embedding;
pub mod error;
pub mod follower;
pub mod grpc;
pub mod highlight;
pub mod import;
pub mod index;
pub mod query;
pub mod relevance;
pub mod schema;
pub mod table;
mod top;
pub mod vectors;
