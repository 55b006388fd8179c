//! The innomatch binary's library half: the server wiring, its settings layer
//! and the command-line client, so end-to-end tests start the very same server.

pub mod cli;
pub mod cli_leads;
pub mod cli_match;
pub mod cli_search;
pub mod cli_stats;
pub mod deadline;
pub mod metrics;
pub mod sample;
pub mod server;
pub mod settings;
pub mod stats;
pub mod table;
