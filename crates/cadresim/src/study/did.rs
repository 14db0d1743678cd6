//! The `did` study: a staggered-adoption scenario and its counterfactual (the same seeds
//! without the adoptions) simulated together, every estimator of `did::estimate` on every
//! replicate's panel of every outcome, and a directory with the panel, the estimates with
//! their truth, the summary over replicates (bias, RMSE, coverage, pre-trend rejection), the
//! charts and the manifest. Replicates run in batches; each batch's rows are appended to the
//! tables and recorded in the ledger (`output::did`), so `--resume` goes on from the last
//! batch recorded. `recorded` is the request a DiD manifest records (for `replay`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::cost::Group;
use super::memory::check_memory;
use super::{thread_pool, Event, Observer, StudyError};
use crate::did::{self, Design, Estimated, Panels, SpilloverRow, SummaryRow, Window};
use crate::output::did as store;
use crate::output::did::Ledger;
use crate::output::ledger::Found;
use crate::output::manifest::{self, Manifest, RunRecord, Stamp};
use crate::output::{self};
use crate::params::Plan;
use crate::runner::{self, ReplicateResult};
use crate::scenario::{self, RunOverride, Scenario};

/// What to estimate: the scenario file, its run settings, the outcomes and event window,
/// the threads, and where to write.
#[derive(Clone, Debug)]
pub struct DidRequest {
    pub scenario: PathBuf,
    /// The scenario as a manifest recorded it (for `replay`): used instead of reading
    /// `scenario`, which then only names it.
    pub recorded: Option<crate::scenario::Scenario>,
    pub seed: Option<u64>,
    pub replicates: Option<u64>,
    pub steps: Option<u64>,
    /// Outcome metrics or `successes` (empty: `did::DEFAULT_OUTCOMES`).
    pub outcomes: Vec<String>,
    /// How the estimators see the outcomes (the truth is always the exact effect).
    pub observe: did::Observe,
    pub window: Window,
    pub threads: Option<usize>,
    /// The study directory (default: `output/did-<scenario name>`).
    pub out: Option<PathBuf>,
    pub force: bool,
    /// Continue the study that `out` holds (started with the same settings), or start one
    /// there if it is empty.
    pub resume: bool,
    pub size: (u32, u32),
}

/// A finished study: where it was written, its design and its summary.
pub struct DidOutcome {
    pub out: PathBuf,
    pub design: Design,
    pub summary: Vec<SummaryRow>,
    pub manifest: Manifest,
}

/// Everything checked before any directory is touched.
struct Checked {
    factual: Scenario,
    counterfactual: Scenario,
    design: Design,
    outcomes: Vec<String>,
    metrics: Vec<did::Outcome>,
    observe: did::Observe,
    pool: rayon::ThreadPool,
    threads: usize,
    out: PathBuf,
}

fn checked(request: &DidRequest) -> Result<Checked, StudyError> {
    let mut factual = match &request.recorded {
        Some(recorded) => recorded.clone(),
        None => scenario::load(&request.scenario)?,
    };
    factual.override_run(&RunOverride {
        steps: request.steps,
        replicates: request.replicates,
        seed: request.seed,
        until_settled: false,
    })?;
    let file = request.scenario.display();
    let design =
        did::design(&factual).map_err(|why| StudyError::Usage(format!("{file}: {why}")))?;
    did::prepare(&mut factual, &design);
    let counterfactual = did::counterfactual(&factual);
    let outcomes: Vec<String> = if request.outcomes.is_empty() {
        did::DEFAULT_OUTCOMES.map(String::from).to_vec()
    } else {
        request.outcomes.clone()
    };
    let metrics = did::outcomes(&outcomes, request.observe).map_err(StudyError::Usage)?;
    let (pool, threads) = thread_pool(request.threads)?;
    let both = [factual.clone(), counterfactual.clone()];
    check_memory(
        &both,
        &[file.to_string(), format!("{file} (counterfactual)")],
        threads,
    )?;
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("did-{}", factual.name)));
    Ok(Checked {
        factual,
        counterfactual,
        design,
        outcomes,
        metrics,
        observe: request.observe,
        pool,
        threads,
        out,
    })
}

/// The warning that event times of the window lie beyond what the run reaches (reported
/// rows stop there): leads beyond the latest cohort's adoption step, lags beyond the last
/// step after the earliest cohort's.
fn window_warning(window: Window, design: &did::Design, steps: u64) -> Option<String> {
    let cohorts = design.cohort_steps();
    let (&first, &last) = (cohorts.first()?, cohorts.last()?);
    let (most_leads, most_lags) = (last, steps as i64 - 1 - first);
    (window.leads > most_leads || window.lags > most_lags).then(|| {
        format!(
            "--leads {} --lags {}: the run reaches event times {} to {} only (adoption at steps {first} to {last} of {steps}), so event times beyond them have no rows",
            window.leads, window.lags, -most_leads, most_lags
        )
    })
}

/// What the study would cost (`--dry-run`): the scenario and its counterfactual.
pub fn dry_run(request: &DidRequest) -> Result<super::cost::Cost, StudyError> {
    let checked = checked(request)?;
    let plans = super::run::plans(&[checked.factual.clone(), checked.counterfactual.clone()])?;
    let groups: Vec<Group> = plans
        .into_iter()
        .map(|plan| Group::single(plan, 1))
        .collect();
    Ok(super::cost::cost(&groups, checked.threads))
}

/// Check everything `did` would be refused for, before any directory is touched.
pub fn check(request: &DidRequest) -> Result<(), StudyError> {
    checked(request).map(|_| ())
}

/// Run the study (or go on with it, `resume`) and write its directory.
pub fn did(request: &DidRequest, observer: &dyn Observer) -> Result<DidOutcome, StudyError> {
    let checked = checked(request)?;
    let steps = checked.factual.params.run.steps;
    if let Some(warning) = window_warning(request.window, &checked.design, steps) {
        observer.warn(warning);
    }
    let out = &checked.out;
    let settings = settings_hash(&checked, request.window);
    let resumed = match request.resume {
        true => resumable(out, &settings)?,
        false => None,
    };
    let _lock = match &resumed {
        Some(_) => output::lock_existing(out)?,
        None => output::prepare_dir(out, request.force)?,
    };
    let started = manifest::now_utc();
    let mut ledger = match resumed {
        Some(ledger) => {
            store::truncate_tables(out, &ledger)?;
            ledger
        }
        None => start(&checked, &settings)?,
    };
    let plans = super::run::plans(&[checked.factual.clone(), checked.counterfactual.clone()])?;
    let replicates = checked.factual.params.run.replicates as usize;
    let per_replicate = runner::total_work(&plans) / replicates.max(1) as u64;
    observer.event(Event::Begin {
        what: "simulating and estimating",
        total: per_replicate * replicates as u64,
    });
    observer.event(Event::Advance {
        units: per_replicate * ledger.replicates_done as u64,
    });
    let batch = checked.threads * 4;
    while ledger.replicates_done < replicates {
        let batch = ledger.replicates_done..(ledger.replicates_done + batch).min(replicates);
        let rows = checked
            .pool
            .install(|| run_batch(&checked, &plans, batch.clone(), request.window, observer))?;
        ledger.lengths = store::append_tables(out, rows)?;
        ledger.replicates_done = batch.end;
        store::write_ledger(out, &ledger)?;
    }
    observer.event(Event::End);
    finish(&checked, request, started)
}

/// The ledger of `out` when it holds a study started with `settings` (None: an empty or
/// missing directory, where the study starts); any other directory is refused.
fn resumable(out: &Path, settings: &str) -> Result<Option<Ledger>, StudyError> {
    match store::survey(out)? {
        Found::Empty => Ok(None),
        Found::Unfinished(ledger) if ledger.settings == settings => Ok(Some(ledger)),
        found => Err(StudyError::Usage(store::refusal(out, &found))),
    }
}

/// SHA-256 of everything the tables depend on: the scenario as run (its seed and
/// replicates too), the outcomes, the observation and the window.
fn settings_hash(checked: &Checked, window: Window) -> String {
    let settings = serde_json::json!({
        "scenario": checked.factual,
        "outcomes": checked.outcomes,
        "observe": format!("{:?}", checked.observe),
        "leads": window.leads,
        "lags": window.lags,
    });
    manifest::sha256_hex(settings.to_string().as_bytes())
}

/// Start the tables with their headers and record an empty ledger.
fn start(checked: &Checked, settings: &str) -> Result<Ledger, StudyError> {
    let observed = checked.observe == did::Observe::Poisson;
    let header = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let headers = [
        store::panel_header(&checked.outcomes, observed),
        header(&store::ATT_HEADER),
        header(&store::PRETREND_HEADER),
        header(&store::SPILLOVER_HEADER),
    ];
    let ledger = Ledger {
        settings: settings.to_string(),
        replicates_done: 0,
        lengths: store::start_tables(&checked.out, headers)?,
    };
    store::write_ledger(&checked.out, &ledger)?;
    Ok(ledger)
}

/// Summarise the tables, draw the charts, write the manifest and drop the ledger.
fn finish(
    checked: &Checked,
    request: &DidRequest,
    started: String,
) -> Result<DidOutcome, StudyError> {
    let out = &checked.out;
    let (att, pretrend) = store::read_estimates(out)?;
    let summary = did::summarize(&att, &pretrend);
    let mut files = BTreeMap::new();
    files.extend(store::write_file(out, "did_summary.csv", |w| {
        store::write_rows(w, &store::SUMMARY_HEADER, &summary)
    })?);
    files.extend(output::hash_files(
        out,
        &store::APPENDED.map(|name| out.join(name)),
    )?);
    let charts = crate::charts::draw_did(
        &summary,
        &checked.factual.name,
        &out.join("charts"),
        request.size,
    )?;
    files.extend(output::hash_files(out, &charts)?);
    let manifest = Manifest {
        stamp: Stamp::now("did", Some(checked.threads), Some(started)),
        record: RunRecord {
            seed: request.seed,
            replicates: request.replicates,
            steps: request.steps,
            scenarios: vec![checked.factual.clone(), checked.counterfactual.clone()],
            settings: Some(serde_json::json!({
                "outcomes": checked.outcomes,
                "observe": checked.observe.name(),
                "leads": request.window.leads,
                "lags": request.window.lags,
            })),
        },
        files,
    };
    output::write_manifest(out, &manifest)?;
    store::remove_ledger(out)?;
    Ok(DidOutcome {
        out: out.clone(),
        design: checked.design.clone(),
        summary,
        manifest,
    })
}

/// Simulate one batch of replicates (factual and counterfactual), estimate every outcome
/// of each, and return the batch's bytes of each appended table.
fn run_batch(
    checked: &Checked,
    plans: &[Plan],
    batch: std::ops::Range<usize>,
    window: Window,
    observer: &dyn Observer,
) -> Result<[Vec<u8>; 4], StudyError> {
    let progress = |units| observer.event(Event::Advance { units });
    let pair = |r: usize| -> (ReplicateResult, ReplicateResult) {
        let run = |plan: &Plan| runner::run_replicate(plan, r as u64, &progress);
        (run(&plans[0]), run(&plans[1]))
    };
    let large = runner::is_large(&plans[0]);
    let results: Vec<(ReplicateResult, ReplicateResult)> = match large {
        true => batch.clone().map(pair).collect(),
        false => batch.clone().into_par_iter().map(pair).collect(),
    };
    if let Some(r) = results.iter().position(|(f, c)| !finite(f) || !finite(c)) {
        return Err(StudyError::Failed(format!(
            "scenario `{}`: a metric is not a finite number in replicate {}; no result was written. Please report the scenario file",
            checked.factual.name,
            batch.start + r
        )));
    }
    let (panels, estimated) = estimate(checked, &results, batch.start, window, observer);
    let spillover = spillover_rows(checked, batch.start, &panels);
    let att: Vec<_> = estimated
        .iter()
        .flat_map(|e| e.att.iter().cloned())
        .collect();
    let pretrend: Vec<_> = estimated
        .iter()
        .flat_map(|e| e.pretrend.iter().cloned())
        .collect();
    let bytes = |write: &dyn Fn(&mut Vec<u8>) -> csv::Result<()>| -> Result<Vec<u8>, StudyError> {
        let mut buffer = Vec::new();
        write(&mut buffer).map_err(|e| StudyError::Failed(e.to_string()))?;
        Ok(buffer)
    };
    Ok([
        bytes(&|w| store::write_panel_rows(w, &checked.design, batch.start, &panels))?,
        bytes(&|w| store::write_rows(w, &[], &att))?,
        bytes(&|w| store::write_rows(w, &[], &pretrend))?,
        bytes(&|w| store::write_rows(w, &[], &spillover))?,
    ])
}

/// Whether every metric of a replicate is a finite number.
fn finite(result: &ReplicateResult) -> bool {
    let records = result.records.iter().chain(&result.unit_records);
    records.flatten().all(|v| v.is_finite()) && result.unit_successes.iter().all(|v| v.is_finite())
}

/// Each replicate's panels (`[k][outcome]` for replicate `first + k`) and estimates (in
/// (replicate, outcome) order, whatever the threads); each estimator that failed on some
/// panel is reported once per replicate and outcome.
fn estimate(
    checked: &Checked,
    results: &[(ReplicateResult, ReplicateResult)],
    first: usize,
    window: Window,
    observer: &dyn Observer,
) -> (Vec<Vec<Panels>>, Vec<Estimated>) {
    let units = checked.design.codes.len();
    let seed = checked.factual.params.run.seed;
    let panels: Vec<Vec<Panels>> = results
        .par_iter()
        .enumerate()
        .map(|(k, (factual, counterfactual))| {
            let panel = |(o, &outcome): (usize, &did::Outcome)| {
                let mut panels = did::panels(factual, counterfactual, units, outcome);
                if checked.observe == did::Observe::Poisson {
                    did::observe_poisson(&mut panels, seed, first + k, o);
                }
                panels
            };
            checked.metrics.iter().enumerate().map(panel).collect()
        })
        .collect();
    let work: Vec<(usize, usize)> = (0..results.len())
        .flat_map(|k| (0..checked.outcomes.len()).map(move |o| (k, o)))
        .collect();
    let done: Vec<(Estimated, Vec<String>)> = work
        .par_iter()
        .map(|&(k, o)| {
            let outcome = &checked.outcomes[o];
            did::estimate_all(first + k, outcome, &checked.design, &panels[k][o], window)
        })
        .collect();
    let mut estimated = Vec::with_capacity(done.len());
    for ((k, o), (fit, failures)) in work.iter().zip(done) {
        for failure in failures {
            observer.warn(format!(
                "{}: replicate {}, outcome {}: {failure} (no rows)",
                checked.factual.name,
                first + k,
                checked.outcomes[*o]
            ));
        }
        estimated.push(fit);
    }
    (panels, estimated)
}

/// The spillover rows of every replicate (`first + k`) and outcome (none without
/// never-treated units).
fn spillover_rows(checked: &Checked, first: usize, panels: &[Vec<Panels>]) -> Vec<SpilloverRow> {
    let mut rows = Vec::new();
    for (k, of_replicate) in panels.iter().enumerate() {
        for (outcome, panel) in checked.outcomes.iter().zip(of_replicate) {
            let truth = did::Truth::new(panel, &checked.design.cohorts);
            for (step, effect) in truth.spillover().into_iter().enumerate() {
                rows.push(SpilloverRow {
                    replicate: first + k,
                    outcome: outcome.clone(),
                    step,
                    effect,
                });
            }
        }
    }
    rows
}

/// The request a DiD study's `manifest.json` records, writing into `out` (replaced): its
/// scenario (revalidated), outcomes, observation and event window, for `replay`. A manifest
/// without them (written before DiD studies recorded their settings) is a usage error.
pub fn recorded(
    manifest: &Path,
    out: &Path,
    threads: Option<usize>,
) -> Result<DidRequest, StudyError> {
    let file = manifest.display().to_string();
    let recorded =
        output::read_manifest(manifest).map_err(|error| StudyError::Usage(error.to_string()))?;
    let missing = |what: &str| {
        StudyError::Usage(format!(
            "{file}: {what}; this study cannot be replayed (run `cadresim did` again)"
        ))
    };
    let settings = recorded
        .record
        .settings
        .as_ref()
        .ok_or_else(|| missing("no `settings` (written before DiD studies recorded them)"))?;
    let factual = recorded
        .record
        .scenarios
        .first()
        .ok_or_else(|| missing("no scenario"))?;
    let text = |key: &str| settings.get(key).and_then(|v| v.as_str());
    let count = |key: &str| settings.get(key).and_then(|v| v.as_i64());
    let outcomes: Vec<String> = settings
        .get("outcomes")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| missing("no `settings.outcomes`"))?;
    let observe = text("observe")
        .and_then(did::Observe::named)
        .ok_or_else(|| missing("no `settings.observe`"))?;
    let (Some(leads), Some(lags)) = (count("leads"), count("lags")) else {
        return Err(missing("no `settings.leads` or `settings.lags`"));
    };
    Ok(DidRequest {
        scenario: PathBuf::from(&factual.name),
        recorded: Some(scenario::revalidate(factual, &file)?),
        seed: None,
        replicates: None,
        steps: None,
        outcomes,
        observe,
        window: Window { leads, lags },
        threads,
        out: Some(out.to_path_buf()),
        force: true,
        resume: false,
        size: crate::charts::DEFAULT_SIZE,
    })
}
