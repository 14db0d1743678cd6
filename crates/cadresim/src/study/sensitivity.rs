//! The sensitivity analysis of a sweep: the one that ends a sobol or morris sweep (or its
//! merge), and `sensitivity`, which analyses a finished sweep again with other options. It
//! reads sweep.csv, computes the indices, writes sensitivity.csv,
//! sensitivity_convergence.csv and their charts, and warns where replicate noise is large or
//! the sample too small.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Observer, StudyError};
use crate::charts;
use crate::output::{self, tables};
use crate::sensitivity::{self, Analysis, Options, SensitivityError, NOISE_WARNING};
use crate::sweep::{self, SweepSpec};

/// The options of the analysis, as the manifest records them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct AnalysisRecord {
    metrics: Vec<String>,
    level: String,
    bootstrap: usize,
}

/// The options of the analysis the sweep manifest `manifest` records (the defaults when it
/// is missing, unreadable or records none): what a resumed or replayed sweep analyses again,
/// so that it repeats a `cadresim sensitivity` re-analysis rather than undo it.
pub fn recorded_options(manifest: &Path) -> Options {
    #[derive(serde::Deserialize)]
    struct Recorded {
        sensitivity: Option<AnalysisRecord>,
    }
    let recorded = output::read_manifest_as::<Recorded>(manifest)
        .ok()
        .and_then(|manifest| manifest.record.sensitivity);
    match recorded {
        Some(record) => Options {
            metrics: record.metrics,
            level: record.level,
            bootstrap: record.bootstrap,
        },
        None => Options::default(),
    }
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

impl From<SensitivityError> for StudyError {
    fn from(error: SensitivityError) -> Self {
        match error {
            SensitivityError::MissingPoint(_) => StudyError::Failed(error.to_string()),
            _ => StudyError::Usage(error.to_string()),
        }
    }
}

/// Analyse a finished sweep again: the directory, the analysis options and the chart size.
#[derive(Clone, Debug)]
pub struct SensitivityRequest {
    pub dir: PathBuf,
    pub options: Options,
    pub size: (u32, u32),
}

/// A finished analysis and the spec of the sweep it analysed.
pub struct SensitivityOutcome {
    pub analysis: Analysis,
    pub spec: SweepSpec,
}

/// Analyse the finished sweep in `dir`, write the tables and charts and warn where it
/// matters; returns file -> SHA-256 of everything written, and the analysis.
pub fn analyse_sweep(
    dir: &Path,
    spec: &SweepSpec,
    options: &Options,
    size: (u32, u32),
    observer: &dyn Observer,
) -> Result<(BTreeMap<String, String>, Analysis), StudyError> {
    let analysis = analyse(dir, spec, options)?;
    let files = write_analysis(dir, &analysis, size)?;
    warn_analysis(&analysis, spec, observer);
    Ok((files, analysis))
}

/// The analysis of the sweep's rows (nothing is written).
fn analyse(dir: &Path, spec: &SweepSpec, options: &Options) -> Result<Analysis, StudyError> {
    let rows = tables::read_summary(&dir.join("sweep.csv"))
        .map_err(|error| StudyError::Failed(error.to_string()))?;
    Ok(sensitivity::analyse(spec, &rows, options)?)
}

/// Write the analysis's tables and charts; returns file -> SHA-256 of each.
fn write_analysis(
    dir: &Path,
    analysis: &Analysis,
    size: (u32, u32),
) -> Result<BTreeMap<String, String>, StudyError> {
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

/// A warning per noisy metric, and one per first-order index above its total index beyond
/// both intervals.
fn warn_analysis(analysis: &Analysis, spec: &SweepSpec, observer: &dyn Observer) {
    let replicates = spec.base.params.run.replicates;
    for (metric, share) in analysis.noisy() {
        observer.warn(format!(
            "{metric}: {:.0}% of its variance across points is replicate noise (more than {:.0}%), which biases its indices; run more replicates (now {replicates}): the noise falls as 1/replicates, so 4 times as many cut it to a quarter",
            share * 100.0,
            NOISE_WARNING * 100.0
        ));
    }
    let runs = spec.point_count().saturating_mul(replicates);
    for warning in s1_above_st(&analysis.indices, spec.samples, runs) {
        observer.warn(warning);
    }
}

/// Analyse a finished sweep again with the request's options and replace the earlier
/// analysis. The manifest first stops listing the earlier analysis and its files go, so that
/// an interrupted analysis leaves a manifest true of every file it lists; it lists the new
/// files once they are all written.
pub fn reanalyse(
    request: &SensitivityRequest,
    observer: &dyn Observer,
) -> Result<SensitivityOutcome, StudyError> {
    let bootstrap = request.options.bootstrap;
    if !(2..=100_000).contains(&bootstrap) {
        return Err(StudyError::Usage(format!(
            "--bootstrap: expected 2 to 100000 resamples, got {bootstrap}"
        )));
    }
    let dir = &request.dir;
    let _lock = output::lock_existing(dir)?;
    let lock = sweep::read_lock(dir)?;
    if !dir.join("manifest.json").exists() {
        return Err(StudyError::Usage(format!(
            "{}: the sweep has not finished (no manifest.json); finish it with `cadresim sweep FILE --resume --out {}` or merge its shards first",
            dir.display(),
            dir.display()
        )));
    }
    if lock.shard.is_some() {
        return Err(StudyError::Usage(format!(
            "{}: is one shard of a sweep; merge the shards (cadresim merge) and analyse the merged directory",
            dir.display()
        )));
    }
    output::verify_files(dir, &["sweep.csv"])?;
    let analysis = analyse(dir, &lock.spec, &request.options)?;
    // Checked before anything changes: nothing is removed or written through a link.
    output::refuse_link(&dir.join("charts"))?;
    let unlisted = [("sensitivity", serde_json::Value::Null)];
    output::relist_manifest(dir, |name| !of_analysis(name), &BTreeMap::new(), &unlisted)?;
    for name in ["sensitivity.csv", "sensitivity_convergence.csv"] {
        output::remove_files_in(dir, ".", |file| file == name)?;
    }
    output::remove_files_in(dir, "charts", of_analysis)?;
    let files = write_analysis(dir, &analysis, request.size)?;
    let record =
        serde_json::to_value(AnalysisRecord::from(&request.options)).expect("options serialize");
    output::relist_manifest(dir, |_| true, &files, &[("sensitivity", record)])?;
    warn_analysis(&analysis, &lock.spec, observer);
    Ok(SensitivityOutcome {
        analysis,
        spec: lock.spec,
    })
}

/// S1 ≤ ST holds for the true indices: an estimate of S1 whose interval lies wholly above
/// its ST's says the sample is too small. Each such case, with what a sample four times as
/// large (intervals about half as wide) would cost in simulator runs.
/// `samples`: the Sobol' base rows; `runs`: the simulator runs they took.
fn s1_above_st(indices: &[crate::rows::SensitivityRow], samples: usize, runs: u64) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        parameter: &str,
        index: &str,
        estimate: f64,
        interval: (f64, f64),
    ) -> crate::rows::SensitivityRow {
        crate::rows::SensitivityRow {
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
