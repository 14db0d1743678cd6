//! Carrying out commands: load and validate input, run experiments on a thread pool with a
//! progress bar, write result directories, print the summary table. All terminal output of
//! the program is produced here.

mod discover;
mod memory;
mod reproduce;
mod robustness;
mod run;
mod sensitivity;
mod sweep;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::charts::{self, ChartError};
use crate::cli::{Cli, Command, CompareArgs, ParamsArgs, PlotArgs};
use crate::comparison::{self, RunOf};
use crate::output::{self, series, tables, OutputError};
use crate::params::Params;
use crate::registry::{self, PARAMS};
use crate::reproduce::EvidenceError;
use crate::scenario::{Scenario, ScenarioError};
use crate::sweep::SweepError;
pub(crate) use memory::check_memory;
pub use memory::{memory_limit_from, memory_needed, MemoryLimit};
pub use run::summary_table;

/// A command's failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
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

impl CommandError {
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
            CommandError::Scenario(_) | CommandError::Usage(_) => 2,
            CommandError::Output(error) if error.is_usage() => 2,
            CommandError::Sweep(SweepError::Usage(_)) => 2,
            CommandError::Sweep(SweepError::Output(error)) if error.is_usage() => 2,
            CommandError::Chart(ChartError::Output(error)) if error.is_usage() => 2,
            CommandError::Output(_)
            | CommandError::Failed(_)
            | CommandError::Sweep(_)
            | CommandError::Chart(_)
            | CommandError::Evidence(_) => 1,
        }
    }
}

/// Run a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32, CommandError> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Replay(args) => run::replay(args),
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
    }
}

/// What to do about unsettled equilibria of runs of fixed length.
pub(crate) const LENGTHEN_RUN: &str = "lengthen the run (run.steps, with run.burn_in after the latest convergence) or set run.until_settled = true";

/// Warn when some equilibria (of `what`: a scenario or a sweep) include a transient;
/// `fixed_length_advice` says what to do about those that ran a fixed number of steps.
pub(crate) fn warn_unsettled(
    what: &str,
    settling: &crate::metrics::Settling,
    unit: &str,
    fixed_length_advice: &str,
) {
    if settling.unsettled == 0 {
        return;
    }
    if settling.capped == settling.unsettled {
        eprintln!(
            "warning: {what}: {} of {} {unit} did not satisfy the long-run rule by run.max_steps, so their equilibrium means may include a transient; raise run.max_steps",
            settling.unsettled, settling.equilibria
        );
        return;
    }
    let mut details = Vec::new();
    if let Some(latest) = settling.latest {
        details.push(format!("the latest converged at step {latest}"));
    }
    if settling.never > 0 {
        details.push(format!("{} never converged", settling.never));
    }
    let advice = fixed_length_advice;
    eprintln!(
        "warning: {what}: {} of {} {unit} had not settled when the equilibrium window opened ({}), so their equilibrium means include a transient; {advice}",
        settling.unsettled,
        settling.equilibria,
        details.join("; ")
    );
}

/// Draw the charts of result directories into `out`. `scenarios` replaces what the
/// manifest would say (a run draws its charts before its manifest exists).
pub(crate) fn draw_charts(
    dirs: &[PathBuf],
    out: &Path,
    size: (u32, u32),
    scenarios: Option<&[Scenario]>,
    overlay: bool,
) -> Result<Vec<PathBuf>, CommandError> {
    let results = read_results(dirs, scenarios)?;
    draw_results(&results, dirs, out, size, overlay)
}

/// Read back result directories for their charts, each labelled for a comparison.
fn read_results(
    dirs: &[PathBuf],
    scenarios: Option<&[Scenario]>,
) -> Result<Vec<series::ResultData>, CommandError> {
    let mut results = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !dir.join("timeseries.csv").exists() {
            return Err(CommandError::Usage(format!(
                "{}: not a result directory (no timeseries.csv)",
                dir.display()
            )));
        }
        let mut result =
            series::read_result(dir).map_err(|error| CommandError::Failed(error.to_string()))?;
        if let Some(scenarios) = scenarios {
            result.scenarios = scenarios.to_vec();
        } else if let Some(problem) = &result.manifest_problem {
            eprintln!("warning: {problem}; charts are drawn without schedule events and targets");
        }
        results.push(result);
    }
    for (result, label) in results.iter_mut().zip(unique_labels(dirs)) {
        result.label = label;
    }
    Ok(results)
}

/// Draw the charts of results read from `dirs` into `out` (with a single directory, its
/// by-unit and effects charts too).
fn draw_results(
    results: &[series::ResultData],
    dirs: &[PathBuf],
    out: &Path,
    size: (u32, u32),
    overlay: bool,
) -> Result<Vec<PathBuf>, CommandError> {
    let mut files = charts::draw_all(results, out, size, overlay)?;
    if let ([dir], [result]) = (dirs, results) {
        files.extend(draw_unit_charts(dir, out, size)?);
        files.extend(draw_effect_charts(dir, &result.scenarios, out, size)?);
    }
    Ok(files)
}

/// The effects charts of a result directory that has `effects.csv`.
fn draw_effect_charts(
    dir: &Path,
    scenarios: &[Scenario],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, CommandError> {
    let path = dir.join(output::EFFECTS_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let rows =
        tables::read_effects(&path).map_err(|error| CommandError::Failed(error.to_string()))?;
    Ok(charts::draw_effects(&rows, scenarios, out, size)?)
}

/// The by-unit charts of a result directory that has by-unit tables (`output.by_unit`).
fn draw_unit_charts(
    dir: &Path,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, CommandError> {
    let [series, summary] = output::UNIT_FILES.map(|name| dir.join(name));
    if !summary.exists() {
        return Ok(Vec::new());
    }
    let read = |path: &Path| {
        tables::read_unit_values(path, "mean_innovation")
            .map_err(|error| CommandError::Failed(error.to_string()))
    };
    Ok(charts::draw_units(
        &read(&summary)?,
        &read(&series)?,
        out,
        size,
    )?)
}

/// A label per directory for comparisons: its name, with `-2`, `-3`, ... added where
/// directories share a name (a/default, b/default).
fn unique_labels(dirs: &[PathBuf]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string());
        let label = std::iter::once(name.clone())
            .chain((2..).map(|n| format!("{name}-{n}")))
            .find(|label| !labels.contains(label))
            .expect("some label is free");
        labels.push(label);
    }
    labels
}

/// Whether a file a manifest lists is a chart (`charts/x.png`).
fn is_chart(name: &str) -> bool {
    name.starts_with("charts/")
}

/// List in the manifest of `dir` no charts (`None`) or these charts besides its other
/// files. A manifest that cannot be read vouches for nothing and is left as it is.
fn relist_charts(
    dir: &Path,
    charts: Option<&BTreeMap<String, String>>,
) -> Result<(), CommandError> {
    let relisted = match charts {
        None => output::relist_manifest(dir, |name| !is_chart(name), &BTreeMap::new(), &[]),
        Some(charts) => output::relist_manifest(dir, |_| true, charts, &[]),
    };
    match relisted {
        Ok(_) | Err(OutputError::NotManifest { .. }) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Redraw the charts of a result or sweep directory, holding its lock. The manifest first
/// stops listing the charts, and lists the new ones once all are drawn, so an interrupted
/// redraw leaves a manifest true of every file it lists.
fn plot(args: PlotArgs) -> Result<i32, CommandError> {
    let _lock = output::lock_existing(&args.dir)?;
    let out = args.dir.join("charts");
    let files = if args.dir.join("sweep_summary.csv").exists() {
        plot_sweep(&args)?
    } else {
        let dirs = std::slice::from_ref(&args.dir);
        let results = read_results(dirs, None)?;
        relist_charts(&args.dir, None)?;
        draw_results(&results, dirs, &out, args.size, false)?
    };
    relist_charts(&args.dir, Some(&output::hash_files(&args.dir, &files)?))?;
    println!("{} chart files in {}", files.len(), out.display());
    Ok(0)
}

/// Redraw a sweep's charts (and its sensitivity analysis's).
fn plot_sweep(args: &PlotArgs) -> Result<Vec<PathBuf>, CommandError> {
    let lock = crate::sweep::read_lock(&args.dir)?;
    let analysed = if args.dir.join("sensitivity.csv").exists() {
        let read = |name: &str| {
            tables::read_sensitivity(&args.dir.join(name))
                .map_err(|error| CommandError::Failed(error.to_string()))
        };
        Some((
            read("sensitivity.csv")?,
            read("sensitivity_convergence.csv")?,
        ))
    } else {
        None
    };
    relist_charts(&args.dir, None)?;
    let mut files = sweep::draw_sweep_charts(&lock.spec, &args.dir, args.size)?;
    if let Some((indices, convergence)) = analysed {
        let out = args.dir.join("charts");
        files.extend(charts::draw_sensitivity(
            &indices,
            &convergence,
            &out,
            args.size,
        )?);
    }
    Ok(files)
}

/// Compare result directories into `--out`: everything is read and checked first; the
/// output directory is then locked, and refused when it holds anything unless `--force`.
fn compare(args: CompareArgs) -> Result<i32, CommandError> {
    refuse_output_among_inputs(
        &args.out,
        &args.dirs,
        "the result directory",
        "choose another --out",
    )?;
    let labels = unique_labels(&args.dirs);
    let mut rows = Vec::new();
    let mut runs = Vec::new();
    for (dir, label) in args.dirs.iter().zip(&labels) {
        verify_tables(dir)?;
        let named = |scenario: &str| series::compared_name(label, scenario);
        let summary = tables::read_summary(&dir.join("summary.csv"))
            .map_err(|error| CommandError::Failed(error.to_string()))?;
        rows.extend(summary.into_iter().map(|mut row| {
            row.scenario = named(&row.scenario);
            row
        }));
        let manifest = output::read_manifest(&dir.join("manifest.json")).map_err(|error| {
            CommandError::Usage(format!(
                "{error}; without it the seeds and replicates of {} are unknown and its scenarios cannot be paired",
                dir.display()
            ))
        })?;
        runs.extend(
            manifest
                .scenarios
                .iter()
                .map(|scenario| RunOf::new(named(&scenario.name), &scenario.params)),
        );
    }
    let (baseline, differences) = comparison::differences(&rows, &runs, args.baseline.as_deref())
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    let results = read_results(&args.dirs, None)?;
    let _lock = output::prepare_dir(&args.out, args.force)?;
    let files = draw_results(&results, &args.dirs, &args.out, args.size, args.overlay)?;
    output::write_atomically(&args.out, "differences.csv", |out| {
        tables::write_differences(out, &differences).map_err(Into::into)
    })?;
    let charts = charts::draw_differences(&baseline, &differences, &args.out, args.size)?;
    println!(
        "{} chart files and differences.csv (paired differences from {baseline}) in {}",
        files.len() + charts.len(),
        args.out.display()
    );
    Ok(0)
}

/// Refuse an `--out` that is, or contains, one of the directories a command reads (`what`
/// names them, `advice` says what to do instead).
pub(crate) fn refuse_output_among_inputs(
    out: &Path,
    inputs: &[PathBuf],
    what: &str,
    advice: &str,
) -> Result<(), CommandError> {
    let out = resolved(out);
    for input in inputs {
        if resolved(input).starts_with(&out) {
            return Err(CommandError::Usage(format!(
                "--out {} is or contains {what} {}; {advice}",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// A path made absolute, with every existing part resolved (links, `..`).
fn resolved(path: &Path) -> PathBuf {
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

/// Refuse a result directory whose tables differ from its manifest's hashes.
fn verify_tables(dir: &Path) -> Result<(), CommandError> {
    let recorded = output::recorded_hashes(dir).map_err(|error| {
        CommandError::Usage(format!(
            "{error}; without it the seeds and replicates of {} are unknown and its scenarios cannot be paired",
            dir.display()
        ))
    })?;
    let tables: Vec<&str> = output::RUN_FILES
        .iter()
        .chain(output::UNIT_FILES.iter())
        .copied()
        .filter(|name| output::RUN_FILES.contains(name) || recorded.contains_key(*name))
        .collect();
    Ok(output::verify_files(dir, &tables)?)
}

pub(crate) fn thread_pool(
    threads: Option<usize>,
) -> Result<(rayon::ThreadPool, usize), CommandError> {
    let threads = match threads {
        Some(0) => {
            return Err(CommandError::Usage(
                "--threads must be at least 1, got 0".into(),
            ))
        }
        Some(n) if n > 1024 => {
            return Err(CommandError::Usage(format!(
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
        .map_err(|error| {
            CommandError::Failed(format!("cannot start {threads} threads: {error}"))
        })?;
    Ok((pool, threads))
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

/// The parameter listing of `cadresim params`.
pub fn params_listing(args: &ParamsArgs) -> String {
    let defaults = Params::default();
    let mut text = String::new();
    if args.markdown {
        text.push_str(
            "| key | default | allowed | meaning | plausible | why plausible |\n|---|---|---|---|---|---|\n",
        );
        for spec in PARAMS {
            let (range, reason) = match spec.plausible {
                Some(p) => (format!("[{}, {}]", p.low, p.high), p.reason),
                None => (String::new(), ""),
            };
            text.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {range} | {reason} |\n",
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
    }
    text.push_str(&format!(
        "\nTop level: name (defaults to the file stem), description.\n[[schedule]] entries: at (a step of the run), set = {{ \"section.key\" = value, ... }}\nfor any key except [run], [hierarchy], [output] and {}, and optionally\nwhere = {{ LEVEL = [\"code or name\", ...] }} to apply them to those units' subtrees.\n",
        registry::UNSCHEDULABLE.join(", ")
    ));
    text
}
