//! `cadresim run`: simulate scenarios (and the counterfactuals of
//! their schedule entries, for `effects.csv`), write a result directory, print the summary
//! table.

use std::path::Path;

use super::{CommandError, Terminal};
use crate::cli::RunArgs;
use cadresim::comparison::{self, RunOf};
use cadresim::metrics::{is_lazy_governance, metric_index, WHOLE_HIERARCHY};
use cadresim::output;
use cadresim::output::tables;
use cadresim::runner::ScenarioResult;
use cadresim::scenario::{self, Scenario};
use cadresim::stats::Spread;
use cadresim::study::run::{RunOutcome, RunRequest};

/// The study request of a command line.
fn request(args: &RunArgs) -> RunRequest {
    RunRequest {
        scenarios: args.scenarios.clone(),
        settings: args
            .format
            .map(|format| {
                let value = toml::Value::String(format.name().to_string());
                vec![("output.format".to_string(), value)]
            })
            .unwrap_or_default(),
        seed: args.seed,
        replicates: args.replicates,
        steps: args.steps,
        until_settled: args.until_settled,
        threads: args.threads,
        out: args.out.clone(),
        force: args.force,
        size: args.size,
    }
}

/// Refuse a `--baseline` that names none of the scenarios run.
fn check_baseline(args: &RunArgs) -> Result<(), CommandError> {
    let Some(baseline) = &args.baseline else {
        return Ok(());
    };
    let names: Vec<String> = if args.scenarios.is_empty() {
        scenario::built_in().into_iter().map(|s| s.name).collect()
    } else {
        args.scenarios
            .iter()
            .map(|path| scenario::load(path).map(|s| s.name))
            .collect::<Result<_, _>>()?
    };
    if names.contains(baseline) {
        return Ok(());
    }
    Err(CommandError::Usage(format!(
        "--baseline `{baseline}` is not one of the scenarios run: {}",
        names.join(", ")
    )))
}

pub(crate) fn run(args: RunArgs) -> Result<i32, CommandError> {
    check_baseline(&args)?;
    if args.dry_run {
        let cost = cadresim::study::run::dry_run(&request(&args))?;
        println!("{}", cost.describe());
        return Ok(0);
    }
    let RunOutcome {
        out,
        results,
        manifest,
    } = cadresim::study::run::run(&request(&args), &Terminal::default())?;
    print!("{}", summary_table(&results));
    print!("{}", run_lengths(&results));
    if let Some(baseline) = &args.baseline {
        print!(
            "{}",
            difference_table(&out, &manifest.record.scenarios, baseline)?
        );
    }
    println!("results: {}", out.display());
    Ok(0)
}

/// One line per scenario that ran until settled: its length, the warm-up discarded, the
/// relaxation time, and why the long-run rule was not satisfied if it was not.
fn run_lengths(results: &[ScenarioResult]) -> String {
    let mut text = String::new();
    for result in results {
        let Some(span) = result
            .replicates
            .first()
            .and_then(|r| r.equilibria.last())
            .and_then(|e| e.span)
        else {
            continue;
        };
        text += &format!(
            "{}: ran {} steps per replicate; long-run means over steps {}..{} (warm-up by MSER-5 and the relaxation fit); relaxation time {:.0} steps",
            result.name,
            span.steps,
            span.burn_in,
            span.steps - 1,
            span.relaxation
        );
        if let Some(shortfall) = span.shortfall {
            text += &format!("; not settled by run.max_steps: {shortfall}");
        }
        text.push('\n');
    }
    text
}

/// Each scenario's paired differences from `baseline` at the whole hierarchy, as a table.
fn difference_table(
    out: &Path,
    scenarios: &[Scenario],
    baseline: &str,
) -> Result<String, CommandError> {
    let rows = tables::read_summary(&output::store::find(out, "summary"))
        .map_err(|error| CommandError::Failed(error.to_string()))?;
    let runs: Vec<RunOf> = scenarios
        .iter()
        .map(|scenario| RunOf::new(scenario.name.clone(), &scenario.params))
        .collect();
    let differences = comparison::differences(&rows, &runs, Some(baseline))
        .map_err(|error| CommandError::Usage(error.to_string()))?
        .rows;
    let columns = [("mean_innovation", 3), ("share_idle", 3), ("welfare", 1)];
    let mut table = vec![vec![format!("difference from {baseline}")]];
    table[0].extend(
        columns
            .iter()
            .map(|(metric, _)| format!("{metric} [95% CI] (r)")),
    );
    for scenario in scenarios.iter().filter(|s| s.name != baseline) {
        let mut row = vec![scenario.name.clone()];
        for (metric, decimals) in columns {
            let found = differences.iter().find(|d| {
                d.scenario == scenario.name && d.level == WHOLE_HIERARCHY && d.metric == metric
            });
            row.push(found.map_or(String::new(), |d| {
                let r = d
                    .difference
                    .correlation()
                    .map_or("-".to_string(), |r| format!("{r:.2}"));
                format!("{} ({r})", interval(&d.difference.spread(), decimals))
            }));
        }
        table.push(row);
    }
    Ok(aligned(&table))
}

/// Rows of cells as left-aligned columns, one line each.
pub(crate) fn aligned(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

fn interval(spread: &Spread, decimals: usize) -> String {
    match spread.ci95 {
        Some((low, high)) => format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            spread.mean,
            low,
            high,
            d = decimals
        ),
        None => format!("{:.d$}", spread.mean, d = decimals),
    }
}

/// One row per scenario: modal equilibrium class and key metrics with 95% intervals.
pub fn summary_table(results: &[ScenarioResult]) -> String {
    let columns = [("mean_innovation", 3), ("share_idle", 3), ("welfare", 1)];
    let mut rows = vec![vec![
        "scenario".to_string(),
        "class".to_string(),
        "lazy governance".to_string(),
        "mean_innovation [95% CI]".to_string(),
        "share_idle [95% CI]".to_string(),
        "welfare [95% CI]".to_string(),
    ]];
    for result in results {
        let statistics = result.level_statistics(result.levels.len() - 1);
        let class = statistics.modal_class();
        let lazy = if is_lazy_governance(class) {
            "yes"
        } else {
            "no"
        };
        let mut row = vec![result.name.clone(), class.to_string(), lazy.to_string()];
        for (metric, decimals) in columns {
            let index = metric_index(metric).expect("known metric");
            row.push(interval(&statistics.metrics[index], decimals));
        }
        rows.push(row);
    }
    aligned(&rows)
}
