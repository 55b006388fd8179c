//! innomatch matcher: ranked partners with evidence, innovation consortia
//! (创新联合体) and intermediary service proposals for technology needs.

pub mod auto;
pub mod consortium;
pub mod grpc;
pub mod matcher;
pub mod scoring;
pub mod services;

pub use matcher::{Matcher, MatcherError};
