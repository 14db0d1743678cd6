//! Reading the evidence of a reproduction back from result and sweep directories, and the
//! shapes a claim's decision takes (quantities, verdict).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::metrics::{metric_index, modal_class, CLASSES, WHOLE_HIERARCHY};
use crate::output::store;
use crate::output::tables::{self, ReadError};
use crate::rows::SummaryRow;
use crate::stats::{self, Estimate, Paired};

/// Evidence a claim needs that could not be read, or that the experiments did not produce.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Missing(String),
}

/// Equilibrium statistics of a run directory (from equilibrium.csv).
pub struct RunEvidence {
    pub dir: PathBuf,
    /// (scenario, level, metric) -> estimate.
    stats: HashMap<(String, String, String), Estimate>,
    /// Level names per scenario in file order (hierarchy levels, then the whole hierarchy).
    levels: HashMap<String, Vec<String>>,
    /// Per-replicate equilibria at the whole hierarchy (summary.csv), in replicate order.
    replicates: HashMap<String, Vec<SummaryRow>>,
}

impl RunEvidence {
    pub fn read(dir: &Path) -> Result<Self, EvidenceError> {
        let rows = tables::read_statistics(&store::find(dir, "equilibrium"))?;
        let mut stats = HashMap::new();
        let mut levels: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let known = levels.entry(row.key.clone()).or_default();
            if !known.contains(&row.level) {
                known.push(row.level.clone());
            }
            if let Some(estimate) = row.estimate {
                stats.insert((row.key, row.level, row.metric), estimate);
            }
        }
        Ok(RunEvidence {
            dir: dir.to_path_buf(),
            stats,
            levels,
            replicates: replicates_by_key(&store::find(dir, "summary"))?,
        })
    }

    /// The paired difference `scenario - baseline` of a metric at the whole hierarchy, replicate
    /// by replicate (common random numbers).
    pub(crate) fn paired(
        &self,
        scenario: &str,
        baseline: &str,
        metric: &str,
    ) -> Result<Comparison, EvidenceError> {
        let values = |key: &str| replicate_values(&self.replicates, key, metric, &self.dir);
        Comparison::of(&values(baseline)?, &values(scenario)?)
    }

    /// A metric's per-replicate values at the whole hierarchy, in replicate order.
    pub(crate) fn values(&self, scenario: &str, metric: &str) -> Result<Vec<f64>, EvidenceError> {
        replicate_values(&self.replicates, scenario, metric, &self.dir)
    }

    pub(crate) fn get(
        &self,
        scenario: &str,
        level: &str,
        metric: &str,
    ) -> Result<Estimate, EvidenceError> {
        self.stats
            .get(&(scenario.to_string(), level.to_string(), metric.to_string()))
            .copied()
            .ok_or_else(|| {
                EvidenceError::Missing(format!(
                    "{}: no {metric} of {scenario} at level {level}",
                    self.dir.display()
                ))
            })
    }

    pub(crate) fn all(&self, scenario: &str, metric: &str) -> Result<Estimate, EvidenceError> {
        self.get(scenario, WHOLE_HIERARCHY, metric)
    }

    /// Most frequent class of a scenario at the whole hierarchy.
    pub(crate) fn class(&self, scenario: &str) -> Result<String, EvidenceError> {
        let mut shares = [0.0; CLASSES.len()];
        for (share, class) in shares.iter_mut().zip(CLASSES) {
            *share = self.all(scenario, &format!("class_{class}"))?.mean;
        }
        Ok(modal_class(&shares).to_string())
    }

    /// Level names of a scenario in hierarchy order (without the whole hierarchy).
    pub(crate) fn levels(&self, scenario: &str) -> Vec<String> {
        self.levels
            .get(scenario)
            .map(|levels| {
                levels
                    .iter()
                    .filter(|level| *level != WHOLE_HIERARCHY)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A paired comparison of two regimes or points: the difference and whether it is above 0.
#[derive(Clone, Copy, Debug)]
pub struct Comparison {
    pub paired: Paired,
}

impl Comparison {
    fn of(baseline: &[f64], values: &[f64]) -> Result<Self, EvidenceError> {
        if baseline.len() != values.len() || baseline.is_empty() {
            return Err(EvidenceError::Missing(
                "a paired comparison needs the same replicates on both sides".into(),
            ));
        }
        Ok(Comparison {
            paired: stats::paired(baseline, values),
        })
    }

    /// The 95% interval of the paired difference lies entirely above 0.
    pub fn above(&self) -> bool {
        self.paired
            .difference
            .ci95
            .is_some_and(|(low, _)| low > 0.0)
    }

    /// The difference as an estimate (its mean as both bounds without an interval).
    pub fn estimate(&self) -> Estimate {
        let d = &self.paired.difference;
        let (low, high) = d.ci95.unwrap_or((d.mean, d.mean));
        Estimate {
            mean: d.mean,
            low,
            high,
        }
    }

    /// ", correlation r" of the pairs, for a quantity's name.
    pub fn correlation_text(&self) -> String {
        match self.paired.correlation {
            Some(r) => format!("paired, r = {r:.2}"),
            None => "paired".to_string(),
        }
    }
}

/// How many of an experiment's replicate equilibria (whole hierarchy) had settled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettledCount {
    pub settled: usize,
    pub equilibria: usize,
}

impl SettledCount {
    /// The count over summary.csv or sweep.csv rows (rows without the column count as
    /// not settled).
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a SummaryRow>) -> Self {
        let mut count = SettledCount::default();
        for row in rows {
            count.equilibria += 1;
            count.settled += usize::from(row.settled == Some(true));
        }
        count
    }

    /// The count of a summary.csv or sweep.csv file at the whole hierarchy.
    pub fn read(path: &Path) -> Result<Self, EvidenceError> {
        let rows = tables::read_summary(path)?;
        Ok(Self::of(
            rows.iter().filter(|row| row.level == WHOLE_HIERARCHY),
        ))
    }
}

impl RunEvidence {
    /// How many of the run's replicate equilibria had settled.
    pub fn settled(&self) -> SettledCount {
        SettledCount::of(self.replicates.values().flatten())
    }
}

impl SweepEvidence {
    /// How many of the sweep's point x replicate equilibria had settled.
    pub fn settled(&self) -> SettledCount {
        SettledCount::of(self.replicates.values().flatten())
    }
}

/// summary.csv (or sweep.csv) rows at the whole hierarchy, grouped by scenario (point).
fn replicates_by_key(path: &Path) -> Result<HashMap<String, Vec<SummaryRow>>, EvidenceError> {
    let mut grouped: HashMap<String, Vec<SummaryRow>> = HashMap::new();
    for row in tables::read_summary(path)? {
        if row.level == WHOLE_HIERARCHY {
            grouped.entry(row.scenario.clone()).or_default().push(row);
        }
    }
    for rows in grouped.values_mut() {
        rows.sort_by_key(|row| row.replicate);
    }
    Ok(grouped)
}

fn replicate_values(
    grouped: &HashMap<String, Vec<SummaryRow>>,
    key: &str,
    metric: &str,
    dir: &Path,
) -> Result<Vec<f64>, EvidenceError> {
    let index = metric_index(metric)
        .ok_or_else(|| EvidenceError::Missing(format!("no metric {metric}")))?;
    let rows = grouped.get(key).ok_or_else(|| {
        EvidenceError::Missing(format!("{}: no replicates of {key}", dir.display()))
    })?;
    Ok(rows.iter().map(|row| row.means[index]).collect())
}

/// A group of a sweep's points sharing their other axes' labels: those labels, and its
/// (x, point id) in the order of x.
pub type PointGroup = (Vec<String>, Vec<(f64, String)>);

/// Point statistics of a sweep directory at the whole hierarchy.
pub struct SweepEvidence {
    pub dir: PathBuf,
    /// Per point: column (`point` and every axis) -> label.
    labels: Vec<HashMap<String, String>>,
    stats: Vec<HashMap<String, Estimate>>,
    /// Per-replicate equilibria of every point (sweep.csv), by point id.
    replicates: HashMap<String, Vec<SummaryRow>>,
}

impl SweepEvidence {
    pub fn read(dir: &Path) -> Result<Self, EvidenceError> {
        let points = tables::read_points(&dir.join("points.csv"))?;
        let labels: Vec<HashMap<String, String>> = points
            .points
            .iter()
            .map(|(id, labels)| {
                let mut map: HashMap<String, String> = points
                    .columns
                    .iter()
                    .cloned()
                    .zip(labels.iter().cloned())
                    .collect();
                map.insert("point".to_string(), id.clone());
                map
            })
            .collect();
        let mut stats = vec![HashMap::new(); labels.len()];
        let rows = tables::read_statistics(&dir.join("sweep_summary.csv"))?;
        for row in rows {
            let Ok(point) = row.key.parse::<usize>() else {
                continue;
            };
            if row.level != WHOLE_HIERARCHY || point >= stats.len() {
                continue;
            }
            if let Some(estimate) = row.estimate {
                stats[point].insert(row.metric, estimate);
            }
        }
        Ok(SweepEvidence {
            dir: dir.to_path_buf(),
            labels,
            stats,
            replicates: replicates_by_key(&dir.join("sweep.csv"))?,
        })
    }

    /// The ids of the points whose labels match `filter`, in point order.
    pub(crate) fn points(&self, filter: &[(&str, &str)]) -> Vec<String> {
        self.labels
            .iter()
            .filter(|labels| {
                filter
                    .iter()
                    .all(|(c, v)| labels.get(*c).map(String::as_str) == Some(*v))
            })
            .filter_map(|labels| labels.get("point").cloned())
            .collect()
    }

    /// The estimate of a metric at one point (by id), over its replicates.
    pub(crate) fn statistic(&self, point: &str, metric: &str) -> Result<Estimate, EvidenceError> {
        self.labels
            .iter()
            .position(|labels| labels.get("point").map(String::as_str) == Some(point))
            .and_then(|index| self.stats[index].get(metric).copied())
            .ok_or_else(|| {
                EvidenceError::Missing(format!(
                    "{}: no {metric} at point {point}",
                    self.dir.display()
                ))
            })
    }

    /// The points grouped by their labels in `columns` (the axes other than `x_column`): per
    /// group those labels, and its (x, point id) in point order.
    pub(crate) fn groups(
        &self,
        x_column: &str,
        columns: &[String],
    ) -> Result<Vec<PointGroup>, EvidenceError> {
        let mut groups: Vec<PointGroup> = Vec::new();
        for labels in &self.labels {
            let key: Vec<String> = columns
                .iter()
                .map(|c| labels.get(c).cloned().unwrap_or_default())
                .collect();
            let x = labels
                .get(x_column)
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| {
                    EvidenceError::Missing(format!(
                        "{}: no numeric column {x_column}",
                        self.dir.display()
                    ))
                })?;
            let point = labels.get("point").cloned().unwrap_or_default();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, points)) => points.push((x, point)),
                None => groups.push((key, vec![(x, point)])),
            }
        }
        for (_, points) in &mut groups {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(groups)
    }

    /// Per replicate, a metric at each of `points` ((x, point id)): `curves[r][i]`.
    pub(crate) fn curves(
        &self,
        points: &[(f64, String)],
        metric: &str,
    ) -> Result<Vec<Vec<f64>>, EvidenceError> {
        let values: Vec<Vec<f64>> = points
            .iter()
            .map(|(_, id)| replicate_values(&self.replicates, id, metric, &self.dir))
            .collect::<Result<_, _>>()?;
        let replicates = values.iter().map(Vec::len).min().unwrap_or(0);
        Ok((0..replicates)
            .map(|r| values.iter().map(|v| v[r]).collect())
            .collect())
    }

    /// The paired difference `point - baseline` of a metric, replicate by replicate.
    pub(crate) fn paired(
        &self,
        point: &str,
        baseline: &str,
        metric: &str,
    ) -> Result<Comparison, EvidenceError> {
        let values = |key: &str| replicate_values(&self.replicates, key, metric, &self.dir);
        Comparison::of(&values(baseline)?, &values(point)?)
    }

    /// (x, estimate) of `metric` for points whose labels match `filter`, in point order.
    pub(crate) fn series(
        &self,
        x_column: &str,
        filter: &[(&str, &str)],
        metric: &str,
    ) -> Result<Vec<(f64, Estimate)>, EvidenceError> {
        let mut series = Vec::new();
        for (labels, stats) in self.labels.iter().zip(&self.stats) {
            if filter
                .iter()
                .all(|(c, v)| labels.get(*c).map(String::as_str) == Some(*v))
            {
                let x = labels
                    .get(x_column)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| {
                        EvidenceError::Missing(format!(
                            "{}: no numeric column {x_column}",
                            self.dir.display()
                        ))
                    })?;
                let stat = *stats.get(metric).ok_or_else(|| {
                    EvidenceError::Missing(format!("{}: no {metric}", self.dir.display()))
                })?;
                series.push((x, stat));
            }
        }
        if series.is_empty() {
            return Err(EvidenceError::Missing(format!(
                "{}: no points match {filter:?}",
                self.dir.display()
            )));
        }
        Ok(series)
    }
}

/// One number of a claim's evidence.
#[derive(Clone, Debug)]
pub enum Quantity {
    Stat(String, Estimate),
    Value(String, f64),
    Text(String, String),
}

impl Quantity {
    pub fn name(&self) -> &str {
        match self {
            Quantity::Stat(name, _) | Quantity::Value(name, _) | Quantity::Text(name, _) => name,
        }
    }
}

/// A claim's size without a threshold: a mean (of paired differences, as a rule) with its
/// 95% interval, or a value without one; signed so that a positive value is what the claim
/// says, or, for welfare, favours the regime the claim favours.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// What is measured ("mean_innovation, ft-scoped minus pressure").
    pub what: String,
    pub value: f64,
    pub ci95: Option<(f64, f64)>,
}

impl Effect {
    /// A paired comparison's difference.
    pub fn paired(what: impl Into<String>, comparison: &Comparison) -> Self {
        Self::of(what, &comparison.paired.difference)
    }

    /// The mean of per-replicate values with its t interval.
    pub fn of(what: impl Into<String>, spread: &stats::Spread) -> Self {
        Effect {
            what: what.into(),
            value: spread.mean,
            ci95: spread.ci95,
        }
    }

    /// The value with its interval, to the digits the interval supports.
    pub fn text(&self) -> String {
        stats::estimate_text(self.value, self.ci95)
    }

    /// 1 when the interval lies above 0, -1 below, 0 when it holds 0 or there is none.
    pub fn sign(&self) -> i8 {
        match self.ci95 {
            Some((low, _)) if low > 0.0 => 1,
            Some((_, high)) if high < 0.0 => -1,
            _ => 0,
        }
    }
}

/// The decision on one claim.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub holds: bool,
    /// The test that decided it, in words.
    pub test: String,
    pub quantities: Vec<Quantity>,
    /// The figure that shows the evidence.
    pub figure: Figure,
    /// The claim's size, without the test's thresholds.
    pub effect: Effect,
    /// Welfare, the regime the claim favours minus the other, paired (None where the claim
    /// favours no regime).
    pub welfare: Option<Effect>,
}

/// The figure of a claim: a chart an experiment drew, or one drawn for the claim from a run
/// directory's equilibria.
#[derive(Clone, Debug)]
pub enum Figure {
    Chart(PathBuf),
    /// Regimes side by side, one panel per metric.
    Regimes {
        dir: PathBuf,
        scenarios: Vec<&'static str>,
        metrics: Vec<&'static str>,
        title: &'static str,
    },
    /// A 2 × 2 interaction plot: `cells[line][x]` is the scenario at level x of the first
    /// factor and level `line` of the second.
    Interaction {
        dir: PathBuf,
        x_factor: &'static str,
        x_levels: [&'static str; 2],
        line_levels: [&'static str; 2],
        cells: [[&'static str; 2]; 2],
        metric: &'static str,
        title: &'static str,
    },
}

/// Where the evidence of an experiments run lives.
pub struct Evidence {
    pub runs: HashMap<String, RunEvidence>,
    pub sweeps: HashMap<String, SweepEvidence>,
}

impl Evidence {
    pub(crate) fn run(&self, name: &str) -> Result<&RunEvidence, EvidenceError> {
        self.runs.get(name).ok_or_else(|| {
            EvidenceError::Missing(format!("the experiments have no run group `{name}`"))
        })
    }

    pub(crate) fn sweep(&self, name: &str) -> Result<&SweepEvidence, EvidenceError> {
        self.sweeps.get(name).ok_or_else(|| {
            EvidenceError::Missing(format!("the experiments have no sweep `{name}`"))
        })
    }
}
