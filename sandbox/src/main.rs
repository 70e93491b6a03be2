//! `dga-sandbox [--host 127.0.0.1] [--port 8580] [--callback-url URL] [--token-ttl SECONDS]`

use std::process::ExitCode;

use clap::Parser;
use dga_sandbox::{SandboxArgs, run_foreground};

/// A local emulator of the DGA e-Payment service and the Krungthai Bank gateway page.
#[derive(Parser, Debug)]
#[command(name = "dga-sandbox", version, about)]
struct Cli {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run_foreground(cli.sandbox.to_config()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dga-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}
