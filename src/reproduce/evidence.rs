//! Reading the evidence of a reproduction back from result and sweep directories, and the
//! shapes a claim's decision takes (quantities, verdict).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A mean with its 95% interval (the mean alone when there is none).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

impl Stat {
    /// Above `other` with non-overlapping 95% intervals.
    pub fn above(&self, other: &Stat) -> bool {
        self.low > other.high
    }
}

pub(crate) fn read_csv(path: &Path) -> Result<Vec<csv::StringRecord>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn stat_of(record: &csv::StringRecord) -> Option<Stat> {
    let mean: f64 = record[3].parse().ok()?;
    Some(Stat {
        mean,
        low: record[5].parse().unwrap_or(mean),
        high: record[6].parse().unwrap_or(mean),
    })
}

/// Equilibrium statistics of a run directory (from equilibrium.csv).
pub struct RunEvidence {
    pub dir: PathBuf,
    stats: HashMap<(String, String, String), Stat>,
}

impl RunEvidence {
    pub fn read(dir: &Path) -> Result<Self, String> {
        let mut stats = HashMap::new();
        for record in read_csv(&dir.join("equilibrium.csv"))? {
            if let Some(stat) = stat_of(&record) {
                stats.insert(
                    (
                        record[0].to_string(),
                        record[1].to_string(),
                        record[2].to_string(),
                    ),
                    stat,
                );
            }
        }
        Ok(RunEvidence {
            dir: dir.to_path_buf(),
            stats,
        })
    }

    pub(crate) fn get(&self, scenario: &str, level: &str, metric: &str) -> Result<Stat, String> {
        self.stats
            .get(&(scenario.to_string(), level.to_string(), metric.to_string()))
            .copied()
            .ok_or_else(|| {
                format!(
                    "{}: no {metric} of {scenario} at level {level}",
                    self.dir.display()
                )
            })
    }

    pub(crate) fn all(&self, scenario: &str, metric: &str) -> Result<Stat, String> {
        self.get(scenario, "all", metric)
    }

    /// Most frequent class of a scenario at level all.
    pub(crate) fn class(&self, scenario: &str) -> Result<String, String> {
        let mut best = (String::new(), -1.0);
        for class in crate::metrics::CLASSES {
            let share = self.all(scenario, &format!("class_{class}"))?.mean;
            if share > best.1 {
                best = (class.to_string(), share);
            }
        }
        Ok(best.0)
    }

    /// Level names of a scenario in hierarchy order (without "all").
    pub(crate) fn levels(&self, scenario: &str) -> Vec<String> {
        let mut levels: Vec<String> = Vec::new();
        let records = read_csv(&self.dir.join("equilibrium.csv")).unwrap_or_default();
        for record in records {
            if &record[0] == scenario
                && &record[1] != "all"
                && !levels.iter().any(|l| l == &record[1])
            {
                levels.push(record[1].to_string());
            }
        }
        levels
    }
}

/// Point statistics of a sweep directory at level all.
pub struct SweepEvidence {
    pub dir: PathBuf,
    /// Per point: axis column -> label.
    labels: Vec<HashMap<String, String>>,
    stats: Vec<HashMap<String, Stat>>,
}

impl SweepEvidence {
    pub fn read(dir: &Path) -> Result<Self, String> {
        let path = dir.join("points.csv");
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut labels = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            labels.push(
                columns
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_string))
                    .collect(),
            );
        }
        let mut stats = vec![HashMap::new(); labels.len()];
        for record in read_csv(&dir.join("sweep_summary.csv"))? {
            let Ok(point) = record[0].parse::<usize>() else {
                continue;
            };
            if &record[1] != "all" || point >= stats.len() {
                continue;
            }
            if let Some(stat) = stat_of(&record) {
                stats[point].insert(record[2].to_string(), stat);
            }
        }
        Ok(SweepEvidence {
            dir: dir.to_path_buf(),
            labels,
            stats,
        })
    }

    /// (x, stat) of `metric` for points whose labels match `filter`, in point order.
    pub(crate) fn series(
        &self,
        x_column: &str,
        filter: &[(&str, &str)],
        metric: &str,
    ) -> Result<Vec<(f64, Stat)>, String> {
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
                        format!("{}: no numeric column {x_column}", self.dir.display())
                    })?;
                let stat = *stats
                    .get(metric)
                    .ok_or_else(|| format!("{}: no {metric}", self.dir.display()))?;
                series.push((x, stat));
            }
        }
        if series.is_empty() {
            return Err(format!(
                "{}: no points match {filter:?}",
                self.dir.display()
            ));
        }
        Ok(series)
    }
}

/// One number of a claim's evidence.
#[derive(Clone, Debug)]
pub enum Quantity {
    Stat(String, Stat),
    Value(String, f64),
    Text(String, String),
}

/// The decision on one claim.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub holds: bool,
    /// The test that decided it, in words.
    pub test: String,
    pub quantities: Vec<Quantity>,
    /// The chart that shows the evidence.
    pub figure: PathBuf,
}

/// Where the evidence of an experiments run lives.
pub struct Evidence {
    pub runs: HashMap<String, RunEvidence>,
    pub sweeps: HashMap<String, SweepEvidence>,
}

impl Evidence {
    pub(crate) fn run(&self, name: &str) -> Result<&RunEvidence, String> {
        self.runs
            .get(name)
            .ok_or_else(|| format!("the experiments have no run group `{name}`"))
    }

    pub(crate) fn sweep(&self, name: &str) -> Result<&SweepEvidence, String> {
        self.sweeps
            .get(name)
            .ok_or_else(|| format!("the experiments have no sweep `{name}`"))
    }
}
