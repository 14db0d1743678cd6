//! Reading a result directory back for charts: per-step means and 95% intervals across
//! replicates from the `timeseries` table (over the steps every replicate ran; intervals kept
//! inside `metrics::BOUNDS`), equilibrium statistics from the `equilibrium` table (either
//! format), and the scenarios (schedules, targets) from `manifest.json` when present.

use std::collections::HashMap;
use std::path::Path;

use crate::metrics::{METRICS, METRIC_COUNT, WHOLE_HIERARCHY};
use crate::output::store::{self, TableReader};
use crate::output::tables::{self, ReadError};
use crate::scenario::{self, Scenario};
use crate::stats::{student_t_quantile_975, Estimate};

/// The name of a scenario of directory `label` in a comparison: `<label>-<scenario>`, or the
/// label alone when the scenario is named like its directory (never `pressure-pressure`).
pub fn compared_name(label: &str, scenario: &str) -> String {
    if label == scenario {
        label.to_string()
    } else {
        format!("{label}-{scenario}")
    }
}

/// Mean and 95% interval of one metric over replicates, per step.
#[derive(Clone, Debug, Default)]
pub struct Band {
    pub mean: Vec<f64>,
    pub low: Vec<f64>,
    pub high: Vec<f64>,
}

/// One scenario's time series: `bands[level][metric]`.
#[derive(Clone, Debug)]
pub struct ScenarioSeries {
    pub name: String,
    /// Level names in file order (hierarchy levels, then "all").
    pub levels: Vec<String>,
    pub bands: Vec<Vec<Band>>,
    /// Values per band (every replicate's recorded steps).
    pub steps: usize,
    /// Steps between recorded values (`output.series_every`).
    pub stride: usize,
    /// Replicates at the first step: with one, the bands have no width (no interval).
    pub replicates: usize,
}

impl ScenarioSeries {
    /// The last step the bands reach (at least 1, for an axis).
    pub fn last_step(&self) -> f64 {
        ((self.steps.max(2) - 1) * self.stride) as f64
    }

    pub fn band(&self, level: &str, metric: &str) -> Option<&Band> {
        let level = self.levels.iter().position(|l| l == level)?;
        let metric = METRICS.iter().position(|m| *m == metric)?;
        Some(&self.bands[level][metric])
    }
}

/// Equilibrium summary of one scenario for charts.
#[derive(Clone, Debug)]
pub struct ScenarioEquilibrium {
    pub name: String,
    pub metrics: HashMap<String, Estimate>,
    /// Most frequent class across replicates.
    pub class: String,
}

/// Everything the charts of one result directory need.
#[derive(Clone, Debug)]
pub struct ResultData {
    /// A label for the directory (its file name).
    pub label: String,
    pub series: Vec<ScenarioSeries>,
    pub equilibria: Vec<ScenarioEquilibrium>,
    /// Scenarios from the manifest, if it could be read.
    pub scenarios: Vec<Scenario>,
    /// Why a manifest beside the tables could not be read (charts then lack schedule events
    /// and targets).
    pub manifest_problem: Option<String>,
}

#[derive(Default, Clone, Copy)]
struct Accumulator {
    sum: f64,
    sum_squares: f64,
    count: f64,
}

/// Read a result directory.
pub fn read_result(dir: &Path) -> Result<ResultData, ReadError> {
    let series = read_timeseries(&store::find(dir, "timeseries"))?;
    let equilibria = read_equilibrium(&store::find(dir, "equilibrium"))?;
    let manifest_path = dir.join("manifest.json");
    let (scenarios, manifest_problem) = match crate::output::read_manifest(&manifest_path) {
        Ok(manifest) => (manifest.record.scenarios, None),
        Err(_) if !manifest_path.exists() => (Vec::new(), None),
        Err(error) => (Vec::new(), Some(error.to_string())),
    };
    let label = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    Ok(ResultData {
        label,
        series,
        equilibria,
        scenarios,
        manifest_problem,
    })
}

fn read_timeseries(path: &Path) -> Result<Vec<ScenarioSeries>, ReadError> {
    let mut reader = TableReader::open(path)?;
    let headers = reader.header().to_vec();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReadError::new(path, format!("no column `{name}`")))
    };
    let (scenario_column, step_column, level_column) =
        (column("scenario")?, column("step")?, column("level")?);
    let metric_columns: Vec<usize> = METRICS
        .iter()
        .map(|m| column(m))
        .collect::<Result<_, _>>()?;
    let mut series = Gathering::default();
    let most_steps = reader.most_rows() + 1;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        let (scenario, level) =
            series.slot(&record[scenario_column], &record[level_column], path)?;
        let step = recorded_index(&record[step_column], &mut series.strides[scenario])
            .map_err(|what| ReadError::new(path, what))?;
        // Every recorded step has a row of its own: one beyond the file's rows is not a result.
        if step as u64 >= most_steps {
            return Err(ReadError::new(
                path,
                format!("step {step} is more than the file could hold"),
            ));
        }
        let by_step = &mut series.sums[scenario][level];
        if by_step.len() <= step {
            by_step.resize(step + 1, [Accumulator::default(); METRIC_COUNT]);
        }
        for (accumulator, &index) in by_step[step].iter_mut().zip(&metric_columns) {
            let value: f64 = record[index].parse().map_err(|e| {
                ReadError::new(path, format!("bad number `{}`: {e}", &record[index]))
            })?;
            accumulator.sum += value;
            accumulator.sum_squares += value * value;
            accumulator.count += 1.0;
        }
    }
    Ok(series.finish())
}

/// What reading a time series gathers, per scenario in order of first appearance.
#[derive(Default)]
struct Gathering {
    names: Vec<String>,
    /// Level names, in order of first appearance.
    levels: Vec<Vec<String>>,
    /// Accumulators [level][step][metric].
    sums: Vec<Vec<Vec<[Accumulator; METRIC_COUNT]>>>,
    /// Steps between recorded values (0 until a step after 0 is seen).
    strides: Vec<usize>,
}

impl Gathering {
    /// The (scenario, level) indices of a row, adding either when first seen.
    fn slot(&mut self, name: &str, level: &str, path: &Path) -> Result<(usize, usize), ReadError> {
        let scenario = match self.names.iter().position(|n| n == name) {
            Some(index) => index,
            None => {
                if !scenario::is_plain_name(name) {
                    return Err(ReadError::new(
                        path,
                        format!("scenario name {name:?} is not one cadresim writes"),
                    ));
                }
                self.names.push(name.to_string());
                self.levels.push(Vec::new());
                self.sums.push(Vec::new());
                self.strides.push(0);
                self.names.len() - 1
            }
        };
        let levels = &mut self.levels[scenario];
        let level = match levels.iter().position(|l| l == level) {
            Some(index) => index,
            None => {
                levels.push(level.to_string());
                self.sums[scenario].push(Vec::new());
                levels.len() - 1
            }
        };
        Ok((scenario, level))
    }

    /// Each scenario's bands over the steps every replicate reached.
    fn finish(self) -> Vec<ScenarioSeries> {
        self.names
            .into_iter()
            .zip(self.levels)
            .zip(self.sums)
            .zip(self.strides)
            .map(|(((name, levels), mut sums), stride)| {
                for by_step in &mut sums {
                    by_step.truncate(steps_of_every_replicate(by_step));
                }
                let steps = sums.iter().map(Vec::len).max().unwrap_or(0);
                let bands = sums
                    .iter()
                    .map(|by_step| {
                        (0..METRIC_COUNT)
                            .map(|metric| {
                                let steps = by_step.iter().map(|step| step[metric]);
                                band(steps, crate::metrics::BOUNDS[metric])
                            })
                            .collect()
                    })
                    .collect();
                let replicates = sums
                    .first()
                    .and_then(|by_step| by_step.first())
                    .map_or(0, |step| step[0].count as usize);
                ScenarioSeries {
                    name,
                    levels,
                    bands,
                    steps,
                    stride: stride.max(1),
                    replicates,
                }
            })
            .collect()
    }
}

/// The index of a recorded step: steps are 0, s, 2s, ... for the stride s
/// (`output.series_every`) that the first step after 0 sets.
fn recorded_index(text: &str, stride: &mut usize) -> Result<usize, String> {
    let step: usize = text.parse().map_err(|e| format!("bad step: {e}"))?;
    // No run has more steps than run.steps or run.max_steps may hold.
    if step as u64 >= crate::registry::MAX_STEPS {
        return Err(format!("step {step} is more than the file could hold"));
    }
    if step > 0 && *stride == 0 {
        *stride = step;
    }
    match *stride {
        0 => Ok(0),
        s if step.is_multiple_of(s) => Ok(step / s),
        s => Err(format!(
            "step {step} is not a multiple of {s}, the spacing of the scenario's recorded steps"
        )),
    }
}

/// The steps every replicate ran: replicates that ran until settled differ in length, and a
/// mean over the few that ran longest would be another quantity with a wide interval.
fn steps_of_every_replicate(by_step: &[[Accumulator; METRIC_COUNT]]) -> usize {
    let replicates = by_step.iter().map(|step| step[0].count).fold(0.0, f64::max);
    by_step
        .iter()
        .position(|step| step[0].count < replicates)
        .unwrap_or(by_step.len())
}

/// The mean over replicates at each step and its t-based 95% band, kept inside the metric's
/// `bounds` (`metrics::BOUNDS`).
fn band(steps: impl Iterator<Item = Accumulator>, (lowest, highest): (f64, f64)) -> Band {
    let mut result = Band::default();
    // The quantile depends only on the replicate count, which rarely changes: keep the last.
    let mut quantile: Option<(f64, f64)> = None;
    for accumulator in steps {
        let n = accumulator.count;
        let mean = accumulator.sum / n.max(1.0);
        let half = if n >= 2.0 {
            let variance = ((accumulator.sum_squares - n * mean * mean) / (n - 1.0)).max(0.0);
            let t = match quantile {
                Some((count, t)) if count == n => t,
                _ => {
                    let t = student_t_quantile_975(n as usize - 1);
                    quantile = Some((n, t));
                    t
                }
            };
            t * (variance / n).sqrt()
        } else {
            0.0
        };
        result.mean.push(mean);
        result.low.push((mean - half).clamp(lowest, highest));
        result.high.push((mean + half).clamp(lowest, highest));
    }
    result
}

pub fn read_equilibrium(path: &Path) -> Result<Vec<ScenarioEquilibrium>, ReadError> {
    let rows = tables::read_statistics(path)?;
    Ok(tables::summaries_at(&rows, WHOLE_HIERARCHY)
        .into_iter()
        .map(|summary| ScenarioEquilibrium {
            name: summary.key,
            metrics: summary.metrics,
            class: summary.class.to_string(),
        })
        .collect())
}
