//! Carrying out commands: `execute` maps each subcommand's arguments to a study request (one
//! file per command; `plot`, `compare` and `params` here), and the `Terminal` observer turns
//! the studies' events into progress bars, `warning:` lines and stages. All terminal output
//! of the program is produced here.

mod calibrate;
mod did;
mod discover;
mod replay;
mod reproduce;
mod run;
mod sensitivity;
mod serve;
mod sweep;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, CompareArgs, ParamsArgs, PlotArgs};
use cadresim::params::Params;
use cadresim::registry::{self, PARAMS};
use cadresim::study::compare::CompareRequest;
pub use cadresim::study::memory::{memory_limit_from, memory_needed, MemoryLimit};
use cadresim::study::plot::{redraw, RedrawRequest};
/// A command's failure: the study layer's error, with the exit code it maps to.
pub use cadresim::study::StudyError as CommandError;
use cadresim::study::{Event, Observer};
pub use run::summary_table;

/// Run a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32, CommandError> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Replay(args) => replay::replay(args),
        Command::Params(args) => {
            print!("{}", params_listing(&args));
            Ok(0)
        }
        Command::Sweep(args) => sweep::run_sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Sensitivity(args) => sensitivity::run_sensitivity(args),
        Command::Discover(args) => discover::run_discover(args),
        Command::Status(args) => sweep::status(args),
        Command::Reproduce(args) => reproduce::run_reproduce(args),
        Command::Plot(args) => plot(args),
        Command::Compare(args) => compare(args),
        Command::Did(args) => did::run_did(args),
        Command::Calibrate(args) => calibrate::run_calibrate(args),
        Command::Serve(args) => serve::run_serve(args),
    }
}

/// Redraw the charts of a result or sweep directory (`study::plot::redraw`).
/// Refuse a flag given the same value twice (its rows would be written twice).
pub(crate) fn refuse_repeated(flag: &str, values: &[String]) -> Result<(), CommandError> {
    for (index, value) in values.iter().enumerate() {
        if values[..index].contains(value) {
            return Err(CommandError::Usage(format!(
                "{flag} `{value}` is given twice; name each once"
            )));
        }
    }
    Ok(())
}

fn plot(args: PlotArgs) -> Result<i32, CommandError> {
    let request = RedrawRequest {
        dir: args.dir,
        size: args.size,
        maps: args.maps,
    };
    let files = redraw(&request, &Terminal::default())?;
    println!(
        "{} chart files in {}",
        files.len(),
        request.dir.join("charts").display()
    );
    Ok(0)
}

/// Compare result directories into `--out`: everything is read and checked first; the
/// output directory is then locked, and refused when it holds anything unless `--force`.
fn compare(args: CompareArgs) -> Result<i32, CommandError> {
    let request = CompareRequest {
        dirs: args.dirs,
        out: args.out,
        baseline: args.baseline,
        overlay: args.overlay,
        force: args.force,
        size: args.size,
    };
    let outcome = cadresim::study::compare::compare(&request, &Terminal::default())?;
    println!(
        "{} chart files and differences.csv ({} differences from {}) in {}",
        outcome.files - 1,
        if outcome.notes.is_empty() {
            "paired"
        } else {
            "paired and Welch"
        },
        outcome.baseline,
        request.out.display()
    );
    Ok(0)
}

/// A progress bar on stderr that appears only once work has lasted a second.
pub(crate) struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    pub(crate) fn new(total: u64, label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {percent:>3}% (eta {eta})",
            )
            .expect("valid template"),
        );
        bar.set_message(label.to_string());
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    pub(crate) fn advance(&self, work: u64) {
        self.bar.inc(work);
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The command line's observer: a progress bar on stderr for the work under way, warnings
/// on stderr as `warning: ...` lines.
#[derive(Default)]
pub(crate) struct Terminal {
    progress: Mutex<Option<Progress>>,
}

impl Observer for Terminal {
    fn event(&self, event: Event) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::Begin { what, total } => *progress = Some(Progress::new(total, what)),
            Event::Advance { units } => {
                if let Some(bar) = progress.as_ref() {
                    bar.advance(units);
                }
            }
            Event::End => {
                if let Some(bar) = progress.take() {
                    bar.finish();
                }
            }
            Event::Warning(message) => eprintln!("warning: {message}"),
            Event::Stage(message) => eprintln!("{message}"),
        }
    }
}

/// (regime, value) for every regime of the built-in default set that gives `spec` a value
/// other than its default.
fn set_by_built_in(
    spec: &registry::ParamSpec,
    defaults: &Params,
    regimes: &[cadresim::scenario::Scenario],
) -> Vec<(String, String)> {
    let default = spec.value_text(defaults);
    regimes
        .iter()
        .map(|regime| (regime.name.clone(), spec.value_text(&regime.params)))
        .filter(|(_, value)| *value != default)
        .collect()
}

/// The parameter listing of `cadresim params`.
pub fn params_listing(args: &ParamsArgs) -> String {
    let defaults = Params::default();
    let regimes = cadresim::scenario::built_in();
    let mut text = String::new();
    if args.markdown {
        text.push_str(
            "| key | default | allowed | meaning | plausible | why plausible | built-in regimes set |\n|---|---|---|---|---|---|---|\n",
        );
        for spec in PARAMS {
            let (range, reason) = match spec.plausible {
                Some(p) => (format!("[{}, {}]", p.low, p.high), p.reason),
                None => (String::new(), ""),
            };
            let set = set_by_built_in(spec, &defaults, &regimes)
                .iter()
                .map(|(name, value)| format!("{name}: `{value}`"))
                .collect::<Vec<_>>()
                .join(", ");
            text.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {range} | {reason} | {set} |\n",
                spec.key,
                spec.value_text(&defaults),
                spec.allowed(),
                spec.meaning
            ));
        }
        return text;
    }
    let width = PARAMS.iter().map(|spec| spec.key.len()).max().unwrap_or(0);
    for spec in PARAMS {
        text.push_str(&format!(
            "{:<width$}  = {}\n{:<width$}    allowed: {}\n{:<width$}    {}\n",
            spec.key,
            spec.value_text(&defaults),
            "",
            spec.allowed(),
            "",
            spec.meaning
        ));
        if let Some(p) = spec.plausible {
            text.push_str(&format!(
                "{:<width$}    plausible: [{}, {}]: {}\n",
                "", p.low, p.high, p.reason
            ));
        }
        let set = set_by_built_in(spec, &defaults, &regimes);
        if !set.is_empty() {
            let set: Vec<String> = set.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            text.push_str(&format!(
                "{:<width$}    built-in regimes set: {}\n",
                "",
                set.join(", ")
            ));
        }
    }
    text.push_str(&format!(
        "\nBuilt-in regimes: {} (scenarios/*.toml; `cadresim run` without files runs them).\n",
        regimes
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    text.push_str(&format!(
        "\nTop level: name (defaults to the file stem), description.\n[[schedule]] entries: at (a step of the run), set = {{ \"section.key\" = value, ... }}\nfor any key except [run], [hierarchy], [output] and {}, and optionally\nwhere = {{ LEVEL = [\"code or name\", ...] }} to apply them to those units' subtrees.\n",
        registry::UNSCHEDULABLE.join(", ")
    ));
    text
}
