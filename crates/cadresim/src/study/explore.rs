//! The explorer's studies, for a face that draws while the model runs (`cadresim serve`):
//! one scenario run step by step, its replicates in lockstep, reporting every few steps the
//! mean over replicates of every level's metrics and the cadres of a few units of replicate
//! 0; and a small penalty curve. A study stops between steps when its face's report says so
//! (the page went away). The simulation is
//! `run`'s at a fixed horizon: the equilibria are those `cadresim run --steps N` reports for
//! the same scenario, replicates and seed.

use rayon::prelude::*;

use super::memory::check_memory;
use super::StudyError;
use crate::hierarchy::Hierarchy;
use crate::metrics::METRIC_COUNT;
use crate::model::{CadreView, Simulation};
use crate::params::Plan;
use crate::runner::{self, LevelStatistics, ScenarioResult};
use crate::scenario::{RunOverride, Scenario};
use crate::stats::Spread;

/// The most steps and replicates an explorer run may ask for.
pub const MAX_STEPS: u64 = 20_000;
pub const MAX_REPLICATES: u64 = 32;
/// Units shown in the agent view: at most this many per level.
pub const SAMPLE_UNITS: usize = 4;

/// One explorer run: a scenario (its settings already applied), run for `steps` steps.
#[derive(Clone, Debug)]
pub struct ExploreRequest {
    pub scenario: Scenario,
    /// Where the scenario came from, as errors name it.
    pub source: String,
    pub steps: u64,
    pub replicates: u64,
    pub seed: u64,
    /// Steps between two reports.
    pub every: u64,
}

/// What the study reports while it runs.
#[derive(Clone, Debug)]
pub enum Frame {
    /// The levels (then "all") and the sampled units' levels, before the first step.
    Start {
        levels: Vec<String>,
        unit_levels: Vec<usize>,
    },
    /// Means over replicates of every metric at every level, `values[step][level]`, for the
    /// steps `from..from + values.len()`.
    Series {
        from: u64,
        values: Vec<Vec<[f64; METRIC_COUNT]>>,
    },
    /// The sampled cadres of replicate 0 after step `step`, and the sanctions each sampled
    /// unit's cadres bore in that step.
    Agents {
        step: u64,
        cadres: Vec<CadreView>,
        sanctions: Vec<f64>,
    },
}

/// The scenario of an explorer run with its run settings (a fixed horizon), and its plan,
/// checked (steps, replicates, memory) before anything runs.
pub fn plan(request: &ExploreRequest) -> Result<(Scenario, Plan), StudyError> {
    if !(1..=MAX_STEPS).contains(&request.steps) {
        return Err(StudyError::Usage(format!(
            "steps must be in 1..={MAX_STEPS}, got {}",
            request.steps
        )));
    }
    if !(2..=MAX_REPLICATES).contains(&request.replicates) {
        return Err(StudyError::Usage(format!(
            "replicates must be in 2..={MAX_REPLICATES}, got {}",
            request.replicates
        )));
    }
    let mut scenario = request.scenario.clone();
    scenario.override_run(&RunOverride {
        steps: Some(request.steps),
        replicates: Some(request.replicates),
        seed: Some(request.seed),
        until_settled: false,
    })?;
    let threads = rayon::current_num_threads();
    check_memory(
        std::slice::from_ref(&scenario),
        std::slice::from_ref(&request.source),
        threads,
    )?;
    let plan = scenario.plan()?;
    Ok((scenario, plan))
}

/// Run the plan step by step, reporting to `report` (which returns false to stop); None when
/// stopped.
pub fn explore(
    plan: &Plan,
    every: u64,
    report: &mut dyn FnMut(Frame) -> bool,
) -> Option<ScenarioResult> {
    let replicates = plan.params.run.replicates;
    let mut simulations: Vec<Simulation> =
        (0..replicates).map(|r| Simulation::new(plan, r)).collect();
    let hierarchy = simulations[0].hierarchy();
    let units = sample_units(hierarchy);
    let unit_levels = units.iter().map(|&u| hierarchy.level_of_unit(u)).collect();
    let levels = runner::level_names(&plan.params);
    let stride = levels.len();
    if !report(Frame::Start {
        levels: levels.clone(),
        unit_levels,
    }) {
        return None;
    }
    let mut cadres = Vec::new();
    let steps = plan.params.run.steps;
    let mut done = 0;
    while done < steps {
        let chunk = every.max(1).min(steps - done);
        let mut frames = Vec::new();
        for _ in 0..chunk {
            simulations.par_iter_mut().for_each(|s| s.step());
            simulations[0].cadres_of(&units, &mut cadres);
            done += 1;
            frames.push(Frame::Agents {
                step: done - 1,
                cadres: cadres.clone(),
                sanctions: simulations[0].sanctions_of(&units),
            });
        }
        let values = (done - chunk..done)
            .map(|step| mean_records(&simulations, step as usize, stride))
            .collect();
        let series = Frame::Series {
            from: done - chunk,
            values,
        };
        for frame in std::iter::once(series).chain(frames) {
            if !report(frame) {
                return None;
            }
        }
    }
    let replicates = simulations
        .into_iter()
        .map(|simulation| runner::finish_fixed(simulation, plan))
        .collect();
    Some(ScenarioResult {
        name: plan.name.clone(),
        params: plan.params.clone(),
        levels,
        replicates,
        units: None,
    })
}

/// Each level's metrics at `step`, averaged over the replicates.
fn mean_records(
    simulations: &[Simulation],
    step: usize,
    stride: usize,
) -> Vec<[f64; METRIC_COUNT]> {
    let n = simulations.len() as f64;
    (0..stride)
        .map(|level| {
            let mut sum = [0.0; METRIC_COUNT];
            for simulation in simulations {
                let record = &simulation.records()[step * stride + level];
                for (total, value) in sum.iter_mut().zip(record) {
                    *total += value / n;
                }
            }
            sum
        })
        .collect()
}

/// The units the agent view shows: up to `SAMPLE_UNITS` at the top level, then at every
/// level below the children of the first unit shown above (the first units of the level
/// when it has none).
pub fn sample_units(hierarchy: &Hierarchy) -> Vec<usize> {
    let mut units = Vec::new();
    let mut parent: Option<usize> = None;
    for level in &hierarchy.levels {
        let children = parent
            .map(|p| hierarchy.children(p))
            .filter(|c| !c.is_empty());
        let range = children.unwrap_or(level.first_unit..level.first_unit + level.units);
        let shown: Vec<usize> = range.take(SAMPLE_UNITS).collect();
        parent = shown.first().copied();
        units.extend(shown);
    }
    units
}

/// One point of a penalty curve: the penalty, and the whole hierarchy's equilibrium.
#[derive(Clone, Debug)]
pub struct CurvePoint {
    pub penalty: f64,
    pub statistics: LevelStatistics,
}

/// The penalties of a curve: `points` values from `from` to `to`, log-spaced.
pub fn curve_penalties(from: f64, to: f64, points: usize) -> Result<Vec<f64>, StudyError> {
    if !(from > 0.0 && to > from && to <= 1e6 && (2..=25).contains(&points)) {
        return Err(StudyError::Usage(format!(
            "a penalty curve needs 0 < from < to <= 1e6 and 2..=25 points, got from {from}, to {to}, {points} points"
        )));
    }
    let ratio = (to / from).ln() / (points - 1) as f64;
    Ok((0..points)
        .map(|i| from * (ratio * i as f64).exp())
        .collect())
}

/// The whole hierarchy's equilibrium at each penalty (common random numbers across points),
/// reported point by point; None when stopped.
pub fn penalty_curve(
    request: &ExploreRequest,
    penalties: &[f64],
    report: &mut dyn FnMut(CurvePoint) -> bool,
) -> Result<Option<Vec<CurvePoint>>, StudyError> {
    let mut points = Vec::new();
    for &penalty in penalties {
        let mut scenario = request.scenario.clone();
        let value = toml::Value::Float(penalty);
        scenario.set(
            &[("accountability.penalty".to_string(), value)],
            &request.source,
        )?;
        let (_, plan) = plan(&ExploreRequest {
            scenario,
            ..request.clone()
        })?;
        let result = runner::run(std::slice::from_ref(&plan), &|_| {}).remove(0);
        let point = CurvePoint {
            penalty,
            statistics: result.level_statistics(result.levels.len() - 1),
        };
        if !report(point.clone()) {
            return Ok(None);
        }
        points.push(point);
    }
    Ok(Some(points))
}

/// A metric's mean and 95% interval across replicates, for a face (NaN bounds without one).
pub fn interval(spread: &Spread) -> (f64, f64, f64) {
    let (low, high) = spread.ci95.unwrap_or((f64::NAN, f64::NAN));
    (spread.mean, low, high)
}
