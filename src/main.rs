use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use zstack::Settings;
use zstack::license::LicenseCommand;

/// zstack-rs: a ZStack-compatible IaaS management node.
#[derive(Parser)]
#[command(name = "zstack", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a management node.
    Serve(Box<Settings>),
    /// Issues licenses: makes an issuer key pair, signs licenses with it.
    #[command(subcommand)]
    License(LicenseCommand),
    /// Calls any API of a node by its ZStack name (`zstack cli CreateZone name=z1`); with no
    /// API, reads commands from a file, a pipe, or a prompt with Tab completion.
    Cli(zstack_cli::CliArgs),
    /// Prints the shell completion script of this binary's subcommands.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let settings = match Cli::parse().command {
        Command::Serve(settings) => *settings,
        Command::License(command) => {
            return match zstack::license::run(&command, &mut std::io::stdout().lock()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(why) => {
                    eprintln!("zstack license: {why}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Cli(args) => return zstack_cli::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "zstack", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
    };
    tune_allocator();
    actix_web::rt::System::new().block_on(run(settings))
}

/// glibc keeps a freed large block (argon2 hashes each login in a 12 MiB one) inside its arena,
/// and makes an arena per thread that contends: an idle node would hold both. Blocks from 128 KiB
/// up are given back to the system when freed, and two arenas are plenty for the node's threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; it is called before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

async fn run(settings: Settings) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let node = match zstack::start(&settings).await {
        Ok(node) => node,
        Err(e) => {
            tracing::error!(error = %e, "the node could not start");
            return ExitCode::FAILURE;
        }
    };
    wait_for_stop_signal().await;
    node.stop().await;
    ExitCode::SUCCESS
}

/// SIGTERM or Ctrl-C.
async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
