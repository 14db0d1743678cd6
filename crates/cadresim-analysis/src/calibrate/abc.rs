//! Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC): Beaumont, Cornuet,
//! Marin & Robert (2009)'s population Monte Carlo with importance weights and a Gaussian
//! perturbation kernel of twice the population's weighted covariance; tolerances set
//! adaptively, each the median distance of the previous population (Del Moral, Doucet &
//! Jasra 2012; pyABC's `QuantileEpsilon(alpha = 0.5)`); a weighted Euclidean distance whose
//! weights are the inverse median absolute deviations of each summary over the previous
//! generation's simulations (Prangle 2017; pyABC's `AdaptivePNormDistance`). Generation 0 is
//! the prior itself. Single-threaded and driven by one seeded generator: the posterior is a
//! pure function of the seed. This is the uniform acceptor; `stochastic` holds the exact one,
//! and `smc::abc_smc` runs the one the settings name. Both share the model, the population
//! and the perturbation kernel defined here.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::linalg::cholesky;
use super::space::Box;

/// What ABC-SMC samples: a prior uniform on a region of the unit cube (a box that holds it,
/// and the model's own membership test) and a stochastic simulator of the summaries.
pub trait Model {
    /// Simulated summaries at each point, or None where the point lies outside the prior's
    /// support; any randomness drawn from `rng`.
    fn simulate(&self, points: &[Vec<f64>], rng: &mut dyn rand::RngCore) -> Vec<Option<Vec<f64>>>;

    /// log p(observed | point) at each point, the model's noise integrated out (what the
    /// stochastic acceptor needs), or None outside the prior's support.
    fn log_density(&self, points: &[Vec<f64>], observed: &[f64]) -> Vec<Option<f64>>;
}

/// What ABC-SMC calibrates: the model, the region of the unit cube on which its prior is
/// uniform, and the observed summaries.
#[derive(Clone, Copy)]
pub struct Problem<'a> {
    pub model: &'a dyn Model,
    pub region: &'a Box,
    pub observed: &'a [f64],
}

/// How a generation accepts a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptor {
    /// Distance within a tolerance that falls each generation: the ABC posterior is the true
    /// one widened by the tolerance.
    Uniform,
    /// With probability (density / normalisation)^(1 / temperature), the last generation at
    /// temperature 1: exact for Gaussian noise of known covariance.
    Stochastic,
}

impl Acceptor {
    pub fn name(self) -> &'static str {
        match self {
            Acceptor::Uniform => "uniform",
            Acceptor::Stochastic => "stochastic",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Particles per generation.
    pub population: usize,
    /// Most generations after generation 0.
    pub generations: usize,
    /// Stop once a generation accepts fewer than this share of its proposals.
    pub min_acceptance: f64,
    /// Proposals a generation may make, as a multiple of `population`, before it gives up.
    pub max_proposals_factor: usize,
    pub acceptor: Acceptor,
}

/// What a generation's acceptance was set by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// Generation 0, the prior.
    Prior,
    /// The uniform acceptor's tolerance.
    Epsilon(f64),
    /// The stochastic acceptor's temperature.
    Temperature(f64),
}

/// What one generation did.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    /// 0 for the prior.
    pub generation: usize,
    pub threshold: Threshold,
    pub proposals: usize,
    pub acceptance: f64,
}

/// A weighted population of particles (weights sum to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    pub points: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
    summaries: Vec<Vec<f64>>,
}

pub struct Outcome {
    pub generations: Vec<Generation>,
    pub population: Population,
}

impl Outcome {
    /// Where a stochastic-acceptor run stopped before its last generation without reaching
    /// temperature 1 (a generation reached the proposal limit): its last temperature, or
    /// infinity when not even the first tempered generation finished (the population is then
    /// the prior sample). Such a population is a tempered approximation, wider than the
    /// posterior. None for a run that reached temperature 1 and for the uniform acceptor,
    /// whose early stop is its rule (`min_acceptance`).
    pub fn unfinished_temperature(&self, settings: &Settings) -> Option<f64> {
        let finished = self.generations.len() > settings.generations;
        if settings.acceptor != Acceptor::Stochastic || finished {
            return None;
        }
        match self.generations.last()?.threshold {
            Threshold::Temperature(1.0) | Threshold::Epsilon(_) => None,
            Threshold::Temperature(t) => Some(t),
            Threshold::Prior => Some(f64::INFINITY),
        }
    }
}

impl Population {
    /// A population whose summaries no later generation needs.
    pub(super) fn new(points: Vec<Vec<f64>>, weights: Vec<f64>) -> Population {
        Population {
            points,
            weights,
            summaries: Vec::new(),
        }
    }
}

/// Proposals made and simulated at once.
pub(super) const BATCH: usize = 512;

/// ABC-SMC with the uniform acceptor (`smc::abc_smc` runs the one the settings name).
pub fn uniform_smc(
    settings: &Settings,
    Problem {
        model,
        region,
        observed,
    }: Problem,
    rng: &mut impl Rng,
    report: &mut dyn FnMut(&Generation),
) -> Outcome {
    let (mut population, all) = generation_zero(settings, model, region, rng);
    let mut generations = vec![Generation {
        generation: 0,
        threshold: Threshold::Prior,
        proposals: all.len(),
        acceptance: settings.population as f64 / all.len() as f64,
    }];
    report(&generations[0]);
    let mut scales = inverse_mad(&all);
    for generation in 1..=settings.generations {
        let mut distances: Vec<f64> = population
            .summaries
            .iter()
            .map(|s| distance(&scales, s, observed))
            .collect();
        let epsilon = median(&mut distances);
        let Some((next, all)) = next_generation(
            settings,
            model,
            &population,
            epsilon,
            observed,
            &scales,
            rng,
        ) else {
            break;
        };
        let acceptance = settings.population as f64 / all.len() as f64;
        generations.push(Generation {
            generation,
            threshold: Threshold::Epsilon(epsilon),
            proposals: all.len(),
            acceptance,
        });
        report(generations.last().expect("just pushed"));
        population = next;
        scales = inverse_mad(&all);
        if acceptance < settings.min_acceptance {
            break;
        }
    }
    Outcome {
        generations,
        population,
    }
}

/// The prior sample: uniform in `region`'s box, kept where the model's support holds.
fn generation_zero(
    settings: &Settings,
    model: &dyn Model,
    region: &Box,
    rng: &mut impl Rng,
) -> (Population, Vec<Vec<f64>>) {
    let (mut points, mut summaries) = (Vec::new(), Vec::new());
    while points.len() < settings.population {
        let batch: Vec<Vec<f64>> = (0..BATCH).map(|_| region.sample(rng)).collect();
        let simulated = model.simulate(&batch, rng);
        for (point, summary) in batch.into_iter().zip(simulated) {
            if let Some(summary) = summary {
                points.push(point);
                summaries.push(summary);
            }
        }
    }
    points.truncate(settings.population);
    summaries.truncate(settings.population);
    let n = points.len() as f64;
    let population = Population {
        weights: vec![1.0 / n; points.len()],
        points,
        summaries: summaries.clone(),
    };
    (population, summaries)
}

/// One generation at tolerance `epsilon`: the accepted population and every simulation made,
/// or None when it made too many proposals.
fn next_generation(
    settings: &Settings,
    model: &dyn Model,
    previous: &Population,
    epsilon: f64,
    observed: &[f64],
    scales: &[f64],
    rng: &mut impl Rng,
) -> Option<(Population, Vec<Vec<f64>>)> {
    let kernel = Kernel::of(previous);
    let (mut points, mut summaries, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let limit = settings.population * settings.max_proposals_factor;
    while points.len() < settings.population {
        if all.len() >= limit {
            return None;
        }
        let batch = perturbed(previous, &kernel, rng);
        let simulated = model.simulate(&batch, rng);
        for (point, summary) in batch.into_iter().zip(simulated) {
            let Some(summary) = summary else { continue };
            if points.len() < settings.population && distance(scales, &summary, observed) <= epsilon
            {
                points.push(point);
                summaries.push(summary.clone());
            }
            all.push(summary);
        }
    }
    let weights = kernel.importance_weights(previous, &points);
    Some((
        Population {
            points,
            weights,
            summaries,
        },
        all,
    ))
}

/// A batch of proposals: ancestors drawn by weight, moved by the kernel, kept in the cube.
/// A proposal outside the cube is redrawn from a new ancestor, so the batch's density is the
/// kernel mixture restricted to the cube times one constant: the untruncated mixture
/// (`Kernel::log_mixture`) gives exact importance weights once they are normalised.
pub(super) fn perturbed(
    previous: &Population,
    kernel: &Kernel,
    rng: &mut impl Rng,
) -> Vec<Vec<f64>> {
    let mut batch = Vec::with_capacity(BATCH);
    while batch.len() < BATCH {
        let ancestor = draw_index(&previous.weights, rng);
        let proposal = kernel.perturb(&previous.points[ancestor], rng);
        if proposal.iter().all(|x| (0.0..=1.0).contains(x)) {
            batch.push(proposal);
        }
    }
    batch
}

fn draw_index(weights: &[f64], rng: &mut impl Rng) -> usize {
    let mut u: f64 = rng.random();
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// The Gaussian perturbation kernel with twice the population's weighted covariance.
pub(super) struct Kernel {
    /// Lower Cholesky factor of the covariance.
    cholesky: Vec<Vec<f64>>,
}

impl Kernel {
    pub(super) fn of(population: &Population) -> Kernel {
        let covariance = weighted_covariance(&population.points, &population.weights);
        let doubled: Vec<Vec<f64>> = covariance
            .iter()
            .map(|row| row.iter().map(|v| 2.0 * v).collect())
            .collect();
        Kernel {
            cholesky: cholesky(&doubled, MIN_KERNEL_VARIANCE),
        }
    }

    fn perturb(&self, point: &[f64], rng: &mut impl Rng) -> Vec<f64> {
        let z: Vec<f64> = point.iter().map(|_| StandardNormal.sample(rng)).collect();
        point
            .iter()
            .enumerate()
            .map(|(i, x)| x + (0..=i).map(|j| self.cholesky[i][j] * z[j]).sum::<f64>())
            .collect()
    }

    /// exp(−½ (a−b)ᵀ Σ⁻¹ (a−b)): the kernel's density up to its constant.
    fn density(&self, a: &[f64], b: &[f64]) -> f64 {
        let n = a.len();
        let mut y = vec![0.0; n];
        for i in 0..n {
            let sum: f64 = (0..i).map(|j| self.cholesky[i][j] * y[j]).sum();
            y[i] = (a[i] - b[i] - sum) / self.cholesky[i][i];
        }
        (-0.5 * y.iter().map(|v| v * v).sum::<f64>()).exp()
    }

    /// log of the normalised mixture Σ w K(point − old) over the population.
    pub(super) fn log_mixture(&self, population: &Population, point: &[f64]) -> f64 {
        let log_norm: f64 = self
            .cholesky
            .iter()
            .enumerate()
            .map(|(i, row)| row[i].ln())
            .sum();
        let mixture: f64 = population
            .points
            .iter()
            .zip(&population.weights)
            .map(|(old, w)| w * self.density(point, old))
            .sum();
        mixture.max(f64::MIN_POSITIVE).ln() - log_norm
    }

    /// Beaumont et al.'s weights: prior density (constant on the support) over the mixture
    /// of kernels around the previous population; normalized.
    fn importance_weights(&self, previous: &Population, points: &[Vec<f64>]) -> Vec<f64> {
        let raw: Vec<f64> = points
            .iter()
            .map(|point| {
                let mixture: f64 = previous
                    .points
                    .iter()
                    .zip(&previous.weights)
                    .map(|(old, w)| w * self.density(point, old))
                    .sum();
                1.0 / mixture.max(f64::MIN_POSITIVE)
            })
            .collect();
        let total: f64 = raw.iter().sum();
        raw.iter().map(|w| w / total).collect()
    }
}

fn weighted_covariance(points: &[Vec<f64>], weights: &[f64]) -> Vec<Vec<f64>> {
    let dims = points.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..dims)
        .map(|d| points.iter().zip(weights).map(|(p, w)| w * p[d]).sum())
        .collect();
    let squared: f64 = weights.iter().map(|w| w * w).sum();
    let correction = 1.0 / (1.0 - squared).max(f64::MIN_POSITIVE);
    let mut covariance = vec![vec![0.0; dims]; dims];
    for (point, w) in points.iter().zip(weights) {
        for i in 0..dims {
            for j in 0..=i {
                covariance[i][j] += w * (point[i] - mean[i]) * (point[j] - mean[j]) * correction;
            }
        }
    }
    // Mirror the lower triangle.
    (0..dims)
        .map(|i| (0..dims).map(|j| covariance[i.max(j)][i.min(j)]).collect())
        .collect()
}

/// Smallest variance kept on the kernel's diagonal (a population collapsed in one dimension).
const MIN_KERNEL_VARIANCE: f64 = 1e-10;

/// The weighted Euclidean distance Σ (w_j (s_j − o_j))², square-rooted.
fn distance(scales: &[f64], simulated: &[f64], observed: &[f64]) -> f64 {
    simulated
        .iter()
        .zip(observed)
        .zip(scales)
        .map(|((s, o), w)| (w * (s - o)) * (w * (s - o)))
        .sum::<f64>()
        .sqrt()
}

/// Per summary, 1 / the median absolute deviation over `summaries` (1 where it is 0).
fn inverse_mad(summaries: &[Vec<f64>]) -> Vec<f64> {
    let dims = summaries.first().map_or(0, Vec::len);
    (0..dims)
        .map(|d| {
            let mut values: Vec<f64> = summaries.iter().map(|s| s[d]).collect();
            let centre = median(&mut values);
            let mut deviations: Vec<f64> = values.iter().map(|v| (v - centre).abs()).collect();
            let mad = median(&mut deviations);
            if mad > 0.0 {
                1.0 / mad
            } else {
                1.0
            }
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_scales() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(inverse_mad(&[vec![1.0], vec![2.0], vec![4.0]]), vec![1.0]);
    }
}
