//! innomatch core: the domain model, taxonomies, validation, the proto edge,
//! auth, settings and telemetry shared by every service.

pub mod auth;
pub mod config;
pub mod convert;
pub mod edge;
pub mod model;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod status;
pub mod tag;
pub mod taxonomy;
pub mod telemetry;
pub mod validation;
