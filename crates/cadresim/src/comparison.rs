//! Paired comparisons under common random numbers: replicate r of every scenario run with one
//! seed uses the same random streams, so a scenario is compared with a baseline through the
//! per-replicate differences of its equilibrium means (a paired t interval), with the
//! correlation of the pairs reported beside it. Scenarios run with another seed or replicate
//! count cannot be paired: they are compared by Welch's unpaired interval instead, with a
//! note saying why. Works on `summary.csv` rows, from one result directory or several.

use crate::metrics::METRICS;
use crate::params::Params;
use crate::rows::DifferenceRow;
use crate::rows::SummaryRow;
use crate::stats::{self, Difference};

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
}

/// The differences from a baseline, and a note for every scenario that could not be paired.
#[derive(Debug, PartialEq)]
pub struct Differences {
    pub baseline: String,
    pub rows: Vec<DifferenceRow>,
    pub notes: Vec<String>,
}

/// The differences of every scenario from the baseline (the first scenario when none is
/// named), at every level both share, for every metric: paired when the scenario shares the
/// baseline's seed and replicates, Welch's unpaired comparison otherwise.
pub fn differences(
    rows: &[SummaryRow],
    runs: &[RunOf],
    baseline: Option<&str>,
) -> Result<Differences, ComparisonError> {
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
            None => {
                return Ok(Differences {
                    baseline: String::new(),
                    rows: Vec::new(),
                    notes: Vec::new(),
                })
            }
        },
    };
    let mut found = Differences {
        baseline: base.scenario.clone(),
        rows: Vec::new(),
        notes: Vec::new(),
    };
    for run in runs.iter().filter(|run| run.scenario != base.scenario) {
        let mut unpaired = unpaired_because(run, base);
        let levels = levels_of(rows, &run.scenario);
        let pairs: Vec<_> = levels
            .iter()
            .map(|level| {
                let ours = replicates_at(rows, &run.scenario, level);
                let theirs = replicates_at(rows, &base.scenario, level);
                (level, ours, theirs)
            })
            .filter(|(_, _, theirs)| !theirs.is_empty())
            .collect();
        if unpaired.is_none() {
            unpaired = pairs
                .iter()
                .find(|(_, ours, theirs)| {
                    ours.iter()
                        .map(|r| r.replicate)
                        .ne(theirs.iter().map(|r| r.replicate))
                })
                .map(|(level, _, _)| format!("their replicates at level {level} differ"));
        }
        if let Some(why) = &unpaired {
            found.notes.push(format!(
                "`{}` is compared with `{}` unpaired (Welch intervals): {why}, so their replicates do not share random numbers",
                run.scenario, base.scenario
            ));
        }
        for (level, ours, theirs) in pairs {
            for (index, metric) in METRICS.iter().enumerate() {
                let values: Vec<f64> = ours.iter().map(|r| r.means[index]).collect();
                let baseline: Vec<f64> = theirs.iter().map(|r| r.means[index]).collect();
                let difference = match unpaired {
                    None => Difference::Paired(stats::paired(&baseline, &values)),
                    Some(_) => Difference::Welch(stats::welch(&baseline, &values)),
                };
                found.rows.push(DifferenceRow {
                    scenario: run.scenario.clone(),
                    level: level.clone(),
                    metric: metric.to_string(),
                    difference,
                });
            }
        }
    }
    Ok(found)
}

/// Why `run` cannot be paired with `base` by its settings (None: it can, so far).
fn unpaired_because(run: &RunOf, base: &RunOf) -> Option<String> {
    if run.seed != base.seed {
        Some(format!("seeds {} and {} differ", run.seed, base.seed))
    } else if run.replicates != base.replicates {
        Some(format!(
            "{} and {} replicates",
            run.replicates, base.replicates
        ))
    } else {
        None
    }
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
