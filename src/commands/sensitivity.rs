//! `cadresim sensitivity` and the analysis that ends a sobol or morris sweep (or its merge):
//! read sweep.csv, compute the indices, write sensitivity.csv, sensitivity_convergence.csv
//! and their charts, print the leading parameters and warn where replicate noise is large.

use std::collections::BTreeMap;
use std::path::Path;

use super::CommandError;
use crate::charts;
use crate::cli::SensitivityArgs;
use crate::output::{self, tables};
use crate::sensitivity::{self, Analysis, Options, SensitivityError, NOISE_WARNING};
use crate::sweep::{self, SweepSpec};

/// The options of the analysis, as the manifest records them.
#[derive(Debug, serde::Serialize)]
pub(crate) struct AnalysisRecord {
    metrics: Vec<String>,
    level: String,
    bootstrap: usize,
}

impl From<&Options> for AnalysisRecord {
    fn from(options: &Options) -> Self {
        AnalysisRecord {
            metrics: options.metrics.clone(),
            level: options.level.clone(),
            bootstrap: options.bootstrap,
        }
    }
}

impl From<SensitivityError> for CommandError {
    fn from(error: SensitivityError) -> Self {
        match error {
            SensitivityError::MissingPoint(_) => CommandError::Failed(error.to_string()),
            _ => CommandError::Usage(error.to_string()),
        }
    }
}

/// Analyse the finished sweep in `dir`, write the tables and charts, print what matters;
/// returns file -> SHA-256 of everything written.
pub(crate) fn analyse_sweep(
    dir: &Path,
    spec: &SweepSpec,
    options: &Options,
    size: (u32, u32),
) -> Result<BTreeMap<String, String>, CommandError> {
    let rows = tables::read_summary(&dir.join("sweep.csv"))
        .map_err(|error| CommandError::Failed(error.to_string()))?;
    let analysis = sensitivity::analyse(spec, &rows, options)?;
    let mut written = Vec::new();
    for (name, rows, with_size) in [
        ("sensitivity.csv", &analysis.indices, false),
        ("sensitivity_convergence.csv", &analysis.convergence, true),
    ] {
        written.push(output::write_atomically(dir, name, |out| {
            tables::write_sensitivity(out, rows, with_size).map_err(Into::into)
        })?);
    }
    written.extend(charts::draw_sensitivity(
        &analysis.indices,
        &analysis.convergence,
        &dir.join("charts"),
        size,
    )?);
    print_analysis(&analysis, spec.base.params.run.replicates);
    Ok(output::hash_files(dir, &written)?)
}

/// One line per metric with its leading parameters, and a warning per noisy metric.
fn print_analysis(analysis: &Analysis, replicates: u64) {
    let mut metrics: Vec<&str> = Vec::new();
    for row in &analysis.indices {
        if !metrics.contains(&row.metric.as_str()) {
            metrics.push(&row.metric);
        }
    }
    for metric in metrics {
        let rows: Vec<&tables::SensitivityRow> = analysis
            .indices
            .iter()
            .filter(|row| row.metric == metric)
            .collect();
        let rank = if rows.iter().any(|row| row.index == "ST") {
            "ST"
        } else {
            "mu_star"
        };
        let mut ranked: Vec<&&tables::SensitivityRow> =
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
        println!("{metric}: {rank} {}", leading.join(", "));
    }
    for (metric, share) in analysis.noisy() {
        eprintln!(
            "warning: {metric}: {:.0}% of its variance across points is replicate noise (more than {:.0}%), which biases its indices; run more replicates (now {replicates}): the noise falls as 1/replicates, so 4 times as many cut it to a quarter",
            share * 100.0,
            NOISE_WARNING * 100.0
        );
    }
}

/// `cadresim sensitivity DIR`: analyse a finished sweep again with the given options and add
/// the files to its manifest.
pub(crate) fn run_sensitivity(args: SensitivityArgs) -> Result<i32, CommandError> {
    let manifest_path = args.dir.join("manifest.json");
    let _lock = output::lock_dir(&args.dir)?;
    let lock = sweep::read_lock(&args.dir)?;
    if !manifest_path.exists() {
        return Err(CommandError::Usage(format!(
            "{}: the sweep has not finished (no manifest.json); finish it with `cadresim sweep FILE --resume --out {}` or merge its shards first",
            args.dir.display(),
            args.dir.display()
        )));
    }
    if lock.shard.is_some() {
        return Err(CommandError::Usage(format!(
            "{}: is one shard of a sweep; merge the shards (cadresim merge) and analyse the merged directory",
            args.dir.display()
        )));
    }
    output::verify_files(&args.dir, &["sweep.csv"])?;
    let mut options = Options {
        level: args.level,
        bootstrap: args.bootstrap as usize,
        ..Options::default()
    };
    if !args.metrics.is_empty() {
        options.metrics = args.metrics;
    }
    let files = analyse_sweep(&args.dir, &lock.spec, &options, args.size)?;
    record_in_manifest(&manifest_path, &files, &options)?;
    println!(
        "sensitivity.csv, sensitivity_convergence.csv and charts in {}",
        args.dir.display()
    );
    Ok(0)
}

/// Add the analysis's files and options to an existing sweep manifest (rewritten atomically).
fn record_in_manifest(
    path: &Path,
    files: &BTreeMap<String, String>,
    options: &Options,
) -> Result<(), CommandError> {
    let unreadable = |message: String| {
        CommandError::Failed(format!(
            "{}: not a sweep manifest: {message}",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    let object = manifest
        .as_object_mut()
        .ok_or_else(|| unreadable("not a JSON object".to_string()))?;
    let listed = object
        .entry("files")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()
        .ok_or_else(|| unreadable("`files` is not an object".to_string()))?;
    for (name, hash) in files {
        listed.insert(name.clone(), serde_json::Value::String(hash.clone()));
    }
    object.insert(
        "sensitivity".to_string(),
        serde_json::to_value(AnalysisRecord::from(options)).expect("options serialize"),
    );
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    let dir = path.parent().unwrap_or(Path::new("."));
    output::write_atomically(dir, "manifest.json", |out| out.write_all(text.as_bytes()))?;
    Ok(())
}
