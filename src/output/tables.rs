//! The tidy CSV tables of a run: `timeseries.csv`, `summary.csv` and `equilibrium.csv`.
//! Column layouts are documented in docs/OUTPUTS.md.

use std::io::Write;

use crate::experiment::ScenarioResult;
use crate::metrics::{wilson95, CLASSES, METRICS};

fn number(value: f64) -> String {
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
        let steps = result.scenario.params.run.steps as usize;
        for (replicate, _) in result.replicates.iter().enumerate() {
            for step in 0..steps {
                for (level, level_name) in result.levels.iter().enumerate() {
                    row.clear();
                    row.push(result.scenario.name.clone());
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
    let mut header = vec!["scenario", "replicate", "level"];
    header.extend(METRICS);
    header.extend(["converged_at", "class"]);
    writer.write_record(&header)?;
    for result in results {
        for (replicate, outcome) in result.replicates.iter().enumerate() {
            for (level, level_name) in result.levels.iter().enumerate() {
                let equilibrium = &outcome.equilibria[level];
                let mut row = vec![
                    result.scenario.name.clone(),
                    replicate.to_string(),
                    level_name.clone(),
                ];
                row.extend(equilibrium.means.iter().map(|v| number(*v)));
                row.push(optional(equilibrium.converged_at.map(|t| t as f64)));
                row.push(equilibrium.class.to_string());
                writer.write_record(&row)?;
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
    writer.write_record([
        "scenario",
        "level",
        "metric",
        "mean",
        "sd",
        "ci95_low",
        "ci95_high",
        "n",
    ])?;
    for result in results {
        for (level, level_name) in result.levels.iter().enumerate() {
            let statistics = result.level_statistics(level);
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
                    result.scenario.name.clone(),
                    level_name.clone(),
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
                    result.scenario.name.clone(),
                    level_name.clone(),
                    format!("class_{class}"),
                    number(share),
                    optional(sd),
                    number(low),
                    number(high),
                    n.to_string(),
                ])?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}
