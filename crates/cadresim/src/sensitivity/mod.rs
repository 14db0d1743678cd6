//! Sensitivity analysis of a finished sobol or morris sweep: each point's replicate mean of an
//! equilibrium metric at one level, the indices of `estimators` with bootstrap intervals, the
//! share of the variance that is replicate noise, and the indices recomputed on the first
//! 1/8, 1/4, 1/2 and all base rows (or trajectories) to show convergence. Works on rows read
//! by the caller; knows no file format.

// The estimators on plain numbers live in the analysis crate.
pub use cadresim_analysis::sensitivity::estimators;

use rayon::prelude::*;

use crate::metrics::{metric_index, METRICS, WHOLE_HIERARCHY};
use crate::rng::{Phase, ReplicateKey};
use crate::rows::SensitivityRow as IndexRow;
use crate::rows::SummaryRow;
use crate::sweep::sampling::{morris_delta, saltelli_block};
use crate::sweep::{Design, SweepSpec};

/// Metrics analysed when none are named.
pub const DEFAULT_METRICS: [&str; 4] = ["mean_innovation", "share_idle", "welfare", "abuse_rate"];
/// Bootstrap resamples when not given.
pub const DEFAULT_BOOTSTRAP: usize = 1_000;
/// Noise shares above this get a warning: indices of a noisy output are biased.
pub const NOISE_WARNING: f64 = 0.10;

/// What to analyse.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub metrics: Vec<String>,
    pub level: String,
    pub bootstrap: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            metrics: DEFAULT_METRICS.iter().map(|m| m.to_string()).collect(),
            level: WHOLE_HIERARCHY.to_string(),
            bootstrap: DEFAULT_BOOTSTRAP,
        }
    }
}

/// The analysis of one sweep.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Every index on all rows, then each metric's noise share, metric by metric.
    pub indices: Vec<IndexRow>,
    /// S1 and ST (or mu_star) on growing leading subsets of the rows.
    pub convergence: Vec<IndexRow>,
}

impl Analysis {
    /// (metric, noise share) of every metric whose noise share exceeds `NOISE_WARNING`.
    pub fn noisy(&self) -> Vec<(&str, f64)> {
        self.indices
            .iter()
            .filter(|row| row.index == "noise_share")
            .filter_map(|row| Some((row.metric.as_str(), row.estimate?)))
            .filter(|(_, share)| *share > NOISE_WARNING)
            .collect()
    }
}

/// Why a sweep cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    #[error(
        "the sweep's design is \"{0}\"; sensitivity indices need design = \"sobol\" or \"morris\""
    )]
    Design(&'static str),
    #[error("--metric `{0}` is not a metric (allowed: {allowed})", allowed = METRICS.join(", "))]
    Metric(String),
    #[error("--level `{level}` is not in the sweep's results (levels: {levels})")]
    Level { level: String, levels: String },
    #[error("point {0} has no results at the level analysed; the sweep's tables are incomplete")]
    MissingPoint(usize),
    #[error("--level `{level}` is missing at {count} point(s) (first: point {first}), whose hierarchy has no such level; analyse a level every point has, or `all`")]
    LevelMissingAt {
        level: String,
        count: usize,
        first: usize,
    },
}

/// Analyse the rows of sweep.csv (`SummaryRow`s keyed by point id) of the sweep `spec`.
pub fn analyse(
    spec: &SweepSpec,
    rows: &[SummaryRow],
    options: &Options,
) -> Result<Analysis, SensitivityError> {
    if !spec.design.is_sensitivity() {
        return Err(SensitivityError::Design(spec.design.name()));
    }
    let metrics: Vec<usize> = options
        .metrics
        .iter()
        .map(|m| metric_index(m).ok_or_else(|| SensitivityError::Metric(m.clone())))
        .collect::<Result<_, _>>()?;
    let per_point = replicates_at(spec, rows, &options.level)?;
    let units = spec.unit_rows();
    let parts: Vec<Analysis> = metrics
        .par_iter()
        .map(|&metric| {
            let values: Vec<Vec<f64>> = per_point
                .iter()
                .map(|reps| reps.iter().map(|means| means[metric]).collect())
                .collect();
            analyse_metric(spec, &units, &values, metric, options)
        })
        .collect();
    let mut analysis = Analysis::default();
    for part in parts {
        analysis.indices.extend(part.indices);
        analysis.convergence.extend(part.convergence);
    }
    Ok(analysis)
}

/// Every point's replicate rows (all metrics) at `level`, in point order.
fn replicates_at<'a>(
    spec: &SweepSpec,
    rows: &'a [SummaryRow],
    level: &str,
) -> Result<Vec<Vec<&'a [f64]>>, SensitivityError> {
    let count = spec.point_count() as usize;
    let mut per_point: Vec<Vec<&[f64]>> = vec![Vec::new(); count];
    let mut levels: Vec<&str> = Vec::new();
    for row in rows {
        if !levels.contains(&row.level.as_str()) {
            levels.push(&row.level);
        }
        if row.level != level {
            continue;
        }
        if let Some(slot) = row
            .scenario
            .parse::<usize>()
            .ok()
            .and_then(|p| per_point.get_mut(p))
        {
            slot.push(&row.means);
        }
    }
    if !levels.contains(&level) {
        return Err(SensitivityError::Level {
            level: level.to_string(),
            levels: levels.join(", "),
        });
    }
    let with_rows: std::collections::HashSet<&str> =
        rows.iter().map(|row| row.scenario.as_str()).collect();
    let has_rows = |point: usize| with_rows.contains(point.to_string().as_str());
    let missing: Vec<usize> = (0..count).filter(|p| per_point[*p].is_empty()).collect();
    match missing.first() {
        // Rows at other levels: the point's hierarchy lacks this one, not the tables a row.
        Some(&first) if has_rows(first) => Err(SensitivityError::LevelMissingAt {
            level: level.to_string(),
            count: missing.iter().filter(|p| has_rows(**p)).count(),
            first,
        }),
        Some(&point) => Err(SensitivityError::MissingPoint(point)),
        None => Ok(per_point),
    }
}

/// The indices of one metric, its noise share and its convergence rows.
fn analyse_metric(
    spec: &SweepSpec,
    units: &[Vec<f64>],
    replicates: &[Vec<f64>],
    metric: usize,
    options: &Options,
) -> Analysis {
    let means: Vec<f64> = replicates
        .iter()
        .map(|values| values.iter().sum::<f64>() / values.len() as f64)
        .collect();
    let (method, block, total) = match spec.design {
        Design::Sobol => (
            "sobol",
            saltelli_block(spec.axes.len(), spec.second_order),
            spec.samples,
        ),
        _ => ("morris", spec.axes.len() + 1, spec.trajectories),
    };
    let mut analysis = Analysis::default();
    let key = ReplicateKey::new(spec.base.params.run.seed, u64::MAX - 1);
    for (subset, size) in subset_sizes(total).into_iter().enumerate() {
        let mut stream = key.stream(subset as u64, metric as u64, Phase::Init);
        let leading = size * block;
        let rows = indices_of(
            spec,
            &units[..leading.min(units.len())],
            &means[..leading],
            &mut stream,
            options.bootstrap,
        );
        let labelled = rows
            .into_iter()
            .map(|(parameter, index, estimate)| IndexRow {
                method: method.to_string(),
                metric: METRICS[metric].to_string(),
                level: options.level.clone(),
                parameter,
                index: index.to_string(),
                sample_size: size,
                estimate: Some(estimate.mean),
                interval: (index != "mu" && index != "sigma")
                    .then_some((estimate.low, estimate.high)),
            });
        if size == total {
            analysis.indices.extend(labelled.clone());
        }
        analysis
            .convergence
            .extend(labelled.filter(|row| matches!(row.index.as_str(), "S1" | "ST" | "mu_star")));
    }
    analysis.indices.push(IndexRow {
        method: method.to_string(),
        metric: METRICS[metric].to_string(),
        level: options.level.clone(),
        parameter: String::new(),
        index: "noise_share".to_string(),
        sample_size: total,
        estimate: estimators::noise_share(replicates),
        interval: None,
    });
    analysis
}

/// The leading sample sizes of the convergence table: an eighth, a quarter, a half and all
/// of `total` (at least 2 each, without repeats).
pub fn subset_sizes(total: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = [total / 8, total / 4, total / 2, total]
        .into_iter()
        .filter(|&n| n >= 2)
        .collect();
    sizes.dedup();
    if sizes.last() != Some(&total) {
        sizes.push(total);
    }
    sizes
}

/// (parameter, index, estimate) of every index of the design on these point means.
fn indices_of(
    spec: &SweepSpec,
    units: &[Vec<f64>],
    means: &[f64],
    stream: &mut crate::rng::Stream,
    resamples: usize,
) -> Vec<(String, &'static str, crate::stats::Estimate)> {
    let labels: Vec<&str> = spec.axes.iter().map(|a| a.label.as_str()).collect();
    let factors = labels.len();
    let mut rows = Vec::new();
    if spec.design == Design::Sobol {
        let indices = estimators::sobol(means, factors, spec.second_order, resamples, stream);
        for (j, label) in labels.iter().enumerate() {
            rows.push((label.to_string(), "S1", indices.first[j]));
            rows.push((label.to_string(), "ST", indices.total[j]));
        }
        for ((j, k), estimate) in indices.second {
            rows.push((format!("{}|{}", labels[j], labels[k]), "S2", estimate));
        }
        return rows;
    }
    let effects = estimators::elementary_effects(units, means, factors, morris_delta(spec.levels));
    let statistics = estimators::morris(&effects, resamples, stream);
    for (label, s) in labels.iter().zip(statistics) {
        let point = |value: f64| crate::stats::Estimate {
            mean: value,
            low: value,
            high: value,
        };
        rows.push((label.to_string(), "mu", point(s.mu)));
        rows.push((label.to_string(), "mu_star", s.mu_star));
        rows.push((label.to_string(), "sigma", point(s.sigma)));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(point: usize, level: &str) -> SummaryRow {
        SummaryRow {
            scenario: point.to_string(),
            replicate: 0,
            level: level.to_string(),
            means: vec![0.1; crate::metrics::METRIC_COUNT],
            class: "lazy-routine".to_string(),
            settled: Some(true),
        }
    }

    #[test]
    fn a_level_that_some_points_lack_is_refused_naming_them() {
        let text = "[sweep]\ndesign = \"morris\"\ntrajectories = 2\nreplicates = 1\n\n\
                    [[sweep.axis]]\nparam = \"accountability.penalty\"\nfrom = 1.0\nto = 12.0\n";
        let spec = crate::sweep::file::parse(text, std::path::Path::new("m.toml"), "m").unwrap();
        assert_eq!(spec.point_count(), 4);
        // Points 1 and 3 have no county level (their hierarchies are flatter).
        let mut rows: Vec<SummaryRow> = (0..4).map(|p| row(p, "all")).collect();
        rows.extend([0, 2].map(|p| row(p, "county")));
        let error = replicates_at(&spec, &rows, "county").unwrap_err();
        assert!(matches!(
            error,
            SensitivityError::LevelMissingAt { ref level, count: 2, first: 1 } if level == "county"
        ));
        assert!(error
            .to_string()
            .contains("missing at 2 point(s) (first: point 1)"));
        // A point without any rows is an incomplete table, not a missing level.
        let mut incomplete = rows.clone();
        incomplete.retain(|r| r.scenario != "3");
        let error = replicates_at(&spec, &incomplete, "all").unwrap_err();
        assert!(matches!(error, SensitivityError::MissingPoint(3)));
        assert_eq!(replicates_at(&spec, &rows, "all").unwrap().len(), 4);
    }
}
