//! `cadresim sensitivity DIR`: the study's analysis of a finished sweep again, and the
//! leading parameters of an analysis in the terminal (also after a sobol or morris sweep).

use super::{CommandError, Terminal};
use crate::cli::SensitivityArgs;
use cadresim::sensitivity::{Analysis, Options};
use cadresim::study::sensitivity::{reanalyse, SensitivityRequest};

pub(crate) fn run_sensitivity(args: SensitivityArgs) -> Result<i32, CommandError> {
    super::refuse_repeated("--metric", &args.metrics)?;
    let mut options = Options {
        level: args.level,
        bootstrap: args.bootstrap as usize,
        ..Options::default()
    };
    if !args.metrics.is_empty() {
        options.metrics = args.metrics;
    }
    let request = SensitivityRequest {
        dir: args.dir.clone(),
        options,
        size: args.size,
    };
    let outcome = reanalyse(&request, &Terminal::default())?;
    print!("{}", leading_parameters(&outcome.analysis));
    println!(
        "sensitivity.csv, sensitivity_convergence.csv and charts in {}",
        args.dir.display()
    );
    Ok(0)
}

/// One line per metric with its three leading parameters (by ST, or by μ* for Morris).
pub(crate) fn leading_parameters(analysis: &Analysis) -> String {
    let mut metrics: Vec<&str> = Vec::new();
    for row in &analysis.indices {
        if !metrics.contains(&row.metric.as_str()) {
            metrics.push(&row.metric);
        }
    }
    let mut text = String::new();
    for metric in metrics {
        let rows: Vec<&cadresim::rows::SensitivityRow> = analysis
            .indices
            .iter()
            .filter(|row| row.metric == metric)
            .collect();
        let rank = if rows.iter().any(|row| row.index == "ST") {
            "ST"
        } else {
            "mu_star"
        };
        let mut ranked: Vec<&&cadresim::rows::SensitivityRow> =
            rows.iter().filter(|row| row.index == rank).collect();
        ranked.sort_by(|a, b| {
            b.estimate
                .unwrap_or(0.0)
                .total_cmp(&a.estimate.unwrap_or(0.0))
        });
        let leading: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|row| {
                let estimate = row.estimate.unwrap_or(f64::NAN);
                match row.interval {
                    Some((low, high)) => {
                        format!("{} {estimate:.3} [{low:.3}, {high:.3}]", row.parameter)
                    }
                    None => format!("{} {estimate:.3}", row.parameter),
                }
            })
            .collect();
        text.push_str(&format!("{metric}: {rank} {}\n", leading.join(", ")));
    }
    text
}
