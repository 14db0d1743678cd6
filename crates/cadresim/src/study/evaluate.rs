//! Evaluating many points of one scenario without writing files, for faces that hand numbers
//! to other tools (SALib, the EMA Workbench from Python): each point is the scenario with
//! some parameters set, run with the seeds `run` would use (so every point shares its random
//! streams with the others: common random numbers), and reduced to the equilibrium means of
//! some metrics at one level and, when asked, their mean series over replicates. The numbers
//! are those `run` writes to equilibrium.csv (and the means over replicates of those it writes
//! to timeseries.csv) for the same settings.

use super::memory::check_memory;
use super::{thread_pool, Event, Observer, StudyError};
use crate::metrics::{METRICS, WHOLE_HIERARCHY};
use crate::runner::{self, ScenarioResult};
use crate::scenario::{RunOverride, Scenario};

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct EvaluateRequest {
    pub scenario: Scenario,
    /// Where the scenario came from, as errors name it.
    pub source: String,
    /// Each point's settings, by key.
    pub points: Vec<Vec<(String, toml::Value)>>,
    /// Metrics to report (names of `metrics::METRICS`).
    pub metrics: Vec<String>,
    /// A level of the scenario's hierarchy, or "all".
    pub level: String,
    pub seed: Option<u64>,
    pub replicates: Option<u64>,
    pub steps: Option<u64>,
    /// Also report each metric's mean series over replicates.
    pub series: bool,
    pub threads: Option<usize>,
}

/// One point's numbers, metric by metric in the request's order.
#[derive(Clone, Debug, PartialEq)]
pub struct PointValues {
    /// Equilibrium means over replicates.
    pub means: Vec<f64>,
    /// With `series`: per metric, the mean over replicates at every step.
    pub series: Vec<Vec<f64>>,
}

/// Run every point; results in the points' order.
pub fn evaluate(
    request: &EvaluateRequest,
    observer: &dyn Observer,
) -> Result<Vec<PointValues>, StudyError> {
    let metrics = metric_indices(&request.metrics)?;
    let level = level_index(&request.scenario, &request.level)?;
    let mut plans = Vec::with_capacity(request.points.len());
    for (index, settings) in request.points.iter().enumerate() {
        let mut scenario = request.scenario.clone();
        scenario.set(settings, &format!("{} (point {index})", request.source))?;
        scenario.override_run(&RunOverride {
            steps: request.steps,
            replicates: request.replicates,
            seed: request.seed,
            until_settled: false,
        })?;
        if index == 0 {
            let (_, threads) = thread_pool(request.threads)?;
            check_memory(
                std::slice::from_ref(&scenario),
                std::slice::from_ref(&request.source),
                threads,
            )?;
        }
        plans.push(scenario.plan()?);
    }
    let (pool, _) = thread_pool(request.threads)?;
    observer.event(Event::Begin {
        what: "cadre-steps",
        total: runner::total_work(&plans),
    });
    let progress = |units: u64| observer.event(Event::Advance { units });
    let results = pool.install(|| runner::run(&plans, &progress));
    observer.event(Event::End);
    Ok(results
        .iter()
        .map(|result| values(result, level, &metrics, request.series))
        .collect())
}

fn metric_indices(names: &[String]) -> Result<Vec<usize>, StudyError> {
    if names.is_empty() {
        return Err(StudyError::Usage("name at least one metric".into()));
    }
    names
        .iter()
        .map(|name| {
            METRICS.iter().position(|m| m == name).ok_or_else(|| {
                StudyError::Usage(format!(
                    "`{name}` is not a metric; metrics: {}",
                    METRICS.join(", ")
                ))
            })
        })
        .collect()
}

fn level_index(scenario: &Scenario, level: &str) -> Result<usize, StudyError> {
    let levels = &scenario.params.hierarchy.levels;
    if level == WHOLE_HIERARCHY {
        return Ok(levels.len());
    }
    levels.iter().position(|l| l.name == level).ok_or_else(|| {
        let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
        StudyError::Usage(format!(
            "`{level}` is not a level of scenario `{}`; levels: {}, all",
            scenario.name,
            names.join(", ")
        ))
    })
}

/// One result's equilibrium means (and mean series) of `metrics` at `level`.
fn values(result: &ScenarioResult, level: usize, metrics: &[usize], series: bool) -> PointValues {
    let statistics = result.level_statistics(level);
    let means = metrics
        .iter()
        .map(|&m| statistics.metrics[m].mean)
        .collect();
    let series = if series {
        metrics
            .iter()
            .map(|&m| mean_series(result, level, m))
            .collect()
    } else {
        Vec::new()
    };
    PointValues { means, series }
}

fn mean_series(result: &ScenarioResult, level: usize, metric: usize) -> Vec<f64> {
    let levels = result.levels.len();
    let steps = result
        .replicates
        .iter()
        .map(|r| r.records.len() / levels)
        .min()
        .unwrap_or(0);
    let n = result.replicates.len() as f64;
    (0..steps)
        .map(|step| {
            result
                .replicates
                .iter()
                .map(|r| r.records[step * levels + level][metric])
                .sum::<f64>()
                / n
        })
        .collect()
}
