//! The Python face of cadresim: `cadresim._cadresim`, the compiled half of the `cadresim`
//! Python package. It maps Python arguments to the study layer's requests, releases the GIL
//! while a study runs (Ctrl-C still interrupts it: `interruptible`), turns a study's error into `cadresim.CadresimError` carrying the
//! command line's one-line message, and runs the command line itself for the `cadresim`
//! script that `pip install` provides. The pure-Python layer (`python/cadresim`) reads the
//! result tables into pandas.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use cadresim::params::Params;
use cadresim::registry::PARAMS;
use cadresim::study::discover::{discover as discover_study, DiscoverRequest};
use cadresim::study::evaluate::{evaluate as evaluate_study, EvaluateRequest};
use cadresim::study::run::{run as run_study, RunRequest};
use cadresim::study::sensitivity::{reanalyse, SensitivityRequest};
use cadresim::study::sweep::{sweep as sweep_study, SweepRequest};
use cadresim::study::{Cancelled, Event, Observer, StudyError};

create_exception!(
    _cadresim,
    CadresimError,
    PyException,
    "A study refused its input or failed; the message is the command line's one line."
);

/// Chart size of results written from Python: the command line's default.
const CHART_SIZE: (u32, u32) = cadresim::charts::DEFAULT_SIZE;

/// Collects a study's warnings for Python and reports its progress to a Python callback
/// `progress(what, done, total)`, at most every `PROGRESS_EVERY` and at each start and end.
#[derive(Default)]
struct Warnings {
    warnings: Mutex<Vec<String>>,
    progress: Option<Py<PyAny>>,
    state: Mutex<Progress>,
    /// Set when Python was interrupted: the study stops at its next event.
    cancel: AtomicBool,
}

/// The work under way: what, how much is done of how much, when Python last heard.
#[derive(Default)]
struct Progress {
    what: &'static str,
    done: u64,
    total: u64,
    told: Option<Instant>,
}

/// Least time between two progress reports to Python.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl Warnings {
    fn with_progress(progress: Option<Py<PyAny>>) -> Self {
        Warnings {
            progress,
            ..Warnings::default()
        }
    }

    fn into_list(self) -> Vec<String> {
        self.warnings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Tell the callback, holding the GIL (the study runs on other threads, detached).
    /// A callback that raises is ignored: progress never stops a study.
    fn tell(&self, what: &str, done: u64, total: u64) {
        if let Some(callback) = &self.progress {
            Python::attach(|py| {
                let _ = callback.call1(py, (what, done, total));
            });
        }
    }

    fn on_progress(&self, event: &Event) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match *event {
            Event::Begin { what, total } => {
                *state = Progress {
                    what,
                    done: 0,
                    total,
                    told: Some(now),
                };
            }
            Event::Advance { units } => {
                state.done = (state.done + units).min(state.total);
                if state.told.is_some_and(|t| now - t < PROGRESS_EVERY) {
                    return;
                }
                state.told = Some(now);
            }
            Event::End => state.done = state.total,
            Event::Warning(_) | Event::Stage(_) => return,
        }
        let (what, done, total) = (state.what, state.done, state.total);
        drop(state);
        self.tell(what, done, total);
    }
}

/// A study's error as the Python exception carrying the command line's one line.
fn failed(error: StudyError) -> PyErr {
    CadresimError::new_err(error.one_line())
}

impl Observer for Warnings {
    fn event(&self, event: Event) {
        if self.cancel.load(Ordering::Relaxed) {
            Cancelled::throw();
        }
        if self.progress.is_some() {
            self.on_progress(&event);
        }
        if let Event::Warning(message) = event {
            self.warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(message);
        }
    }
}

/// How often the waiting thread lets Python run its signal handlers.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Run `study` on a thread of its own, detached from the interpreter, while this thread
/// lets Python run its signal handlers every `SIGNAL_POLL` (they run only on the main
/// thread, never on the study's workers). On Ctrl-C the observer cancels the study, which
/// stops at its next event, and the `KeyboardInterrupt` is raised once it has.
fn interruptible<T: Send>(
    py: Python<'_>,
    observer: &Warnings,
    study: impl FnOnce() -> Result<T, StudyError> + Send,
) -> PyResult<T> {
    py.detach(|| {
        std::thread::scope(|scope| {
            let handle = scope.spawn(study);
            let mut interrupt = None;
            while !handle.is_finished() {
                std::thread::sleep(SIGNAL_POLL);
                if interrupt.is_none() {
                    if let Err(error) = Python::attach(|py| py.check_signals()) {
                        observer.cancel.store(true, Ordering::Relaxed);
                        interrupt = Some(error);
                    }
                }
            }
            match (handle.join(), interrupt) {
                (Ok(outcome), None) => outcome.map_err(failed),
                (Err(payload), Some(error)) if Cancelled::caught(payload.as_ref()) => Err(error),
                // Finished before it heard of the interrupt: the interrupt still stands.
                (Ok(_), Some(error)) => Err(error),
                (Err(payload), _) => std::panic::resume_unwind(payload),
            }
        })
    })
}

/// Parameter settings from JSON (`{"accountability.penalty": 4.0}`) as TOML values.
fn settings_from_json(json: &str) -> PyResult<Vec<(String, toml::Value)>> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|error| CadresimError::new_err(format!("settings: {error}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| CadresimError::new_err("settings must be a dict of key -> value"))?;
    object
        .iter()
        .map(|(key, value)| Ok((key.clone(), toml_value(key, value)?)))
        .collect()
}

/// A JSON value as the TOML value a scenario file would hold.
fn toml_value(key: &str, value: &serde_json::Value) -> PyResult<toml::Value> {
    use serde_json::Value as J;
    Ok(match value {
        J::Bool(b) => toml::Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => toml::Value::String(s.clone()),
        J::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(|item| toml_value(key, item))
                .collect::<PyResult<_>>()?,
        ),
        J::Null | J::Object(_) => {
            return Err(CadresimError::new_err(format!(
                "settings: {key} must be a number, a boolean, a string or a list"
            )))
        }
    })
}

/// A scenario given as JSON (a dict in Python, shaped like a scenario file) as TOML text.
#[pyfunction]
fn scenario_text(json: &str) -> PyResult<String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|error| CadresimError::new_err(format!("scenario: {error}")))?;
    let table = toml_table("scenario", &value)?;
    toml::to_string(&table).map_err(|error| CadresimError::new_err(format!("scenario: {error}")))
}

/// A JSON object as a TOML table (nested objects as tables).
fn toml_table(key: &str, value: &serde_json::Value) -> PyResult<toml::Table> {
    let object = value
        .as_object()
        .ok_or_else(|| CadresimError::new_err(format!("{key} must be a dict")))?;
    let mut table = toml::Table::new();
    for (name, item) in object {
        let converted = match item {
            serde_json::Value::Object(_) => toml::Value::Table(toml_table(name, item)?),
            serde_json::Value::Array(items)
                if items.iter().all(|i| i.is_object()) && !items.is_empty() =>
            {
                toml::Value::Array(
                    items
                        .iter()
                        .map(|i| toml_table(name, i).map(toml::Value::Table))
                        .collect::<PyResult<_>>()?,
                )
            }
            _ => toml_value(name, item)?,
        };
        table.insert(name.clone(), converted);
    }
    Ok(table)
}

/// Run scenario files (none: the built-in set) into `out`; returns the result directory
/// and the warnings. The GIL is released while simulating.
#[pyfunction]
#[pyo3(signature = (scenarios, out, *, settings=None, seed=None, replicates=None, steps=None, until_settled=false, threads=None, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    scenarios: Vec<String>,
    out: String,
    settings: Option<String>,
    seed: Option<u64>,
    replicates: Option<u64>,
    steps: Option<u64>,
    until_settled: bool,
    threads: Option<usize>,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Vec<String>)> {
    let request = RunRequest {
        scenarios: scenarios.into_iter().map(PathBuf::from).collect(),
        settings: settings
            .as_deref()
            .map(settings_from_json)
            .transpose()?
            .unwrap_or_default(),
        seed,
        replicates,
        steps,
        until_settled,
        threads,
        out: Some(PathBuf::from(out)),
        force,
        size: CHART_SIZE,
    };
    let warnings = Warnings::with_progress(progress);
    let outcome = interruptible(py, &warnings, || run_study(&request, &warnings))?;
    Ok((outcome.out.display().to_string(), warnings.into_list()))
}

/// Evaluate points of one scenario file without writing files: each point's settings (a JSON
/// list of dicts) applied to the scenario, run with common random numbers, reduced to the
/// equilibrium means of `metrics` at `level` and, with `series`, their mean series over
/// replicates. Returns (means per point, series per point and metric). The GIL is released
/// while simulating.
#[pyfunction]
#[pyo3(signature = (scenario, points, metrics, *, level="all".to_string(), seed=None, replicates=None, steps=None, series=false, threads=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn evaluate(
    py: Python<'_>,
    scenario: String,
    points: String,
    metrics: Vec<String>,
    level: String,
    seed: Option<u64>,
    replicates: Option<u64>,
    steps: Option<u64>,
    series: bool,
    threads: Option<usize>,
) -> PyResult<(Vec<Vec<f64>>, Vec<Vec<Vec<f64>>>)> {
    let failed = |error: cadresim::study::StudyError| CadresimError::new_err(error.one_line());
    let loaded = cadresim::scenario::load(std::path::Path::new(&scenario))
        .map_err(|error| failed(error.into()))?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&points)
        .map_err(|error| CadresimError::new_err(format!("points: {error}")))?;
    let points = list
        .iter()
        .map(|point| settings_from_json(&point.to_string()))
        .collect::<PyResult<Vec<_>>>()?;
    let request = EvaluateRequest {
        scenario: loaded,
        source: scenario,
        points,
        metrics,
        level,
        seed,
        replicates,
        steps,
        series,
        threads,
    };
    let observer = Warnings::default();
    let values = interruptible(py, &observer, || evaluate_study(&request, &observer))?;
    Ok(values
        .into_iter()
        .map(|point| (point.means, point.series))
        .unzip())
}

/// Run the sweep of a sweep file into `out`, as `cadresim sweep` does (resumable with
/// `resume`, one slice with `shard`); returns (directory, warnings, points, points run now).
/// The GIL is released while simulating.
#[pyfunction]
#[pyo3(signature = (file, out, *, seed=None, replicates=None, steps=None, until_settled=false, threads=None, shard=None, resume=false, force=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn sweep(
    py: Python<'_>,
    file: String,
    out: String,
    seed: Option<u64>,
    replicates: Option<u64>,
    steps: Option<u64>,
    until_settled: bool,
    threads: Option<usize>,
    shard: Option<(usize, usize)>,
    resume: bool,
    force: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Vec<String>, usize, usize)> {
    let request = SweepRequest {
        out: Some(PathBuf::from(out)),
        threads,
        replicates,
        steps,
        until_settled,
        seed,
        resume,
        shard,
        force,
        size: CHART_SIZE,
        ..SweepRequest::new(PathBuf::from(file))
    };
    let warnings = Warnings::with_progress(progress);
    let outcome = interruptible(py, &warnings, || sweep_study(&request, &warnings))?;
    let directory = outcome.out.display().to_string();
    Ok((directory, warnings.into_list(), outcome.points, outcome.ran))
}

/// Analyse a finished sobol or morris sweep again, as `cadresim sensitivity` does (the
/// earlier analysis is replaced); returns the warnings.
#[pyfunction]
#[pyo3(signature = (dir, *, metrics=None, level="all".to_string(), bootstrap=None))]
fn sensitivity(
    py: Python<'_>,
    dir: String,
    metrics: Option<Vec<String>>,
    level: String,
    bootstrap: Option<usize>,
) -> PyResult<Vec<String>> {
    let defaults = cadresim::sensitivity::Options::default();
    let options = cadresim::sensitivity::Options {
        metrics: metrics.unwrap_or(defaults.metrics),
        level,
        bootstrap: bootstrap.unwrap_or(defaults.bootstrap),
    };
    let request = SensitivityRequest {
        dir: PathBuf::from(dir),
        options,
        size: CHART_SIZE,
    };
    let warnings = Warnings::default();
    interruptible(py, &warnings, || reanalyse(&request, &warnings))?;
    Ok(warnings.into_list())
}

/// PRIM on a finished sweep, as `cadresim discover` does; returns (directory, the condition
/// in words).
#[pyfunction]
#[pyo3(signature = (dir, condition, *, level="all".to_string(), alpha=0.05, min_mass=0.05, chosen=None, resamples=100, out=None, force=false))]
#[allow(clippy::too_many_arguments)]
fn discover(
    py: Python<'_>,
    dir: String,
    condition: String,
    level: String,
    alpha: f64,
    min_mass: f64,
    chosen: Option<usize>,
    resamples: usize,
    out: Option<String>,
    force: bool,
) -> PyResult<(String, String)> {
    let request = DiscoverRequest {
        level,
        alpha,
        min_mass,
        chosen,
        resamples,
        out: out.map(PathBuf::from),
        force,
        size: CHART_SIZE,
        ..DiscoverRequest::new(PathBuf::from(dir), condition)
    };
    // PRIM takes seconds and reports no events, so it cannot stop half-way: an interrupt
    // is raised when it ends (and its directory, complete, stays).
    let outcome = interruptible(py, &Warnings::default(), || discover_study(&request))?;
    Ok((outcome.out.display().to_string(), outcome.title))
}

/// Every parameter: (key, default as a scenario file writes it, allowed values, plausible
/// low, plausible high, meaning).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn params() -> Vec<(String, String, String, Option<f64>, Option<f64>, String)> {
    let defaults = Params::default();
    PARAMS
        .iter()
        .map(|spec| {
            (
                spec.key.to_string(),
                spec.value_text(&defaults),
                spec.allowed(),
                spec.plausible.map(|p| p.low),
                spec.plausible.map(|p| p.high),
                spec.meaning.to_string(),
            )
        })
        .collect()
}

/// The TOML text of a scenario of the built-in default set, by name (`pressure`).
#[pyfunction]
fn built_in(name: &str) -> Option<String> {
    cadresim::scenario::BUILT_IN
        .iter()
        .find(|(stem, _)| *stem == name)
        .map(|(_, text)| text.to_string())
}

/// The names of the built-in default set.
#[pyfunction]
fn built_in_names() -> Vec<String> {
    cadresim::scenario::BUILT_IN
        .iter()
        .map(|(stem, _)| stem.to_string())
        .collect()
}

/// Run the command line with `args` (without the program name); returns its exit code.
/// Output and errors go to the process's stdout and stderr, as from the binary.
#[pyfunction]
fn main(py: Python<'_>, args: Vec<String>) -> i32 {
    use clap::Parser;
    let argv = std::iter::once("cadresim".to_string()).chain(args);
    let cli = match cadresim_cli::cli::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                let _ = error.print();
                return 0;
            }
            eprintln!("error: {}", cadresim_cli::cli::one_line_error(&error));
            return 2;
        }
    };
    py.detach(|| match cadresim_cli::commands::execute(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", error.one_line());
            error.exit_code()
        }
    })
}

#[pymodule]
fn _cadresim(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("CadresimError", module.py().get_type::<CadresimError>())?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_function(wrap_pyfunction!(run, module)?)?;
    module.add_function(wrap_pyfunction!(params, module)?)?;
    module.add_function(wrap_pyfunction!(built_in, module)?)?;
    module.add_function(wrap_pyfunction!(built_in_names, module)?)?;
    module.add_function(wrap_pyfunction!(main, module)?)?;
    module.add_function(wrap_pyfunction!(scenario_text, module)?)?;
    module.add_function(wrap_pyfunction!(evaluate, module)?)?;
    module.add_function(wrap_pyfunction!(sweep, module)?)?;
    module.add_function(wrap_pyfunction!(sensitivity, module)?)?;
    module.add_function(wrap_pyfunction!(discover, module)?)?;
    Ok(())
}
