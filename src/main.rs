//! The `cadresim` binary: parse arguments, run the command, report errors with exit codes
//! (0 success, 1 failure, 2 bad input or usage), each error on one line. When the reader of
//! its output goes away (`cadresim status ... | head`), it ends quietly.

use clap::error::ErrorKind;
use clap::Parser;

fn main() {
    end_quietly_when_the_output_closes();
    let cli = match cadresim_cli::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            error.exit()
        }
        Err(error) => {
            eprintln!("error: {}", cadresim_cli::cli::one_line_error(&error));
            std::process::exit(2);
        }
    };
    match cadresim_cli::commands::execute(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {}", error.one_line());
            std::process::exit(error.exit_code());
        }
    }
}

/// Let a closed output pipe end the process, as it ends any Unix tool, instead of making
/// every later print fail (Rust ignores SIGPIPE by default, and a failed print panics).
#[allow(unsafe_code)]
fn end_quietly_when_the_output_closes() {
    #[cfg(unix)]
    // SAFETY: called first in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
