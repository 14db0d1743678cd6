//! The study layer: every workflow a researcher runs, as a function of a typed request that
//! reports through an [`Observer`] and returns a typed outcome or a [`StudyError`]. It never
//! prints, never sees a command line and never exits: the command line (`commands`), the
//! Python package and any other face turn its events into progress bars, warnings and exit
//! codes of their own. Today: `run` (simulate scenarios into a result directory), `sweep` and
//! `merge`, `sensitivity`, `discover`, `did`, `calibrate`, `compare`, `plot`, `reproduce`
//! (with `robustness` and `structure`), `evaluate` (the Python adapters' batches), `explore`
//! (the browser's runs), and the pieces every workflow shares (threads,
//! the memory check, charts of a result directory, what a study would cost, the refusal of
//! an output among the inputs).

pub mod calibrate;
pub mod charts;
pub mod compare;
pub mod cost;
pub mod did;
pub mod discover;
pub mod evaluate;
pub mod explore;
pub mod memory;
pub mod plot;
pub mod reproduce;
pub mod robustness;
pub mod run;
pub mod sensitivity;
pub mod structure;
pub mod sweep;

use std::path::{Path, PathBuf};

use crate::charts::ChartError;
use crate::output::OutputError;
use crate::reproduce::EvidenceError;
use crate::scenario::ScenarioError;
use crate::sweep::SweepError;

/// What a study reports while it works.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Work begins: `total` units (cadre-steps, points, samples) of `what`.
    Begin { what: &'static str, total: u64 },
    /// `units` more units of the work begun last are done.
    Advance { units: u64 },
    /// The work begun last is done.
    End,
    /// Something the researcher should read; the study still completes.
    Warning(String),
    /// A stage of a study made of several (a reproduction's experiments) begins.
    Stage(String),
}

/// Where a study's events go: a progress bar and stderr on the command line, a callback in
/// Python. Called from worker threads, so it must be `Sync`.
///
/// An observer stops a study by calling [`Cancelled::throw`] from `event` (the Python face
/// does on Ctrl-C): the study unwinds from its next report, every lock and file handle is
/// released on the way, and its directory is left as a kill leaves it (no `manifest.json`;
/// a sweep or calibration continues with `--resume`).
pub trait Observer: Sync {
    fn event(&self, event: Event);

    /// Report a warning.
    fn warn(&self, message: String) {
        self.event(Event::Warning(message));
    }
}

/// The unwinding payload of a cancelled study, as salsa cancels a query: thrown with
/// `resume_unwind`, so no panic message is printed, and recognised by whoever runs the study
/// (`Cancelled::caught`). Only an observer throws it, and only from `Observer::event`.
#[derive(Debug)]
pub struct Cancelled;

impl Cancelled {
    /// Stop the study that reported the event being observed.
    pub fn throw() -> ! {
        std::panic::resume_unwind(Box::new(Cancelled))
    }

    /// Whether an unwinding payload is a cancellation (any other is a real panic, to be
    /// resumed).
    pub fn caught(payload: &(dyn std::any::Any + Send)) -> bool {
        payload.is::<Cancelled>()
    }
}

/// An observer that ignores every event.
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: Event) {}
}

/// A study's failure, with the exit code the command line maps it to (a Python exception or
/// an HTTP status in the other faces).
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// A claim's evidence is missing or unreadable.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    /// Something failed while running (IO, a replay that differs).
    #[error("{0}")]
    Failed(String),
}

impl StudyError {
    /// The error as one line: control characters (a newline in a quoted key, say) are shown
    /// escaped, never printed.
    pub fn one_line(&self) -> String {
        self.to_string()
            .chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if c.is_control() {
                    c.escape_default().collect()
                } else {
                    vec![c]
                };
                escaped
            })
            .collect()
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            StudyError::Scenario(_) | StudyError::Usage(_) => 2,
            StudyError::Output(error) if error.is_usage() => 2,
            StudyError::Sweep(SweepError::Usage(_)) => 2,
            StudyError::Sweep(SweepError::Output(error)) if error.is_usage() => 2,
            StudyError::Chart(ChartError::Output(error)) if error.is_usage() => 2,
            StudyError::Output(_)
            | StudyError::Failed(_)
            | StudyError::Sweep(_)
            | StudyError::Chart(_)
            | StudyError::Evidence(_) => 1,
        }
    }
}

/// A pool of `threads` workers (default: every core), and its size.
pub fn thread_pool(threads: Option<usize>) -> Result<(rayon::ThreadPool, usize), StudyError> {
    let threads = match threads {
        Some(0) => {
            return Err(StudyError::Usage(
                "--threads must be at least 1, got 0".into(),
            ))
        }
        Some(n) if n > 1024 => {
            return Err(StudyError::Usage(format!(
                "--threads must be at most 1024, got {n}"
            )))
        }
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|error| StudyError::Failed(format!("cannot start {threads} threads: {error}")))?;
    Ok((pool, threads))
}

/// Refuse an `--out` that is, or contains, one of the directories a command reads (`what`
/// names them, `advice` says what to do instead).
pub fn refuse_output_among_inputs(
    out: &Path,
    inputs: &[PathBuf],
    what: &str,
    advice: &str,
) -> Result<(), StudyError> {
    let out = resolved(out);
    for input in inputs {
        if resolved(input).starts_with(&out) {
            return Err(StudyError::Usage(format!(
                "--out {} is or contains {what} {}; {advice}",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// A path made absolute, with every existing part resolved (links, `..`).
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return absolute,
        }
    }
    let mut resolved = existing.canonicalize().unwrap_or(existing);
    resolved.extend(rest.iter().rev());
    resolved
}
