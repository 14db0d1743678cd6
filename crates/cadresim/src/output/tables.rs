//! The tidy CSV tables, each writer beside its reader: `timeseries.csv`, `summary.csv`,
//! `equilibrium.csv` of a run (and `timeseries_by_unit.csv`, `summary_by_unit.csv` with
//! `output.by_unit`, `effects.csv` when schedule entries report their effects);
//! `points.csv`, `sweep.csv`, `sweep_summary.csv` and the part files of a sweep;
//! `sensitivity.csv` and `sensitivity_convergence.csv` of a sensitivity analysis;
//! `trajectory.csv` and `box.csv` of a scenario discovery. Readers find columns by header
//! name. Column layouts are documented in the README's "Output schema". A run's tables are
//! stored as CSV or Parquet by `store` (the rest as CSV).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::metrics::{modal_class, Equilibrium, RunSpan, CLASSES, METRICS, METRIC_COUNT};
use crate::output::manifest::sha256_hex;
pub use crate::output::store::{number, ReadError};
use crate::output::store::{Format, TableReader, TableWriter};
use crate::runner::{LevelStatistics, ScenarioResult};
use crate::stats::{wilson95, Estimate};

/// What a cell that is not a finite number is called in errors.
const NOT_FINITE: &str = "number (a finite number is required)";

/// A finite number read back (NaN and infinities are never written: they mean damage).
fn finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn optional(value: Option<f64>) -> String {
    value.map(number).unwrap_or_default()
}

/// `scenario, replicate, step, level, <metrics>`: one row per scenario x replicate x step x level
/// (every `Params::series_stride` steps from 0).
pub fn write_timeseries<W: Write + Send>(
    out: W,
    format: Format,
    results: &[ScenarioResult],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    let mut header = vec!["scenario", "replicate", "step", "level"];
    header.extend(METRICS);
    writer.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for result in results {
        let levels = result.levels.len();
        for (replicate, outcome) in result.replicates.iter().enumerate() {
            let steps = outcome.records.len() / levels;
            let every = result.params.series_stride(steps as u64) as usize;
            for step in (0..steps).step_by(every) {
                for (level, level_name) in result.levels.iter().enumerate() {
                    row.clear();
                    row.push(result.name.clone());
                    row.push(replicate.to_string());
                    row.push(step.to_string());
                    row.push(level_name.clone());
                    row.extend(
                        result
                            .record(replicate, step, level)
                            .iter()
                            .map(|v| number(*v)),
                    );
                    writer.write_record(&row)?;
                }
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// `scenario, replicate, step, unit_code, unit_name, level, <metrics>`: with
/// `output.by_unit`, one row per scenario x replicate x step x unit of the recorded level,
/// each unit with its whole subtree.
pub fn write_timeseries_by_unit<W: Write + Send>(
    out: W,
    format: Format,
    results: &[ScenarioResult],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    let mut header = vec![
        "scenario",
        "replicate",
        "step",
        "unit_code",
        "unit_name",
        "level",
    ];
    header.extend(METRICS);
    writer.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for result in results {
        let Some(units) = &result.units else { continue };
        let count = units.codes.len();
        for (replicate, outcome) in result.replicates.iter().enumerate() {
            for (index, record) in outcome.unit_records.iter().enumerate() {
                let (step, unit) = (index / count, index % count);
                row.clear();
                row.extend([result.name.clone(), replicate.to_string(), step.to_string()]);
                row.extend([unit_cell(&units.codes[unit]), unit_cell(&units.names[unit])]);
                row.push(units.level.clone());
                row.extend(record.iter().map(|v| number(*v)));
                writer.write_record(&row)?;
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// `scenario, replicate, unit_code, unit_name, level, <metric means>, converged_at, settled,
/// class`: with `output.by_unit`, each recorded unit's equilibrium (its whole subtree).
pub fn write_summary_by_unit<W: Write + Send>(
    out: W,
    format: Format,
    results: &[ScenarioResult],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    let spans = any_span(results);
    let mut header = equilibrium_header("scenario", spans);
    header.splice(2..2, ["unit_code".to_string(), "unit_name".to_string()]);
    writer.write_record(&header)?;
    for result in results {
        let Some(units) = &result.units else { continue };
        for (replicate, outcome) in result.replicates.iter().enumerate() {
            for (unit, equilibrium) in outcome.unit_equilibria.iter().enumerate() {
                let mut row =
                    equilibrium_row(&result.name, replicate, &units.level, equilibrium, spans);
                row.splice(
                    2..2,
                    [unit_cell(&units.codes[unit]), unit_cell(&units.names[unit])],
                );
                writer.write_record(&row)?;
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// Characters that make a spreadsheet read a cell as a formula when they begin it.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// A unit's code or name as a CSV cell: one beginning with `= + - @` (a formula to a
/// spreadsheet) or with `'` gets a leading `'`, which spreadsheets show as text and
/// `unit_text` removes.
pub fn unit_cell(text: &str) -> String {
    match text.chars().next() {
        Some(c) if FORMULA_STARTS.contains(&c) || c == '\'' => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// A unit's code or name read back from a cell `unit_cell` wrote.
pub fn unit_text(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => {
            rest.to_string()
        }
        _ => cell.to_string(),
    }
}

/// One metric of one unit read back from `timeseries_by_unit.csv` (with its step) or
/// `summary_by_unit.csv` (without).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitValue {
    pub scenario: String,
    pub replicate: usize,
    pub step: Option<usize>,
    /// The recorded level (`province`).
    pub level: String,
    pub code: String,
    pub name: String,
    pub value: f64,
}

/// Bytes reading `rows` rows of a by-unit table takes (`read_unit_values`: records are read
/// one at a time, and one value kept per row with its scenario, level, code and name).
pub fn unit_rows_memory(rows: u128) -> u128 {
    let value = 4 * 24 + 64 + 40;
    rows.saturating_mul(value)
}

/// Read one metric of every row of a by-unit table (CSV or Parquet), one record at a time.
pub fn read_unit_values(path: &Path, metric: &str) -> Result<Vec<UnitValue>, ReadError> {
    let mut reader = TableReader::open(path)?;
    let column = |names: &[&str]| {
        reader
            .header()
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .ok_or_else(|| ReadError::new(path, format!("no column `{}`", names[0])))
    };
    let scenario = column(&["scenario"])?;
    let replicate = column(&["replicate"])?;
    let step = column(&["step"]).ok();
    let code = column(&["unit_code"])?;
    let name = column(&["unit_name"])?;
    let level = column(&["level"])?;
    let value = column(&[metric])?;
    let bad = |what: &str, text: &str| ReadError::new(path, format!("bad {what} `{text}`"));
    let integer = |record: &csv::StringRecord, column: usize, what: &str| {
        record[column]
            .parse::<usize>()
            .map_err(|_| bad(what, &record[column]))
    };
    let mut values = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        values.push(UnitValue {
            scenario: record[scenario].to_string(),
            replicate: integer(&record, replicate, "replicate")?,
            step: step.map(|c| integer(&record, c, "step")).transpose()?,
            level: record[level].to_string(),
            code: unit_text(&record[code]),
            name: unit_text(&record[name]),
            value: finite(&record[value]).ok_or_else(|| bad(NOT_FINITE, &record[value]))?,
        });
    }
    Ok(values)
}

/// `scenario, replicate, level, <metric means>, converged_at, class`.
pub fn write_summary<W: Write + Send>(
    out: W,
    format: Format,
    results: &[ScenarioResult],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    let spans = any_span(results);
    writer.write_record(equilibrium_header("scenario", spans))?;
    for result in results {
        for (replicate, outcome) in result.replicates.iter().enumerate() {
            for (level, level_name) in result.levels.iter().enumerate() {
                let equilibrium = &outcome.equilibria[level];
                writer.write_record(equilibrium_row(
                    &result.name,
                    replicate,
                    level_name,
                    equilibrium,
                    spans,
                ))?;
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// `scenario, level, metric, mean, sd, ci95_low, ci95_high, n`: statistics over replicates of
/// every equilibrium metric, `converged_at`, and `class_<name>` shares (Wilson interval).
pub fn write_equilibrium<W: Write + Send>(
    out: W,
    format: Format,
    results: &[ScenarioResult],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    writer.write_record(
        STATISTICS_HEADER
            .iter()
            .map(|c| c.replace("{key}", "scenario")),
    )?;
    for result in results {
        for (level, level_name) in result.levels.iter().enumerate() {
            let statistics = result.level_statistics(level);
            write_statistics(&mut writer, &result.name, level_name, &statistics)?;
        }
        write_relaxation(&mut writer, result)?;
    }
    writer.finish()?;
    Ok(())
}

/// With `run.until_settled`: the row `relaxation_steps` (level `all`), the relaxation time
/// of the slowest mode of the replicate-mean series in whole steps (0: none above the
/// precision), `n` the replicates it was fitted to.
fn write_relaxation<W: Write + Send>(
    writer: &mut TableWriter<W>,
    result: &ScenarioResult,
) -> csv::Result<()> {
    let Some(span) = result
        .replicates
        .first()
        .and_then(|replicate| replicate.equilibria.last())
        .and_then(|equilibrium| equilibrium.span)
    else {
        return Ok(());
    };
    writer.write_record([
        result.name.clone(),
        crate::metrics::WHOLE_HIERARCHY.to_string(),
        "relaxation_steps".to_string(),
        number(span.relaxation.round()),
        String::new(),
        String::new(),
        String::new(),
        result.replicates.len().to_string(),
    ])
}

/// Columns of a statistics table; `{key}` is `scenario` or `point`.
pub const STATISTICS_HEADER: [&str; 8] = [
    "{key}",
    "level",
    "metric",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "n",
];

/// The statistics rows of one scenario (or sweep point) at one level.
pub fn write_statistics<W: Write + Send>(
    writer: &mut TableWriter<W>,
    key: &str,
    level: &str,
    statistics: &LevelStatistics,
) -> csv::Result<()> {
    let spreads = METRICS
        .iter()
        .map(|m| m.to_string())
        .zip(statistics.metrics.iter().copied())
        .chain(std::iter::once((
            "converged_at".to_string(),
            statistics.converged_at,
        )));
    for (metric, spread) in spreads {
        let empty = spread.n == 0;
        writer.write_record([
            key.to_string(),
            level.to_string(),
            metric,
            if empty {
                String::new()
            } else {
                number(spread.mean)
            },
            optional(spread.sd),
            optional(spread.ci95.map(|c| c.0)),
            optional(spread.ci95.map(|c| c.1)),
            spread.n.to_string(),
        ])?;
    }
    let settled = std::iter::once(("settled".to_string(), statistics.settled));
    let classes = CLASSES
        .iter()
        .map(|class| format!("class_{class}"))
        .zip(statistics.class_counts.iter().copied());
    for (metric, count) in settled.chain(classes) {
        let n = statistics.replicates;
        let share = count as f64 / n.max(1) as f64;
        let sd = if n > 1 {
            Some((share * (1.0 - share) * n as f64 / (n - 1) as f64).sqrt())
        } else {
            None
        };
        let (low, high) = wilson95(count, n);
        writer.write_record([
            key.to_string(),
            level.to_string(),
            metric,
            number(share),
            optional(sd),
            number(low),
            number(high),
            n.to_string(),
        ])?;
    }
    Ok(())
}

/// The rows of the parts of a sweep, in point order: (point id, (replicate, level, equilibrium)).
pub type SweepRows<'a> = (usize, &'a Vec<(usize, String, Equilibrium)>);

/// `sweep.csv`: `point, replicate, level, <means>, converged_at, settled, class`, then
/// `burn_in, steps` when the points ran until settled.
pub fn write_sweep_rows<'a, W: Write>(
    out: W,
    points: impl Iterator<Item = SweepRows<'a>> + Clone,
) -> csv::Result<()> {
    let spans = points
        .clone()
        .any(|(_, rows)| rows.iter().any(|(_, _, e)| e.span.is_some()));
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(equilibrium_header("point", spans))?;
    for (point, rows) in points {
        for (replicate, level, equilibrium) in rows {
            writer.write_record(equilibrium_row(
                &point.to_string(),
                *replicate,
                level,
                equilibrium,
                spans,
            ))?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// `sweep_summary.csv`: the statistics table of every point at every level.
pub fn write_sweep_summary<'a, W: Write + Send>(
    out: W,
    points: impl Iterator<Item = SweepRows<'a>>,
) -> csv::Result<()> {
    let mut writer = TableWriter::csv(out);
    writer.write_record(
        STATISTICS_HEADER
            .iter()
            .map(|c| c.replace("{key}", "point")),
    )?;
    for (point, rows) in points {
        let mut levels: Vec<&str> = Vec::new();
        for (_, level, _) in rows {
            if !levels.contains(&level.as_str()) {
                levels.push(level);
            }
        }
        for level in levels {
            let equilibria: Vec<&Equilibrium> = rows
                .iter()
                .filter(|(_, l, _)| l == level)
                .map(|(_, _, e)| e)
                .collect();
            let statistics = LevelStatistics::from_equilibria(&equilibria);
            write_statistics(&mut writer, &point.to_string(), level, &statistics)?;
        }
    }
    writer.finish()?;
    Ok(())
}

/// One `summary.csv`-style row: `key, replicate, level, <means>, converged_at, settled,
/// class`, then with `spans` the replicate's `burn_in, steps` (empty for a run of fixed
/// length).
pub fn equilibrium_row(
    key: &str,
    replicate: usize,
    level: &str,
    equilibrium: &Equilibrium,
    spans: bool,
) -> Vec<String> {
    let mut row = vec![key.to_string(), replicate.to_string(), level.to_string()];
    row.extend(equilibrium.means.iter().map(|v| number(*v)));
    row.push(
        equilibrium
            .converged_at
            .map(|t| t.to_string())
            .unwrap_or_default(),
    );
    row.push(equilibrium.settled.to_string());
    row.push(equilibrium.class.to_string());
    if spans {
        let span = equilibrium.span;
        row.push(span.map(|s| s.burn_in.to_string()).unwrap_or_default());
        row.push(span.map(|s| s.steps.to_string()).unwrap_or_default());
    }
    row
}

/// Whether any replicate of `results` ran until settled (its tables then have the
/// `burn_in` and `steps` columns).
fn any_span(results: &[ScenarioResult]) -> bool {
    results
        .iter()
        .flat_map(|result| &result.replicates)
        .any(|replicate| replicate.equilibria.iter().any(|e| e.span.is_some()))
}

/// Header of `summary.csv`-style tables with first column `key`, with the `burn_in` and
/// `steps` columns when `spans`.
pub fn equilibrium_header(key: &str, spans: bool) -> Vec<String> {
    let mut header = vec![
        key.to_string(),
        "replicate".to_string(),
        "level".to_string(),
    ];
    header.extend(METRICS.iter().map(|m| m.to_string()));
    header.extend([
        "converged_at".to_string(),
        "settled".to_string(),
        "class".to_string(),
    ]);
    if spans {
        header.extend(["burn_in".to_string(), "steps".to_string()]);
    }
    header
}

/// Every record of a table (CSV or Parquet) with its header row, and the position of each named column.
struct Table {
    path: String,
    header: Vec<String>,
    records: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> Result<Self, ReadError> {
        let reader = TableReader::open(path)?;
        let header = reader.header().to_vec();
        let records = reader.records()?;
        Ok(Table {
            path: path.display().to_string(),
            header,
            records,
        })
    }

    /// Position of the first of `names` present in the header.
    fn column(&self, names: &[&str]) -> Result<usize, ReadError> {
        names
            .iter()
            .find_map(|name| self.header.iter().position(|h| h == name))
            .ok_or_else(|| ReadError {
                path: self.path.clone(),
                message: format!("no column `{}`", names.join("` or `")),
            })
    }
}

/// One row of `summary.csv` (or `sweep.csv`) read back: a replicate's equilibrium at one level.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// The scenario name (the point id in `sweep.csv`).
    pub scenario: String,
    pub replicate: usize,
    pub level: String,
    /// The equilibrium mean of every metric, in `METRICS` order.
    pub means: Vec<f64>,
    /// The equilibrium class.
    pub class: String,
    /// Whether the replicate had settled before its equilibrium window (None in a table
    /// without the column).
    pub settled: Option<bool>,
}

/// Read `summary.csv` or `sweep.csv`.
pub fn read_summary(path: &Path) -> Result<Vec<SummaryRow>, ReadError> {
    let table = Table::read(path)?;
    let scenario = table.column(&["scenario", "point"])?;
    let replicate = table.column(&["replicate"])?;
    let level = table.column(&["level"])?;
    let class = table.column(&["class"])?;
    let settled = table.column(&["settled"]).ok();
    let metrics: Vec<usize> = METRICS
        .iter()
        .map(|metric| table.column(&[metric]))
        .collect::<Result<_, _>>()?;
    let bad = |what: &str, text: &str| ReadError {
        path: table.path.clone(),
        message: format!("bad {what} `{text}`"),
    };
    table
        .records
        .iter()
        .map(|record| {
            let means = metrics
                .iter()
                .map(|c| finite(&record[*c]).ok_or_else(|| bad(NOT_FINITE, &record[*c])))
                .collect::<Result<_, _>>()?;
            Ok(SummaryRow {
                scenario: record[scenario].to_string(),
                replicate: record[replicate]
                    .parse()
                    .map_err(|_| bad("replicate", &record[replicate]))?,
                level: record[level].to_string(),
                means,
                class: record[class].to_string(),
                settled: match settled {
                    Some(column) => Some(
                        record[column]
                            .parse()
                            .map_err(|_| bad("settled", &record[column]))?,
                    ),
                    None => None,
                },
            })
        })
        .collect()
}

/// One row of `differences.csv`: a scenario's paired difference from the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct DifferenceRow {
    pub scenario: String,
    pub level: String,
    pub metric: String,
    pub difference: crate::stats::Difference,
}

/// `differences.csv`: `scenario, level, metric, difference, sd, ci95_low, ci95_high, n,
/// correlation, method, n_baseline`: with `method` `paired`, the mean of per-replicate
/// differences from the baseline, their sd, t interval, number of pairs and correlation; with
/// `welch` (different seeds or replicates), the difference of means with Welch's interval,
/// each side's replicates and no sd or correlation. Empty where undefined.
pub fn write_differences<W: Write>(out: W, rows: &[DifferenceRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "scenario",
        "level",
        "metric",
        "difference",
        "sd",
        "ci95_low",
        "ci95_high",
        "n",
        "correlation",
        "method",
        "n_baseline",
    ])?;
    for row in rows {
        let spread = row.difference.spread();
        writer.write_record([
            row.scenario.clone(),
            row.level.clone(),
            row.metric.clone(),
            number(spread.mean),
            optional(spread.sd),
            optional(spread.ci95.map(|c| c.0)),
            optional(spread.ci95.map(|c| c.1)),
            spread.n.to_string(),
            optional(row.difference.correlation()),
            row.difference.method().to_string(),
            row.difference.n_baseline().to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// One row of `effects.csv`: the effect of one schedule entry on one metric of the whole
/// hierarchy `k` steps after the entry (the mean over replicates of factual minus
/// counterfactual, and its t-based 95% interval; None with a single replicate).
#[derive(Clone, Debug, PartialEq)]
pub struct EffectRow {
    pub scenario: String,
    /// The entry: `N@STEP`, the N-th `[[schedule]]` entry of the scenario (from 1), at STEP.
    pub event: String,
    pub metric: String,
    pub k: u64,
    pub effect: f64,
    pub ci95: Option<(f64, f64)>,
    pub n: usize,
}

/// Columns of `effects.csv`.
pub const EFFECTS_HEADER: [&str; 8] = [
    "scenario",
    "event",
    "metric",
    "k",
    "effect",
    "ci95_low",
    "ci95_high",
    "n",
];

/// `effects.csv`: `scenario, event, metric, k, effect, ci95_low, ci95_high, n`.
pub fn write_effects<W: Write + Send>(
    out: W,
    format: Format,
    rows: &[EffectRow],
) -> csv::Result<()> {
    let mut writer = TableWriter::new(out, format);
    writer.write_record(EFFECTS_HEADER)?;
    for row in rows {
        writer.write_record([
            row.scenario.clone(),
            row.event.clone(),
            row.metric.clone(),
            row.k.to_string(),
            number(row.effect),
            optional(row.ci95.map(|c| c.0)),
            optional(row.ci95.map(|c| c.1)),
            row.n.to_string(),
        ])?;
    }
    writer.finish()?;
    Ok(())
}

/// Read `effects.csv` back (for its charts).
pub fn read_effects(path: &Path) -> Result<Vec<EffectRow>, ReadError> {
    let table = Table::read(path)?;
    let [scenario, event, metric, k, effect, low, high, n] =
        EFFECTS_HEADER.map(|name| table.column(&[name]));
    let (scenario, event, metric, k, effect, low, high, n) =
        (scenario?, event?, metric?, k?, effect?, low?, high?, n?);
    let bad = |what: &str, text: &str| ReadError {
        path: table.path.clone(),
        message: format!("bad {what} `{text}`"),
    };
    let number_at = |record: &csv::StringRecord, column: usize| {
        finite(&record[column]).ok_or_else(|| bad(NOT_FINITE, &record[column]))
    };
    table
        .records
        .iter()
        .map(|record| {
            let ci95 = match (&record[low], &record[high]) {
                ("", "") => None,
                _ => Some((number_at(record, low)?, number_at(record, high)?)),
            };
            Ok(EffectRow {
                scenario: record[scenario].to_string(),
                event: record[event].to_string(),
                metric: record[metric].to_string(),
                k: record[k].parse().map_err(|_| bad("k", &record[k]))?,
                effect: number_at(record, effect)?,
                ci95,
                n: record[n].parse().map_err(|_| bad("n", &record[n]))?,
            })
        })
        .collect()
}

/// One row of a statistics table (`equilibrium.csv`, `sweep_summary.csv`) read back.
#[derive(Clone, Debug, PartialEq)]
pub struct StatisticsRow {
    /// The scenario name or the point id.
    pub key: String,
    pub level: String,
    /// A metric, `converged_at`, or `class_<name>`.
    pub metric: String,
    /// The mean with its interval (the mean as both bounds where the interval is empty);
    /// None where the mean is empty (no replicate converged).
    pub estimate: Option<Estimate>,
}

/// Read a statistics table written by `write_statistics`.
pub fn read_statistics(path: &Path) -> Result<Vec<StatisticsRow>, ReadError> {
    let table = Table::read(path)?;
    let key = table.column(&["scenario", "point"])?;
    let level = table.column(&["level"])?;
    let metric = table.column(&["metric"])?;
    let mean = table.column(&["mean"])?;
    let low = table.column(&["ci95_low"])?;
    let high = table.column(&["ci95_high"])?;
    Ok(table
        .records
        .iter()
        .map(|record| {
            let estimate = record[mean].parse::<f64>().ok().map(|mean| Estimate {
                mean,
                low: record[low].parse().unwrap_or(mean),
                high: record[high].parse().unwrap_or(mean),
            });
            StatisticsRow {
                key: record[key].to_string(),
                level: record[level].to_string(),
                metric: record[metric].to_string(),
                estimate,
            }
        })
        .collect())
}

/// The statistics of one scenario or point at one level: each metric's estimate and the most
/// frequent equilibrium class.
#[derive(Clone, Debug, Default)]
pub struct LevelSummary {
    pub key: String,
    pub metrics: HashMap<String, Estimate>,
    pub class: &'static str,
}

/// The rows at `level`, gathered per key in order of first appearance.
pub fn summaries_at(rows: &[StatisticsRow], level: &str) -> Vec<LevelSummary> {
    let mut keys: Vec<&str> = Vec::new();
    let mut summaries: Vec<(LevelSummary, [f64; CLASSES.len()])> = Vec::new();
    for row in rows.iter().filter(|row| row.level == level) {
        let index = match keys.iter().position(|key| *key == row.key) {
            Some(index) => index,
            None => {
                keys.push(&row.key);
                let summary = LevelSummary {
                    key: row.key.clone(),
                    ..LevelSummary::default()
                };
                summaries.push((summary, [-1.0; CLASSES.len()]));
                keys.len() - 1
            }
        };
        let Some(estimate) = row.estimate else {
            continue;
        };
        let (summary, shares) = &mut summaries[index];
        match row.metric.strip_prefix("class_") {
            Some(class) => {
                if let Some(position) = CLASSES.iter().position(|c| *c == class) {
                    shares[position] = estimate.mean;
                }
            }
            None => {
                summary.metrics.insert(row.metric.clone(), estimate);
            }
        }
    }
    summaries
        .into_iter()
        .map(|(mut summary, shares)| {
            // A key without class rows has no class.
            if shares.iter().any(|share| *share >= 0.0) {
                summary.class = modal_class(&shares);
            }
            summary
        })
        .collect()
}

/// `point, <axis columns>`: one row per sweep point with its axis labels.
pub fn write_points<'a, W: Write>(
    out: W,
    columns: &[String],
    points: impl Iterator<Item = (usize, &'a [String])>,
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["point".to_string()];
    header.extend(columns.iter().cloned());
    writer.write_record(&header)?;
    for (id, labels) in points {
        let mut row = vec![id.to_string()];
        row.extend(labels.iter().cloned());
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// `points.csv` read back: the axis columns and, per point in file order, its id and labels.
#[derive(Clone, Debug, Default)]
pub struct PointsTable {
    pub columns: Vec<String>,
    pub points: Vec<(String, Vec<String>)>,
}

/// Read `points.csv`.
pub fn read_points(path: &Path) -> Result<PointsTable, ReadError> {
    let table = Table::read(path)?;
    let id = table.column(&["point"])?;
    let axes: Vec<usize> = (0..table.header.len()).filter(|c| *c != id).collect();
    Ok(PointsTable {
        columns: axes.iter().map(|c| table.header[*c].clone()).collect(),
        points: table
            .records
            .iter()
            .map(|record| {
                let labels = axes.iter().map(|c| record[*c].to_string()).collect();
                (record[id].to_string(), labels)
            })
            .collect(),
    })
}

/// The first line of a part file; the rest are `summary.csv`-style rows without a header.
const PART_HEADER: &str = "# cadresim part";

/// A part file: a line naming the point, its replicate count, its row count and the SHA-256
/// of the rows (recorded when the part is committed), then the rows of one sweep point.
pub fn write_part<W: Write>(
    mut out: W,
    point: usize,
    levels: &[String],
    equilibria: &[Vec<Equilibrium>],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows = 0;
    for (replicate, by_level) in equilibria.iter().enumerate() {
        for (level, equilibrium) in levels.iter().zip(by_level) {
            writer.write_record(equilibrium_row(
                &point.to_string(),
                replicate,
                level,
                equilibrium,
                equilibrium.span.is_some(),
            ))?;
            rows += 1;
        }
    }
    let body = writer.into_inner().map_err(|e| e.into_error())?;
    writeln!(
        out,
        "{PART_HEADER}: point={point} replicates={} rows={rows} sha256={}",
        equilibria.len(),
        sha256_hex(&body)
    )?;
    out.write_all(&body)?;
    Ok(())
}

/// The identity and checksum of a part file, from its first line.
struct PartHeader {
    point: usize,
    replicates: usize,
    rows: usize,
    sha256: String,
}

fn parse_part_header(line: &str) -> Option<PartHeader> {
    let fields = line.strip_prefix(PART_HEADER)?.strip_prefix(": ")?;
    let mut header = PartHeader {
        point: usize::MAX,
        replicates: 0,
        rows: 0,
        sha256: String::new(),
    };
    for field in fields.split(' ') {
        match field.split_once('=')? {
            ("point", value) => header.point = value.parse().ok()?,
            ("replicates", value) => header.replicates = value.parse().ok()?,
            ("rows", value) => header.rows = value.parse().ok()?,
            ("sha256", value) => header.sha256 = value.to_string(),
            _ => return None,
        }
    }
    Some(header)
}

/// Rows of the part file of point `point` of a sweep with `replicates` replicates:
/// (replicate, level, equilibrium). Fails, naming the file, when the part is not that point's,
/// has another replicate count, or its rows are not those committed (truncated, emptied,
/// edited).
pub fn read_part(
    path: &Path,
    point: usize,
    replicates: usize,
) -> Result<Vec<(usize, String, Equilibrium)>, ReadError> {
    let corrupt = |message: String| ReadError::new(path, message);
    let bytes = std::fs::read(path).map_err(|e| corrupt(e.to_string()))?;
    let split = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len());
    let (first, body) = bytes.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let header = std::str::from_utf8(first)
        .ok()
        .and_then(parse_part_header)
        .ok_or_else(|| corrupt("not a part file (no `# cadresim part` line)".into()))?;
    if header.point != point {
        return Err(corrupt(format!(
            "holds point {}, not point {point}",
            header.point
        )));
    }
    if header.replicates != replicates {
        return Err(corrupt(format!(
            "has {} replicates, the sweep {replicates}",
            header.replicates
        )));
    }
    if sha256_hex(body) != header.sha256 {
        return Err(corrupt(
            "its rows differ from those committed (SHA-256 mismatch)".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| corrupt(e.to_string()))?;
        if record.len() != METRIC_COUNT + 6 && record.len() != METRIC_COUNT + 8 {
            return Err(corrupt(format!("a row has {} fields", record.len())));
        }
        let replicate = record[1]
            .parse()
            .map_err(|_| corrupt("bad replicate".into()))?;
        let mut means = [0.0; METRIC_COUNT];
        for (mean, text) in means.iter_mut().zip(record.iter().skip(3)) {
            *mean = text
                .parse()
                .map_err(|_| corrupt(format!("bad number `{text}`")))?;
        }
        let converged_at = match &record[METRIC_COUNT + 3] {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|_| corrupt("bad converged_at".into()))?,
            ),
        };
        let settled = record[METRIC_COUNT + 4]
            .parse()
            .map_err(|_| corrupt("bad settled".into()))?;
        let class = CLASSES
            .iter()
            .find(|c| **c == &record[METRIC_COUNT + 5])
            .ok_or_else(|| corrupt("bad class".into()))?;
        if record[0] != *point.to_string() || replicate >= replicates {
            return Err(corrupt(format!(
                "a row names point {} replicate {replicate}",
                &record[0]
            )));
        }
        rows.push((
            replicate,
            record[2].to_string(),
            Equilibrium {
                means,
                converged_at,
                settled,
                class,
                span: read_span(&record).map_err(|what| corrupt(format!("bad {what}")))?,
            },
        ));
    }
    if rows.len() != header.rows {
        return Err(corrupt(format!(
            "has {} rows, {} were committed",
            rows.len(),
            header.rows
        )));
    }
    Ok(rows)
}

/// The `burn_in, steps` at the end of a part row of a replicate that ran until settled.
fn read_span(record: &csv::StringRecord) -> Result<Option<RunSpan>, &'static str> {
    if record.len() == METRIC_COUNT + 6 {
        return Ok(None);
    }
    let burn_in = record[METRIC_COUNT + 6].parse().map_err(|_| "burn_in")?;
    let steps = record[METRIC_COUNT + 7].parse().map_err(|_| "steps")?;
    Ok(Some(RunSpan::new(burn_in, steps)))
}

/// One index of one parameter for one metric: a row of `sensitivity.csv` and, with its sample
/// size, of `sensitivity_convergence.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityRow {
    /// `sobol` or `morris`.
    pub method: String,
    pub metric: String,
    pub level: String,
    /// The axis label; `a|b` for S2; empty for noise_share.
    pub parameter: String,
    /// `S1`, `ST`, `S2`, `mu`, `mu_star`, `sigma` or `noise_share`.
    pub index: String,
    /// Base rows (sobol) or trajectories (morris) the estimate used.
    pub sample_size: usize,
    /// None where it cannot be computed (a noise share with one replicate).
    pub estimate: Option<f64>,
    /// The 95% interval, where the index has one.
    pub interval: Option<(f64, f64)>,
}

const SENSITIVITY_HEADER: [&str; 8] = [
    "method",
    "metric",
    "level",
    "parameter",
    "index",
    "estimate",
    "ci95_low",
    "ci95_high",
];

/// `sensitivity.csv` (`method, metric, level, parameter, index, estimate, ci95_low,
/// ci95_high`), or with `sample_size` after `index`, `sensitivity_convergence.csv`.
pub fn write_sensitivity<W: Write>(
    out: W,
    rows: &[SensitivityRow],
    with_sample_size: bool,
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = SENSITIVITY_HEADER.to_vec();
    if with_sample_size {
        header.insert(5, "sample_size");
    }
    writer.write_record(&header)?;
    for row in rows {
        let mut record = vec![
            row.method.clone(),
            row.metric.clone(),
            row.level.clone(),
            row.parameter.clone(),
            row.index.clone(),
        ];
        if with_sample_size {
            record.push(row.sample_size.to_string());
        }
        record.push(optional(row.estimate));
        record.push(optional(row.interval.map(|i| i.0)));
        record.push(optional(row.interval.map(|i| i.1)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// Read `sensitivity.csv` or `sensitivity_convergence.csv` (sample size 0 where absent).
pub fn read_sensitivity(path: &Path) -> Result<Vec<SensitivityRow>, ReadError> {
    let table = Table::read(path)?;
    let column = |name: &str| table.column(&[name]);
    let [method, metric, level, parameter, index, estimate, low, high] =
        SENSITIVITY_HEADER.map(column);
    let (method, metric, level, parameter, index) = (method?, metric?, level?, parameter?, index?);
    let (estimate, low, high) = (estimate?, low?, high?);
    let size = table.column(&["sample_size"]).ok();
    Ok(table
        .records
        .iter()
        .map(|record| {
            let parse = |c: usize| record[c].parse::<f64>().ok();
            SensitivityRow {
                method: record[method].to_string(),
                metric: record[metric].to_string(),
                level: record[level].to_string(),
                parameter: record[parameter].to_string(),
                index: record[index].to_string(),
                sample_size: size.and_then(|c| record[c].parse().ok()).unwrap_or(0),
                estimate: parse(estimate),
                interval: parse(low).zip(parse(high)),
            }
        })
        .collect())
}

/// One box of a PRIM trajectory: a row of `trajectory.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrajectoryRow {
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
    pub restricted: usize,
    pub n: usize,
}

/// `trajectory.csv`: `box, coverage, density, mass, restricted, n` (box = position on the
/// peeling and pasting trajectory, from 0 = every case).
pub fn write_trajectory<W: Write>(out: W, rows: &[TrajectoryRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["box", "coverage", "density", "mass", "restricted", "n"])?;
    for (index, row) in rows.iter().enumerate() {
        writer.write_record([
            index.to_string(),
            number(row.coverage),
            number(row.density),
            number(row.mass),
            row.restricted.to_string(),
            row.n.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// One search of a boundary design: a row of `boundary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundaryRow {
    /// The values of the axes after the first (the search's settings).
    pub labels: Vec<String>,
    /// Mean crossing over the replicates that cross, and its t-based 95% interval.
    pub estimate: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    /// Replicates with a crossing, of `replicates`.
    pub crossed: usize,
    pub replicates: usize,
    /// Where the condition on the replicates' mean equilibrium changes.
    pub bracket: Option<(f64, f64)>,
    pub evaluations: usize,
    /// Empty for a clean crossing, else `below`, `above`, `non-monotone` or `mixed`.
    pub flag: String,
}

const BOUNDARY_COLUMNS: [&str; 9] = [
    "estimate",
    "ci95_low",
    "ci95_high",
    "crossed",
    "replicates",
    "bracket_low",
    "bracket_high",
    "evaluations",
    "flag",
];

/// `boundary.csv`: one column per axis after the first (`columns`), then `estimate,
/// ci95_low, ci95_high, crossed, replicates, bracket_low, bracket_high, evaluations, flag`
/// (empty cells where there is no crossing or interval).
pub fn write_boundary<W: Write>(
    out: W,
    columns: &[String],
    rows: &[BoundaryRow],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = columns.iter().map(String::as_str).collect();
    header.extend(BOUNDARY_COLUMNS);
    writer.write_record(&header)?;
    for row in rows {
        let mut record = row.labels.clone();
        record.extend([
            optional(row.estimate),
            optional(row.ci95.map(|c| c.0)),
            optional(row.ci95.map(|c| c.1)),
            row.crossed.to_string(),
            row.replicates.to_string(),
            optional(row.bracket.map(|b| b.0)),
            optional(row.bracket.map(|b| b.1)),
            row.evaluations.to_string(),
            row.flag.clone(),
        ]);
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// Read `boundary.csv`: the axis columns (those before `estimate`) and the rows.
pub fn read_boundary(path: &Path) -> Result<(Vec<String>, Vec<BoundaryRow>), ReadError> {
    let table = Table::read(path)?;
    let first = table.column(&["estimate"])?;
    let columns: Vec<String> = table.header[..first].to_vec();
    let position = |name: &str| table.column(&[name]);
    let at: Vec<usize> = BOUNDARY_COLUMNS
        .iter()
        .map(|name| position(name))
        .collect::<Result<_, _>>()?;
    let bad = |what: &str| ReadError::new(path, format!("bad {what}"));
    let number = |text: &str, what: &str| -> Result<Option<f64>, ReadError> {
        if text.is_empty() {
            Ok(None)
        } else {
            text.parse().map(Some).map_err(|_| bad(what))
        }
    };
    let rows = table
        .records
        .iter()
        .map(|record| {
            let pair = |a: usize, b: usize, what: &str| -> Result<Option<(f64, f64)>, ReadError> {
                Ok(number(&record[at[a]], what)?.zip(number(&record[at[b]], what)?))
            };
            Ok(BoundaryRow {
                labels: (0..first).map(|i| record[i].to_string()).collect(),
                estimate: number(&record[at[0]], "estimate")?,
                ci95: pair(1, 2, "ci95")?,
                crossed: record[at[3]].parse().map_err(|_| bad("crossed"))?,
                replicates: record[at[4]].parse().map_err(|_| bad("replicates"))?,
                bracket: pair(5, 6, "bracket")?,
                evaluations: record[at[7]].parse().map_err(|_| bad("evaluations"))?,
                flag: record[at[8]].to_string(),
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    Ok((columns, rows))
}

/// One verdict of the robustness check: a row of `verdicts.csv` and of a sample's part.
#[derive(Clone, Debug, PartialEq)]
pub struct VerdictRow {
    /// 0 is the defaults; 1..=N the Latin-hypercube samples.
    pub sample: usize,
    pub claim: String,
    pub holds: bool,
    /// The claim's effect at the sample (its size without thresholds).
    pub effect: f64,
    /// The replicates that decided it (the second stage's where the first was not clear);
    /// None in parts written before the column existed.
    pub replicates: Option<u64>,
}

/// `verdicts.csv` (and each `parts/sample-*.csv`): `sample, claim, holds` (`true`/`false`),
/// `effect` (empty for a claim not decided), `replicates`.
pub fn write_verdicts<W: Write>(out: W, rows: &[VerdictRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["sample", "claim", "holds", "effect", "replicates"])?;
    for row in rows {
        writer.write_record([
            row.sample.to_string(),
            row.claim.clone(),
            row.holds.to_string(),
            optional(Some(row.effect).filter(|e| !e.is_nan())),
            row.replicates.map(|n| n.to_string()).unwrap_or_default(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Read `verdicts.csv` or a sample's part.
pub fn read_verdicts(path: &Path) -> Result<Vec<VerdictRow>, ReadError> {
    let table = Table::read(path)?;
    let (sample, claim, holds, effect) = (
        table.column(&["sample"])?,
        table.column(&["claim"])?,
        table.column(&["holds"])?,
        table.column(&["effect"])?,
    );
    let replicates = table.column(&["replicates"]).ok();
    table
        .records
        .iter()
        .map(|record| {
            let bad = |what: &str| ReadError::new(path, format!("bad {what} in {record:?}"));
            let count = match replicates.map(|column| &record[column]) {
                None | Some("") => None,
                Some(text) => Some(text.parse().map_err(|_| bad("replicates"))?),
            };
            Ok(VerdictRow {
                sample: record[sample].parse().map_err(|_| bad("sample"))?,
                claim: record[claim].to_string(),
                holds: record[holds].parse().map_err(|_| bad("holds"))?,
                effect: match &record[effect] {
                    "" => f64::NAN,
                    text => text.parse().map_err(|_| bad("effect"))?,
                },
                replicates: count,
            })
        })
        .collect()
}

/// `samples.csv`: `sample`, then one column per varied parameter (sample 0: the defaults).
pub fn write_samples<W: Write>(out: W, keys: &[String], rows: &[Vec<f64>]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["sample".to_string()];
    header.extend(keys.iter().cloned());
    writer.write_record(&header)?;
    for (sample, row) in rows.iter().enumerate() {
        let mut record = vec![sample.to_string()];
        record.extend(row.iter().map(|v| number(*v)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// One claim at one cell of the structural factorial: a row of `structure/verdicts.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct CellVerdictRow {
    pub cell: usize,
    pub claim: String,
    /// Whether the cell can decide the claim (it sets no parameter of the claim's regimes).
    pub applicable: bool,
    pub holds: bool,
    pub effect: f64,
}

/// `structure/verdicts.csv`: `cell, claim, applicable, holds, effect` (a cell that cannot
/// decide the claim has `holds` false and an empty effect).
pub fn write_cell_verdicts<W: Write>(out: W, rows: &[CellVerdictRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["cell", "claim", "applicable", "holds", "effect"])?;
    for row in rows {
        writer.write_record([
            row.cell.to_string(),
            row.claim.clone(),
            row.applicable.to_string(),
            row.holds.to_string(),
            optional(row.applicable.then_some(row.effect)),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// `structure/cells.csv`: `cell`, then one column per switch with its level's name.
pub fn write_cells<W: Write>(
    out: W,
    switches: &[String],
    cells: &[Vec<String>],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["cell".to_string()];
    header.extend(switches.iter().cloned());
    writer.write_record(&header)?;
    for (index, levels) in cells.iter().enumerate() {
        let mut record = vec![index.to_string()];
        record.extend(levels.iter().cloned());
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// One claim at one level of one switch: a row of `structure/structure.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelShareRow {
    pub claim: String,
    pub switch: String,
    pub level: String,
    /// Cells at this level that can decide the claim, and those where it holds.
    pub cells: usize,
    pub holding: usize,
    /// holding / cells; None (an empty field) without such cells.
    pub share: Option<f64>,
}

/// `structure/structure.csv`: `claim, switch, level, cells, holding, share, ci95_low,
/// ci95_high` (Wilson interval; empty share and interval where no cell decides the claim).
pub fn write_level_shares<W: Write>(out: W, rows: &[LevelShareRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "claim",
        "switch",
        "level",
        "cells",
        "holding",
        "share",
        "ci95_low",
        "ci95_high",
    ])?;
    for row in rows {
        let interval = (row.cells > 0).then(|| crate::stats::wilson95(row.holding, row.cells));
        writer.write_record([
            row.claim.clone(),
            row.switch.clone(),
            row.level.clone(),
            row.cells.to_string(),
            row.holding.to_string(),
            optional(row.share),
            optional(interval.map(|i| i.0)),
            optional(interval.map(|i| i.1)),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// One claim's robustness: a row of `robustness.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct RobustnessRow {
    pub claim: String,
    pub samples: usize,
    pub holding: usize,
    pub share: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// The claim's effect over the samples: median, 5% and 95% quantiles.
    pub effect_median: f64,
    pub effect_q05: f64,
    pub effect_q95: f64,
    /// Where the claim fails, in words.
    pub fails_where: String,
}

/// `robustness.csv`: `claim, samples, holding, share, ci95_low, ci95_high, effect_median,
/// effect_q05, effect_q95, fails_where` (Wilson interval; the effect's quantiles over the
/// samples; the PRIM box of failures in words).
pub fn write_robustness<W: Write>(out: W, rows: &[RobustnessRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "claim",
        "samples",
        "holding",
        "share",
        "ci95_low",
        "ci95_high",
        "effect_median",
        "effect_q05",
        "effect_q95",
        "fails_where",
    ])?;
    for row in rows {
        writer.write_record([
            row.claim.clone(),
            row.samples.to_string(),
            row.holding.to_string(),
            number(row.share),
            number(row.ci95_low),
            number(row.ci95_high),
            number(row.effect_median),
            number(row.effect_q05),
            number(row.effect_q95),
            row.fails_where.clone(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// One limit of a claim's failure box: a row of `failures.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureRow {
    pub claim: String,
    pub parameter: String,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p_value: Option<f64>,
    pub inclusion: Option<f64>,
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
}

/// `failures.csv`: `claim, parameter, lower, upper, p_value, inclusion, coverage, density,
/// mass`, one row per restricted parameter of each claim's failure box (inclusive limits,
/// empty where the box keeps the sampled end; the share of bootstrap resamples restricting
/// it; the box's statistics repeated on each of its rows).
pub fn write_failures<W: Write>(out: W, rows: &[FailureRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "claim",
        "parameter",
        "lower",
        "upper",
        "p_value",
        "inclusion",
        "coverage",
        "density",
        "mass",
    ])?;
    for row in rows {
        writer.write_record([
            row.claim.clone(),
            row.parameter.clone(),
            optional(row.lower),
            optional(row.upper),
            optional(row.p_value),
            optional(row.inclusion),
            number(row.coverage),
            number(row.density),
            number(row.mass),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// One restricted parameter of a discovered box: a row of `box.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxRow {
    pub parameter: String,
    /// Inclusive bounds (numeric parameters).
    pub bounds: Option<(f64, f64)>,
    /// Kept values (categorical parameters).
    pub values: Vec<String>,
    pub p_value: Option<f64>,
    /// Share of bagged PRIM's bootstrap resamples whose box restricts the parameter.
    pub inclusion: Option<f64>,
}

/// `box.csv`: `parameter, lower, upper, values, p_value, inclusion` (bounds inclusive, empty
/// for a categorical parameter; values joined by `|`, empty for a numeric one; inclusion
/// empty without bagging).
pub fn write_box<W: Write>(out: W, rows: &[BoxRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "parameter",
        "lower",
        "upper",
        "values",
        "p_value",
        "inclusion",
    ])?;
    for row in rows {
        writer.write_record([
            row.parameter.clone(),
            optional(row.bounds.map(|b| b.0)),
            optional(row.bounds.map(|b| b.1)),
            row.values.join("|"),
            optional(row.p_value),
            optional(row.inclusion),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_a_decimal_point_and_round_trip() {
        for value in [4.0, 0.1, 1e-7, -2.5e16, 0.30000000000000004] {
            let text = number(value);
            assert!(text.contains(['.', 'e']), "{text}");
            assert_eq!(text.parse::<f64>().unwrap(), value);
        }
        assert_eq!(number(4.0), "4.0");
    }

    #[test]
    fn p_values_are_plain_decimals_like_every_other_number() {
        let row = BoxRow {
            parameter: "accountability.penalty".into(),
            bounds: Some((2.5, 16.0)),
            values: Vec::new(),
            p_value: Some(0.000_125),
            inclusion: Some(0.93),
        };
        let mut text = Vec::new();
        write_box(&mut text, &[row]).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.ends_with("\naccountability.penalty,2.5,16.0,,0.000125,0.93\n"),
            "{text}"
        );
    }

    #[test]
    fn effects_are_read_back_as_written() {
        let rows = vec![
            EffectRow {
                scenario: "history".into(),
                event: "1@60".into(),
                metric: "mean_innovation".into(),
                k: 5,
                effect: 0.0,
                ci95: Some((0.0, 0.0)),
                n: 3,
            },
            EffectRow {
                scenario: "history".into(),
                event: "2@120".into(),
                metric: "welfare".into(),
                k: 50,
                effect: -12.25,
                ci95: None,
                n: 1,
            },
        ];
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("effects.csv");
        write_effects(std::fs::File::create(&path).unwrap(), Format::Csv, &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "scenario,event,metric,k,effect,ci95_low,ci95_high,n\n\
             history,1@60,mean_innovation,5,0.0,0.0,0.0,3\n\
             history,2@120,welfare,50,-12.25,,,1\n"
        );
        assert_eq!(read_effects(&path).unwrap(), rows);
    }
}
