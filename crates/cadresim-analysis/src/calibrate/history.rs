//! History matching (Craig et al. 1997; Vernon, Goldstein & Bower 2010; Andrianakis et al.
//! 2015): waves of simulator runs, emulators of each target's mean and ensemble variance
//! fitted to them, and the implausibility
//! I(x) = |z − E[f(x)]| / sqrt(V_obs + V_disc + V_emulator(x) + V_ensemble(x) / R),
//! which rules out the points where the simulator cannot match a target. A point is
//! non-implausible when, for every wave's emulators, the cut measure (the largest
//! implausibility over targets with fewer than three targets, the second largest with three
//! or more) is at most the cut (3, after Pukelsheim's three-sigma rule). Each wave's design is
//! spread over the region left by the waves before it; matching stops when a wave shrinks the
//! non-implausible volume by less than a tenth, when the waves' budget is spent, or after
//! `max_waves`.

use std::sync::Arc;

use rand::Rng;

use super::emulator::Emulator;
use super::space::{latin_hypercube, spread_subset, Box};

/// A target: the observed value and the variance of its measurement and of the model's
/// discrepancy together.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub value: f64,
    pub variance: f64,
}

/// One simulator run: its point in the unit cube and, per target, the mean over replicates
/// and the variance between replicates.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub point: Vec<f64>,
    pub means: Vec<f64>,
    pub variances: Vec<f64>,
    /// The covariance between replicates of each pair of targets, in the order of `pairs`.
    pub covariances: Vec<f64>,
}

/// The pairs of distinct targets (t, u), t < u: (0, 1), (0, 2), ..., (1, 2), ...
pub fn pairs(targets: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..targets).flat_map(move |t| (t + 1..targets).map(move |u| (t, u)))
}

/// The sample variances and covariances of replicate values `values[target][replicate]`.
pub fn moments(values: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = values.first().map_or(0, Vec::len) as f64;
    let means: Vec<f64> = values.iter().map(|v| v.iter().sum::<f64>() / n).collect();
    let covariance = |t: usize, u: usize| {
        let products = values[t].iter().zip(&values[u]);
        products
            .map(|(a, b)| (a - means[t]) * (b - means[u]))
            .sum::<f64>()
            / (n - 1.0)
    };
    let variances = (0..values.len()).map(|t| covariance(t, t)).collect();
    let covariances = pairs(values.len()).map(|(t, u)| covariance(t, u)).collect();
    (means, variances, covariances)
}

/// How matching proceeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Simulator runs per wave.
    pub wave_runs: usize,
    /// Most waves.
    pub max_waves: usize,
    /// Simulator runs all waves may use together.
    pub budget: usize,
    /// Replicates per run (R).
    pub replicates: usize,
    /// The implausibility cut.
    pub cut: f64,
    /// Points drawn to estimate the non-implausible volume after each wave.
    pub candidates: usize,
    /// Most runs an emulator is trained on (the most spread out of those available).
    pub max_training: usize,
    /// Scale each emulator's variance by its validation's `variance_scale`.
    pub inflate: bool,
}

/// Emulators of one target: its mean, and the logarithm of its ensemble variance.
struct TargetEmulator {
    mean: Emulator,
    log_variance: Emulator,
    /// Factor on the mean emulator's variance (1 as fitted).
    variance_scale: f64,
}

/// One wave's emulators of every target.
pub struct Emulators {
    targets: Vec<TargetEmulator>,
    replicates: f64,
    dims: usize,
    /// The correlation of the targets between replicates, pooled over the training runs
    /// (taken as the same everywhere in the region).
    pub ensemble_correlation: Vec<Vec<f64>>,
}

/// Emulated expectations and variances at some points, `[target][point]`.
pub struct Prediction {
    pub means: Vec<Vec<f64>>,
    pub emulator_variances: Vec<Vec<f64>>,
    /// The ensemble variance of a mean over R replicates (V_ensemble / R).
    pub ensemble_variances: Vec<Vec<f64>>,
}

/// Variance of the logarithm of a sample variance of R normal values (≈ trigamma((R−1)/2)).
fn log_variance_noise(replicates: f64) -> f64 {
    2.0 / (replicates - 1.0).max(1.0)
}

/// Floor under a sample variance before its logarithm is taken.
const VARIANCE_FLOOR: f64 = 1e-12;

impl Emulators {
    /// Fit every target's emulators to `runs`.
    pub fn fit(runs: &[&Run], replicates: usize) -> Result<Emulators, String> {
        let points: Vec<Vec<f64>> = runs.iter().map(|r| r.point.clone()).collect();
        let targets = runs.first().map_or(0, |r| r.means.len());
        let r = replicates as f64;
        let mut emulators = Vec::with_capacity(targets);
        for t in 0..targets {
            let means: Vec<f64> = runs.iter().map(|run| run.means[t]).collect();
            let variances: Vec<f64> = runs.iter().map(|run| run.variances[t]).collect();
            let noise = variances.iter().sum::<f64>() / variances.len() as f64 / r;
            let logs: Vec<f64> = variances
                .iter()
                .map(|v| v.max(VARIANCE_FLOOR).ln())
                .collect();
            emulators.push(TargetEmulator {
                mean: Emulator::fit(&points, &means, noise)?,
                log_variance: Emulator::fit(&points, &logs, log_variance_noise(r))?,
                variance_scale: 1.0,
            });
        }
        Ok(Emulators {
            targets: emulators,
            replicates: r,
            dims: points.first().map_or(0, Vec::len),
            ensemble_correlation: pooled_correlation(runs, targets),
        })
    }

    pub fn predict(&self, points: &[Vec<f64>]) -> Prediction {
        let mut prediction = Prediction {
            means: Vec::new(),
            emulator_variances: Vec::new(),
            ensemble_variances: Vec::new(),
        };
        for target in &self.targets {
            let (means, mut variances) = target.mean.predict(points);
            // Exact at the fitted scale of 1.
            variances
                .iter_mut()
                .for_each(|v| *v *= target.variance_scale);
            let logs = target.log_variance.predict_mean(points);
            prediction.means.push(means);
            prediction.emulator_variances.push(variances);
            let ensemble = logs.iter().map(|l| l.exp() / self.replicates).collect();
            prediction.ensemble_variances.push(ensemble);
        }
        prediction
    }

    /// Scale each target's emulator variance by its validation's `variance_scale`.
    pub fn inflate(&mut self, validation: &[Validation]) {
        for v in validation {
            if let Some(target) = self.targets.get_mut(v.target) {
                target.variance_scale = v.variance_scale;
            }
        }
    }
}

/// The between-replicate correlation of the targets: the runs' mean covariance over the
/// square root of the product of their mean variances (0 where a variance is 0).
fn pooled_correlation(runs: &[&Run], targets: usize) -> Vec<Vec<f64>> {
    let n = runs.len().max(1) as f64;
    let variances: Vec<f64> = (0..targets)
        .map(|t| runs.iter().map(|r| r.variances[t]).sum::<f64>() / n)
        .collect();
    let mut correlation = vec![vec![0.0; targets]; targets];
    for (t, row) in correlation.iter_mut().enumerate() {
        row[t] = 1.0;
    }
    for (k, (t, u)) in pairs(targets).enumerate() {
        let covariance = runs.iter().map(|r| r.covariances[k]).sum::<f64>() / n;
        let scale = (variances[t] * variances[u]).sqrt();
        let rho = if scale > 0.0 { covariance / scale } else { 0.0 };
        correlation[t][u] = rho.clamp(-1.0, 1.0);
        correlation[u][t] = correlation[t][u];
    }
    correlation
}

impl Prediction {
    /// Every target's implausibility at point `i`.
    pub fn implausibilities(&self, observations: &[Observation], i: usize) -> Vec<f64> {
        observations
            .iter()
            .enumerate()
            .map(|(t, z)| {
                let variance =
                    z.variance + self.emulator_variances[t][i] + self.ensemble_variances[t][i];
                (z.value - self.means[t][i]).abs() / variance.sqrt()
            })
            .collect()
    }
}

/// The cut measure: the largest implausibility with fewer than three targets, the second
/// largest otherwise.
pub fn cut_measure(mut implausibilities: Vec<f64>) -> f64 {
    implausibilities.sort_by(|a, b| b.total_cmp(a));
    match implausibilities.len() {
        0 => 0.0,
        1 | 2 => implausibilities[0],
        _ => implausibilities[1],
    }
}

/// How well one target's emulator predicted runs held out of its fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Validation {
    pub target: usize,
    /// Runs held out.
    pub points: usize,
    /// Of those, the runs whose standardized error lies within ±3.
    pub within_three: usize,
    /// Root mean square of the standardized errors (1 when the variances are right).
    pub rms_standardized: f64,
    /// The factor s ≥ 1 on the emulator's variance that makes the mean square of the
    /// held-out standardized errors 1 (1 when it is at most 1 already).
    pub variance_scale: f64,
}

/// What one wave did.
#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    /// 1, 2, ...
    pub wave: usize,
    /// Simulator runs of this wave.
    pub runs: usize,
    /// Runs its emulators were trained on.
    pub training: usize,
    /// Share of the prior's unit cube that is non-implausible after this wave.
    pub volume: f64,
    pub validation: Vec<Validation>,
}

/// The last wave's prediction at one point, per target: the expectation, the variances
/// independent between targets (measurement, discrepancy, emulator) and the ensemble
/// variance of a mean over R replicates (correlated between targets as
/// `Emulators::ensemble_correlation`).
#[derive(Clone, Debug, PartialEq)]
pub struct Predicted {
    pub means: Vec<f64>,
    pub independent: Vec<f64>,
    pub ensemble: Vec<f64>,
}

/// The outcome of history matching.
pub struct Matching {
    pub waves: Vec<Wave>,
    pub emulators: Vec<Arc<Emulators>>,
    /// Every run, with the wave (1, 2, ...) that made it.
    pub runs: Vec<(usize, Run)>,
    /// A box holding the non-implausible region, and points drawn uniformly from the region.
    pub region: Box,
    pub region_points: Vec<Vec<f64>>,
    pub cut: f64,
    pub observations: Vec<Observation>,
}

impl Matching {
    /// Whether each point passes every wave's cut.
    pub fn non_implausible(&self, points: &[Vec<f64>]) -> Vec<bool> {
        non_implausible(&self.emulators, &self.observations, self.cut, points)
    }

    /// The last wave's prediction at each point that passes every wave's cut (None for the
    /// others).
    pub fn predicted_inside(&self, points: &[Vec<f64>]) -> Vec<Option<Predicted>> {
        let (keep, alive, prediction) =
            non_implausible_predicted(&self.emulators, &self.observations, self.cut, points);
        let mut predicted = vec![None; points.len()];
        let Some(prediction) = prediction else {
            return predicted;
        };
        for (k, &i) in alive.iter().enumerate() {
            if keep[i] {
                let targets = 0..self.observations.len();
                predicted[i] = Some(Predicted {
                    means: targets.clone().map(|t| prediction.means[t][k]).collect(),
                    independent: targets
                        .clone()
                        .map(|t| {
                            self.observations[t].variance + prediction.emulator_variances[t][k]
                        })
                        .collect(),
                    ensemble: targets
                        .map(|t| prediction.ensemble_variances[t][k])
                        .collect(),
                });
            }
        }
        predicted
    }

    /// Matching with emulators fitted elsewhere (the check's, over the whole prior) against
    /// `observations`: the non-implausible region they leave in the unit cube, or None when
    /// none of `candidates` points is non-implausible.
    pub fn with_emulators(
        emulators: Vec<Arc<Emulators>>,
        observations: Vec<Observation>,
        cut: f64,
        candidates: usize,
        rng: &mut impl Rng,
    ) -> Option<Matching> {
        let dims = emulators.first()?.dims;
        let mut matching = Matching {
            waves: Vec::new(),
            emulators,
            runs: Vec::new(),
            region: Box::unit(dims),
            region_points: Vec::new(),
            cut,
            observations,
        };
        let (region, points, _) = region_after(&matching, candidates, rng);
        if points.is_empty() {
            return None;
        }
        matching.region = region;
        matching.region_points = points;
        Some(matching)
    }

    /// The last wave's emulators.
    pub fn last(&self) -> &Emulators {
        self.emulators
            .last()
            .expect("matching has at least one wave")
    }
}

fn non_implausible(
    emulators: &[Arc<Emulators>],
    observations: &[Observation],
    cut: f64,
    points: &[Vec<f64>],
) -> Vec<bool> {
    non_implausible_predicted(emulators, observations, cut, points).0
}

/// Whether each point passes every wave's cut, and the last wave's prediction at the points
/// that reached it (`alive`, in order; those that pass are among them).
fn non_implausible_predicted(
    emulators: &[Arc<Emulators>],
    observations: &[Observation],
    cut: f64,
    points: &[Vec<f64>],
) -> (Vec<bool>, Vec<usize>, Option<Prediction>) {
    let mut keep = vec![true; points.len()];
    let mut last = (Vec::new(), None);
    for wave in emulators {
        // Only the points every earlier wave kept.
        let alive: Vec<usize> = (0..points.len()).filter(|&i| keep[i]).collect();
        if alive.is_empty() {
            return (keep, Vec::new(), None);
        }
        let tested: Vec<Vec<f64>> = alive.iter().map(|&i| points[i].clone()).collect();
        let prediction = wave.predict(&tested);
        for (k, &i) in alive.iter().enumerate() {
            keep[i] = cut_measure(prediction.implausibilities(observations, k)) <= cut;
        }
        last = (alive, Some(prediction));
    }
    (keep, last.0, last.1)
}

/// Why matching stopped short.
#[derive(Debug)]
pub enum MatchError<E> {
    /// The simulator failed.
    Simulator(E),
    /// An emulator could not be fitted.
    Emulator(String),
    /// After `wave` no point was found non-implausible.
    Empty { wave: usize },
}

/// The simulator as matching calls it: `(wave, points)` to one run per point.
pub type Simulate<'a, E> = dyn FnMut(usize, &[Vec<f64>]) -> Result<Vec<Run>, E> + 'a;

/// Run waves of history matching. `simulate(wave, points)` runs the simulator at points of
/// the unit cube (wave counts from 1) and returns one `Run` per point, in order.
pub fn history_match<E>(
    settings: &Settings,
    observations: &[Observation],
    dims: usize,
    rng: &mut impl Rng,
    simulate: &mut Simulate<E>,
) -> Result<Matching, MatchError<E>> {
    let mut matching = Matching {
        waves: Vec::new(),
        emulators: Vec::new(),
        runs: Vec::new(),
        region: Box::unit(dims),
        region_points: Vec::new(),
        cut: settings.cut,
        observations: observations.to_vec(),
    };
    let mut volume = 1.0;
    let mut spent = 0;
    for wave in 1..=settings.max_waves {
        let design = if wave == 1 {
            latin_hypercube(settings.wave_runs, dims, rng)
        } else {
            let chosen = spread_subset(&matching.region_points, settings.wave_runs);
            chosen
                .iter()
                .map(|&i| matching.region_points[i].clone())
                .collect()
        };
        if spent + design.len() > settings.budget {
            break;
        }
        spent += design.len();
        let runs = simulate(wave, &design).map_err(MatchError::Simulator)?;
        matching
            .runs
            .extend(runs.into_iter().map(|run| (wave, run)));
        let (emulators, training, validation) = next_emulators(&matching, settings)?;
        matching.emulators.push(Arc::new(emulators));
        let (region, points, new_volume) = region_after(&matching, settings.candidates, rng);
        if points.is_empty() {
            return Err(MatchError::Empty { wave });
        }
        matching.region = region;
        matching.region_points = points;
        matching.waves.push(Wave {
            wave,
            runs: design.len(),
            training,
            volume: new_volume,
            validation,
        });
        let shrink = (volume - new_volume) / volume;
        volume = new_volume;
        if shrink < 0.1 {
            break;
        }
    }
    if matching.emulators.is_empty() {
        return Err(MatchError::Emulator(format!(
            "the budget ({} runs) is smaller than one wave ({} runs)",
            settings.budget, settings.wave_runs
        )));
    }
    Ok(matching)
}

/// Emulators for the next wave, trained on the runs the earlier waves left non-implausible
/// (at most `max_training`, spread out), with a validation on a fifth of them held out.
fn next_emulators<E>(
    matching: &Matching,
    settings: &Settings,
) -> Result<(Emulators, usize, Vec<Validation>), MatchError<E>> {
    let points: Vec<Vec<f64>> = matching.runs.iter().map(|(_, r)| r.point.clone()).collect();
    let inside = matching.non_implausible(&points);
    let mut available: Vec<&Run> = matching
        .runs
        .iter()
        .zip(&inside)
        .filter(|(_, inside)| **inside)
        .map(|((_, run), _)| run)
        .collect();
    if available.len() > settings.max_training {
        let candidates: Vec<Vec<f64>> = available.iter().map(|r| r.point.clone()).collect();
        let chosen = spread_subset(&candidates, settings.max_training);
        available = chosen.iter().map(|&i| available[i]).collect();
    }
    let validation = validate(&available, settings.replicates).map_err(MatchError::Emulator)?;
    let mut emulators =
        Emulators::fit(&available, settings.replicates).map_err(MatchError::Emulator)?;
    if settings.inflate {
        emulators.inflate(&validation);
    }
    Ok((emulators, available.len(), validation))
}

/// Fit on four fifths of `runs` and predict the rest (every fifth run).
pub fn validate(runs: &[&Run], replicates: usize) -> Result<Vec<Validation>, String> {
    let held: Vec<&Run> = runs.iter().copied().skip(4).step_by(5).collect();
    let kept: Vec<&Run> = runs
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| i % 5 != 4)
        .map(|(_, run)| run)
        .collect();
    let targets = runs.first().map_or(0, |r| r.means.len());
    if held.is_empty() || kept.len() < 3 {
        return Ok(Vec::new());
    }
    let emulators = Emulators::fit(&kept, replicates)?;
    let points: Vec<Vec<f64>> = held.iter().map(|r| r.point.clone()).collect();
    let prediction = emulators.predict(&points);
    Ok((0..targets)
        .map(|t| {
            // (error, emulator variance, ensemble variance) of every held-out run.
            let parts: Vec<(f64, f64, f64)> = held
                .iter()
                .enumerate()
                .map(|(i, run)| {
                    let error = run.means[t] - prediction.means[t][i];
                    let ensemble = run.variances[t] / replicates as f64;
                    (error, prediction.emulator_variances[t][i], ensemble)
                })
                .collect();
            let errors = standardized(&parts, 1.0);
            Validation {
                target: t,
                points: errors.len(),
                within_three: errors.iter().filter(|e| e.abs() <= 3.0).count(),
                rms_standardized: mean_square_standardized(&parts, 1.0).sqrt(),
                variance_scale: variance_scale(&parts),
            }
        })
        .collect())
}

/// The held-out errors standardized by √(s × emulator variance + ensemble variance).
fn standardized(parts: &[(f64, f64, f64)], s: f64) -> Vec<f64> {
    parts
        .iter()
        .map(|&(error, em, en)| error / (s * em + en).max(VARIANCE_FLOOR).sqrt())
        .collect()
}

/// The mean square of the errors standardized with factor `s` on the emulator variance.
fn mean_square_standardized(parts: &[(f64, f64, f64)], s: f64) -> f64 {
    let errors = standardized(parts, s);
    errors.iter().map(|e| e * e).sum::<f64>() / errors.len().max(1) as f64
}

/// The s ≥ 1 at which `mean_square_standardized` is 1, by bisection on a log scale (it falls
/// as s rises); 1 when it is at most 1 at s = 1, and at most 1e6 where the ensemble variance
/// alone leaves it above 1.
fn variance_scale(parts: &[(f64, f64, f64)]) -> f64 {
    const LARGEST: f64 = 1e6;
    if mean_square_standardized(parts, 1.0) <= 1.0 {
        return 1.0;
    }
    if mean_square_standardized(parts, LARGEST) > 1.0 {
        return LARGEST;
    }
    let (mut low, mut high) = (0.0f64, LARGEST.ln());
    for _ in 0..60 {
        let middle = 0.5 * (low + high);
        if mean_square_standardized(parts, middle.exp()) > 1.0 {
            low = middle;
        } else {
            high = middle;
        }
    }
    high.exp()
}

/// The region after the latest wave: candidates drawn uniformly in a box around the region
/// left before it, kept where every wave passes; the volume is the box's volume times the
/// share kept.
fn region_after(
    matching: &Matching,
    candidates: usize,
    rng: &mut impl Rng,
) -> (Box, Vec<Vec<f64>>, f64) {
    let dims = matching.region.low.len();
    let search = if matching.region_points.is_empty() {
        Box::unit(dims)
    } else {
        Box::around(&matching.region_points, dims, 0.1)
    };
    let count = candidates;
    let candidates: Vec<Vec<f64>> = (0..count).map(|_| search.sample(rng)).collect();
    let keep = matching.non_implausible(&candidates);
    let kept: Vec<Vec<f64>> = candidates
        .into_iter()
        .zip(&keep)
        .filter(|(_, keep)| **keep)
        .map(|(point, _)| point)
        .collect();
    let volume = search.volume() * kept.len() as f64 / count as f64;
    let region = if kept.is_empty() {
        search
    } else {
        Box::around(&kept, dims, 0.1)
    };
    (region, kept, volume)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variance_scale_makes_the_held_out_mean_square_one() {
        // Every error's square is 2 × the emulator variance + the ensemble variance, so the
        // emulator variance is understated by exactly 2.
        let parts: Vec<(f64, f64, f64)> = [(0.5, 0.1), (1.0, 0.3), (0.2, 0.05)]
            .iter()
            .enumerate()
            .map(|(k, &(em, en))| {
                let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                (sign * (2.0f64 * em + en).sqrt(), em, en)
            })
            .collect();
        assert!((mean_square_standardized(&parts, 2.0) - 1.0).abs() < 1e-12);
        assert!((variance_scale(&parts) - 2.0).abs() < 1e-9);
        // Errors within their variances need no scale.
        let small: Vec<(f64, f64, f64)> =
            parts.iter().map(|&(e, em, en)| (0.5 * e, em, en)).collect();
        assert_eq!(variance_scale(&small), 1.0);
    }

    #[test]
    fn inflated_emulators_scale_their_variance_and_keep_their_means() {
        // One target, a smooth response on a line of 12 points, with ensemble noise.
        let runs: Vec<Run> = (0..12)
            .map(|i| {
                let x = i as f64 / 11.0;
                Run {
                    point: vec![x],
                    means: vec![(3.0 * x).sin() + 0.01 * ((i * 7 % 5) as f64 - 2.0)],
                    variances: vec![0.01],
                    covariances: Vec::new(),
                }
            })
            .collect();
        let refs: Vec<&Run> = runs.iter().collect();
        let fitted = Emulators::fit(&refs, 8).unwrap();
        let mut inflated = Emulators::fit(&refs, 8).unwrap();
        let validation = Validation {
            target: 0,
            points: 2,
            within_three: 2,
            rms_standardized: 1.5,
            variance_scale: 3.0,
        };
        inflated.inflate(&[validation]);
        let points = vec![vec![0.33], vec![0.71]];
        let (a, b) = (fitted.predict(&points), inflated.predict(&points));
        assert_eq!(a.means, b.means);
        assert_eq!(a.ensemble_variances, b.ensemble_variances);
        for (x, y) in a.emulator_variances[0].iter().zip(&b.emulator_variances[0]) {
            assert_eq!(*y, 3.0 * x);
        }
    }

    #[test]
    fn replicate_moments_and_their_pooled_correlation() {
        let values = vec![
            vec![1.0, 2.0, 3.0],
            vec![2.0, 4.0, 6.0],
            vec![3.0, 1.0, 2.0],
        ];
        let (means, variances, covariances) = moments(&values);
        assert_eq!(means, vec![2.0, 4.0, 2.0]);
        assert_eq!(variances, vec![1.0, 4.0, 1.0]);
        // Pairs (0, 1), (0, 2), (1, 2).
        assert_eq!(covariances, vec![2.0, -0.5, -1.0]);
        let run = Run {
            point: vec![0.5],
            means,
            variances,
            covariances,
        };
        let correlation = pooled_correlation(&[&run, &run], 3);
        assert_eq!(correlation[0], vec![1.0, 1.0, -0.5]);
        assert_eq!(correlation[2], vec![-0.5, -0.5, 1.0]);
    }

    #[test]
    fn the_cut_measure_is_the_second_largest_with_three_targets_or_more() {
        assert_eq!(cut_measure(vec![1.0, 5.0]), 5.0);
        assert_eq!(cut_measure(vec![1.0, 5.0, 2.0]), 2.0);
        assert_eq!(cut_measure(vec![]), 0.0);
    }

    #[test]
    fn implausibility_divides_the_distance_by_every_variance() {
        let prediction = Prediction {
            means: vec![vec![1.0]],
            emulator_variances: vec![vec![0.5]],
            ensemble_variances: vec![vec![0.25]],
        };
        let z = [Observation {
            value: 3.0,
            variance: 0.25,
        }];
        assert_eq!(prediction.implausibilities(&z, 0), vec![2.0]);
    }
}
