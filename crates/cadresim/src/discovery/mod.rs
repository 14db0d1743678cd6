//! Scenario discovery on a sweep: which region of the swept parameters holds the cases
//! (point x replicate) whose equilibrium meets a condition? Builds PRIM's cases from the rows
//! of points.csv and sweep.csv read by the caller, runs `prim`, chooses a box and describes
//! it. Knows no file format.

pub mod bagging;
pub mod condition;
// PRIM on plain numbers lives in the analysis crate.
pub use cadresim_analysis::discovery::prim;

use crate::rows::PointsTable;

use crate::rows::BoxRow;
use crate::rows::SummaryRow;
pub use condition::{parse, Condition, ConditionError};
use prim::{Cases, Column, Limit, TrajectoryBox};

/// Coverage the default box must reach: the densest box covering at least half the cases of
/// interest is chosen.
pub const DEFAULT_COVERAGE: f64 = 0.5;

/// One swept parameter as PRIM sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// The points.csv column.
    pub name: String,
    /// Category labels (empty for a numeric parameter).
    pub categories: Vec<String>,
}

/// The limits of the chosen box on one restricted parameter, with the parameter's whole
/// range in the sweep (numeric parameters) for normalising.
#[derive(Clone, Debug, PartialEq)]
pub struct Restriction {
    pub row: BoxRow,
    pub range: Option<(f64, f64)>,
}

/// The result of a discovery.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// The swept parameters, then the dummy factor (`bagging::DUMMY`).
    pub parameters: Vec<Parameter>,
    pub trajectory: Vec<TrajectoryBox>,
    /// Index of the chosen box on the trajectory.
    pub chosen: usize,
    /// The box reported: the chosen box without the restrictions that recur in fewer than
    /// `bagging::KEEP` of the bootstrap resamples (the chosen box itself without bagging).
    pub reported: TrajectoryBox,
    /// Per parameter, the share of bootstrap resamples whose box restricts it (None
    /// without bagging).
    pub inclusion: Option<Vec<f64>>,
    /// Parameters the chosen box restricts that bagging dropped.
    pub dropped: Vec<String>,
    /// The reported box restricts the dummy factor: it fits noise.
    pub spurious: bool,
    /// One entry per restricted parameter of the reported box, in parameter order.
    pub restrictions: Vec<Restriction>,
    /// Cases (point x replicate) and cases of interest.
    pub cases: usize,
    pub of_interest: usize,
}

/// Why a discovery cannot run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DiscoveryError {
    #[error("--level `{level}` is not in the sweep's results (levels: {levels})")]
    Level { level: String, levels: String },
    #[error("no case meets `{0}`: there is nothing to discover (try another condition)")]
    NoneOfInterest(String),
    #[error("every case meets `{0}`: the condition holds everywhere in the sweep")]
    AllOfInterest(String),
    #[error("--box {chosen}: the trajectory has boxes 0 to {last}")]
    NoSuchBox { chosen: usize, last: usize },
    #[error("sweep.csv names point {0}, which points.csv does not have")]
    UnknownPoint(String),
    #[error("--level `{level}` is missing at {count} point(s) (first: point {first}), whose hierarchy has no such level; discover at a level every point has, or `all`")]
    LevelMissingAt {
        level: String,
        count: usize,
        first: String,
    },
}

/// PRIM's options, which box to report, and bagging.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    pub prim: prim::Options,
    /// A box on the trajectory, or None for the densest with coverage >= 0.5.
    pub chosen: Option<usize>,
    /// Bootstrap resamples of bagged PRIM (0: plain PRIM).
    pub resamples: usize,
    /// Seeds the dummy factor and the resamples.
    pub seed: u64,
}

/// Discover where `condition` holds among the cases of a sweep at `level`.
pub fn discover(
    points: &PointsTable,
    rows: &[SummaryRow],
    level: &str,
    condition: &Condition,
    options: &Options,
) -> Result<Discovery, DiscoveryError> {
    let (parameters, columns, outcome) = cases(points, rows, level, condition, options.seed)?;
    let of_interest = outcome.iter().filter(|o| **o).count();
    if of_interest == 0 {
        return Err(DiscoveryError::NoneOfInterest(condition.text.clone()));
    }
    if of_interest == outcome.len() {
        return Err(DiscoveryError::AllOfInterest(condition.text.clone()));
    }
    let cases = Cases {
        columns: &columns,
        outcome: &outcome,
    };
    let trajectory = prim::prim(&cases, &options.prim);
    let chosen = match options.chosen {
        Some(chosen) if chosen >= trajectory.len() => {
            return Err(DiscoveryError::NoSuchBox {
                chosen,
                last: trajectory.len() - 1,
            })
        }
        Some(chosen) => chosen,
        None => densest_covering(&trajectory, DEFAULT_COVERAGE),
    };
    let initial = cases.initial_box();
    let choose = |t: &[TrajectoryBox]| densest_covering(t, DEFAULT_COVERAGE);
    let inclusion = (options.resamples > 0).then(|| {
        bagging::inclusion(
            &cases,
            &options.prim,
            options.resamples,
            options.seed,
            &choose,
        )
    });
    let recurs = |j: usize| {
        inclusion
            .as_ref()
            .is_none_or(|shares| shares[j] >= bagging::KEEP)
    };
    let limits: Vec<Limit> = (0..parameters.len())
        .map(|j| match recurs(j) {
            true => trajectory[chosen].limits[j].clone(),
            false => initial[j].clone(),
        })
        .collect();
    let dropped = (0..parameters.len())
        .filter(|&j| trajectory[chosen].limits[j] != initial[j] && !recurs(j))
        .map(|j| parameters[j].name.clone())
        .collect();
    let all: Vec<usize> = (0..outcome.len()).collect();
    let reported = cases.statistics(limits.clone(), &cases.inside(&limits, &all), &initial);
    let p_values = prim::quasi_p_values(&cases, &limits, &initial);
    let share = |j: usize| inclusion.as_ref().map(|shares| shares[j]);
    let restrictions = (0..parameters.len())
        .filter(|&j| limits[j] != initial[j])
        .map(|j| {
            restriction(
                &parameters[j],
                &limits[j],
                &initial[j],
                p_values[j],
                share(j),
            )
        })
        .collect();
    let dummy = parameters.len() - 1;
    Ok(Discovery {
        spurious: limits[dummy] != initial[dummy],
        parameters,
        trajectory,
        chosen,
        reported,
        inclusion,
        dropped,
        restrictions,
        cases: outcome.len(),
        of_interest,
    })
}

/// The densest box with coverage of at least `coverage` (the earliest among equals).
pub fn densest_covering(trajectory: &[TrajectoryBox], coverage: f64) -> usize {
    let mut best = 0;
    for (index, candidate) in trajectory.iter().enumerate() {
        if candidate.coverage >= coverage && candidate.density > trajectory[best].density {
            best = index;
        }
    }
    best
}

fn restriction(
    parameter: &Parameter,
    limit: &Limit,
    initial: &Limit,
    p_value: Option<f64>,
    inclusion: Option<f64>,
) -> Restriction {
    match (limit, initial) {
        (Limit::Range(low, high), Limit::Range(min, max)) => Restriction {
            row: BoxRow {
                parameter: parameter.name.clone(),
                lower: Some(*low),
                upper: Some(*high),
                values: Vec::new(),
                p_value,
                inclusion,
            },
            range: Some((*min, *max)),
        },
        (Limit::Values(kept), _) => Restriction {
            row: BoxRow {
                parameter: parameter.name.clone(),
                lower: None,
                upper: None,
                values: kept
                    .iter()
                    .map(|&c| parameter.categories[c].clone())
                    .collect(),
                p_value,
                inclusion,
            },
            range: None,
        },
        _ => unreachable!("a limit keeps its column's kind"),
    }
}

/// The parameters, PRIM's columns and the outcome of every case.
type CaseTable = (Vec<Parameter>, Vec<Column>, Vec<bool>);

/// Refuse a level that some points of the sweep do not have (a variant with other levels):
/// their cases would silently drop out of the discovery.
fn refuse_points_without(rows: &[SummaryRow], level: &str) -> Result<(), DiscoveryError> {
    let mut points: Vec<&str> = Vec::new();
    let mut with_level: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for row in rows {
        if !points.contains(&row.scenario.as_str()) {
            points.push(&row.scenario);
        }
        if row.level == level {
            with_level.insert(&row.scenario);
        }
    }
    let missing: Vec<&&str> = points
        .iter()
        .filter(|p| !with_level.contains(**p))
        .collect();
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(DiscoveryError::LevelMissingAt {
            level: level.to_string(),
            count: missing.len(),
            first: first.to_string(),
        }),
    }
}

/// The parameters, PRIM's columns and the outcome of every case (a sweep.csv row at `level`),
/// with the dummy factor last: one uniform value per point, drawn from `seed`.
fn cases(
    points: &PointsTable,
    rows: &[SummaryRow],
    level: &str,
    condition: &Condition,
    seed: u64,
) -> Result<CaseTable, DiscoveryError> {
    let labels_of_point: std::collections::HashMap<&str, (usize, &[String])> = points
        .points
        .iter()
        .enumerate()
        .map(|(index, (id, labels))| (id.as_str(), (index, labels.as_slice())))
        .collect();
    let mut levels: Vec<&str> = Vec::new();
    let mut labels_of_case: Vec<&[String]> = Vec::new();
    let mut point_of_case: Vec<usize> = Vec::new();
    let mut outcome = Vec::new();
    for row in rows {
        if !levels.contains(&row.level.as_str()) {
            levels.push(&row.level);
        }
        if row.level != level {
            continue;
        }
        let (point, labels) = *labels_of_point
            .get(row.scenario.as_str())
            .ok_or_else(|| DiscoveryError::UnknownPoint(row.scenario.clone()))?;
        labels_of_case.push(labels);
        point_of_case.push(point);
        let means: [f64; crate::metrics::METRIC_COUNT] = row
            .means
            .as_slice()
            .try_into()
            .expect("one mean per metric");
        outcome.push(condition.holds(&means, &row.class));
    }
    if !levels.contains(&level) {
        return Err(DiscoveryError::Level {
            level: level.to_string(),
            levels: levels.join(", "),
        });
    }
    refuse_points_without(rows, level)?;
    let mut parameters = Vec::new();
    let mut columns = Vec::new();
    for (j, name) in points.columns.iter().enumerate() {
        let texts: Vec<&str> = labels_of_case.iter().map(|l| l[j].as_str()).collect();
        let numbers: Option<Vec<f64>> = texts.iter().map(|t| t.parse::<f64>().ok()).collect();
        match numbers {
            Some(values) => {
                parameters.push(Parameter {
                    name: name.clone(),
                    categories: Vec::new(),
                });
                columns.push(Column::Numeric(values));
            }
            None => {
                let mut categories: Vec<String> = Vec::new();
                for text in &texts {
                    if !categories.iter().any(|c| c == text) {
                        categories.push(text.to_string());
                    }
                }
                let codes = texts
                    .iter()
                    .map(|t| categories.iter().position(|c| c == t).expect("listed"))
                    .collect();
                columns.push(Column::Categorical {
                    codes,
                    count: categories.len(),
                });
                parameters.push(Parameter {
                    name: name.clone(),
                    categories,
                });
            }
        }
    }
    let dummy = bagging::dummy_values(points.points.len(), seed);
    columns.push(Column::Numeric(
        point_of_case.iter().map(|&point| dummy[point]).collect(),
    ));
    parameters.push(Parameter {
        name: bagging::DUMMY.to_string(),
        categories: Vec::new(),
    });
    Ok((parameters, columns, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(point: &str, level: &str) -> SummaryRow {
        SummaryRow {
            scenario: point.to_string(),
            replicate: 0,
            level: level.to_string(),
            means: vec![0.1; crate::metrics::METRIC_COUNT],
            class: "lazy-routine".to_string(),
            settled: Some(true),
        }
    }

    #[test]
    fn a_level_that_some_points_lack_is_refused_not_dropped() {
        let points = PointsTable {
            columns: vec!["size".to_string()],
            points: vec![
                ("0".to_string(), vec!["small".to_string()]),
                ("1".to_string(), vec!["flat".to_string()]),
            ],
        };
        // Point 1's hierarchy has no county level.
        let rows = [row("0", "county"), row("0", "all"), row("1", "all")];
        let condition = condition::parse("mean_innovation < 0.15").unwrap();
        let error = cases(&points, &rows, "county", &condition, 1).unwrap_err();
        assert_eq!(
            error,
            DiscoveryError::LevelMissingAt {
                level: "county".to_string(),
                count: 1,
                first: "1".to_string(),
            }
        );
        assert!(cases(&points, &rows, "all", &condition, 1).is_ok());
    }
}
