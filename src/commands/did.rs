//! `cadresim did`: map the command line onto the `did` study, then print the design and the
//! summary of every aggregate estimate (bias, RMSE, coverage) over the replicates.

use super::{CommandError, Terminal};
use crate::cli::DidArgs;
use cadresim::did::{Observe, SummaryRow, Window};
use cadresim::study::did::{DidOutcome, DidRequest};

fn request(args: &DidArgs) -> Result<DidRequest, CommandError> {
    super::refuse_repeated("--outcome", &args.outcomes)?;
    if args.leads < 1 || args.lags < 0 {
        return Err(CommandError::Usage(format!(
            "--leads must be at least 1 and --lags at least 0, got {} and {}",
            args.leads, args.lags
        )));
    }
    Ok(DidRequest {
        scenario: args.scenario.clone(),
        recorded: None,
        seed: args.seed,
        replicates: args.replicates,
        steps: args.steps,
        outcomes: args.outcomes.clone(),
        observe: Observe::named(&args.observe).unwrap_or_default(),
        window: Window {
            leads: args.leads,
            lags: args.lags,
        },
        threads: args.threads,
        out: args.out.clone(),
        force: args.force,
        resume: args.resume,
        size: args.size,
    })
}

pub(crate) fn run_did(args: DidArgs) -> Result<i32, CommandError> {
    if args.dry_run {
        let cost = cadresim::study::did::dry_run(&request(&args)?)?;
        println!("{}", cost.describe());
        return Ok(0);
    }
    let DidOutcome {
        out,
        design,
        summary,
        ..
    } = cadresim::study::did::did(&request(&args)?, &Terminal::default())?;
    let cohorts = design.cohort_steps();
    println!(
        "design: {} units of `{}`, cohorts at steps {}, {} never treated",
        design.codes.len(),
        design.level,
        cohorts
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        design.never_treated()
    );
    print!("{}", overall_table(&summary));
    println!("results: {}", out.display());
    Ok(0)
}

/// The overall estimates and the estimates 0 and 5 steps after adoption, one line each.
fn overall_table(summary: &[SummaryRow]) -> String {
    let mut text = format!(
        "{:<16} {:<36} {:>6} {:>11} {:>11} {:>11} {:>9}\n",
        "outcome", "estimator", "event", "estimate", "truth", "bias", "coverage"
    );
    let shown = |row: &&SummaryRow| matches!(row.event_time, None | Some(0) | Some(5));
    for row in summary.iter().filter(shown) {
        let estimator = if row.control.is_empty() {
            row.estimator.to_string()
        } else {
            format!("{} ({})", row.estimator, row.control)
        };
        let event = row.event_time.map_or("all".to_string(), |e| e.to_string());
        let coverage = row.coverage.map_or("-".to_string(), |c| format!("{c:.2}"));
        text += &format!(
            "{:<16} {:<36} {:>6} {:>11.4} {:>11.4} {:>11.4} {:>9}\n",
            row.outcome, estimator, event, row.mean_estimate, row.mean_truth, row.bias, coverage
        );
    }
    text
}
