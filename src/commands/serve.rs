//! `cadresim serve`: bind, print the URL (the first line on stdout), warn when listening
//! beyond loopback, open the browser if asked, then serve until stopped.

use std::io::Write as _;

use super::CommandError;
use crate::cli::ServeArgs;
use cadresim::serve::{self, ServeRequest};

pub(crate) fn run_serve(args: ServeArgs) -> Result<i32, CommandError> {
    let bound = serve::bind(&ServeRequest {
        host: args.host,
        port: args.port,
        scenarios: args.scenarios,
        out: args.out.clone(),
    })?;
    let url = bound.url();
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{url}");
    let _ = stdout.flush();
    if !args.host.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine can run studies on it",
            bound.address()
        );
    }
    eprintln!(
        "serving the explorer; downloaded runs go to {}; stop with Ctrl-C",
        args.out.display()
    );
    if args.open {
        open_browser(&url);
    }
    bound.serve()?;
    Ok(0)
}

/// Open `url` with the desktop's opener; a warning when there is none.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(error) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("warning: could not open a browser ({opener}: {error}); open {url} yourself");
    }
}
