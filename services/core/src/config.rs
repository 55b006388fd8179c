//! Typed settings: defaults, then an optional TOML file, then `INNOMATCH_*`
//! environment variables and flags (the binary's clap layer). Secrets never
//! print: they are wrapped in [`Secret`].

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use strum::{IntoStaticStr, VariantArray};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "lowercase")]
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
    pub const ALL: &'static [ServiceKind] = <ServiceKind as VariantArray>::VARIANTS;

    /// The lowercase name used by `--service`, the settings file and logs.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The variant of `T` whose lowercase name is `name` (surrounding spaces
/// ignored), or a message naming every known one. By hand rather than
/// strum's `EnumString`, whose error names none of them.
fn variant_named<T>(name: &str, what: &str) -> Result<T, String>
where
    T: VariantArray + Copy + Into<&'static str>,
{
    T::VARIANTS.iter().copied().find(|v| (*v).into() == name.trim()).ok_or_else(|| {
        let known: Vec<&'static str> = T::VARIANTS.iter().map(|v| (*v).into()).collect();
        format!("unknown {what} {name:?}; use one of: {}", known.join(", "))
    })
}

impl FromStr for ServiceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        variant_named(s, "service")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        variant_named(s, "log format")
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
    /// Connections open at once; a connection beyond it is closed on accept.
    pub max_connections: usize,
    /// A connection that has not sent the HTTP/2 preface and its SETTINGS
    /// within this many milliseconds is closed.
    pub handshake_timeout_ms: u64,
    /// A connection with no open call for this many milliseconds is closed
    /// (clients reconnect transparently).
    pub idle_timeout_ms: u64,
    /// Calls per second one non-admin token may make on average …
    pub requests_per_second_per_token: u32,
    /// … and at once after a quiet spell (the bucket's size).
    pub request_burst_per_token: u32,
    /// Streams (change feed, lead subscriptions) one non-admin token may keep open.
    pub streams_per_token: usize,
    /// Calls of one non-admin token that run at once; more wait their turn.
    pub calls_running_per_token: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            concurrency_per_connection: 64,
            request_timeout_secs: 30,
            max_connections: 1024,
            handshake_timeout_ms: 10_000,
            idle_timeout_ms: 300_000,
            requests_per_second_per_token: 100,
            request_burst_per_token: 200,
            streams_per_token: 8,
            // Half the cores: one token's parallel searches leave the rest to the others.
            calls_running_per_token: std::thread::available_parallelism().map_or(2, |n| (n.get() / 2).max(2)),
        }
    }
}

/// The search index (`[search]` in the settings file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// A committed write becomes searchable within about this many milliseconds.
    pub refresh_ms: u64,
    /// Semantic matching: embed records with the installed model (`make
    /// models`) and fuse dense similarity with lexical relevance. Without the
    /// model the server runs lexical-only and says so.
    pub semantic: bool,
    /// A replica following a catalog elsewhere (`catalog_url`) reports
    /// SERVING once its index holds every change committed before it
    /// reached the feed and is at most this many changes behind it.
    pub replica_ready_lag: u64,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self { refresh_ms: 300, semantic: true, replica_ready_lag: 100 }
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

/// The catalog's housekeeping (`[catalog]` in the settings file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// How often needs past their deadline are expired, in milliseconds.
    pub need_expiry_sweep_ms: u64,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self { need_expiry_sweep_ms: 60_000 }
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
    /// Notifications (same backends as leads): how many an organization gets
    /// one by one per window before the rest are folded into a digest.
    pub notify_burst: u32,
    /// The notification rate-limit window; its digest comes when it ends.
    pub notify_window_secs: u64,
    /// How often due notification digests are made.
    pub notify_digest_sweep_ms: u64,
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
            notify_burst: 20,
            notify_window_secs: 600,
            notify_digest_sweep_ms: 5_000,
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
    pub otlp_endpoint: Option<String>,
    pub limits: Option<ServerLimits>,
    pub metrics_listen: Option<SocketAddr>,
    pub web_listen: Option<SocketAddr>,
    pub metrics_token: Option<Secret>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub internal_ca_cert: Option<PathBuf>,
    pub internal_client_cert: Option<PathBuf>,
    pub internal_client_key: Option<PathBuf>,
    pub leads_url: Option<String>,
    pub catalog_url: Option<String>,
    pub search: Option<SearchSettings>,
    pub leads: Option<LeadsSettings>,
    pub database: Option<DatabaseSettings>,
    pub catalog: Option<CatalogSettings>,
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
    /// An OTLP/gRPC collector to export traces to (none: traces stay in the log).
    pub otlp_endpoint: Option<String>,
    pub limits: ServerLimits,
    pub search: SearchSettings,
    pub leads: LeadsSettings,
    pub database: DatabaseSettings,
    pub catalog: CatalogSettings,
    /// Load the built-in sample catalog into an empty data directory.
    pub sample_data: bool,
    /// Where `/metrics` is served (Prometheus text); port 0 picks a free port.
    pub metrics_listen: SocketAddr,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Where the web console is served (HTTP/1.1); none: no console. Port 0 picks a free port.
    pub web_listen: Option<SocketAddr>,
    /// PEM certificate chain and private key: gRPC is served over TLS when both are set.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificates: clients must present a certificate they signed (mTLS).
    pub tls_client_ca: Option<PathBuf>,
    /// A leads service in another process, for auto-matching when this one runs no leads service.
    pub leads_url: Option<String>,
    /// The catalog in another process, followed over gRPC by a search or
    /// matcher replica that keeps no record store of its own.
    pub catalog_url: Option<String>,
    /// TLS of this process's clients of other processes (e.g. `leads_url`):
    /// used when their URL is `https://`.
    pub internal_tls: crate::transport::ClientTls,
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
            otlp_endpoint: None,
            limits: ServerLimits::default(),
            search: SearchSettings::default(),
            leads: LeadsSettings::default(),
            database: DatabaseSettings::default(),
            catalog: CatalogSettings::default(),
            sample_data: false,
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_token: None,
            web_listen: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            leads_url: None,
            catalog_url: None,
            internal_tls: crate::transport::ClientTls::default(),
        }
    }
}

/// The shortest bootstrap admin token the server accepts.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// Values from examples and templates that must never guard a server.
const PLACEHOLDER_TOKENS: &[&str] = &["change-me", "changeme", "change_me", "secret", "password", "admin"];

/// Refuses a bootstrap admin token that is short or a known placeholder:
/// whoever holds it is admin of every tenant.
pub fn check_admin_token(token: &str) -> Result<(), String> {
    let trimmed = token.trim();
    if PLACEHOLDER_TOKENS.iter().any(|p| trimmed.eq_ignore_ascii_case(p)) {
        return Err(format!(
            "the bootstrap admin token is the placeholder {trimmed:?}: set INNOMATCH_ADMIN_TOKEN to a random value \
             of at least {MIN_ADMIN_TOKEN_CHARS} characters"
        ));
    }
    let chars = trimmed.chars().count();
    if chars < MIN_ADMIN_TOKEN_CHARS {
        return Err(format!(
            "the bootstrap admin token has {chars} characters; it needs at least {MIN_ADMIN_TOKEN_CHARS} \
             (e.g. `head -c 32 /dev/urandom | base64`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_placeholder_admin_tokens_are_refused() {
        assert!(check_admin_token("change-me").is_err());
        assert!(check_admin_token("CHANGE-ME").is_err());
        assert!(check_admin_token("imt_short_admin_token").is_err());
        assert!(check_admin_token(&"x".repeat(MIN_ADMIN_TOKEN_CHARS - 1)).is_err());
        assert!(check_admin_token("imt_9f2c51d0a7e84b36b1c2d3e4f5a6b7c8").is_ok());
    }

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

    #[test]
    fn service_and_log_format_names_parse_and_unknown_ones_list_the_known() {
        assert_eq!(
            ServiceKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>(),
            ["catalog", "search", "matcher", "leads"]
        );
        assert_eq!(" matcher ".parse::<ServiceKind>(), Ok(ServiceKind::Matcher));
        assert_eq!(
            "telepathy".parse::<ServiceKind>(),
            Err("unknown service \"telepathy\"; use one of: catalog, search, matcher, leads".to_owned())
        );
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!("xml".parse::<LogFormat>(), Err("unknown log format \"xml\"; use one of: text, json".to_owned()));
    }
}
