//! The sensitivity estimators on plain numbers, as SALib 1.x computes them: Sobol' first-order
//! (Saltelli et al. 2010), total (Jansen 1999) and second-order (Saltelli 2002) indices from
//! outputs in Saltelli's row layout, Morris's elementary-effect statistics (Morris 1991;
//! mu_star of Campolongo et al. 2007), bootstrap intervals over base rows or trajectories, and
//! the share of an output's variance that is replicate noise. Knows no file, sweep or chart.

use cadresim_model::rng::Stream;
use cadresim_model::stats::Estimate;

/// Standard normal quantile of 0.975: bootstrap intervals are estimate ± Z x bootstrap sd.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Sobol' indices of one output, each with its bootstrap interval.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndices {
    /// S1 of every factor, in factor order.
    pub first: Vec<Estimate>,
    /// ST of every factor.
    pub total: Vec<Estimate>,
    /// S2 of every pair (j, k), j < k, in row-major order (empty without second order).
    pub second: Vec<((usize, usize), Estimate)>,
}

/// The outputs of a Saltelli sample split into its matrices, each a column over base rows.
struct Saltelli {
    a: Vec<f64>,
    b: Vec<f64>,
    ab: Vec<Vec<f64>>,
    ba: Vec<Vec<f64>>,
}

impl Saltelli {
    /// Split `y` (standardised) into A, B, AB_j and BA_j, as SALib's `separate_output_values`.
    fn split(y: &[f64], factors: usize, second_order: bool) -> Self {
        let block = if second_order {
            2 * factors + 2
        } else {
            factors + 2
        };
        let column = |offset: usize| -> Vec<f64> { y.chunks(block).map(|b| b[offset]).collect() };
        Saltelli {
            a: column(0),
            b: column(block - 1),
            ab: (0..factors).map(|j| column(1 + j)).collect(),
            ba: if second_order {
                (0..factors).map(|j| column(1 + factors + j)).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Population variance of A and B together over `rows`, as `np.var(np.r_[A, B])`.
    fn variance(&self, rows: &[usize]) -> f64 {
        let n = 2.0 * rows.len() as f64;
        let mean = rows.iter().map(|&i| self.a[i] + self.b[i]).sum::<f64>() / n;
        rows.iter()
            .map(|&i| (self.a[i] - mean).powi(2) + (self.b[i] - mean).powi(2))
            .sum::<f64>()
            / n
    }

    fn first_order(&self, j: usize, rows: &[usize], variance: f64) -> f64 {
        let ab = &self.ab[j];
        let sum: f64 = rows.iter().map(|&i| self.b[i] * (ab[i] - self.a[i])).sum();
        ratio(sum / rows.len() as f64, variance)
    }

    fn total_order(&self, j: usize, rows: &[usize], variance: f64) -> f64 {
        let ab = &self.ab[j];
        let sum: f64 = rows.iter().map(|&i| (self.a[i] - ab[i]).powi(2)).sum();
        ratio(0.5 * sum / rows.len() as f64, variance)
    }

    fn second_order(&self, j: usize, k: usize, rows: &[usize], variance: f64) -> f64 {
        let (ba, ab) = (&self.ba[j], &self.ab[k]);
        let sum: f64 = rows
            .iter()
            .map(|&i| ba[i] * ab[i] - self.a[i] * self.b[i])
            .sum();
        ratio(sum / rows.len() as f64, variance)
            - self.first_order(j, rows, variance)
            - self.first_order(k, rows, variance)
    }
}

/// `numerator / variance`, 0 where the variance is not above machine epsilon (SALib's guard).
fn ratio(numerator: f64, variance: f64) -> f64 {
    if variance > f64::EPSILON {
        numerator / variance
    } else {
        0.0
    }
}

/// `(y - mean) / sd` with the population sd, as SALib standardises before estimating; a
/// constant output becomes all zeros (every index 0).
pub fn standardise(y: &[f64]) -> Vec<f64> {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd > 0.0 && sd.is_finite() {
        y.iter().map(|v| (v - mean) / sd).collect()
    } else {
        vec![0.0; y.len()]
    }
}

/// Sobol' indices from outputs `y` in Saltelli's layout (`base_rows` blocks), with intervals
/// from `resamples` bootstrap resamples of the base rows drawn from `stream`.
pub fn sobol(
    y: &[f64],
    factors: usize,
    second_order: bool,
    resamples: usize,
    stream: &mut Stream,
) -> SobolIndices {
    let parts = Saltelli::split(&standardise(y), factors, second_order);
    let n = parts.a.len();
    let pairs: Vec<(usize, usize)> = if second_order {
        (0..factors)
            .flat_map(|j| (j + 1..factors).map(move |k| (j, k)))
            .collect()
    } else {
        Vec::new()
    };
    // One value per index: S1 of each factor, ST of each factor, S2 of each pair.
    let estimate = |rows: &[usize]| -> Vec<f64> {
        let variance = parts.variance(rows);
        let mut values: Vec<f64> = (0..factors)
            .map(|j| parts.first_order(j, rows, variance))
            .collect();
        values.extend((0..factors).map(|j| parts.total_order(j, rows, variance)));
        values.extend(
            pairs
                .iter()
                .map(|&(j, k)| parts.second_order(j, k, rows, variance)),
        );
        values
    };
    let intervals = bootstrap(n, resamples, stream, &estimate);
    let mut intervals = intervals.into_iter();
    let mut take = |count: usize| -> Vec<Estimate> { intervals.by_ref().take(count).collect() };
    let first = take(factors);
    let total = take(factors);
    let second = pairs.into_iter().zip(take(usize::MAX)).collect();
    SobolIndices {
        first,
        total,
        second,
    }
}

/// Every value of `estimate` on all `n` rows, with an interval of ± Z_975 x the standard
/// deviation (n - 1 denominator) of its values over bootstrap resamples of the rows (SALib's
/// normal bootstrap interval). Fewer than two resamples give the estimate as both bounds.
fn bootstrap(
    n: usize,
    resamples: usize,
    stream: &mut Stream,
    estimate: &dyn Fn(&[usize]) -> Vec<f64>,
) -> Vec<Estimate> {
    let all: Vec<usize> = (0..n).collect();
    let values = estimate(&all);
    let mut sums = vec![0.0; values.len()];
    let mut squares = vec![0.0; values.len()];
    let mut rows = vec![0; n];
    for _ in 0..resamples {
        for row in rows.iter_mut() {
            *row = stream.below(n);
        }
        for ((value, sum), square) in estimate(&rows).iter().zip(&mut sums).zip(&mut squares) {
            *sum += value;
            *square += value * value;
        }
    }
    values
        .iter()
        .zip(sums.iter().zip(&squares))
        .map(|(&value, (&sum, &square))| {
            let half = if resamples >= 2 {
                let count = resamples as f64;
                let variance = ((square - sum * sum / count) / (count - 1.0)).max(0.0);
                Z_975 * variance.sqrt()
            } else {
                0.0
            };
            Estimate {
                mean: value,
                low: value - half,
                high: value + half,
            }
        })
        .collect()
}

/// Morris statistics of one factor's elementary effects.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndices {
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect, with its bootstrap interval.
    pub mu_star: Estimate,
    /// Standard deviation of the elementary effects (n - 1 denominator).
    pub sigma: f64,
}

/// Elementary effects per factor (outer) and trajectory (inner) of outputs `y` on the
/// trajectories `units` (unit-hypercube rows, `factors` + 1 per trajectory): between two
/// consecutive rows the one factor that moved has effect (y at its higher value - y at its
/// lower value) / `delta`, as SALib computes them from the unit-hypercube inputs.
pub fn elementary_effects(
    units: &[Vec<f64>],
    y: &[f64],
    factors: usize,
    delta: f64,
) -> Vec<Vec<f64>> {
    let size = factors + 1;
    let trajectories = units.len() / size;
    let mut effects = vec![vec![0.0; trajectories]; factors];
    let rows = units.chunks_exact(size).zip(y.chunks_exact(size));
    for (t, (points, outputs)) in rows.enumerate() {
        for i in 0..factors {
            let (before, after) = (&points[i], &points[i + 1]);
            let Some(factor) = (0..factors).find(|&f| before[f] != after[f]) else {
                continue;
            };
            let rise = if after[factor] > before[factor] {
                outputs[i + 1] - outputs[i]
            } else {
                outputs[i] - outputs[i + 1]
            };
            effects[factor][t] = rise / delta;
        }
    }
    effects
}

/// mu, mu_star (with an interval from `resamples` bootstrap resamples of the trajectories)
/// and sigma of every factor's elementary effects.
pub fn morris(effects: &[Vec<f64>], resamples: usize, stream: &mut Stream) -> Vec<MorrisIndices> {
    effects
        .iter()
        .map(|ee| {
            let n = ee.len();
            let mean_abs = |rows: &[usize]| -> Vec<f64> {
                vec![rows.iter().map(|&i| ee[i].abs()).sum::<f64>() / rows.len() as f64]
            };
            let mu_star = bootstrap(n, resamples, stream, &mean_abs)[0];
            let mu = ee.iter().sum::<f64>() / n as f64;
            let sigma = if n >= 2 {
                (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
            } else {
                f64::NAN
            };
            MorrisIndices { mu, mu_star, sigma }
        })
        .collect()
}

/// The share of the variance of the point means that is replicate noise: the mean over
/// points of (the replicates' sample variance / their count), over the sample variance of the
/// point means. None with fewer than two replicates per point or two points, or when the
/// point means do not vary.
pub fn noise_share(replicates: &[Vec<f64>]) -> Option<f64> {
    let sample_variance = |values: &[f64]| -> Option<f64> {
        let n = values.len();
        (n >= 2).then(|| {
            let mean = values.iter().sum::<f64>() / n as f64;
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        })
    };
    let mut noise = 0.0;
    for values in replicates {
        noise += sample_variance(values)? / values.len() as f64;
    }
    noise /= replicates.len() as f64;
    let means: Vec<f64> = replicates
        .iter()
        .map(|values| values.iter().sum::<f64>() / values.len() as f64)
        .collect();
    let total = sample_variance(&means)?;
    (total > 0.0).then(|| noise / total)
}
