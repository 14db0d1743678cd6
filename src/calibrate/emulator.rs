//! Gaussian-process emulators of a stochastic simulator's outputs (Kennedy & O'Hagan 2001;
//! Andrianakis et al. 2015): ordinary kriging with a Matérn 5/2 correlation, hyperparameters
//! by maximum likelihood (egobox-gp), and a nugget for the noise of the training outputs
//! (the variance of a mean over replicates). An emulator gives, at any point of the unit
//! cube, the expected output and the variance of that expectation (the emulator's own
//! uncertainty, without the noise).

use egobox_gp::correlation_models::Matern52Corr;
use egobox_gp::mean_models::ConstantMean;
use egobox_gp::GaussianProcess;
use linfa::prelude::Fit;
use linfa::Dataset;
use ndarray::{Array1, Array2};

/// Smallest nugget (relative to the outputs' variance), for numerical stability.
const MIN_NUGGET: f64 = 1e-8;
/// Outputs whose spread is below this are emulated as a constant.
const CONSTANT_SPREAD: f64 = 1e-12;

/// A fitted emulator.
pub struct Emulator {
    model: Model,
}

enum Model {
    Process(Box<GaussianProcess<f64, ConstantMean, Matern52Corr>>),
    /// Every training output was (nearly) the same value.
    Constant(f64),
}

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
        let x = matrix(points);
        let gp = GaussianProcess::<f64, ConstantMean, Matern52Corr>::params(
            ConstantMean::default(),
            Matern52Corr::default(),
        )
        .nugget(nugget)
        .fit(&Dataset::new(x, Array1::from_vec(y.to_vec())))
        .map_err(|error| format!("the Gaussian-process fit failed: {error}"))?;
        Ok(Emulator {
            model: Model::Process(Box::new(gp)),
        })
    }

    /// Expected outputs at `points` (without their variances, which cost more).
    pub fn predict_mean(&self, points: &[Vec<f64>]) -> Vec<f64> {
        match &self.model {
            Model::Constant(value) => vec![*value; points.len()],
            Model::Process(gp) => gp
                .predict(&matrix(points))
                .expect("prediction at valid points")
                .to_vec(),
        }
    }

    /// Expected outputs and their variances at `points`.
    pub fn predict(&self, points: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        match &self.model {
            Model::Constant(value) => (vec![*value; points.len()], vec![0.0; points.len()]),
            Model::Process(gp) => {
                let x = matrix(points);
                let means = gp.predict(&x).expect("prediction at valid points");
                let variances = gp.predict_var(&x).expect("variance at valid points");
                (means.to_vec(), variances.to_vec())
            }
        }
    }
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

    #[test]
    fn constant_outputs_give_a_constant_emulator() {
        let points = grid(5);
        let emulator = Emulator::fit(&points, &[0.5; 5], 0.01).unwrap();
        assert_eq!(emulator.predict(&[vec![0.3]]), (vec![0.5], vec![0.0]));
    }
}
