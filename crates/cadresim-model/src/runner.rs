//! Running replicates: every replicate of every plan, in parallel, and the equilibrium
//! statistics across replicates. Results are collected in (plan, replicate) order, so they do
//! not depend on the number of threads.

use rayon::prelude::*;

use crate::hierarchy::{Hierarchy, Size};
use crate::longrun;
use crate::metrics::{
    self, Equilibrium, RunSpan, CLASSES, MEAN_INNOVATION, METRIC_COUNT, WHOLE_HIERARCHY,
};
use crate::model::Simulation;
use crate::params::{EquilibriumParams, Params, Plan};
use crate::stats::{self, Spread};

/// Hierarchies at least this large run their replicates one after another (each replicate
/// already uses every core), which bounds memory to one replicate's state.
pub const LARGE_HIERARCHY: usize = 50_000;

/// One replicate's per-step metrics and its equilibrium at every level.
#[derive(Clone, Debug)]
pub struct ReplicateResult {
    /// `records[step * levels.len() + level]`, where the last level is "all".
    pub records: Vec<[f64; METRIC_COUNT]>,
    /// Equilibrium per level (last = "all").
    pub equilibria: Vec<Equilibrium>,
    /// With `output.by_unit`: `unit_records[step * units + unit]` of the recorded level's
    /// units (each with its subtree), and each unit's equilibrium; empty otherwise.
    pub unit_records: Vec<[f64; METRIC_COUNT]>,
    pub unit_equilibria: Vec<Equilibrium>,
    /// With `output.by_unit`: each recorded unit's successful honest innovations per step,
    /// `[step * units + unit]` (no metric column; the `successes` outcome of `did`).
    pub unit_successes: Vec<f64>,
}

/// The units recorded one by one (`output.by_unit`): their level, codes and names.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedUnits {
    pub level: String,
    pub codes: Vec<String>,
    pub names: Vec<String>,
}

/// Every replicate of one scenario.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// Its parameters at step 0 (`run` holds for the whole run).
    pub params: Params,
    /// Level names, then "all".
    pub levels: Vec<String>,
    pub replicates: Vec<ReplicateResult>,
    /// The units recorded one by one, with `output.by_unit`.
    pub units: Option<RecordedUnits>,
}

impl ScenarioResult {
    /// Metrics of replicate `replicate`, step `step`, level `level`.
    pub fn record(&self, replicate: usize, step: usize, level: usize) -> &[f64; METRIC_COUNT] {
        &self.replicates[replicate].records[step * self.levels.len() + level]
    }

    /// Equilibrium statistics of one level across replicates.
    pub fn level_statistics(&self, level: usize) -> LevelStatistics {
        let equilibria: Vec<&Equilibrium> = self
            .replicates
            .iter()
            .map(|r| &r.equilibria[level])
            .collect();
        LevelStatistics::from_equilibria(&equilibria)
    }
}

/// Statistics of one level of one scenario across replicates.
#[derive(Clone, Debug)]
pub struct LevelStatistics {
    /// Per metric, in `METRICS` order.
    pub metrics: Vec<Spread>,
    /// Over the replicates that converged (n = how many did).
    pub converged_at: Spread,
    /// Replicates per class, in `CLASSES` order.
    pub class_counts: Vec<usize>,
    /// Replicates that had settled before the equilibrium window (docs/MODEL.md §7.11).
    pub settled: usize,
    pub replicates: usize,
}

impl LevelStatistics {
    /// Statistics of the equilibria of several replicates.
    pub fn from_equilibria(equilibria: &[&Equilibrium]) -> Self {
        let metrics = (0..METRIC_COUNT)
            .map(|metric| {
                let values: Vec<f64> = equilibria.iter().map(|e| e.means[metric]).collect();
                stats::spread(&values).within(crate::metrics::BOUNDS[metric])
            })
            .collect();
        let converged: Vec<f64> = equilibria
            .iter()
            .filter_map(|e| e.converged_at.map(|t| t as f64))
            .collect();
        let class_counts = CLASSES
            .iter()
            .map(|class| equilibria.iter().filter(|e| e.class == *class).count())
            .collect();
        LevelStatistics {
            metrics,
            converged_at: stats::spread(&converged).within((0.0, f64::INFINITY)),
            class_counts,
            settled: equilibria.iter().filter(|e| e.settled).count(),
            replicates: equilibria.len(),
        }
    }

    /// The most frequent class (ties: earlier in `CLASSES`).
    pub fn modal_class(&self) -> &'static str {
        let mut best = 0;
        for (index, count) in self.class_counts.iter().enumerate() {
            if *count > self.class_counts[best] {
                best = index;
            }
        }
        CLASSES[best]
    }
}

/// The first metric that is not a finite number, in (scenario, replicate, step, level)
/// order: (scenario, step, level name, metric). Parameter ranges are chosen so that this
/// never happens; a run that meets one must not be reported as a result.
pub fn first_non_finite(
    results: &[ScenarioResult],
) -> Option<(String, usize, String, &'static str)> {
    for result in results {
        let levels = result.levels.len();
        for replicate in &result.replicates {
            for (index, record) in replicate.records.iter().enumerate() {
                if let Some(metric) = record.iter().position(|value| !value.is_finite()) {
                    return Some((
                        result.name.clone(),
                        index / levels,
                        result.levels[index % levels].clone(),
                        metrics::METRICS[metric],
                    ));
                }
            }
        }
    }
    None
}

/// Cadre-steps of every replicate of every plan (for progress reporting).
pub fn total_work(plans: &[Plan]) -> u64 {
    plans
        .iter()
        .map(|plan| {
            let params = &plan.params;
            let cadres = Size::of(&params.hierarchy).map_or(0, |size| size.cadres);
            cadres * params.run.most_steps() * params.run.replicates
        })
        .sum()
}

/// Bytes the replicates of one scenario need at most: concurrent replicate state plus all
/// time series (`u128::MAX / 4` for a hierarchy that cannot exist).
pub fn memory_needed(params: &Params, threads: usize) -> u128 {
    let Ok(hierarchy) = Size::of(&params.hierarchy) else {
        return u128::MAX / 4;
    };
    let actions = params.work.innovation_levels as u128 + 2;
    let per_cadre = 28 + 4 * actions;
    // Per unit: seven f64 arrays of the simulation and three u32 of the hierarchy.
    let state = hierarchy.cadres as u128 * per_cadre
        + hierarchy.units as u128 * (7 * 8 + 3 * 4)
        + hierarchy.groups as u128 * 512;
    let replicates = params.run.replicates as u128;
    // Replicates that run until settled advance together, so all of them are held at once.
    let concurrent = if params.run.until_settled {
        replicates
    } else if hierarchy.cadres >= LARGE_HIERARCHY as u64 {
        1
    } else {
        replicates.min(threads.max(1) as u128 * 4)
    };
    let recorded_units = params
        .by_unit_level()
        .map_or(0, |level| hierarchy.level_units[level] as u128);
    // Per step: every level's and recorded unit's metrics, and each unit's success count.
    let per_step = (hierarchy.levels as u128 + 1 + recorded_units) * METRIC_COUNT as u128 * 8
        + recorded_units * 8;
    let series = params.run.most_steps() as u128 * per_step * replicates;
    state * concurrent + series
}

/// Run one replicate of `run.steps` steps (with `run.until_settled`, the rule is applied to
/// this replicate's series alone: `run_replicates` applies it to all of them together).
pub fn run_replicate(
    plan: &Plan,
    replicate: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> ReplicateResult {
    if plan.params.run.until_settled {
        let mut results = run_until_settled(plan, replicate..replicate + 1, progress);
        return results.pop().expect("one replicate");
    }
    let mut simulation = Simulation::new(plan, replicate);
    simulation.run(progress);
    finish_fixed(simulation, plan)
}

/// A replicate of `plan` run for its fixed `run.steps` (by `run_replicate`, or step by step
/// by a face), with its equilibria over steps `run.burn_in..`.
pub fn finish_fixed(simulation: Simulation, plan: &Plan) -> ReplicateResult {
    let burn_in = plan.params.run.burn_in as usize;
    finish(simulation, burn_in, &plan.params.equilibrium, None)
}

/// Every replicate of one plan, in replicate order: of `run.steps` steps each, or with
/// `run.until_settled` all of the same length, chosen by the long-run rule.
pub fn run_replicates(plan: &Plan, progress: &(dyn Fn(u64) + Sync)) -> Vec<ReplicateResult> {
    let replicates = plan.params.run.replicates;
    if plan.params.run.until_settled {
        return run_until_settled(plan, 0..replicates, progress);
    }
    if is_large(plan) {
        (0..replicates)
            .map(|r| run_replicate(plan, r, progress))
            .collect()
    } else {
        (0..replicates)
            .into_par_iter()
            .map(|r| run_replicate(plan, r, progress))
            .collect()
    }
}

/// Whether a plan's hierarchy is large enough that its replicates run one after another.
pub fn is_large(plan: &Plan) -> bool {
    Size::of(&plan.params.hierarchy).map_or(0, |size| size.cadres) >= LARGE_HIERARCHY as u64
}

/// A finished simulation's records and its equilibria over steps `burn_in..`, at every level
/// and recorded unit; with a long-run verdict (`until_settled`), `settled` is the verdict's.
fn finish(
    simulation: Simulation,
    burn_in: usize,
    thresholds: &EquilibriumParams,
    verdict: Option<(RunSpan, bool)>,
) -> ReplicateResult {
    let steps = simulation.steps_taken() as usize;
    let levels = simulation.hierarchy().levels.len() + 1;
    let (records, unit_records, unit_successes) = simulation.into_all_records();
    let equilibrium_of = |series: Vec<[f64; METRIC_COUNT]>| {
        let mut equilibrium = metrics::equilibrium(&series, burn_in, thresholds);
        if let Some((span, settled)) = verdict {
            equilibrium.settled = settled;
            equilibrium.span = Some(span);
        }
        equilibrium
    };
    let every = |records: &[[f64; METRIC_COUNT]], stride: usize, index: usize| {
        records
            .iter()
            .skip(index)
            .step_by(stride)
            .copied()
            .collect()
    };
    let equilibria = (0..levels)
        .map(|level| equilibrium_of(every(&records, levels, level)))
        .collect();
    let units = unit_records.len() / steps.max(1);
    let unit_equilibria = (0..units)
        .map(|unit| equilibrium_of(every(&unit_records, units, unit)))
        .collect();
    ReplicateResult {
        records,
        equilibria,
        unit_records,
        unit_equilibria,
        unit_successes,
    }
}

/// The steps after which the long-run rule is applied: the last schedule change plus
/// 200, 300, 400, 600, 800, ... steps (`longrun::next_check`), and `run.max_steps` last.
pub fn checkpoints(last_change: u64, max_steps: u64) -> Vec<u64> {
    let mut points = Vec::new();
    let first = crate::params::FIRST_CHECK;
    let mut length = first;
    while last_change + length < max_steps {
        points.push(last_change + length);
        length = longrun::next_check(length, first);
    }
    points.push(max_steps);
    points
}

/// Run the replicates together to each checkpoint until the long-run rule (`longrun::assess`
/// on their whole-hierarchy mean innovation after the last schedule change) finds them long
/// enough, or until `run.max_steps`. Every replicate has the same length and equilibrium
/// window; the decision depends only on their series, so not on the number of threads.
fn run_until_settled(
    plan: &Plan,
    replicates: std::ops::Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<ReplicateResult> {
    let params = &plan.params;
    let large = is_large(plan);
    let mut simulations: Vec<Simulation> = replicates.map(|r| Simulation::new(plan, r)).collect();
    let cadres = simulations[0].hierarchy().cadres as u64;
    let start = plan.last_change() as usize;
    let rule = longrun::Rule {
        precision: params.run.precision,
    };
    let mut assessment = None;
    for checkpoint in checkpoints(plan.last_change(), params.run.max_steps) {
        let advance = |simulation: &mut Simulation| {
            while simulation.steps_taken() < checkpoint {
                simulation.step();
                progress(cadres);
            }
        };
        if large {
            simulations.iter_mut().for_each(advance);
        } else {
            simulations.par_iter_mut().for_each(advance);
        }
        let series: Vec<Vec<f64>> = simulations
            .iter()
            .map(|simulation| whole_innovation(simulation, start))
            .collect();
        let views: Vec<&[f64]> = series.iter().map(Vec::as_slice).collect();
        let found = longrun::assess(&views, &rule);
        let done = found.shortfall.is_none();
        assessment = Some(found);
        if done {
            break;
        }
    }
    let assessment = assessment.expect("at least one checkpoint");
    let steps = simulations[0].steps_taken();
    progress(cadres * (params.run.max_steps - steps) * simulations.len() as u64);
    let settled = assessment.shortfall.is_none();
    // A run stopped by run.max_steps keeps its second half as the window.
    let length = steps as usize - start;
    let truncation = if settled {
        assessment.truncation
    } else {
        length / 2
    };
    let span = RunSpan {
        burn_in: start + truncation,
        steps: steps as usize,
        relaxation: assessment.relaxation,
        shortfall: assessment.shortfall,
    };
    let finish_one = |simulation| {
        finish(
            simulation,
            span.burn_in,
            &params.equilibrium,
            Some((span, settled)),
        )
    };
    if large {
        simulations.into_iter().map(finish_one).collect()
    } else {
        simulations.into_par_iter().map(finish_one).collect()
    }
}

/// A simulation's whole-hierarchy mean innovation from step `start` on.
fn whole_innovation(simulation: &Simulation, start: usize) -> Vec<f64> {
    let levels = simulation.hierarchy().levels.len() + 1;
    simulation
        .records()
        .iter()
        .skip(start * levels + levels - 1)
        .step_by(levels)
        .map(|record| record[MEAN_INNOVATION])
        .collect()
}

/// The units a plan records one by one, with their codes and names.
fn recorded_units(params: &Params) -> Option<RecordedUnits> {
    let level = params.by_unit_level()?;
    let hierarchy = Hierarchy::new(&params.hierarchy).ok()?;
    let tree = params.hierarchy.tree.as_ref().map(|tree| &*tree.units);
    let (codes, names) = hierarchy.unit_labels(level, tree);
    Some(RecordedUnits {
        level: hierarchy.levels[level].name.clone(),
        codes,
        names,
    })
}

/// The level names of a hierarchy, then "all" (the levels of its results).
pub fn level_names(params: &Params) -> Vec<String> {
    let mut levels: Vec<String> = params
        .hierarchy
        .levels
        .iter()
        .map(|level| level.name.clone())
        .collect();
    levels.push(WHOLE_HIERARCHY.to_string());
    levels
}

/// Run every replicate of every plan; results come back in input order.
pub fn run(plans: &[Plan], progress: &(dyn Fn(u64) + Sync)) -> Vec<ScenarioResult> {
    let mut results = Vec::with_capacity(plans.len());
    for plan in plans {
        let replicate_results = run_replicates(plan, progress);
        results.push(ScenarioResult {
            name: plan.name.clone(),
            params: plan.params.clone(),
            levels: level_names(&plan.params),
            replicates: replicate_results,
            units: recorded_units(&plan.params),
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn the_first_non_finite_metric_is_named_with_its_step_and_level() {
        let mut params = Params::default();
        params.run.steps = 3;
        params.run.burn_in = 1;
        params.run.replicates = 1;
        let mut results = run(&[Plan::constant("tiny", params)], &|_| {});
        assert_eq!(first_non_finite(&results), None);
        let levels = results[0].levels.len();
        let welfare = crate::metrics::metric_index("welfare").unwrap();
        results[0].replicates[0].records[2 * levels + 1][welfare] = f64::NAN;
        let found = first_non_finite(&results).unwrap();
        assert_eq!(
            found,
            (
                "tiny".to_string(),
                2,
                results[0].levels[1].clone(),
                "welfare"
            )
        );
    }
}
