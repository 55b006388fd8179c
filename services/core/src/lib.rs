//! innomatch core: the domain model, taxonomies, validation, the proto edge,
//! auth, settings, telemetry and retry delays shared by every service.

pub mod auth;
pub mod config;
pub mod convert;
pub mod credit_code;
pub mod edge;
pub mod fair_use;
pub mod model;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod retry;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod standing;
pub mod status;
pub mod tag;
pub mod taxonomy;
pub mod telemetry;
pub mod transport;
pub mod validation;
