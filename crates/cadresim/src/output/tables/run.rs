//! A run's tables, stored as CSV or Parquet: `timeseries.csv`, `summary.csv`,
//! `equilibrium.csv` (with its `relaxation_steps` rows) and, with `output.by_unit`,
//! `timeseries_by_unit.csv` and `summary_by_unit.csv`; the per-level statistics (also
//! `sweep_summary.csv`'s columns) and the rows read back from them.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use super::{finite, optional, Table, NOT_FINITE};
use crate::metrics::{modal_class, Equilibrium, CLASSES, METRICS};
use crate::output::store::{number, Format, ReadError, TableReader, TableWriter};
use crate::rows::SummaryRow;
use crate::runner::{LevelStatistics, ScenarioResult};
use crate::stats::{wilson95, Estimate};

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
