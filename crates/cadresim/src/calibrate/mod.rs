//! Calibration against published figures (docs/CALIBRATION.md): the calibration file's
//! content, the prior space, Gaussian-process emulators, waves of history matching, ABC-SMC on
//! the last wave's emulators, posterior summaries and the simulation-based check of the whole
//! method. Numbers in, numbers out: the simulator is a function the study hands in
//! (`study::calibrate`); only `file` reads anything (the calibration file).

pub mod file;
// The methods on plain numbers live in the analysis crate, under the same names.
pub use cadresim_analysis::calibrate::{
    abc, emulator, history, linalg, sbc, smc, space, stochastic,
};

use rand_distr::{Distribution, StandardNormal};

use crate::scenario::Scenario;
use history::{Matching, Observation, Predicted};
use space::Parameter;

/// How a target's simulated value is computed from a metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// The metric's mean over the window (as in timeseries.csv).
    Mean,
    /// The metric's mean over the window divided by the cadres of the level (a count per
    /// cadre and step).
    PerCadre,
    /// The metric's mean over the window divided by another metric's (a share, such as
    /// sanctions of one form among all sanctions); 0 when the denominator's is 0.
    Ratio { denominator: String },
}

impl Statistic {
    pub fn name(&self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::PerCadre => "per_cadre",
            Statistic::Ratio { .. } => "ratio",
        }
    }
}

/// A published figure the model should reproduce.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: String,
    pub metric: String,
    pub statistic: Statistic,
    /// Inclusive window of scenario steps.
    pub steps: (u64, u64),
    pub level: String,
    pub value: f64,
    pub sd_obs: f64,
    pub sd_discrepancy: f64,
    pub source: String,
}

impl Target {
    pub fn observation(&self) -> Observation {
        Observation {
            value: self.value,
            variance: self.sd_obs * self.sd_obs + self.sd_discrepancy * self.sd_discrepancy,
        }
    }
}

/// The `[calibrate]` settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub seed: u64,
    /// Replicates per simulator run.
    pub replicates: u64,
    /// Simulator runs at most, waves and predictive check together.
    pub budget: usize,
    /// Simulator runs per wave of history matching.
    pub wave_runs: usize,
    pub max_waves: usize,
    /// The implausibility cut.
    pub cut: f64,
    /// Particles of ABC-SMC.
    pub population: usize,
    /// Most generations of ABC-SMC after the prior (exactly these with the stochastic
    /// acceptor, whose last is at temperature 1).
    pub generations: usize,
    /// How ABC-SMC accepts a proposal.
    pub acceptor: abc::Acceptor,
    /// `emulator_variance = "validated"`: each emulator's variance is scaled up by what its
    /// held-out runs show it lacks (`history::Validation::variance_scale`); "fitted" (the
    /// default) keeps the fitted variance.
    pub inflate_emulators: bool,
    /// Simulator runs at posterior draws for the predictive check.
    pub predictive_runs: usize,
    /// The seeds of the runs the emulators are trained on.
    pub design_seeds: DesignSeeds,
}

/// `design_seeds`: the seeds of the runs the emulators are trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesignSeeds {
    /// Every run its own seed (the default): the replicates' noise is independent between
    /// runs, as the emulators' nuggets assume.
    Distinct,
    /// Every run the calibration's seed (common random numbers; the only choice before
    /// `design_seeds` existed). The shared streams give every run an offset correlated over
    /// the whole prior, which the emulators take for signal and data from other seeds lack.
    Shared,
}

impl DesignSeeds {
    pub fn name(self) -> &'static str {
        match self {
            DesignSeeds::Distinct => "distinct",
            DesignSeeds::Shared => "shared",
        }
    }
}

/// A calibration file, read and checked.
#[derive(Clone, Debug)]
pub struct CalibrationSpec {
    /// The file's stem.
    pub name: String,
    /// The file, as errors name it.
    pub file: String,
    /// The scenario the targets refer to.
    pub scenario: Scenario,
    pub settings: Settings,
    pub parameters: Vec<Parameter>,
    pub targets: Vec<Target>,
}

impl CalibrationSpec {
    pub fn observations(&self) -> Vec<Observation> {
        self.targets.iter().map(Target::observation).collect()
    }

    /// The settings of a point of the unit cube, by key, on the natural scale.
    pub fn settings_at(&self, point: &[f64]) -> Vec<(String, toml::Value)> {
        self.parameters
            .iter()
            .zip(point)
            .map(|(parameter, &u)| {
                let value = parameter.natural(u);
                let value = if parameter.integer {
                    toml::Value::Integer(value as i64)
                } else {
                    toml::Value::Float(value)
                };
                (parameter.key.clone(), value)
            })
            .collect()
    }
}

/// The targets as the last wave's emulators predict them, with every variance of the
/// implausibility as noise (the ensemble's correlated between targets as between the training
/// runs' replicates): the model ABC-SMC samples, on the non-implausible region.
pub struct Emulated<'a> {
    matching: &'a Matching,
    /// Cholesky factor of the ensemble correlation.
    ensemble_factor: Vec<Vec<f64>>,
}

/// Smallest pivot of the ensemble correlation's factor (perfectly correlated targets).
const MIN_CORRELATION_PIVOT: f64 = 1e-12;

impl<'a> Emulated<'a> {
    pub fn new(matching: &'a Matching) -> Emulated<'a> {
        let correlation = &matching.last().ensemble_correlation;
        Emulated {
            matching,
            ensemble_factor: linalg::cholesky(correlation, MIN_CORRELATION_PIVOT),
        }
    }

    /// Summaries drawn at one point's prediction: independent noise, then ensemble noise.
    fn draw(&self, predicted: &Predicted, rng: &mut dyn rand::RngCore) -> Vec<f64> {
        let targets = predicted.means.len();
        let mut normal = || -> f64 { StandardNormal.sample(&mut *rng) };
        let independent: Vec<f64> = (0..targets).map(|_| normal()).collect();
        let shared: Vec<f64> = (0..targets).map(|_| normal()).collect();
        (0..targets)
            .map(|t| {
                let correlated: f64 = (0..=t)
                    .map(|k| self.ensemble_factor[t][k] * shared[k])
                    .sum();
                predicted.means[t]
                    + predicted.independent[t].sqrt() * independent[t]
                    + predicted.ensemble[t].sqrt() * correlated
            })
            .collect()
    }
}

impl Emulated<'_> {
    /// log N(observed; means, Σ) with Σ the covariance `draw` samples from: the independent
    /// variances on the diagonal plus the ensemble's, correlated as the training runs'.
    fn log_normal(&self, predicted: &Predicted, observed: &[f64]) -> f64 {
        let targets = predicted.means.len();
        let correlation = &self.matching.last().ensemble_correlation;
        let covariance: Vec<Vec<f64>> = (0..targets)
            .map(|i| {
                (0..targets)
                    .map(|j| {
                        let ensemble = (predicted.ensemble[i] * predicted.ensemble[j]).sqrt()
                            * correlation[i][j];
                        ensemble
                            + if i == j {
                                predicted.independent[i]
                            } else {
                                0.0
                            }
                    })
                    .collect()
            })
            .collect();
        let residual: Vec<f64> = (0..targets)
            .map(|t| observed[t] - predicted.means[t])
            .collect();
        linalg::log_normal_density(&covariance, &residual)
    }
}

impl abc::Model for Emulated<'_> {
    fn simulate(&self, points: &[Vec<f64>], rng: &mut dyn rand::RngCore) -> Vec<Option<Vec<f64>>> {
        self.matching
            .predicted_inside(points)
            .into_iter()
            .map(|predicted| Some(self.draw(&predicted?, rng)))
            .collect()
    }

    fn log_density(&self, points: &[Vec<f64>], observed: &[f64]) -> Vec<Option<f64>> {
        self.matching
            .predicted_inside(points)
            .into_iter()
            .map(|predicted| Some(self.log_normal(&predicted?, observed)))
            .collect()
    }
}

/// A parameter's posterior, on its natural scale.
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterSummary {
    pub median: f64,
    pub q05: f64,
    pub q95: f64,
    /// Posterior sd / prior sd, on the prior's uniform scale (the unit interval).
    pub sd_ratio: f64,
}

/// Identified: the posterior's sd is at most half the prior's.
pub const IDENTIFIED_SD_RATIO: f64 = 0.5;

/// Summaries of each parameter of a weighted population of unit-cube points.
pub fn summarize(
    parameters: &[Parameter],
    points: &[Vec<f64>],
    weights: &[f64],
) -> Vec<ParameterSummary> {
    let prior_sd = (1.0f64 / 12.0).sqrt();
    parameters
        .iter()
        .enumerate()
        .map(|(d, parameter)| {
            let units: Vec<f64> = points.iter().map(|p| p[d]).collect();
            let (_, sd) = sbc::weighted_moments(&units, weights);
            let quantile = |q| parameter.natural(sbc::weighted_quantile(&units, weights, q));
            ParameterSummary {
                median: quantile(0.5),
                q05: quantile(0.05),
                q95: quantile(0.95),
                sd_ratio: sd / prior_sd,
            }
        })
        .collect()
}

/// A calibration's posterior as written in its `posterior.csv`: the calibrated keys and the
/// weighted particles, on the parameters' natural scale (weights summing to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Posterior {
    pub keys: Vec<String>,
    pub points: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
}

/// `n` draws from a weighted population by systematic resampling (Kitagawa 1996): one
/// uniform offset, then every 1/n of the cumulative weights.
pub fn resample(
    points: &[Vec<f64>],
    weights: &[f64],
    n: usize,
    rng: &mut impl rand::Rng,
) -> Vec<Vec<f64>> {
    if n == 0 || points.is_empty() {
        return Vec::new();
    }
    let start: f64 = rng.random::<f64>() / n as f64;
    let mut draws = Vec::with_capacity(n);
    let (mut cumulative, mut i) = (weights[0], 0);
    for k in 0..n {
        let u = start + k as f64 / n as f64;
        while u > cumulative && i + 1 < points.len() {
            i += 1;
            cumulative += weights[i];
        }
        draws.push(points[i].clone());
    }
    draws
}
