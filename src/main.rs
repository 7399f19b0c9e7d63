use clap::{Parser, Subcommand};
use tunedeck::emulator::{self, EmulatorArgs};

/// tunedeck: a terminal dashboard for Gemini API model tuning, with a faithful emulator.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the emulated Gemini tuning API on loopback.
    Emulator(EmulatorArgs),
}

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Some(Command::Emulator(args)) => runtime.block_on(run_emulator(args)),
        None => Ok(()),
    }
}

async fn run_emulator(args: EmulatorArgs) -> color_eyre::Result<()> {
    let mut running = emulator::start(args.options(), args.bind).await?;
    eprintln!("{}", running.describe());
    let cancel = running.cancel_token();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        cancel.cancel();
    });
    running.wait().await;
    running.shutdown().await;
    Ok(())
}
