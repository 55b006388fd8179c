//! innomatch leads: matched needs offered to intermediary agencies, delivered
//! reliably (embedded, or through Redis Streams) and tracked through their
//! lifecycle — NEW → DELIVERED → ACCEPTED / DECLINED → CONTACTED → WON / LOST,
//! or EXPIRED when unanswered — with an audit history, lists and exports.
//!
//! The matcher calls [`Leads::offer`] with a [`LeadDraft`]; agencies use the
//! gRPC adapter in [`grpc`]. [`notifications`] reaches every organization the
//! same way, through the same delivery backends ([`delivery`]).

pub mod clock;
pub mod convert;
pub mod delivery;
pub mod error;
pub mod export;
pub mod grpc;
pub mod lifecycle;
pub mod model;
pub mod notifications;
pub mod postgres;
pub mod service;
pub mod sqlite;
pub mod store;
mod tasks;

pub use error::LeadsError;
pub use model::{Delivery, Lead, LeadDraft, LeadStatus};
pub use notifications::Notifications;
pub use service::Leads;
