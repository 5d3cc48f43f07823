use clap::Parser;
use nds::cli::Cli;
use nds_common::config::Config;

/// mimalloc rather than glibc malloc: measured in the edge benchmark (README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_process_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    // Kept to the end of main: dropping it flushes the spans still buffered.
    let _traces =
        nds_common::telemetry::init_tracing(&config.log_filter, config.log_format, &cli.command.process_name());
    match nds::commands::run(cli.command, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "nds failed");
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
