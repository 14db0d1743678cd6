//! Effects on a calendar: what each schedule entry of a scenario changes k = 1, 2, 3, 5, 10,
//! 20 and 50 steps after it. The effect is a paired difference between the scenario (the
//! factual run) and its counterfactual, the same scenario without that entry, run with the
//! same seed: replicate r of both draws from the same random streams (keyed by seed,
//! replicate, step, peer group and phase), so the two runs are identical before the entry's
//! step and differ after it only through the entry. This module decides which scenarios
//! report effects, builds the counterfactual plans and turns the two runs' whole-hierarchy
//! series into `effects.csv` rows (the mean over replicates of factual − counterfactual with
//! its t-based 95% interval, `stats::paired`); `output::tables` writes the rows and
//! `charts::effects` draws them.

use crate::metrics::METRICS;
use crate::params::{Plan, AUTOMATIC_EFFECT_EVENTS};
use crate::rows::EffectRow;
use crate::runner::ScenarioResult;
use crate::scenario::{Scenario, ScenarioError};
use crate::stats;

/// Steps after an entry at which its effect is reported.
pub const HORIZONS: [u64; 7] = [1, 2, 3, 5, 10, 20, 50];

/// The last of `HORIZONS`: a counterfactual runs this many steps after its entry.
pub const LAST_HORIZON: u64 = HORIZONS[HORIZONS.len() - 1];

/// One schedule entry of a scenario: its position in the scenario's schedule (file order,
/// from 0) and its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub entry: usize,
    pub at: u64,
}

impl Event {
    /// The entry as `effects.csv` names it: `N@STEP`, the N-th `[[schedule]]` entry of the
    /// scenario file counted from 1 (the `[N]` of the behaviour chart), at step STEP.
    pub fn name(&self) -> String {
        format!("{}@{}", self.entry + 1, self.at)
    }
}

/// The run without one entry of one scenario.
#[derive(Clone, Debug)]
pub struct Counterfactual {
    /// Index of the scenario among those run.
    pub scenario: usize,
    pub event: Event,
    pub plan: Plan,
}

/// Whether a scenario reports the effects of its schedule entries: never without a
/// schedule; as `output.effects` says, or ("auto") with at most `AUTOMATIC_EFFECT_EVENTS`
/// entries.
pub fn reports_effects(scenario: &Scenario) -> bool {
    let entries = scenario.schedule.len();
    let automatic = entries <= AUTOMATIC_EFFECT_EVENTS;
    entries > 0 && scenario.params.output.effects.unwrap_or(automatic)
}

/// The plan of `scenario` without schedule entry `entry`: a run of fixed length up to
/// `LAST_HORIZON` steps after the entry (no longer than the scenario may run), with the
/// same seed and replicates and no units recorded one by one (which changes no metric).
/// Fails when the schedule without the entry is not valid (a later entry relied on it).
pub fn counterfactual(scenario: &Scenario, entry: usize) -> Result<Plan, ScenarioError> {
    let mut without = scenario.clone();
    let removed = without.schedule.remove(entry);
    let run = &mut without.params.run;
    run.steps = (removed.at + LAST_HORIZON + 1).min(run.most_steps());
    run.burn_in = 0;
    run.until_settled = false;
    without.params.output.by_unit = None;
    without.plan()
}

/// The counterfactuals of every scenario that reports effects, in (scenario, entry) order,
/// and one line for each entry left out because the schedule without it is not valid.
pub fn counterfactuals(scenarios: &[Scenario]) -> (Vec<Counterfactual>, Vec<String>) {
    let mut planned = Vec::new();
    let mut left_out = Vec::new();
    for (index, scenario) in scenarios.iter().enumerate() {
        if !reports_effects(scenario) {
            continue;
        }
        for (entry, scheduled) in scenario.schedule.iter().enumerate() {
            let event = Event {
                entry,
                at: scheduled.at,
            };
            match counterfactual(scenario, entry) {
                Ok(plan) => planned.push(Counterfactual {
                    scenario: index,
                    event,
                    plan,
                }),
                Err(error) => left_out.push(format!(
                    "scenario `{}`: no effects of schedule entry {}: without it the schedule is not valid ({error})",
                    scenario.name,
                    event.name()
                )),
            }
        }
    }
    (planned, left_out)
}

/// Steps every replicate of a result has.
fn steps_of(result: &ScenarioResult) -> u64 {
    let levels = result.levels.len().max(1);
    let steps = result.replicates.iter().map(|r| r.records.len() / levels);
    steps.min().unwrap_or(0) as u64
}

/// The rows of one entry: for every metric of the whole hierarchy and every horizon k that
/// both runs reached, the paired difference factual − counterfactual at step `at + k`
/// across replicates.
pub fn effects(
    factual: &ScenarioResult,
    event: Event,
    counterfactual: &ScenarioResult,
) -> Vec<EffectRow> {
    let all = factual.levels.len() - 1;
    let reached = steps_of(factual).min(steps_of(counterfactual));
    let replicates = factual
        .replicates
        .len()
        .min(counterfactual.replicates.len());
    let mut rows = Vec::new();
    for (metric, name) in METRICS.iter().enumerate() {
        for k in HORIZONS.into_iter().filter(|k| event.at + k < reached) {
            let step = (event.at + k) as usize;
            let values = |result: &ScenarioResult| -> Vec<f64> {
                (0..replicates)
                    .map(|r| result.record(r, step, all)[metric])
                    .collect()
            };
            let difference = stats::paired(&values(counterfactual), &values(factual)).difference;
            rows.push(EffectRow {
                scenario: factual.name.clone(),
                event: event.name(),
                metric: name.to_string(),
                k,
                effect: difference.mean,
                ci95: difference.ci95,
                n: difference.n,
            });
        }
    }
    rows
}

/// The rows of every counterfactual, in order: `results` are the factual runs (indexed by
/// `Counterfactual::scenario`), `outcomes` the counterfactual runs in the same order as
/// `counterfactuals`.
pub fn rows(
    results: &[ScenarioResult],
    counterfactuals: &[Counterfactual],
    outcomes: &[ScenarioResult],
) -> Vec<EffectRow> {
    counterfactuals
        .iter()
        .zip(outcomes)
        .flat_map(|(planned, outcome)| effects(&results[planned.scenario], planned.event, outcome))
        .collect()
}
