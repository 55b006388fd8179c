//! `innomatch`: serve any subset of the services, administer tokens and
//! organizations, and use the registry from the command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use innomatch::{
    cli::{
        ClientArgs, catalog,
        catalog::{AdminCommand, NeedCommand},
        interest::{self, InterestCommand},
        leads::{self, LeadsCommand},
        lookup,
        matcher::{self, ConsortiumArgs, MatchArgs, MatchCapabilityArgs},
        notifications::{self, NotificationsCommand},
        policy::{self, PolicyCommand},
        records::{self, CapabilityCommand, OfferCommand, OrgCommand},
        search::{self, IndexCommand, SearchArgs},
        stats,
        transfer::{self, ExportArgs, ImportArgs},
    },
    server::{self, settings::ServeArgs},
};
use innomatch_core::telemetry;
use tokio::signal::unix::{SignalKind, signal};

#[derive(Debug, Parser)]
#[command(
    name = "innomatch",
    version,
    about = "Match regional innovation partners: needs, capabilities, consortia, services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the services (all of them unless --service picks some).
    Serve(ServeArgs),
    /// Organizations and API tokens (needs an admin token).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Technology needs.
    Need {
        #[command(subcommand)]
        command: NeedCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Organizations: members read and update their own (create is `admin create-org`).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Capabilities (研究方向, 成果, 专利, 仪器设备, 团队, 平台).
    Capability {
        #[command(subcommand)]
        command: CapabilityCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Intermediary agencies' service offers.
    Offer {
        #[command(subcommand)]
        command: OfferCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Search needs, capabilities, offers and organizations.
    Search {
        #[command(flatten)]
        args: SearchArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Ranked partner organizations and capabilities for a need, with evidence.
    Match {
        #[command(flatten)]
        args: MatchArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Open needs a capability could serve, with evidence.
    MatchCapability {
        #[command(flatten)]
        args: MatchCapabilityArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Innovation consortia (创新联合体) for a need.
    Consortium {
        #[command(flatten)]
        args: ConsortiumArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Intermediary service offers for a need.
    Services {
        #[command(flatten)]
        args: MatchArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Import records from a JSONL or CSV file through the catalog.
    Import {
        #[command(flatten)]
        args: ImportArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Export records of one kind to CSV or XLSX (columns import again).
    Export {
        #[command(flatten)]
        args: ExportArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Maintain the search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// An agency's leads: watch, list, accept, decline, outcomes, export.
    Leads {
        #[command(subcommand)]
        command: LeadsCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Expressions of interest in needs: teaser, express, approve or decline, audit trail.
    Interest {
        #[command(subcommand)]
        command: InterestCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Your organization's notifications: watch the stream, list, acknowledge.
    Notifications {
        #[command(subcommand)]
        command: NotificationsCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Support policies (扶持政策): publish, list, eligibility, pushes.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The registry's figures against the plan's 2025 targets (`--by
    /// district`, `--history`, `--xlsx FILE`).
    Stats {
        #[command(flatten)]
        args: stats::StatsArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The bureau's enterprise lookup: one organization's whole picture
    /// (needs an admin token).
    Lookup {
        #[command(flatten)]
        args: lookup::LookupArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show whom the token acts for.
    Whoami {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Follow the change feed.
    Watch {
        /// Start after this sequence number (0: from the beginning).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// One JSON object a line (as `--json`, which a stream prints the same way).
        #[arg(long)]
        jsonl: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the chain of causes on one line, without a backtrace.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin { command, client } => catalog::admin(&client, command).await,
        Command::Need { command, client } => catalog::need(&client, command).await,
        Command::Org { command, client } => records::org(&client, command).await,
        Command::Capability { command, client } => records::capability(&client, command).await,
        Command::Offer { command, client } => records::offer(&client, command).await,
        Command::MatchCapability { args, client } => matcher::match_capability(&client, args).await,
        Command::Search { args, client } => search::search(&client, args).await,
        Command::Match { args, client } => matcher::match_need(&client, args).await,
        Command::Consortium { args, client } => matcher::consortium(&client, args).await,
        Command::Services { args, client } => matcher::services(&client, args).await,
        Command::Import { args, client } => transfer::import(&client, args).await,
        Command::Export { args, client } => transfer::export(&client, args).await,
        Command::Index { command: IndexCommand::Rebuild { data_dir, database_url } } => {
            search::rebuild_index(&data_dir, database_url.as_deref()).await
        }
        Command::Leads { command, client } => leads::run(&client, command).await,
        Command::Interest { command, client } => interest::run(&client, command).await,
        Command::Notifications { command, client } => notifications::run(&client, command).await,
        Command::Policy { command, client } => policy::run(&client, command).await,
        Command::Stats { args, client } => stats::stats(&client, &args).await,
        Command::Lookup { args, client } => lookup::lookup(&client, &args).await,
        Command::Whoami { client } => catalog::whoami(&client).await,
        Command::Watch { after, jsonl, client } => catalog::watch(&client, after, jsonl).await,
    }
}

/// Prints a start-up line. Whoever started the server may have stopped
/// reading its output; a closed stdout must not take the server down.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.resolve().map_err(anyhow::Error::msg)?;
    let traces = settings.otlp_endpoint.clone().map(|endpoint| telemetry::TraceExport {
        endpoint,
        services: settings.services.iter().map(|s| <&str>::from(*s)).collect::<Vec<_>>().join(","),
    });
    let telemetry = telemetry::init(settings.log_format, traces.as_ref()).map_err(anyhow::Error::msg)?;
    if let Some(traces) = &traces {
        tracing::info!(endpoint = %traces.endpoint, "exporting traces over OTLP");
    }
    // Before anything is printed: a supervisor that reads the address line and
    // sends SIGTERM at once must find the handler in place (or the process
    // dies of the signal instead of shutting down).
    let stop = ShutdownSignals::install()?;
    let running = server::start(&settings).await?;
    // Scripts read this line to find the port when listening on port 0.
    say!("innomatch listening on {}", running.addr);
    say!("metrics on http://{}/metrics", running.metrics_addr);
    if let Some(web) = running.web_addr {
        say!("web console on http://{web}/");
    }
    // Secrets last, once start-up is complete.
    if let Some(token) = &running.generated_admin_token {
        say!("admin token (shown once, keep it): {token}");
    }
    if let Some(demo) = &running.demo_tokens {
        let server = format!("http://{}", running.addr);
        say!("sample data loaded; demo tokens (shown once):");
        say!("  enterprise  {}  {}", demo.enterprise.1, demo.enterprise.0);
        say!("  university  {}  {}", demo.university.1, demo.university.0);
        say!("  agency      {}  {}", demo.agency.1, demo.agency.0);
        say!("try:");
        say!("  innomatch search \"氢冶金 低碳\" --kind capability --server {server} --token {}", demo.university.1);
        say!("  innomatch need list --server {server} --token {}", demo.enterprise.1);
        say!("  innomatch leads list --server {server} --token {}", demo.agency.1);
        if let Some(web) = running.web_addr {
            say!("demo logins for the web console http://{web}/ (shown once):");
            for login in &demo.logins {
                say!("  {:<11} {:<16} {}  {}", login.kind, login.login, login.password, login.organization_name);
            }
        }
    }
    stop.received().await;
    let stopped = running.shutdown().await;
    // Flushing waits for the exporter, which needs this runtime's workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    stopped
}

/// SIGINT and SIGTERM, both registered up front.
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    async fn received(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
