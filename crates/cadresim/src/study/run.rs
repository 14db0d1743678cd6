//! The `run` study: load and check scenarios, simulate them (with the counterfactuals of
//! their schedule entries, for `effects.csv`), write a result directory with its tables,
//! charts and manifest. Progress and warnings go to the observer. `rerun` runs a run
//! manifest's scenarios again (the `replay` command's study).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::charts::draw_charts;
use super::cost::Group;
use super::memory::check_memory;
use super::{thread_pool, Event, Observer, StudyError};
use crate::effects::{self, Counterfactual};
use crate::metrics::Settling;
use crate::output;
use crate::output::manifest::{self, Manifest, RunRecord, Stamp};
use crate::params::{Plan, TableFormat};
use crate::rows::EffectRow;
use crate::runner::{self, ScenarioResult};
use crate::scenario::{self, RunOverride, Scenario};

/// What to run: scenario files (none: the built-in default set), the run settings that
/// override theirs, the threads, and where to write.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    /// Scenario files, run together (common random numbers); empty runs the built-in set.
    pub scenarios: Vec<PathBuf>,
    /// Parameters set on every scenario, by key (`accountability.penalty`), before the run
    /// settings below.
    pub settings: Vec<(String, toml::Value)>,
    pub seed: Option<u64>,
    pub replicates: Option<u64>,
    pub steps: Option<u64>,
    /// Run every scenario until the long-run rule is satisfied.
    pub until_settled: bool,
    /// Worker threads (default: every core); results do not depend on it.
    pub threads: Option<usize>,
    /// The result directory (default: `output/<scenario names>`, or `output/default`).
    pub out: Option<PathBuf>,
    /// Replace what cadresim wrote in `out` before.
    pub force: bool,
    /// Chart size in pixels.
    pub size: (u32, u32),
}

/// A finished run: where it was written, every scenario's result, and its manifest.
pub struct RunOutcome {
    pub out: PathBuf,
    pub results: Vec<ScenarioResult>,
    pub manifest: Manifest,
}

/// A run checked completely and ready to write: nothing is on disk yet.
struct Checked {
    scenarios: Vec<Scenario>,
    plans: Vec<Plan>,
    /// The runs without one schedule entry each, for `effects.csv`.
    counterfactuals: Vec<Counterfactual>,
    /// Entries whose effects cannot be reported, one line each.
    left_out: Vec<String>,
    pool: rayon::ThreadPool,
    threads: usize,
    out: PathBuf,
    /// The format of the tables (`output.format`, the same for every scenario).
    format: TableFormat,
}

/// Check everything `run` would be refused for, before any directory is touched.
pub fn check(request: &RunRequest) -> Result<(), StudyError> {
    checked(request).map(|_| ())
}

/// What the run would cost (`--dry-run`): nothing is run or written; the speed of this
/// machine is timed on a few steps of every scenario.
pub fn dry_run(request: &RunRequest) -> Result<super::cost::Cost, StudyError> {
    let checked = checked(request)?;
    let plans = checked.plans.iter();
    let groups: Vec<Group> = plans
        .chain(checked.counterfactuals.iter().map(|c| &c.plan))
        .map(|plan| Group::single(plan.clone(), 1))
        .collect();
    Ok(super::cost::cost(&groups, checked.threads))
}

/// Whether `request.out` already holds this run, finished: its manifest names the same
/// resolved scenarios, seed, replicates and steps, and every file it lists is intact.
/// `reproduce --resume` keeps such a run. One computed by another cadresim build is refused
/// in one line unless `mixed` (results may differ between builds).
pub fn finished(request: &RunRequest, mixed: bool) -> Result<bool, StudyError> {
    let checked = checked(request)?;
    let path = checked.out.join("manifest.json");
    let Ok(found) = output::read_manifest(&path) else {
        return Ok(false);
    };
    let record = &found.record;
    let json = |value: &[Scenario]| serde_json::to_value(value).ok();
    let same = (record.seed, record.replicates, record.steps)
        == (request.seed, request.replicates, request.steps)
        && json(&record.scenarios) == json(&checked.scenarios);
    let names: Vec<&str> = found.files.keys().map(String::as_str).collect();
    if !same || output::verify_files(&checked.out, &names).is_err() {
        return Ok(false);
    }
    let theirs = manifest::build_name(
        &found.stamp.cadresim_version,
        found.stamp.git_commit.as_deref(),
    );
    if theirs != manifest::cadresim_build() && !mixed {
        let what = format!("{}: this run was", checked.out.display());
        let theirs = format!("cadresim {theirs}");
        return Err(StudyError::Usage(manifest::other_build_refusal(
            &what,
            &theirs,
            "finish it with that build",
            "keep it",
        )));
    }
    Ok(true)
}

/// Run the scenarios and write the result directory (refusing one that holds other files
/// unless `force`).
pub fn run(request: &RunRequest, observer: &dyn Observer) -> Result<RunOutcome, StudyError> {
    let Checked {
        scenarios,
        plans,
        counterfactuals,
        left_out,
        pool,
        threads,
        out,
        format,
    } = checked(request)?;
    let _lock = output::prepare_dir(&out, request.force)?;
    let started = manifest::now_utc();
    let (results, effects) = simulate_with_effects(&plans, &counterfactuals, &pool, observer)?;
    let mut files = write_all_tables(&out, &results, effects.as_deref(), format)?;
    let charts = pool.install(|| {
        draw_charts(
            std::slice::from_ref(&out),
            &out.join("charts"),
            request.size,
            Some(&scenarios),
            false,
            observer,
        )
    })?;
    files.extend(output::hash_files(&out, &charts)?);
    let manifest = Manifest {
        stamp: Stamp::now("run", Some(threads), Some(started)),
        record: RunRecord {
            seed: request.seed,
            replicates: request.replicates,
            steps: request.steps,
            scenarios,
            settings: None,
        },
        files,
    };
    output::write_manifest(&out, &manifest)?;
    for result in &results {
        let all = result.levels.len() - 1;
        let settling = Settling::of(result.replicates.iter().map(|r| &r.equilibria[all]));
        if let Some(warning) = settling.warning(
            &result.name,
            "replicates",
            lengthen_advice(request.steps.is_some()),
        ) {
            observer.warn(warning);
        }
    }
    for line in left_out {
        observer.warn(line);
    }
    Ok(RunOutcome {
        out,
        results,
        manifest,
    })
}

/// What to do about unsettled equilibria of runs of fixed length. With `--steps` given, the
/// length came from the command line (it overrides a scenario's run.until_settled too), so
/// the remedy is there; otherwise it is in the scenario.
pub fn lengthen_advice(steps_given: bool) -> &'static str {
    if steps_given {
        "give more --steps, or --until-settled instead of --steps to run each replicate until the long-run rule finds it long enough"
    } else {
        "lengthen the run (run.steps, with run.burn_in after the latest convergence) or set run.until_settled = true (or pass --until-settled)"
    }
}

/// Load and validate the scenarios with the request's overrides, their plans, the threads
/// and the memory they need; choose the output directory.
fn checked(request: &RunRequest) -> Result<Checked, StudyError> {
    let (mut scenarios, files) = load(&request.scenarios)?;
    for scenario in &mut scenarios {
        if !request.settings.is_empty() {
            scenario.set(&request.settings, "settings")?;
        }
        scenario.override_run(&RunOverride {
            steps: request.steps,
            replicates: request.replicates,
            seed: request.seed,
            until_settled: request.until_settled,
        })?;
    }
    let (pool, threads) = thread_pool(request.threads)?;
    check_memory(&scenarios, &files, threads)?;
    let out = request.out.clone().unwrap_or_else(|| {
        let name = if request.scenarios.is_empty() {
            "default".to_string()
        } else {
            scenarios
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join("+")
        };
        PathBuf::from("output").join(name)
    });
    let (counterfactuals, left_out) = effects::counterfactuals(&scenarios);
    let format = table_format(&scenarios)?;
    Ok(Checked {
        plans: plans(&scenarios)?,
        counterfactuals,
        left_out,
        scenarios,
        pool,
        threads,
        out,
        format,
    })
}

/// The format of a run's tables: one file holds every scenario, so they must agree.
fn table_format(scenarios: &[Scenario]) -> Result<TableFormat, StudyError> {
    let format = scenarios
        .first()
        .map_or(TableFormat::Csv, |s| s.params.output.format);
    match scenarios.iter().find(|s| s.params.output.format != format) {
        Some(other) => Err(StudyError::Usage(format!(
            "scenarios `{}` and `{}` set output.format to \"{}\" and \"{}\", but their tables share one file; set the same format in both, or pass --format",
            scenarios[0].name,
            other.name,
            format.name(),
            other.params.output.format.name()
        ))),
        None => Ok(format),
    }
}

/// The scenarios of `paths` (none: the built-in set) and the file each came from, refusing
/// two of the same name.
fn load(paths: &[PathBuf]) -> Result<(Vec<Scenario>, Vec<String>), StudyError> {
    let (scenarios, files): (Vec<Scenario>, Vec<String>) = if paths.is_empty() {
        let scenarios = scenario::built_in();
        let files = scenarios
            .iter()
            .map(|s| format!("scenarios/{}.toml (built in)", s.name))
            .collect();
        (scenarios, files)
    } else {
        let mut loaded = Vec::new();
        for path in paths {
            loaded.push(scenario::load(path)?);
        }
        let files = paths.iter().map(|p| p.display().to_string()).collect();
        (loaded, files)
    };
    for (index, scenario) in scenarios.iter().enumerate() {
        if scenarios[..index]
            .iter()
            .any(|other| other.name == scenario.name)
        {
            return Err(StudyError::Usage(format!(
                "two scenarios are named `{}`; give each file a distinct `name`",
                scenario.name
            )));
        }
    }
    Ok((scenarios, files))
}

/// The plan of every scenario: the last check of the input, made before any directory is
/// touched.
pub(crate) fn plans(scenarios: &[Scenario]) -> Result<Vec<Plan>, StudyError> {
    Ok(scenarios
        .iter()
        .map(Scenario::plan)
        .collect::<Result<Vec<_>, _>>()?)
}

/// Run the plans on a pool, reporting progress in cadre-steps.
fn simulate(
    plans: &[Plan],
    pool: &rayon::ThreadPool,
    observer: &dyn Observer,
) -> Result<Vec<ScenarioResult>, StudyError> {
    observer.event(Event::Begin {
        what: "simulating",
        total: runner::total_work(plans),
    });
    let results = pool.install(|| {
        runner::run(plans, &|units| {
            observer.event(Event::Advance { units });
        })
    });
    observer.event(Event::End);
    if let Some((scenario, step, level, metric)) = runner::first_non_finite(&results) {
        return Err(StudyError::Failed(format!(
            "scenario `{scenario}`: {metric} is not a finite number at step {step} (level {level}); no result was written. Please report the scenario file"
        )));
    }
    Ok(results)
}

/// Run the plans and the counterfactuals of the scenarios that report effects, as one piece
/// of work; returns the plans' results and, when some scenario reports effects, the rows of
/// `effects.csv`.
fn simulate_with_effects(
    plans: &[Plan],
    counterfactuals: &[Counterfactual],
    pool: &rayon::ThreadPool,
    observer: &dyn Observer,
) -> Result<(Vec<ScenarioResult>, Option<Vec<EffectRow>>), StudyError> {
    let mut all = plans.to_vec();
    all.extend(counterfactuals.iter().map(|c| c.plan.clone()));
    let mut results = simulate(&all, pool, observer)?;
    let outcomes = results.split_off(plans.len());
    let rows =
        (!counterfactuals.is_empty()).then(|| effects::rows(&results, counterfactuals, &outcomes));
    Ok((results, rows))
}

/// Write the tables of a run (`effects.csv` too when there are effects); returns file name
/// -> SHA-256.
fn write_all_tables(
    out: &Path,
    results: &[ScenarioResult],
    effects: Option<&[EffectRow]>,
    format: TableFormat,
) -> Result<BTreeMap<String, String>, StudyError> {
    let mut files = output::write_tables(out, results, format)?;
    if let Some(rows) = effects {
        files.extend(output::write_effects(out, rows, format)?);
    }
    Ok(files)
}

/// What to re-run: a run's manifest as read (`output::read_manifest`) and the file it was read
/// from (named in messages), the directory to write its tables into, whether that directory
/// may already hold something, whether to write a manifest there (not for a scratch
/// directory that is compared and deleted), and the threads.
#[derive(Clone, Debug)]
pub struct RerunRequest {
    pub recorded: Manifest,
    pub file: PathBuf,
    pub out: PathBuf,
    pub overwrite: bool,
    pub write_manifest: bool,
    pub threads: Option<usize>,
}

/// The tables a re-run compares: the re-run's files (name to SHA-256; the recorded ones are
/// the request's manifest's), and the names of the tables to compare.
#[derive(Clone, Debug)]
pub struct RerunOutcome {
    pub rerun: BTreeMap<String, String>,
    pub compared: Vec<String>,
}

/// Run the scenarios a run manifest records again into `out`, with the seeds and settings it
/// records, and say which tables to compare: every table either side has (the by-unit tables
/// too when either recorded them), and the effects when the manifest lists them (one written
/// before effects were reported lists none, and its tables must still replay).
pub fn rerun(request: &RerunRequest, observer: &dyn Observer) -> Result<RerunOutcome, StudyError> {
    let recorded = &request.recorded;
    let file = request.file.display().to_string();
    let scenarios = recorded
        .record
        .scenarios
        .iter()
        .map(|scenario| scenario::revalidate(scenario, &file))
        .collect::<Result<Vec<_>, _>>()?;
    let (pool, threads) = thread_pool(request.threads)?;
    let files: Vec<String> = scenarios.iter().map(|_| file.clone()).collect();
    check_memory(&scenarios, &files, threads)?;
    let plans = plans(&scenarios)?;
    let format = table_format(&scenarios)?;
    let (counterfactuals, _) = effects::counterfactuals(&scenarios);
    let _lock = output::prepare_dir(&request.out, request.overwrite)?;
    let started = manifest::now_utc();
    let (results, effects) = simulate_with_effects(&plans, &counterfactuals, &pool, observer)?;
    let hashes = write_all_tables(&request.out, &results, effects.as_deref(), format)?;
    if request.write_manifest {
        let mut manifest = recorded.clone();
        manifest.stamp = Stamp::now(&recorded.stamp.command, Some(threads), Some(started));
        manifest.files = hashes.clone();
        output::write_manifest(&request.out, &manifest)?;
    }
    let effects = output::table_files([output::EFFECTS_TABLE]);
    let tables = output::table_files(
        output::RUN_TABLES
            .iter()
            .chain(&output::UNIT_TABLES)
            .copied(),
    );
    let compared: Vec<String> = tables
        .iter()
        .filter(|name| recorded.files.contains_key(*name) || hashes.contains_key(*name))
        .chain(
            effects
                .iter()
                .filter(|name| recorded.files.contains_key(*name)),
        )
        .cloned()
        .collect();
    Ok(RerunOutcome {
        rerun: hashes,
        compared,
    })
}
