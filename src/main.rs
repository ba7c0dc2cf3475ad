//! chipwatch binary: parse the command line, set up logging, dispatch, map errors to an exit
//! code. Nothing else lives here.

use clap::Parser;

fn main() {
    let cli = chipwatch::cli::Cli::parse();
    chipwatch::telemetry::init(cli.log_format, "info");
    match chipwatch::cli::dispatch(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
