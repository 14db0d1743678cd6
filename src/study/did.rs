//! The `did` study: a staggered-adoption scenario and its counterfactual (the same seeds
//! without the adoptions) simulated together, every estimator of `did::estimate` on every
//! replicate's panel of every outcome, and a directory with the panel, the estimates with
//! their truth, the summary over replicates (bias, RMSE, coverage, pre-trend rejection), the
//! charts and the manifest.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::memory::check_memory;
use super::{thread_pool, Event, Observer, StudyError};
use crate::did::{self, Design, Estimated, Panels, SpilloverRow, SummaryRow, Window};
use crate::output::did as store;
use crate::output::manifest::{self, Manifest};
use crate::output::{self};
use crate::runner::{self, ScenarioResult};
use crate::scenario::{self, RunOverride, Scenario};

/// What to estimate: the scenario file, its run settings, the outcomes and event window,
/// the threads, and where to write.
#[derive(Clone, Debug)]
pub struct DidRequest {
    pub scenario: PathBuf,
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
    pub size: (u32, u32),
}

/// A finished study: where it was written, its summary, and what some replicate's estimator
/// could not compute (one line each).
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
    let mut factual = scenario::load(&request.scenario)?;
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

/// Check everything `did` would be refused for, before any directory is touched.
pub fn check(request: &DidRequest) -> Result<(), StudyError> {
    checked(request).map(|_| ())
}

/// Run the study and write its directory.
pub fn did(request: &DidRequest, observer: &dyn Observer) -> Result<DidOutcome, StudyError> {
    let checked = checked(request)?;
    let _lock = output::prepare_dir(&checked.out, request.force)?;
    let started = manifest::now_utc();
    let plans = super::run::plans(&[checked.factual.clone(), checked.counterfactual.clone()])?;
    let results = simulate(&plans, &checked.pool, observer)?;
    let (panels, estimated) = checked
        .pool
        .install(|| estimate(&checked, &results, request.window, observer));
    let att: Vec<_> = estimated
        .iter()
        .flat_map(|e| e.att.iter().cloned())
        .collect();
    let pretrend: Vec<_> = estimated
        .iter()
        .flat_map(|e| e.pretrend.iter().cloned())
        .collect();
    let summary = did::summarize(&att, &pretrend);
    let spillover = spillover_rows(&checked, &panels);
    let out = &checked.out;
    let mut files = BTreeMap::new();
    files.extend(store::write_file(out, "panel.csv", |w| {
        store::write_panel(w, &checked.design, &checked.outcomes, &panels)
    })?);
    files.extend(store::write_file(out, "att.csv", |w| {
        store::write_rows(w, &store::ATT_HEADER, &att)
    })?);
    files.extend(store::write_file(out, "pretrend.csv", |w| {
        store::write_rows(w, &store::PRETREND_HEADER, &pretrend)
    })?);
    files.extend(store::write_file(out, "spillover.csv", |w| {
        store::write_rows(w, &store::SPILLOVER_HEADER, &spillover)
    })?);
    files.extend(store::write_file(out, "did_summary.csv", |w| {
        store::write_rows(w, &store::SUMMARY_HEADER, &summary)
    })?);
    let charts = crate::charts::draw_did(
        &summary,
        &checked.factual.name,
        &out.join("charts"),
        request.size,
    )?;
    files.extend(output::hash_files(out, &charts)?);
    let manifest = Manifest {
        cadresim_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: manifest::git_commit(),
        command: "did".to_string(),
        seed: request.seed,
        replicates: request.replicates,
        steps: request.steps,
        threads: checked.threads,
        started,
        finished: manifest::now_utc(),
        scenarios: vec![checked.factual.clone(), checked.counterfactual.clone()],
        files,
    };
    output::write_manifest(out, &manifest)?;
    Ok(DidOutcome {
        out: checked.out.clone(),
        design: checked.design.clone(),
        summary,
        manifest,
    })
}

/// Simulate the factual and counterfactual plans, reporting progress in cadre-steps.
fn simulate(
    plans: &[crate::params::Plan],
    pool: &rayon::ThreadPool,
    observer: &dyn Observer,
) -> Result<Vec<ScenarioResult>, StudyError> {
    observer.event(Event::Begin {
        what: "simulating",
        total: runner::total_work(plans),
    });
    let results =
        pool.install(|| runner::run(plans, &|units| observer.event(Event::Advance { units })));
    observer.event(Event::End);
    if let Some((scenario, step, level, metric)) = runner::first_non_finite(&results) {
        return Err(StudyError::Failed(format!(
            "scenario `{scenario}`: {metric} is not a finite number at step {step} (level {level}); no result was written. Please report the scenario file"
        )));
    }
    Ok(results)
}

/// Every replicate's panels (`[replicate][outcome]`) and estimates (in (replicate, outcome)
/// order, whatever the threads); each estimator that failed on some panel is reported once.
fn estimate(
    checked: &Checked,
    results: &[ScenarioResult],
    window: Window,
    observer: &dyn Observer,
) -> (Vec<Vec<Panels>>, Vec<Estimated>) {
    let replicates = results[0].replicates.len();
    let seed = checked.factual.params.run.seed;
    let panels: Vec<Vec<Panels>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let panel = |(o, &outcome): (usize, &did::Outcome)| {
                let mut panels = did::panels(&results[0], &results[1], r, outcome);
                if checked.observe == did::Observe::Poisson {
                    did::observe_poisson(&mut panels, seed, r, o);
                }
                panels
            };
            checked.metrics.iter().enumerate().map(panel).collect()
        })
        .collect();
    observer.event(Event::Begin {
        what: "estimating",
        total: (replicates * checked.outcomes.len()) as u64,
    });
    let work: Vec<(usize, usize)> = (0..replicates)
        .flat_map(|r| (0..checked.outcomes.len()).map(move |o| (r, o)))
        .collect();
    let done: Vec<(Estimated, Vec<String>)> = work
        .par_iter()
        .map(|&(r, o)| {
            let outcome = &checked.outcomes[o];
            let fit = did::estimate_all(r, outcome, &checked.design, &panels[r][o], window);
            observer.event(Event::Advance { units: 1 });
            fit
        })
        .collect();
    observer.event(Event::End);
    let mut reported: Vec<String> = Vec::new();
    let mut estimated = Vec::with_capacity(done.len());
    for ((r, o), (fit, failures)) in work.iter().zip(done) {
        for failure in failures {
            if !reported.contains(&failure) {
                observer.warn(format!(
                    "{}: replicate {r}, outcome {}: {failure} (no rows)",
                    checked.factual.name, checked.outcomes[*o]
                ));
                reported.push(failure);
            }
        }
        estimated.push(fit);
    }
    (panels, estimated)
}

/// The spillover rows of every replicate and outcome (none without never-treated units).
fn spillover_rows(checked: &Checked, panels: &[Vec<Panels>]) -> Vec<SpilloverRow> {
    let mut rows = Vec::new();
    for (replicate, of_replicate) in panels.iter().enumerate() {
        for (outcome, panel) in checked.outcomes.iter().zip(of_replicate) {
            let truth = did::Truth::new(panel, &checked.design.cohorts);
            for (step, effect) in truth.spillover().into_iter().enumerate() {
                rows.push(SpilloverRow {
                    replicate,
                    outcome: outcome.clone(),
                    step,
                    effect,
                });
            }
        }
    }
    rows
}
