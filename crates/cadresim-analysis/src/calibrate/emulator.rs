//! Gaussian-process emulators of a stochastic simulator's outputs (Kennedy & O'Hagan 2001;
//! Andrianakis et al. 2015): ordinary kriging with a Matérn 5/2 correlation, hyperparameters
//! by maximum likelihood (egobox-gp), and a nugget for the noise of the training outputs
//! (the variance of a mean over replicates). An emulator gives, at any point of the unit
//! cube, the expected output and the variance of that expectation (the emulator's own
//! uncertainty, without the noise).
//!
//! egobox-gp estimates the correlation lengths; the predictions are computed here from them,
//! with the inverse Cholesky factor of the training correlation precomputed once, by egobox's
//! own formulas (its normalisation, product Matérn 5/2, universal kriging variance with a
//! constant trend). egobox solves a triangular system per prediction, ~100 µs per point and
//! target with 150 training runs, which made ABC-SMC on the emulators take minutes; the tests
//! check both against each other to 1e-8.

use egobox_gp::correlation_models::Matern52Corr;
use egobox_gp::mean_models::ConstantMean;
use egobox_gp::GaussianProcess;
use linfa::prelude::Fit;
use linfa::Dataset;
use ndarray::{Array1, Array2};
use rayon::prelude::*;

use super::linalg;

/// Smallest nugget (relative to the outputs' variance), for numerical stability.
const MIN_NUGGET: f64 = 1e-8;
/// Outputs whose spread is below this are emulated as a constant.
const CONSTANT_SPREAD: f64 = 1e-12;

/// Points predicted together on one thread (predictions are pure: any split gives the
/// same values).
const CHUNK: usize = 64;

/// A fitted emulator.
pub struct Emulator {
    model: Model,
}

enum Model {
    Process(Box<Kriging>),
    /// Every training output was (nearly) the same value.
    Constant(f64),
}

type Process = GaussianProcess<f64, ConstantMean, Matern52Corr>;

impl Emulator {
    /// Fit to outputs `y` at `points` (the unit cube), each observed with noise of variance
    /// `noise_variance`. The noise enters as a nugget, the ratio of that variance to the
    /// outputs' sample variance (fixed, not estimated; at least 1e-8).
    pub fn fit(points: &[Vec<f64>], y: &[f64], noise_variance: f64) -> Result<Emulator, String> {
        let n = y.len();
        let mean = y.iter().sum::<f64>() / n as f64;
        let variance = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        if n < 3 || variance.sqrt() <= CONSTANT_SPREAD * mean.abs().max(1.0) {
            return Ok(Emulator {
                model: Model::Constant(mean),
            });
        }
        let nugget = (noise_variance / variance).max(MIN_NUGGET);
        let process = fit_process(points, y, nugget)?;
        let theta = process.theta().to_vec();
        Ok(Emulator {
            model: Model::Process(Box::new(Kriging::new(points, y, &theta, nugget))),
        })
    }

    /// Expected outputs at `points` (without their variances, which cost more).
    pub fn predict_mean(&self, points: &[Vec<f64>]) -> Vec<f64> {
        match &self.model {
            Model::Constant(value) => vec![*value; points.len()],
            Model::Process(kriging) => points
                .par_chunks(CHUNK)
                .flat_map_iter(|chunk| {
                    let mut r = vec![0.0; kriging.train.len()];
                    chunk
                        .iter()
                        .map(|p| kriging.mean(p, &mut r))
                        .collect::<Vec<f64>>()
                })
                .collect(),
        }
    }

    /// Expected outputs and their variances at `points`.
    pub fn predict(&self, points: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        match &self.model {
            Model::Constant(value) => (vec![*value; points.len()], vec![0.0; points.len()]),
            Model::Process(kriging) => points
                .par_chunks(CHUNK)
                .flat_map_iter(|chunk| {
                    let n = kriging.train.len();
                    let (mut r, mut v) = (vec![0.0; n], vec![0.0; n]);
                    chunk
                        .iter()
                        .map(|p| {
                            let mean = kriging.mean(p, &mut r);
                            (mean, kriging.variance(&r, &mut v))
                        })
                        .collect::<Vec<(f64, f64)>>()
                })
                .unzip(),
        }
    }
}

fn fit_process(points: &[Vec<f64>], y: &[f64], nugget: f64) -> Result<Process, String> {
    Process::params(ConstantMean::default(), Matern52Corr::default())
        .nugget(nugget)
        .fit(&Dataset::new(matrix(points), Array1::from_vec(y.to_vec())))
        .map_err(|error| format!("the Gaussian-process fit failed: {error}"))
}

/// Kriging with a constant trend at fixed correlation lengths, as egobox-gp predicts:
/// inputs and outputs standardised (sample sd), correlation
/// Π_k (1 + √5 u_k + 5/3 u_k²) exp(−√5 Σ_k u_k) with u_k = θ_k |x_k − x'_k|, 1 + nugget on
/// the diagonal, the trend by generalised least squares and the process variance by
/// maximum likelihood.
struct Kriging {
    x_mean: Vec<f64>,
    x_sd: Vec<f64>,
    theta: Vec<f64>,
    /// Standardised training points.
    train: Vec<Vec<f64>>,
    /// L⁻¹ with R = L Lᵀ, the training correlation.
    l_inverse: Vec<Vec<f64>>,
    /// R⁻¹ (y − β).
    gamma: Vec<f64>,
    beta: f64,
    /// L⁻¹ 1 and its squared norm.
    ones: Vec<f64>,
    ones_norm2: f64,
    y_mean: f64,
    y_sd: f64,
    /// The process variance, in the outputs' units.
    sigma2: f64,
}

impl Kriging {
    fn new(points: &[Vec<f64>], y: &[f64], theta: &[f64], nugget: f64) -> Kriging {
        let dims = theta.len();
        let (x_mean, x_sd): (Vec<f64>, Vec<f64>) = (0..dims)
            .map(|k| standardisation(points.iter().map(|p| p[k])))
            .unzip();
        let (y_mean, y_sd) = standardisation(y.iter().copied());
        let train: Vec<Vec<f64>> = points
            .iter()
            .map(|p| standardised(p, &x_mean, &x_sd))
            .collect();
        let correlation: Vec<Vec<f64>> = train
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut row: Vec<f64> = train.iter().map(|b| matern52(theta, a, b)).collect();
                row[i] = 1.0 + nugget;
                row
            })
            .collect();
        let l_inverse = linalg::lower_inverse(&linalg::cholesky(&correlation, 0.0));
        let ys: Vec<f64> = y.iter().map(|v| (v - y_mean) / y_sd).collect();
        let ones = lower_times(&l_inverse, &vec![1.0; y.len()]);
        let whitened = lower_times(&l_inverse, &ys);
        let ones_norm2 = dot(&ones, &ones);
        let beta = dot(&ones, &whitened) / ones_norm2;
        let rho: Vec<f64> = whitened
            .iter()
            .zip(&ones)
            .map(|(w, o)| w - beta * o)
            .collect();
        let sigma2 = dot(&rho, &rho) / y.len() as f64 * y_sd * y_sd;
        let gamma = upper_times(&l_inverse, &rho);
        Kriging {
            x_mean,
            x_sd,
            theta: theta.to_vec(),
            train,
            l_inverse,
            gamma,
            beta,
            ones,
            ones_norm2,
            y_mean,
            y_sd,
            sigma2,
        }
    }

    /// The expected output at `point`, leaving its correlations with the training points in `r`.
    fn mean(&self, point: &[f64], r: &mut [f64]) -> f64 {
        let x = standardised(point, &self.x_mean, &self.x_sd);
        for (r, t) in r.iter_mut().zip(&self.train) {
            *r = matern52(&self.theta, &x, t);
        }
        (self.beta + dot(r, &self.gamma)) * self.y_sd + self.y_mean
    }

    /// The variance of the expected output at the point whose correlations are `r`
    /// (workspace `v`): σ² (1 − |L⁻¹r|² + (1ᵀR⁻¹r − 1)² / 1ᵀR⁻¹1), at least 0.
    fn variance(&self, r: &[f64], v: &mut [f64]) -> f64 {
        for (i, (v, row)) in v.iter_mut().zip(&self.l_inverse).enumerate() {
            *v = dot(&row[..=i], &r[..=i]);
        }
        let u = dot(&self.ones, v) - 1.0;
        let mse = 1.0 - dot(v, v) + u * u / self.ones_norm2;
        (self.sigma2 * mse).max(0.0)
    }
}

/// Mean and sample sd (1 when the values are all equal), as egobox standardises.
fn standardisation(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let sd = (values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    (mean, if sd == 0.0 { 1.0 } else { sd })
}

fn standardised(point: &[f64], mean: &[f64], sd: &[f64]) -> Vec<f64> {
    point
        .iter()
        .zip(mean.iter().zip(sd))
        .map(|(x, (m, s))| (x - m) / s)
        .collect()
}

fn matern52(theta: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let sqrt5 = 5f64.sqrt();
    let (mut product, mut sum) = (1.0, 0.0);
    for ((t, x), y) in theta.iter().zip(a).zip(b) {
        let u = t * (x - y).abs();
        product *= 1.0 + sqrt5 * u + 5.0 / 3.0 * u * u;
        sum += u;
    }
    product * (-sqrt5 * sum).exp()
}

/// Σ a_i b_i, in four interleaved partial sums (which the compiler vectorises).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut sums = [0.0; 4];
    for (x, y) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for k in 0..4 {
            sums[k] += x[k] * y[k];
        }
    }
    let tail = n - n % 4;
    let rest: f64 = a[tail..].iter().zip(&b[tail..]).map(|(x, y)| x * y).sum();
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + rest
}

/// L⁻¹ x for the lower-triangular `l_inverse`.
fn lower_times(l_inverse: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    l_inverse
        .iter()
        .enumerate()
        .map(|(i, row)| dot(&row[..=i], &x[..=i]))
        .collect()
}

/// L⁻ᵀ x for the lower-triangular `l_inverse`.
fn upper_times(l_inverse: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| (i..n).map(|k| l_inverse[k][i] * x[k]).sum())
        .collect()
}

fn matrix(points: &[Vec<f64>]) -> Array2<f64> {
    let dims = points.first().map_or(0, Vec::len);
    Array2::from_shape_fn((points.len(), dims), |(i, j)| points[i][j])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize) -> Vec<Vec<f64>> {
        (0..n).map(|i| vec![i as f64 / (n - 1) as f64]).collect()
    }

    #[test]
    fn a_smooth_function_is_reproduced_between_its_training_points() {
        let points = grid(12);
        let y: Vec<f64> = points.iter().map(|p| (3.0 * p[0]).sin()).collect();
        let emulator = Emulator::fit(&points, &y, 0.0).unwrap();
        let test: Vec<Vec<f64>> = vec![vec![0.33], vec![0.5], vec![0.77]];
        let (means, variances) = emulator.predict(&test);
        for ((point, mean), variance) in test.iter().zip(&means).zip(&variances) {
            let truth = (3.0 * point[0]).sin();
            assert!((mean - truth).abs() < 1e-3, "{mean} vs {truth}");
            assert!(*variance < 1e-4);
        }
    }

    #[test]
    fn variance_grows_away_from_the_training_points() {
        let points: Vec<Vec<f64>> = (0..6).map(|i| vec![i as f64 * 0.1]).collect();
        let y: Vec<f64> = points.iter().map(|p| p[0] * p[0]).collect();
        let emulator = Emulator::fit(&points, &y, 0.0).unwrap();
        let (_, variances) = emulator.predict(&[vec![0.25], vec![0.95]]);
        assert!(variances[1] > 10.0 * variances[0], "{variances:?}");
    }

    /// The predictions agree with egobox-gp's own at the same fit.
    #[test]
    fn predictions_are_egobox_gps() {
        let mut state = 7u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let points: Vec<Vec<f64>> = (0..40)
            .map(|_| vec![uniform(), uniform(), uniform()])
            .collect();
        let y: Vec<f64> = points
            .iter()
            .map(|p| (3.0 * p[0]).sin() + p[1] * p[1] + 0.05 * uniform())
            .collect();
        let nugget = 1e-3;
        let process = fit_process(&points, &y, nugget).unwrap();
        let kriging = Kriging::new(&points, &y, &process.theta().to_vec(), nugget);
        assert!((kriging.sigma2 / process.variance() - 1.0).abs() < 1e-8);
        let test: Vec<Vec<f64>> = (0..50)
            .map(|_| vec![uniform(), uniform(), uniform()])
            .collect();
        let x = matrix(&test);
        let means = process.predict(&x).unwrap();
        let variances = process.predict_var(&x).unwrap();
        let mut r = vec![0.0; points.len()];
        let mut v = vec![0.0; points.len()];
        for (i, point) in test.iter().enumerate() {
            let mean = kriging.mean(point, &mut r);
            let variance = kriging.variance(&r, &mut v);
            assert!((mean - means[i]).abs() < 1e-8, "{mean} vs {}", means[i]);
            assert!(
                (variance - variances[i]).abs() < 1e-8 * process.variance(),
                "{variance} vs {}",
                variances[i]
            );
        }
    }

    #[test]
    fn constant_outputs_give_a_constant_emulator() {
        let points = grid(5);
        let emulator = Emulator::fit(&points, &[0.5; 5], 0.01).unwrap();
        assert_eq!(emulator.predict(&[vec![0.3]]), (vec![0.5], vec![0.0]));
    }
}
