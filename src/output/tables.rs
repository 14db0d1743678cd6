//! The tidy CSV tables of a run: `timeseries.csv`, `summary.csv` and `equilibrium.csv`.
//! Column layouts are documented in docs/OUTPUTS.md.

use std::io::Write;

use crate::runner::{LevelStatistics, ScenarioResult};
use crate::metrics::{Equilibrium, CLASSES, METRICS};
use crate::stats::wilson95;

pub fn number(value: f64) -> String {
    format!("{value}")
}

fn optional(value: Option<f64>) -> String {
    value.map(number).unwrap_or_default()
}

/// `scenario, replicate, step, level, <metrics>`: one row per scenario x replicate x step x level.
pub fn write_timeseries<W: Write>(out: W, results: &[ScenarioResult]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["scenario", "replicate", "step", "level"];
    header.extend(METRICS);
    writer.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for result in results {
        let steps = result.params.run.steps as usize;
        for (replicate, _) in result.replicates.iter().enumerate() {
            for step in 0..steps {
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
    writer.flush()?;
    Ok(())
}

/// `scenario, replicate, level, <metric means>, converged_at, class`.
pub fn write_summary<W: Write>(out: W, results: &[ScenarioResult]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(equilibrium_header("scenario"))?;
    for result in results {
        for (replicate, outcome) in result.replicates.iter().enumerate() {
            for (level, level_name) in result.levels.iter().enumerate() {
                let equilibrium = &outcome.equilibria[level];
                writer.write_record(equilibrium_row(
                    &result.name,
                    replicate,
                    level_name,
                    equilibrium,
                ))?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}

/// `scenario, level, metric, mean, sd, ci95_low, ci95_high, n`: statistics over replicates of
/// every equilibrium metric, `converged_at`, and `class_<name>` shares (Wilson interval).
pub fn write_equilibrium<W: Write>(out: W, results: &[ScenarioResult]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
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
    }
    writer.flush()?;
    Ok(())
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
pub fn write_statistics<W: Write>(
    writer: &mut csv::Writer<W>,
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
    for (class, count) in CLASSES.iter().zip(&statistics.class_counts) {
        let n = statistics.replicates;
        let share = *count as f64 / n.max(1) as f64;
        let sd = if n > 1 {
            Some((share * (1.0 - share) * n as f64 / (n - 1) as f64).sqrt())
        } else {
            None
        };
        let (low, high) = wilson95(*count, n);
        writer.write_record([
            key.to_string(),
            level.to_string(),
            format!("class_{class}"),
            number(share),
            optional(sd),
            number(low),
            number(high),
            n.to_string(),
        ])?;
    }
    Ok(())
}

/// One `summary.csv`-style row: `key, replicate, level, <means>, converged_at, class`.
pub fn equilibrium_row(
    key: &str,
    replicate: usize,
    level: &str,
    equilibrium: &Equilibrium,
) -> Vec<String> {
    let mut row = vec![key.to_string(), replicate.to_string(), level.to_string()];
    row.extend(equilibrium.means.iter().map(|v| number(*v)));
    row.push(optional(equilibrium.converged_at.map(|t| t as f64)));
    row.push(equilibrium.class.to_string());
    row
}

/// Header of `summary.csv`-style tables with first column `key`.
pub fn equilibrium_header(key: &str) -> Vec<String> {
    let mut header = vec![
        key.to_string(),
        "replicate".to_string(),
        "level".to_string(),
    ];
    header.extend(METRICS.iter().map(|m| m.to_string()));
    header.extend(["converged_at".to_string(), "class".to_string()]);
    header
}
