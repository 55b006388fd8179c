//! What every command shares: how to reach the server (`--server`, the
//! bearer token, the call timeout), one connection handing out a client per
//! service, and how a failed call is printed.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use innomatch_core::{
    auth::BearerToken,
    transport::{ClientTls, endpoint},
};
use innomatch_proto::v1::{
    admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    interest_service_client::InterestServiceClient, leads_service_client::LeadsServiceClient,
    matcher_service_client::MatcherServiceClient, notification_service_client::NotificationServiceClient,
    policy_service_client::PolicyServiceClient, search_service_client::SearchServiceClient,
    stats_service_client::StatsServiceClient,
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

/// How long connecting may take before a command gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach a server.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Server address.
    #[arg(long, env = "INNOMATCH_SERVER", default_value = "http://127.0.0.1:50051", global = true)]
    pub server: String,
    /// API token (Bearer); INNOMATCH_ADMIN_TOKEN is used when this is unset.
    #[arg(long, env = "INNOMATCH_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Seconds before a unary call gives up.
    #[arg(long, default_value_t = 10, global = true)]
    pub timeout_secs: u64,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// With an `https://` server: PEM CA certificates to trust besides the system's.
    #[arg(long, env = "INNOMATCH_CA_CERT", global = true)]
    pub ca_cert: Option<std::path::PathBuf>,
    /// With an `https://` server that requires client certificates: PEM certificate …
    #[arg(long, env = "INNOMATCH_CLIENT_CERT", global = true, requires = "client_key")]
    pub client_cert: Option<std::path::PathBuf>,
    /// … and its PEM key.
    #[arg(long, env = "INNOMATCH_CLIENT_KEY", global = true, requires = "client_cert")]
    pub client_key: Option<std::path::PathBuf>,
}

/// Whether the calls on a connection may run as long as they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calls {
    /// Unary calls: each gives up after `--timeout-secs`.
    Unary,
    /// Streams (watching, uploads, downloads): no per-call timeout.
    Streaming,
}

/// A channel whose every call carries the token.
pub type Authed = InterceptedService<Channel, BearerToken>;

/// One connection to the server; clients of every service share it.
#[derive(Debug, Clone)]
pub struct Connection {
    channel: Channel,
    auth: BearerToken,
}

impl ClientArgs {
    /// Connects to `--server` with the token of `--token` (or INNOMATCH_ADMIN_TOKEN).
    pub async fn connect(&self, calls: Calls) -> anyhow::Result<Connection> {
        let tls =
            ClientTls { ca_cert: self.ca_cert.clone(), cert: self.client_cert.clone(), key: self.client_key.clone() };
        let mut endpoint = endpoint(&self.server, &tls).map_err(anyhow::Error::msg)?.connect_timeout(CONNECT_TIMEOUT);
        if calls == Calls::Unary {
            endpoint = endpoint.timeout(Duration::from_secs(self.timeout_secs));
        }
        let channel = endpoint.connect().await.with_context(|| format!("cannot reach {}", self.server))?;
        let token = self.token.clone().or_else(|| std::env::var("INNOMATCH_ADMIN_TOKEN").ok());
        let auth = BearerToken::new(token.as_deref())?;
        Ok(Connection { channel, auth })
    }
}

impl Connection {
    fn authed(&self) -> Authed {
        InterceptedService::new(self.channel.clone(), self.auth.clone())
    }

    pub fn catalog(&self) -> CatalogServiceClient<Authed> {
        CatalogServiceClient::new(self.authed())
    }

    pub fn admin(&self) -> AdminServiceClient<Authed> {
        AdminServiceClient::new(self.authed())
    }

    pub fn search(&self) -> SearchServiceClient<Authed> {
        SearchServiceClient::new(self.authed())
    }

    pub fn matcher(&self) -> MatcherServiceClient<Authed> {
        MatcherServiceClient::new(self.authed())
    }

    pub fn leads(&self) -> LeadsServiceClient<Authed> {
        LeadsServiceClient::new(self.authed())
    }

    pub fn notifications(&self) -> NotificationServiceClient<Authed> {
        NotificationServiceClient::new(self.authed())
    }

    pub fn interests(&self) -> InterestServiceClient<Authed> {
        InterestServiceClient::new(self.authed())
    }

    pub fn policies(&self) -> PolicyServiceClient<Authed> {
        PolicyServiceClient::new(self.authed())
    }

    pub fn stats(&self) -> StatsServiceClient<Authed> {
        StatsServiceClient::new(self.authed())
    }
}

/// A failed call as the user reads it: the code, then the server's message,
/// which already names every invalid field.
pub fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

/// A code the user typed (a kind, a role, a category), or an error naming it.
pub fn parse_code<T>(what: &str, value: &str, from_code: fn(&str) -> Option<T>) -> anyhow::Result<T> {
    from_code(value).with_context(|| format!("unknown {what} {value:?}"))
}

/// Codes the user typed, as proto enum values.
pub fn parse_codes<T>(
    what: &str,
    values: &[String],
    from_code: fn(&str) -> Option<T>,
    to_proto: fn(T) -> i32,
) -> anyhow::Result<Vec<i32>> {
    values.iter().map(|v| parse_code(what, v, from_code).map(to_proto)).collect()
}

/// Writes one line to stdout. A reader that went away (`innomatch watch |
/// head -1`) ends the command quietly with success: there is nobody left to
/// tell, and a panic message would only clutter the terminal.
pub fn write_stdout_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {error}");
        std::process::exit(1);
    }
}

/// `println!` for command output, through [`write_stdout_line`].
macro_rules! outln {
    () => { $crate::cli::client::write_stdout_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::client::write_stdout_line(format_args!($($arg)*)) };
}
pub(crate) use outln;

/// Pretty JSON on stdout, for `--json`: one document per command.
pub fn print_json(value: &serde_json::Value) {
    outln!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A plain table for the terminal: columns sized by display width (a Chinese
/// character is two columns wide), no borders, so output stays easy to grep.
pub fn table(header: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING).set_header(header.iter().copied());
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up_chinese_labels_by_display_width() {
        let mut rows = table(&["label", "count"]);
        rows.add_row(vec!["高新技术企业", "700"]);
        rows.add_row(vec!["maker spaces", "20"]);
        let text = rows.to_string();
        // A Chinese character takes two terminal columns.
        let width = |s: &str| s.chars().map(|c| if c >= '\u{2E80}' { 2 } else { 1 }).sum::<usize>();
        let starts: Vec<usize> = text
            .lines()
            .zip(["count", "700", "20"])
            .map(|(line, count)| width(&line[..line.find(count).expect("a count on every line")]))
            .collect();
        assert_eq!(starts.len(), 3, "{text}");
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}
