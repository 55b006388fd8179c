//! The innomatch binary's library half, in two wings: [`server`] (start-up,
//! mounting, settings, health, metrics and the stats service) and [`cli`]
//! (the command-line client), so end-to-end tests start the very same server.

pub mod cli;
pub mod server;
