//! The `cadresim` binary: parse arguments, run the command, report errors with exit codes
//! (0 success, 1 failure, 2 bad input or usage).

use clap::Parser;

fn main() {
    let cli = cadresim::cli::Cli::parse();
    match cadresim::commands::execute(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {}", error.one_line());
            std::process::exit(error.exit_code());
        }
    }
}
