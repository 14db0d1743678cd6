//! Paired comparisons under common random numbers: replicate r of every scenario run with one
//! seed uses the same random streams, so a scenario is compared with a baseline through the
//! per-replicate differences of its equilibrium means (a paired t interval), with the
//! correlation of the pairs reported beside it. Works on `summary.csv` rows, from one result
//! directory or several.

use crate::metrics::METRICS;
use crate::output::tables::{DifferenceRow, SummaryRow};
use crate::params::Params;
use crate::stats;

/// What a scenario was run with; pairing needs the same seed and replicate count.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOf {
    pub scenario: String,
    pub seed: u64,
    pub replicates: u64,
}

impl RunOf {
    /// What scenario `scenario` was run with, from its parameters.
    pub fn new(scenario: String, params: &Params) -> Self {
        RunOf {
            scenario,
            seed: params.run.seed,
            replicates: params.run.replicates,
        }
    }
}

/// A comparison that cannot be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ComparisonError {
    #[error("--baseline `{name}` is not a scenario of the comparison; the scenarios are: {known}")]
    UnknownBaseline { name: String, known: String },
    #[error("cannot pair `{scenario}` with the baseline `{baseline}`: {why}; paired differences need the same seed and replicates")]
    Unpaired {
        scenario: String,
        baseline: String,
        why: String,
    },
}

/// The paired differences of every scenario from the baseline (the first scenario when none
/// is named), at every level both share, for every metric; returns the baseline's name too.
pub fn differences(
    rows: &[SummaryRow],
    runs: &[RunOf],
    baseline: Option<&str>,
) -> Result<(String, Vec<DifferenceRow>), ComparisonError> {
    let base = match baseline {
        Some(name) => runs
            .iter()
            .find(|run| run.scenario == name)
            .ok_or_else(|| ComparisonError::UnknownBaseline {
                name: name.to_string(),
                known: runs
                    .iter()
                    .map(|r| r.scenario.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None => match runs.first() {
            Some(run) => run,
            None => return Ok((String::new(), Vec::new())),
        },
    };
    let mut differences = Vec::new();
    for run in runs.iter().filter(|run| run.scenario != base.scenario) {
        let unpaired = |why: String| ComparisonError::Unpaired {
            scenario: run.scenario.clone(),
            baseline: base.scenario.clone(),
            why,
        };
        if run.seed != base.seed {
            return Err(unpaired(format!(
                "seeds {} and {} differ",
                run.seed, base.seed
            )));
        }
        if run.replicates != base.replicates {
            return Err(unpaired(format!(
                "{} and {} replicates",
                run.replicates, base.replicates
            )));
        }
        for level in levels_of(rows, &run.scenario) {
            let ours = replicates_at(rows, &run.scenario, &level);
            let theirs = replicates_at(rows, &base.scenario, &level);
            if theirs.is_empty() {
                continue;
            }
            if ours
                .iter()
                .map(|r| r.replicate)
                .ne(theirs.iter().map(|r| r.replicate))
            {
                return Err(unpaired(format!(
                    "their replicates at level {level} differ"
                )));
            }
            for (index, metric) in METRICS.iter().enumerate() {
                let values: Vec<f64> = ours.iter().map(|r| r.means[index]).collect();
                let baseline: Vec<f64> = theirs.iter().map(|r| r.means[index]).collect();
                differences.push(DifferenceRow {
                    scenario: run.scenario.clone(),
                    level: level.clone(),
                    metric: metric.to_string(),
                    paired: stats::paired(&baseline, &values),
                });
            }
        }
    }
    Ok((base.scenario.clone(), differences))
}

/// Level names of a scenario in file order.
fn levels_of(rows: &[SummaryRow], scenario: &str) -> Vec<String> {
    let mut levels: Vec<String> = Vec::new();
    for row in rows.iter().filter(|row| row.scenario == scenario) {
        if !levels.contains(&row.level) {
            levels.push(row.level.clone());
        }
    }
    levels
}

/// A scenario's rows at one level, in replicate order.
fn replicates_at<'a>(rows: &'a [SummaryRow], scenario: &str, level: &str) -> Vec<&'a SummaryRow> {
    let mut found: Vec<&SummaryRow> = rows
        .iter()
        .filter(|row| row.scenario == scenario && row.level == level)
        .collect();
    found.sort_by_key(|row| row.replicate);
    found
}
