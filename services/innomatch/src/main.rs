//! `innomatch`: serve any subset of the services, administer tokens and
//! organizations, and use the registry from the command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use innomatch::{
    cli::{AdminCommand, ClientArgs, NeedCommand},
    cli_search::{self, ImportArgs, IndexCommand, SearchArgs},
    server,
    settings::ServeArgs,
};
use innomatch_core::telemetry;

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
    /// Search needs, capabilities, offers and organizations.
    Search {
        #[command(flatten)]
        args: SearchArgs,
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
    /// Maintain the search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
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
        Command::Admin { command, client } => client.connect(false).await?.admin(command).await,
        Command::Need { command, client } => client.connect(false).await?.need(command).await,
        Command::Search { args, client } => cli_search::search(&client, args).await,
        Command::Import { args, client } => cli_search::import(&client, args).await,
        Command::Index { command: IndexCommand::Rebuild { data_dir } } => cli_search::rebuild_index(&data_dir).await,
        Command::Whoami { client } => client.connect(false).await?.whoami().await,
        Command::Watch { after, client } => client.connect(true).await?.watch(after).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.resolve().map_err(anyhow::Error::msg)?;
    telemetry::init(settings.log_format);
    let running = server::start(&settings).await?;
    // Scripts read this line to find the port when listening on port 0.
    println!("innomatch listening on {}", running.addr);
    if let Some(token) = &running.generated_admin_token {
        println!("admin token (shown once, keep it): {token}");
    }
    shutdown_signal().await?;
    running.shutdown().await
}

async fn shutdown_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
