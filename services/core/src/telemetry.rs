//! Logging setup: `RUST_LOG` (default `innomatch=info,tantivy=warn`), text or JSON.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

pub const DEFAULT_LOG_FILTER: &str = "innomatch=info,tantivy=warn";

/// Installs the global subscriber; later calls are ignored (tests call it often).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    // Colours only for a person at a terminal: a log file or a supervisor's
    // pipe gets plain text.
    let ansi = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
