//! `cadresim reproduce`: map the command line onto the `reproduce` study (or, with
//! `--dry-run`, its cost), then print each claim's verdict and where the report is.

use std::path::PathBuf;

use super::{CommandError, Terminal};
use crate::cli::ReproduceArgs;
use cadresim::study::reproduce::{dry_run, reproduce, ReproduceRequest};

fn request(args: ReproduceArgs) -> ReproduceRequest {
    let out = args.out.unwrap_or_else(|| match args.shard {
        Some((k, n)) => PathBuf::from(format!("output/reproduce-shard-{k}-of-{n}")),
        None => PathBuf::from("output/reproduce"),
    });
    ReproduceRequest {
        experiments: args.experiments,
        out,
        quick: args.quick,
        docs: args.docs.then(|| PathBuf::from("docs")),
        robustness: args.robustness,
        posterior: args.posterior,
        shard: args.shard,
        from_shards: args.from_shard,
        structure: args.structure,
        resume: args.resume,
        mixed_versions: args.mixed_versions,
        threads: args.threads,
        force: args.force,
    }
}

pub(crate) fn run_reproduce(args: ReproduceArgs) -> Result<i32, CommandError> {
    let dry = args.dry_run;
    let request = request(args);
    if dry {
        println!("{}", dry_run(&request)?.describe());
        return Ok(0);
    }
    let outcome = reproduce(&request, &Terminal::default())?;
    if let Some((k, n)) = request.shard {
        println!(
            "robustness shard {k}/{n}: {} (the full run takes it with --from-shard)",
            outcome.report.display()
        );
        return Ok(0);
    }
    let width = outcome
        .verdicts
        .iter()
        .map(|(c, _)| c.len())
        .max()
        .unwrap_or(0);
    for (claim, holds) in &outcome.verdicts {
        let word = if *holds { "holds" } else { "does not hold" };
        println!("{claim:<width$} {word}");
    }
    println!("report: {}", outcome.report.display());
    Ok(0)
}
