//! `innomatch serve` flags and environment variables, layered over the
//! optional settings file and the defaults into [`Settings`].

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;
use innomatch_core::{
    config::{FileSettings, LogFormat, Secret, ServiceKind, Settings},
    transport::ClientTls,
};

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// gRPC listen address; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "INNOMATCH_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Where the embedded store and index live.
    #[arg(long, env = "INNOMATCH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Redis for lead delivery, e.g. redis://127.0.0.1:6379 (optional).
    #[arg(long, env = "INNOMATCH_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// PostgreSQL for a shared record store (optional).
    #[arg(long, env = "INNOMATCH_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Services to run in this process (repeatable, or comma-separated in the
    /// environment); all of them when not given.
    #[arg(long = "service", env = "INNOMATCH_SERVICES", value_delimiter = ',')]
    pub services: Vec<ServiceKind>,
    /// A TOML settings file; flags and environment variables override it.
    #[arg(long, env = "INNOMATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Load the built-in sample catalog of the city into an empty data directory
    /// and print demo tokens (does nothing when the directory holds data).
    #[arg(long, env = "INNOMATCH_SAMPLE_DATA")]
    pub sample_data: bool,
    /// Where Prometheus metrics are served (`/metrics`); port 0 picks a free
    /// port, printed at start.
    #[arg(long, env = "INNOMATCH_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Where the web console is served (e.g. 127.0.0.1:8080; port 0 picks a
    /// free port, printed at start); no console when not given.
    #[arg(long, env = "INNOMATCH_WEB_LISTEN")]
    pub web_listen: Option<SocketAddr>,
    /// The leads service of another process (e.g. http://leads:50051), for
    /// auto-matching when this process runs the matcher but not the leads
    /// service; needs INNOMATCH_ADMIN_TOKEN, shared by both.
    #[arg(long, env = "INNOMATCH_LEADS_URL")]
    pub leads_url: Option<String>,
    /// The catalog service in another process (e.g. http://catalog:50051):
    /// this process then runs only search and/or the matcher as a replica,
    /// following the catalog's change feed into an index of its own and
    /// reading records through the catalog's API, with no record store;
    /// needs INNOMATCH_ADMIN_TOKEN, shared by both.
    #[arg(long, env = "INNOMATCH_CATALOG_URL")]
    pub catalog_url: Option<String>,
    /// PEM certificate chain: with --tls-key, gRPC is served over TLS only.
    #[arg(long, env = "INNOMATCH_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "INNOMATCH_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificates: clients must present a certificate signed by one (mTLS).
    #[arg(long, env = "INNOMATCH_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// With an `https://` --leads-url: PEM CA certificates to trust besides the system's.
    #[arg(long, env = "INNOMATCH_INTERNAL_CA_CERT")]
    pub internal_ca_cert: Option<PathBuf>,
    /// With an `https://` --leads-url that requires client certificates (mTLS):
    /// this process's PEM certificate …
    #[arg(long, env = "INNOMATCH_INTERNAL_CLIENT_CERT", requires = "internal_client_key")]
    pub internal_client_cert: Option<PathBuf>,
    /// … and its PEM key.
    #[arg(long, env = "INNOMATCH_INTERNAL_CLIENT_KEY", requires = "internal_client_cert")]
    pub internal_client_key: Option<PathBuf>,
    /// Log as `text` or `json`.
    #[arg(long, env = "INNOMATCH_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Export traces over OTLP/gRPC to this collector, e.g. http://127.0.0.1:4317.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

impl ServeArgs {
    /// Defaults, then the file, then environment and flags.
    pub fn resolve(self) -> Result<Settings, String> {
        let file = match &self.config {
            Some(path) => FileSettings::load(path)?,
            None => FileSettings::default(),
        };
        let defaults = Settings::default();
        let file_services = file
            .services
            .map(|names| names.iter().map(|n| n.parse::<ServiceKind>()).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let mut services =
            if self.services.is_empty() { file_services.unwrap_or(defaults.services) } else { self.services };
        services.sort_unstable();
        services.dedup();
        // Read directly rather than through clap so the token never shows in `--help`.
        let admin_token =
            std::env::var("INNOMATCH_ADMIN_TOKEN").ok().filter(|t| !t.is_empty()).map(Secret::new).or(file.admin_token);
        let metrics_token = std::env::var("INNOMATCH_METRICS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .map(Secret::new)
            .or(file.metrics_token);
        Ok(Settings {
            listen: self.listen.or(file.listen).unwrap_or(defaults.listen),
            data_dir: self.data_dir.or(file.data_dir).unwrap_or(defaults.data_dir),
            redis_url: self.redis_url.map(Secret::new).or(file.redis_url),
            database_url: self.database_url.map(Secret::new).or(file.database_url),
            admin_token,
            services,
            log_format: self.log_format.or(file.log_format).unwrap_or(defaults.log_format),
            otlp_endpoint: self.otlp_endpoint.or(file.otlp_endpoint).filter(|url| !url.is_empty()),
            limits: file.limits.unwrap_or(defaults.limits),
            search: file.search.unwrap_or(defaults.search),
            sample_data: self.sample_data,
            leads_url: self.leads_url.or(file.leads_url),
            catalog_url: self.catalog_url.or(file.catalog_url),
            metrics_listen: self.metrics_listen.or(file.metrics_listen).unwrap_or(defaults.metrics_listen),
            metrics_token,
            web_listen: self.web_listen.or(file.web_listen),
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            tls_client_ca: self.tls_client_ca.or(file.tls_client_ca),
            internal_tls: ClientTls {
                ca_cert: self.internal_ca_cert.or(file.internal_ca_cert),
                cert: self.internal_client_cert.or(file.internal_client_cert),
                key: self.internal_client_key.or(file.internal_client_key),
            },
            leads: file.leads.unwrap_or(defaults.leads),
            catalog: file.catalog.unwrap_or(defaults.catalog),
            database: file.database.unwrap_or(defaults.database),
        })
    }
}
