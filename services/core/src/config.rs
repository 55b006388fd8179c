//! Typed settings: defaults, then an optional TOML file, then `INNOMATCH_*`
//! environment variables and flags (the binary's clap layer). Secrets never
//! print: they are wrapped in [`Secret`].

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A value that must not appear in logs or debug output; `secrecy` wipes it
/// from memory when dropped. Reading it is explicit: [`Secret::expose`].
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The services one process can run. The binary mounts only those it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    /// Records, tokens and the change feed (CatalogService and AdminService).
    Catalog,
    /// Full-text search over the catalog and bulk import (SearchService).
    Search,
    /// Partners, consortia and service proposals for needs (MatcherService).
    Matcher,
    /// Lead lifecycle and delivery to agencies (LeadsService).
    Leads,
}

impl ServiceKind {
    pub const ALL: &'static [ServiceKind] =
        &[ServiceKind::Catalog, ServiceKind::Search, ServiceKind::Matcher, ServiceKind::Leads];

    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Catalog => "catalog",
            ServiceKind::Search => "search",
            ServiceKind::Matcher => "matcher",
            ServiceKind::Leads => "leads",
        }
    }
}

impl FromStr for ServiceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ServiceKind::ALL.iter().copied().find(|k| k.name() == s.trim()).ok_or_else(|| {
            let known: Vec<&str> = ServiceKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown service {s:?}; this build serves: {}", known.join(", "))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("unknown log format {other:?}; use text or json")),
        }
    }
}

/// Limits the server applies to every connection and request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// Requests served at once on one connection.
    pub concurrency_per_connection: usize,
    /// Calls that take longer are cancelled with DEADLINE_EXCEEDED (bulk
    /// import, whose request is a stream, is exempt).
    pub request_timeout_secs: u64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self { max_message_bytes: 4 * 1024 * 1024, concurrency_per_connection: 64, request_timeout_secs: 30 }
    }
}

/// The search index (`[search]` in the settings file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// A committed write becomes searchable within about this many milliseconds.
    pub refresh_ms: u64,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self { refresh_ms: 300 }
    }
}

/// The PostgreSQL stores (`[database]` in the settings file), used when a
/// database URL is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Connections one process keeps open at most (each store has its own pool).
    pub max_connections: usize,
    /// A statement running longer is cancelled by the server; a request also
    /// waits at most this long for a free connection.
    pub statement_timeout_ms: u64,
    /// A transaction left idle this long is ended by the server, so a stalled
    /// process cannot hold the change-log lock.
    pub idle_in_transaction_timeout_ms: u64,
    /// Giving up on opening a connection after this long.
    pub connect_timeout_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            statement_timeout_ms: 5_000,
            idle_in_transaction_timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
        }
    }
}

/// How leads are delivered and when they expire (`[leads]` in the settings file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadsSettings {
    /// An agency must accept or decline within this many seconds, or the lead expires.
    pub response_deadline_secs: u64,
    /// How often the sweeper looks for leads past their deadline.
    pub expiry_sweep_secs: u64,
    /// Redis keys start with this: `{prefix}:leads:{agency_organization_id}`.
    pub redis_key_prefix: String,
    /// How long one blocking stream read waits for new leads.
    pub redis_block_ms: u64,
    /// An entry read but not acknowledged for this long is reclaimed from its
    /// consumer (XAUTOCLAIM) by another subscriber of the same agency.
    pub redis_claim_min_idle_ms: u64,
    /// How often a subscriber looks for entries to reclaim.
    pub redis_claim_interval_ms: u64,
    /// How often Redis is pinged for the health status.
    pub redis_health_interval_ms: u64,
}

impl Default for LeadsSettings {
    fn default() -> Self {
        Self {
            response_deadline_secs: 7 * 24 * 3600,
            expiry_sweep_secs: 60,
            redis_key_prefix: "innomatch".into(),
            redis_block_ms: 5_000,
            redis_claim_min_idle_ms: 5 * 60 * 1000,
            redis_claim_interval_ms: 30_000,
            redis_health_interval_ms: 1_000,
        }
    }
}

/// The settings file (`--config FILE`); every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub redis_url: Option<Secret>,
    pub database_url: Option<Secret>,
    pub admin_token: Option<Secret>,
    pub services: Option<Vec<String>>,
    pub log_format: Option<LogFormat>,
    pub limits: Option<ServerLimits>,
    pub metrics_listen: Option<SocketAddr>,
    pub leads_url: Option<String>,
    pub search: Option<SearchSettings>,
    pub leads: Option<LeadsSettings>,
    pub database: Option<DatabaseSettings>,
}

impl FileSettings {
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("invalid settings file {}: {e}", path.display()))
    }
}

/// The resolved settings a server runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub redis_url: Option<Secret>,
    pub database_url: Option<Secret>,
    pub admin_token: Option<Secret>,
    pub services: Vec<ServiceKind>,
    pub log_format: LogFormat,
    pub limits: ServerLimits,
    pub search: SearchSettings,
    pub leads: LeadsSettings,
    pub database: DatabaseSettings,
    /// Load the built-in sample catalog into an empty data directory.
    pub sample_data: bool,
    /// Where `/metrics` is served (Prometheus text); port 0 picks a free port.
    pub metrics_listen: SocketAddr,
    /// A leads service in another process, for auto-matching when this one runs no leads service.
    pub leads_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("data"),
            redis_url: None,
            database_url: None,
            admin_token: None,
            services: ServiceKind::ALL.to_vec(),
            log_format: LogFormat::Text,
            limits: ServerLimits::default(),
            search: SearchSettings::default(),
            leads: LeadsSettings::default(),
            database: DatabaseSettings::default(),
            sample_data: false,
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            leads_url: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let settings = Settings { admin_token: Some(Secret::new("imt_supersecret")), ..Settings::default() };
        assert!(!format!("{settings:?}").contains("supersecret"));
    }

    #[test]
    fn settings_file_rejects_unknown_keys() {
        assert!(toml::from_str::<FileSettings>("listen = \"127.0.0.1:0\"\n").is_ok());
        assert!(toml::from_str::<FileSettings>("lisen = \"127.0.0.1:0\"\n").is_err());
    }
}
