//! `cadresim sweep`, `merge` and `status`: the study's sweep, shard merge and progress
//! report, with the points' table, the critical values and the closing line in the terminal.

use std::path::{Path, PathBuf};

use super::run::aligned;
use super::sensitivity::leading_parameters;
use super::{CommandError, Terminal};
use crate::cli::{MergeArgs, StatusArgs, SweepArgs};
use cadresim::charts;
use cadresim::metrics::WHOLE_HIERARCHY;
use cadresim::output::tables;
use cadresim::study::sweep::{self as study, MergeRequest, SweepOutcome, SweepRequest};
use cadresim::sweep::{self, Design, SweepSpec};

/// The study request of a command line.
pub(crate) fn request(args: &SweepArgs) -> SweepRequest {
    SweepRequest {
        file: args.file.clone(),
        out: args.out.clone(),
        threads: args.threads,
        replicates: args.replicates,
        steps: args.steps,
        until_settled: args.until_settled,
        seed: args.seed,
        resume: args.resume,
        shard: args.shard,
        force: args.force,
        mixed_versions: args.mixed_versions,
        size: args.size,
    }
}

pub(crate) fn run_sweep(args: SweepArgs) -> Result<i32, CommandError> {
    let request = request(&args);
    if args.dry_run {
        let dry = study::dry_run(&request)?;
        let bound = if dry.at_most { " at most" } else { "" };
        let text = dry.cost.describe().replacen("dry run: ", "", 1);
        println!("dry run: {} points{bound}, {text}", dry.points);
        return Ok(0);
    }
    let outcome = study::sweep(&request, &Terminal::default())?;
    if let Some(analysis) = &outcome.analysis {
        print!("{}", leading_parameters(analysis));
    }
    if args.shard.is_none() {
        print_tables(&outcome)?;
    }
    println!(
        "{} points ({} run now, {} already done) x {} replicates: {}",
        outcome.points,
        outcome.ran,
        outcome.points - outcome.ran,
        outcome.lock.replicates,
        outcome.out.display()
    );
    Ok(0)
}

/// The points' table, and a boundary design's critical values.
fn print_tables(outcome: &SweepOutcome) -> Result<(), CommandError> {
    print!("{}", sweep_table(&outcome.out)?);
    if outcome.lock.spec.design == Design::Boundary {
        print!("{}", boundary_table(&outcome.lock.spec, &outcome.out)?);
    }
    Ok(())
}

pub(crate) fn merge(args: MergeArgs) -> Result<i32, CommandError> {
    let request = MergeRequest {
        dirs: args.dirs.clone(),
        out: args.out.clone(),
        force: args.force,
        mixed_versions: args.mixed_versions,
        size: args.size,
    };
    let outcome = study::merge(&request, &Terminal::default())?;
    if let Some(analysis) = &outcome.analysis {
        print!("{}", leading_parameters(analysis));
    }
    print!("{}", sweep_table(&args.out)?);
    println!(
        "merged {} shards, {} points: {}",
        args.dirs.len(),
        outcome.points,
        args.out.display()
    );
    Ok(0)
}

/// Most points the terminal table lists; larger sweeps are summarised in their files.
const TABLE_POINTS: usize = 60;

/// Every point's axis values, equilibrium mean innovation with its 95% interval, and class
/// (whole hierarchy), read back from the sweep's files; empty for sweeps of more points.
fn sweep_table(dir: &Path) -> Result<String, CommandError> {
    let failed = |error: tables::ReadError| CommandError::Failed(error.to_string());
    let points = tables::read_points(&dir.join("points.csv")).map_err(failed)?;
    if points.points.len() > TABLE_POINTS {
        return Ok(String::new());
    }
    let statistics = tables::read_statistics(&dir.join("sweep_summary.csv")).map_err(failed)?;
    let summaries = tables::summaries_at(&statistics, WHOLE_HIERARCHY);
    let mut header = vec!["point".to_string()];
    header.extend(points.columns.iter().cloned());
    header.extend(["mean_innovation [95% CI]".to_string(), "class".to_string()]);
    let mut rows = vec![header];
    for (id, labels) in &points.points {
        let Some(summary) = summaries.iter().find(|s| &s.key == id) else {
            continue;
        };
        let mut row = vec![id.clone()];
        row.extend(labels.iter().map(|label| charts::short_label(label)));
        row.push(match summary.metrics.get("mean_innovation") {
            Some(e) => format!("{:.3} [{:.3}, {:.3}]", e.mean, e.low, e.high),
            None => String::new(),
        });
        row.push(summary.class.to_string());
        rows.push(row);
    }
    Ok(aligned(&rows))
}

/// The boundary estimates of a boundary sweep: per search, the crossing of the first axis
/// with its 95% interval (to the digits the interval supports), the replicates that cross and
/// the flag.
fn boundary_table(spec: &SweepSpec, dir: &Path) -> Result<String, CommandError> {
    let (columns, rows) = tables::read_boundary(&dir.join("boundary.csv"))
        .map_err(|error| CommandError::Failed(error.to_string()))?;
    let first = spec.columns()[0].clone();
    let mut header = columns.clone();
    header.extend([
        format!("crossing of {first} [95% CI]"),
        "replicates crossing".to_string(),
        "flag".to_string(),
    ]);
    let mut table = vec![header];
    for row in &rows {
        let mut line: Vec<String> = row.labels.iter().map(|l| charts::short_label(l)).collect();
        line.push(match row.estimate {
            Some(estimate) => cadresim::stats::estimate_text(estimate, row.ci95),
            None => "none".to_string(),
        });
        line.push(format!("{} of {}", row.crossed, row.replicates));
        line.push(row.flag.clone());
        table.push(line);
    }
    Ok(format!(
        "critical values (boundary.csv):\n{}",
        aligned(&table)
    ))
}

/// What `status` says of the directories as a whole.
#[derive(serde::Serialize)]
struct StatusReport<'a> {
    directories: &'a [sweep::Progress],
    /// Every shard of one sweep is there and every point is done.
    mergeable: bool,
    /// Why the shards cannot be merged yet (None when they can, or for a whole sweep).
    problem: Option<String>,
    /// The command that merges them, when they are mergeable.
    merge_command: Option<String>,
}

pub(crate) fn status(args: StatusArgs) -> Result<i32, CommandError> {
    let status = study::status(&args.dirs)?;
    let merge_command = status.mergeable.then(|| {
        let mut words = vec!["cadresim".to_string(), "merge".to_string()];
        words.extend(args.dirs.iter().map(|d| d.display().to_string()));
        words.push("--out".into());
        words.push(
            PathBuf::from("output")
                .join(&status.name)
                .display()
                .to_string(),
        );
        words
            .iter()
            .map(|word| shell_word(word))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let report = StatusReport {
        directories: &status.directories,
        mergeable: status.mergeable,
        problem: status.problem.clone(),
        merge_command,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("status serializes")
        );
    } else {
        print_status(&report);
    }
    // 0 when nothing remains to do (a finished sweep, or shards ready to merge), 3 while
    // work remains, so that a script can wait on it.
    let finished = status.directories.iter().all(|row| row.finished);
    let sharded = status.directories.iter().any(|row| row.shard.is_some());
    let ready = match sharded {
        true => status.mergeable,
        false => finished && status.problem.is_none(),
    };
    Ok(if ready { 0 } else { NOT_READY })
}

/// The exit code of `status` while work remains (not started, running, stopped, damaged).
const NOT_READY: i32 = 3;

/// `word` as a POSIX shell reads it back whole: as it is when it holds only plain
/// characters, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn print_status(report: &StatusReport) {
    for row in report.directories {
        if !row.started {
            println!("{}  not started", row.dir.display());
            continue;
        }
        let shard = match row.shard {
            Some((k, n)) => format!("shard {k}/{n}"),
            None => "sweep".to_string(),
        };
        let state = if row.running {
            "running"
        } else if row.finished {
            "finished"
        } else if row.done == row.total {
            "all points done"
        } else {
            "stopped"
        };
        let of = if row.adaptive { " of at most " } else { "/" };
        println!(
            "{shard}  {}  {}{of}{} points done, {} damaged, {state}",
            row.dir.display(),
            row.done,
            row.total,
            row.damaged.len()
        );
        for damage in &row.damaged {
            println!("  damaged (runs again on --resume): {damage}");
        }
    }
    match (&report.merge_command, &report.problem) {
        (Some(command), _) => println!("mergeable: {command}"),
        (None, Some(problem)) => println!("not mergeable yet: {problem}"),
        (None, None) => {}
    }
}
