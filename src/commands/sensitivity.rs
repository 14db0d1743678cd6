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
    let analysis = analyse(dir, spec, options)?;
    let files = write_analysis(dir, &analysis, size)?;
    print_analysis(&analysis, spec);
    Ok(files)
}

/// The analysis of the sweep's rows (nothing is written).
fn analyse(dir: &Path, spec: &SweepSpec, options: &Options) -> Result<Analysis, CommandError> {
    let rows = tables::read_summary(&dir.join("sweep.csv"))
        .map_err(|error| CommandError::Failed(error.to_string()))?;
    Ok(sensitivity::analyse(spec, &rows, options)?)
}

/// Write the analysis's tables and charts; returns file -> SHA-256 of each.
fn write_analysis(
    dir: &Path,
    analysis: &Analysis,
    size: (u32, u32),
) -> Result<BTreeMap<String, String>, CommandError> {
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
    Ok(output::hash_files(dir, &written)?)
}

/// Whether a file of a sweep directory (`charts/x.png`, or its name in `charts`) belongs to
/// its sensitivity analysis.
fn of_analysis(name: &str) -> bool {
    let name = name.strip_prefix("charts/").unwrap_or(name);
    name.starts_with("sensitivity")
}

/// One line per metric with its leading parameters, a warning per noisy metric, and one
/// per first-order index above its total index beyond both intervals.
fn print_analysis(analysis: &Analysis, spec: &SweepSpec) {
    let replicates = spec.base.params.run.replicates;
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
    let runs = spec.point_count().saturating_mul(replicates);
    for warning in s1_above_st(&analysis.indices, spec.samples, runs) {
        eprintln!("warning: {warning}");
    }
}

/// S1 ≤ ST holds for the true indices: an estimate of S1 whose interval lies wholly above
/// its ST's says the sample is too small. Each such case, with what a sample four times as
/// large (intervals about half as wide) would cost in simulator runs.
/// `samples`: the Sobol' base rows; `runs`: the simulator runs they took.
fn s1_above_st(indices: &[tables::SensitivityRow], samples: usize, runs: u64) -> Vec<String> {
    let find = |metric: &str, parameter: &str, index: &str| {
        indices
            .iter()
            .find(|row| row.metric == metric && row.parameter == parameter && row.index == index)
    };
    indices
        .iter()
        .filter(|row| row.index == "S1")
        .filter_map(|s1| {
            let st = find(&s1.metric, &s1.parameter, "ST")?;
            let ((s1_low, _), (_, st_high)) = (s1.interval?, st.interval?);
            (s1_low > st_high).then(|| {
                format!(
                    "{}: S1 of {} ({}) lies above its ST ({}) beyond both intervals, which true indices cannot (S1 <= ST): {} base rows are too few; 4 times as many ({}) would about halve the intervals, at {} simulator runs instead of {}",
                    s1.metric,
                    s1.parameter,
                    crate::stats::estimate_text(s1.estimate.unwrap_or(f64::NAN), s1.interval),
                    crate::stats::estimate_text(st.estimate.unwrap_or(f64::NAN), st.interval),
                    samples,
                    samples * 4,
                    runs.saturating_mul(4),
                    runs
                )
            })
        })
        .collect()
}

/// `cadresim sensitivity DIR`: analyse a finished sweep again with the given options and
/// replace the earlier analysis. The manifest first stops listing the earlier analysis and
/// its files go, so that an interrupted analysis leaves a manifest true of every file it
/// lists; it lists the new files once they are all written.
pub(crate) fn run_sensitivity(args: SensitivityArgs) -> Result<i32, CommandError> {
    let _lock = output::lock_existing(&args.dir)?;
    let lock = sweep::read_lock(&args.dir)?;
    if !args.dir.join("manifest.json").exists() {
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
    let analysis = analyse(&args.dir, &lock.spec, &options)?;
    let unlisted = [("sensitivity", serde_json::Value::Null)];
    output::relist_manifest(
        &args.dir,
        |name| !of_analysis(name),
        &BTreeMap::new(),
        &unlisted,
    )?;
    for name in ["sensitivity.csv", "sensitivity_convergence.csv"] {
        output::remove_files_in(&args.dir, ".", |file| file == name)?;
    }
    output::remove_files_in(&args.dir, "charts", of_analysis)?;
    let files = write_analysis(&args.dir, &analysis, args.size)?;
    let record = serde_json::to_value(AnalysisRecord::from(&options)).expect("options serialize");
    output::relist_manifest(&args.dir, |_| true, &files, &[("sensitivity", record)])?;
    print_analysis(&analysis, &lock.spec);
    println!(
        "sensitivity.csv, sensitivity_convergence.csv and charts in {}",
        args.dir.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        parameter: &str,
        index: &str,
        estimate: f64,
        interval: (f64, f64),
    ) -> tables::SensitivityRow {
        tables::SensitivityRow {
            method: "sobol".into(),
            metric: "welfare".into(),
            level: "all".into(),
            parameter: parameter.into(),
            index: index.into(),
            sample_size: 64,
            estimate: Some(estimate),
            interval: Some(interval),
        }
    }

    #[test]
    fn an_s1_above_its_st_beyond_both_intervals_is_named_with_the_cost_of_more_rows() {
        let rows = [
            row("a", "S1", 0.9, (0.8, 1.0)),
            row("a", "ST", 0.5, (0.4, 0.6)),
            row("b", "S1", 0.5, (0.3, 0.7)),
            row("b", "ST", 0.4, (0.2, 0.6)),
        ];
        let warnings = s1_above_st(&rows, 64, 2048);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "welfare: S1 of a (0.90 [0.80, 1.00]) lies above its ST (0.50 [0.40, 0.60])"
            ),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].ends_with("64 base rows are too few; 4 times as many (256) would about halve the intervals, at 8192 simulator runs instead of 2048"), "{}", warnings[0]);
    }
}
