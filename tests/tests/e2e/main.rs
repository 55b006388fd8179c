//! End-to-end tests: one binary (faster to link) with a module per area.

mod auth;
mod backup;
mod catalog;
mod change_feed;
mod deal_flow;
mod first_run;
mod grpc_web;
mod interests;
mod leads;
mod match_quality;
mod matcher;
mod notifications;
mod plan_board;
mod policies;
mod postgres;
mod search;
mod security;
mod semantic;
mod server;
mod validation;
