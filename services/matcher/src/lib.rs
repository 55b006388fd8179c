//! innomatch matcher: ranked partners with evidence, innovation consortia
//! (创新联合体) and intermediary service proposals for technology needs.
//!
//! Rooms: `retrieval` (candidates and relevance from the index), `scoring`
//! (the score, its parts and its scale), `matcher` (partners for a need and
//! needs for a capability), `consortia` + `consortium` (proposals and the
//! solver), `offers` (service proposals), `auto` (auto-matching into
//! leads), `lease` (one auto-matcher at a time across replicas, in Redis),
//! `notices` (strong matches notified to both sides), `policy_push`
//! (support policies pushed to eligible organizations, leads for
//! policy-service agencies), `answers`
//! (what it returns), `error`, `convert` (requests to validated queries,
//! answers to replies) and `grpc` (the adapter).

pub mod answers;
pub mod auto;
pub mod consortia;
pub mod consortium;
pub mod convert;
pub mod error;
pub mod grpc;
pub mod lease;
pub mod matcher;
pub mod notices;
pub mod offers;
pub mod policy_push;
pub mod retrieval;
pub mod scoring;
#[cfg(test)]
mod test_support;

pub use error::MatcherError;
pub use matcher::Matcher;
