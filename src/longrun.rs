//! Long-run means of simulation output series, as plain numbers: MSER-5 truncation of the
//! warm-up (White 1997; White, Cobb & Spratt 2000; Hoad, Robinson & Davies 2010), the
//! Heidelberger–Welch stationarity test (Heidelberger & Welch 1983, as coda's `heidel.diag`
//! computes it, with the spectral density at zero of an autoregressive fit as coda's
//! `spectrum0.ar`), the batch-means standard error of a mean (Schmeiser 1982), and the
//! relaxation times of a series from a fit of up to two exponential modes. `assess` combines
//! them into the stopping rule of `run.until_settled` (docs/MODEL.md section 7.11).

/// Observations per batch of MSER-5.
pub const MSER_BATCH: usize = 5;
/// Batches MSER keeps at least (truncation points later than this are not searched).
pub const MSER_MIN_KEPT: usize = 10;
/// Batches of the batch-means standard error.
pub const SE_BATCHES: usize = 20;
/// The precision of a long-run mean is never asked to be finer than this.
pub const PRECISION_FLOOR: f64 = 0.002;
/// Level of the stationarity test over all replicates (Bonferroni: each at this / R).
pub const STATIONARITY_LEVEL: f64 = 0.05;

/// Means of consecutive batches of `size` observations (a last, incomplete batch is left out).
pub fn batch_means(series: &[f64], size: usize) -> Vec<f64> {
    series
        .chunks_exact(size.max(1))
        .map(|batch| batch.iter().sum::<f64>() / batch.len() as f64)
        .collect()
}

/// MSER truncation point of a series of batch means: the d in 0..=k − `MSER_MIN_KEPT` that
/// minimises Σ_{j ≥ d} (Z_j − Z̄_d)² / (k − d)² (ties: the smallest d); None when fewer than
/// `MSER_MIN_KEPT` batches exist.
pub fn mser_truncation(batches: &[f64]) -> Option<usize> {
    let k = batches.len();
    if k < MSER_MIN_KEPT {
        return None;
    }
    // Suffix sums of values and squares, so each candidate costs O(1).
    let (mut sum, mut squares) = (0.0, 0.0);
    let mut best = (f64::INFINITY, 0);
    let mut statistics = vec![0.0; k - MSER_MIN_KEPT + 1];
    for d in (0..k).rev() {
        sum += batches[d];
        squares += batches[d] * batches[d];
        if d < statistics.len() {
            let kept = (k - d) as f64;
            let deviations = (squares - sum * sum / kept).max(0.0);
            statistics[d] = deviations / (kept * kept);
        }
    }
    for (d, statistic) in statistics.iter().enumerate() {
        if *statistic < best.0 {
            best = (*statistic, d);
        }
    }
    Some(best.1)
}

/// The spectral density at frequency zero of a series (the variance of its mean times n, for
/// large n), from an autoregressive model fitted by Yule–Walker with the order chosen by AIC
/// up to min(n − 1, 10·log10 n): R's `ar()` as coda's `spectrum0.ar` uses it.
pub fn spectrum_at_zero(series: &[f64]) -> f64 {
    let n = series.len();
    if n < 2 {
        return 0.0;
    }
    let mean = series.iter().sum::<f64>() / n as f64;
    let most = ((10.0 * (n as f64).log10()).floor() as usize).min(n - 1);
    let autocovariance: Vec<f64> = (0..=most)
        .map(|lag| {
            (0..n - lag)
                .map(|t| (series[t] - mean) * (series[t + lag] - mean))
                .sum::<f64>()
                / n as f64
        })
        .collect();
    if autocovariance[0] <= 0.0 {
        return 0.0;
    }
    let (order, coefficients, innovations) = yule_walker_aic(&autocovariance, n);
    // R's ar.yw scales the innovations variance by n / (n − (order + 1)).
    let variance = innovations * n as f64 / (n - (order + 1)).max(1) as f64;
    let sum: f64 = coefficients.iter().sum();
    variance / ((1.0 - sum) * (1.0 - sum))
}

/// Levinson–Durbin recursion over the orders 0..=most; the order with the least AIC
/// (n·ln σ²_p + 2p), its coefficients and its innovations variance.
fn yule_walker_aic(autocovariance: &[f64], n: usize) -> (usize, Vec<f64>, f64) {
    let aic = |variance: f64, order: usize| n as f64 * variance.ln() + 2.0 * order as f64;
    let mut coefficients: Vec<f64> = Vec::new();
    let mut variance = autocovariance[0];
    let mut best = (aic(variance, 0), 0, Vec::new(), variance);
    for p in 1..autocovariance.len() {
        let projection: f64 = (1..p)
            .map(|j| coefficients[j - 1] * autocovariance[p - j])
            .sum();
        let reflection = (autocovariance[p] - projection) / variance;
        let previous = coefficients.clone();
        for j in 1..p {
            coefficients[j - 1] = previous[j - 1] - reflection * previous[p - j - 1];
        }
        coefficients.push(reflection);
        variance *= 1.0 - reflection * reflection;
        if variance <= 0.0 {
            break;
        }
        let criterion = aic(variance, p);
        if criterion < best.0 {
            best = (criterion, p, coefficients.clone(), variance);
        }
    }
    (best.1, best.2, best.3)
}

/// The Cramér–von Mises statistic of the Heidelberger–Welch test: the mean of B(k/n)² for the
/// Brownian bridge B built from the partial sums of the series, scaled by its spectral
/// density at zero estimated from its second half (as `heidel.diag` does).
pub fn heidelberger_welch(series: &[f64]) -> f64 {
    let n = series.len();
    if n < 4 {
        return f64::INFINITY;
    }
    let density = spectrum_at_zero(&series[n / 2..]);
    if density <= 0.0 {
        // A constant tail: stationary only if the whole series is that constant.
        let first = series[n / 2];
        return if series.iter().all(|value| *value == first) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mean = series.iter().sum::<f64>() / n as f64;
    let mut partial = 0.0;
    let mut total = 0.0;
    for (k, value) in series.iter().enumerate() {
        partial += value;
        let bridge = partial - mean * (k + 1) as f64;
        total += bridge * bridge / (n as f64 * density);
    }
    total / n as f64
}

/// P(W² ≤ q) for the Cramér–von Mises ω² distribution of a Brownian bridge (Anderson &
/// Darling 1952; the four-term series of coda's `pcramer`).
pub fn cramer_von_mises_cdf(q: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    let root_pi = std::f64::consts::PI.sqrt();
    // Γ(k + 1/2) / Γ(k + 1) for k = 0..3.
    let ratios = [
        root_pi,
        root_pi / 2.0,
        3.0 * root_pi / 8.0,
        15.0 * root_pi / 48.0,
    ];
    let mut total = 0.0;
    for (k, ratio) in ratios.iter().enumerate() {
        let u = ((4 * k + 1) * (4 * k + 1)) as f64 / (16.0 * q);
        if u > 11.5 {
            continue; // exp(−u) below 1e−5, as pcramer's eps
        }
        let z = ratio * ((4 * k + 1) as f64).sqrt() / (std::f64::consts::PI.powf(1.5) * q.sqrt());
        total += z * (-u).exp() * bessel_k_quarter(u);
    }
    total
}

/// The modified Bessel function K_{1/4}(x) for x > 0, from K_ν(x) = ∫_0^∞ e^{−x cosh t}
/// cosh(νt) dt by Simpson's rule.
fn bessel_k_quarter(x: f64) -> f64 {
    let end = (60.0 / x + 1.0).acosh();
    let intervals = 4000;
    let h = end / intervals as f64;
    let f = |t: f64| (-x * t.cosh()).exp() * (0.25 * t).cosh();
    let mut sum = f(0.0) + f(end);
    for i in 1..intervals {
        sum += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// Standard error of the mean of a series from `SE_BATCHES` non-overlapping batch means (the
/// first observations left out when the length is not a multiple); None below 2 per batch.
pub fn batch_means_se(series: &[f64]) -> Option<f64> {
    let size = series.len() / SE_BATCHES;
    if size < 2 {
        return None;
    }
    let batches = batch_means(&series[series.len() - size * SE_BATCHES..], size);
    let mean = batches.iter().sum::<f64>() / SE_BATCHES as f64;
    let variance =
        batches.iter().map(|b| (b - mean) * (b - mean)).sum::<f64>() / (SE_BATCHES - 1) as f64;
    Some((variance / SE_BATCHES as f64).sqrt())
}

/// A fit of a + Σ b_i·exp(−t/τ_i) (one or two modes) to a series.
#[derive(Clone, Debug, PartialEq)]
pub struct Relaxation {
    /// The asymptote a.
    pub asymptote: f64,
    /// (τ, b) of each mode, fastest first.
    pub modes: Vec<(f64, f64)>,
}

impl Relaxation {
    /// The slowest mode whose amplitude exceeds `tolerance`: its τ (0 when none does).
    pub fn slowest_above(&self, tolerance: f64) -> f64 {
        self.modes
            .iter()
            .filter(|(_, amplitude)| amplitude.abs() > tolerance)
            .map(|(tau, _)| *tau)
            .fold(0.0, f64::max)
    }
}

/// Points the relaxation fit uses at most (the series is averaged in batches down to this).
const FIT_POINTS: usize = 1000;
/// Time constants tried per factor e on the coarse grid.
const GRID_PER_E: f64 = 5.0;

/// Least-squares fit of a + b₁·exp(−t/τ₁) + b₂·exp(−t/τ₂) (τ₁ ≤ τ₂; one mode when τ₁ = τ₂)
/// by variable projection: for given time constants the rest is linear; the time constants
/// are searched on a logarithmic grid from one batch to 20 series lengths, then on a grid
/// five times finer around the best pair. None for fewer than 8 points.
pub fn fit_relaxation(series: &[f64]) -> Option<Relaxation> {
    let (values, times, size) = compressed(series)?;
    let low = (size as f64).ln();
    let high = (20.0 * series.len() as f64).ln();
    let step = 1.0 / GRID_PER_E;
    let count = ((high - low) / step).ceil() as usize + 1;
    let grid: Vec<f64> = (0..count).map(|i| low + i as f64 * step).collect();
    let mut best = search_pairs(&values, &times, &grid, &grid)?;
    let fine = |centre: f64| -> Vec<f64> {
        (-5..=5)
            .map(|i| (centre + i as f64 * step / 5.0).clamp(low, high))
            .collect()
    };
    if let Some(refined) = search_pairs(&values, &times, &fine(best.1), &fine(best.2)) {
        if refined.0 <= best.0 {
            best = refined;
        }
    }
    let (_, log_fast, log_slow, coefficients) = best;
    let mut modes = vec![(log_fast.exp(), coefficients[1])];
    if log_slow > log_fast {
        modes.push((log_slow.exp(), coefficients[2]));
    }
    Some(Relaxation {
        asymptote: coefficients[0],
        modes,
    })
}

/// A series averaged in batches to at most `FIT_POINTS` values, the time of each batch's
/// centre, and the batch size; None below 8 values.
fn compressed(series: &[f64]) -> Option<(Vec<f64>, Vec<f64>, usize)> {
    let size = series.len().div_ceil(FIT_POINTS).max(1);
    let values = batch_means(series, size);
    if values.len() < 8 {
        return None;
    }
    let times = (0..values.len())
        .map(|i| (i as f64 + 0.5) * size as f64 - 0.5)
        .collect();
    Some((values, times, size))
}

/// The relaxation time that counts for the rule: the slowest mode of the fit to the
/// replicate-mean series whose amplitude exceeds `tolerance` and, with two replicates or more,
/// is shared by the replicates: fitted to each replicate with the same time constants, its
/// amplitudes' mean differs from 0 by more than the t-based 95% half-width across replicates
/// (slow fluctuations of single replicates average out; a relaxation does not). 0: none.
pub fn relaxation_time(replicates: &[&[f64]], fit: &Relaxation, tolerance: f64) -> f64 {
    let log_taus: Vec<f64> = fit.modes.iter().map(|(tau, _)| tau.ln()).collect();
    let (fast, slow) = (log_taus[0], *log_taus.last().expect("a mode"));
    let amplitudes: Vec<[f64; 3]> = replicates
        .iter()
        .filter_map(|series| {
            let (values, times, _) = compressed(series)?;
            linear_fit(&values, &times, fast, slow).map(|(_, c)| c)
        })
        .collect();
    let shared = |mode: usize| {
        let count = amplitudes.len();
        if count < 2 {
            return true;
        }
        let values: Vec<f64> = amplitudes.iter().map(|c| c[mode + 1]).collect();
        let mean = values.iter().sum::<f64>() / count as f64;
        let variance =
            values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1) as f64;
        let half_width =
            crate::stats::student_t_quantile_975(count - 1) * (variance / count as f64).sqrt();
        mean.abs() > half_width
    };
    fit.modes
        .iter()
        .enumerate()
        .filter(|(mode, (_, amplitude))| amplitude.abs() > tolerance && shared(*mode))
        .map(|(_, (tau, _))| *tau)
        .fold(0.0, f64::max)
}

type Candidate = (f64, f64, f64, [f64; 3]);

/// The pair of log time constants (first ≤ second) with the least squared error.
fn search_pairs(
    values: &[f64],
    times: &[f64],
    firsts: &[f64],
    seconds: &[f64],
) -> Option<Candidate> {
    let mut best: Option<Candidate> = None;
    for &fast in firsts {
        for &slow in seconds.iter().filter(|slow| **slow >= fast) {
            let Some((error, coefficients)) = linear_fit(values, times, fast, slow) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| error < b.0) {
                best = Some((error, fast, slow, coefficients));
            }
        }
    }
    best
}

/// Least squares of values on (1, e^{−t/τ₁}, e^{−t/τ₂}) (the last left out when τ₁ = τ₂):
/// the squared error and the coefficients.
fn linear_fit(
    values: &[f64],
    times: &[f64],
    log_fast: f64,
    log_slow: f64,
) -> Option<(f64, [f64; 3])> {
    let two = log_slow > log_fast;
    let columns = if two { 3 } else { 2 };
    let (fast, slow) = (log_fast.exp(), log_slow.exp());
    let row = |t: f64| {
        [
            1.0,
            (-t / fast).exp(),
            if two { (-t / slow).exp() } else { 0.0 },
        ]
    };
    let mut normal = [[0.0; 3]; 3];
    let mut right = [0.0; 3];
    for (value, t) in values.iter().zip(times) {
        let x = row(*t);
        for i in 0..columns {
            right[i] += x[i] * value;
            for j in 0..columns {
                normal[i][j] += x[i] * x[j];
            }
        }
    }
    let coefficients = solve(&mut normal, &mut right, columns)?;
    let error = values
        .iter()
        .zip(times)
        .map(|(value, t)| {
            let x = row(*t);
            let fitted: f64 = (0..columns).map(|i| x[i] * coefficients[i]).sum();
            (value - fitted) * (value - fitted)
        })
        .sum();
    Some((error, coefficients))
}

/// Gaussian elimination with partial pivoting on the first `n` rows; None when singular.
fn solve(a: &mut [[f64; 3]; 3], b: &mut [f64; 3], n: usize) -> Option<[f64; 3]> {
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    for column in 0..n {
        let pivot =
            (column..n).max_by(|x, y| a[*x][column].abs().total_cmp(&a[*y][column].abs()))?;
        if a[pivot][column].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(column, pivot);
        b.swap(column, pivot);
        for row in column + 1..n {
            let factor = a[row][column] / a[column][column];
            let pivot_row = a[column];
            for (target, source) in a[row][column..n].iter_mut().zip(&pivot_row[column..n]) {
                *target -= factor * source;
            }
            b[row] -= factor * b[column];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..n).rev() {
        let known: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - known) / a[row][row];
    }
    Some(x)
}

/// The stopping rule's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Relative precision asked of the long-run mean (the tolerance is
    /// max(precision·|mean|, `PRECISION_FLOOR`)).
    pub precision: f64,
    /// Relaxation times of the slowest mode above the tolerance that the warm-up covers.
    pub relaxations: f64,
}

/// Why a series is not yet long enough.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shortfall {
    /// MSER-5 truncates in the second half (or there are too few batches).
    WarmUp { truncation: usize },
    /// The warm-up that covers the relaxation time does not fit in the first half.
    Relaxation { tau: f64 },
    /// A replicate's retained series fails the Heidelberger–Welch test.
    NotStationary { replicate: usize, p: f64 },
    /// The batch-means standard error is above the tolerance.
    Imprecise { se: f64, tolerance: f64 },
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shortfall::WarmUp { truncation } => write!(
                f,
                "the MSER-5 warm-up ({truncation} steps) is not in the first half of the run"
            ),
            Shortfall::Relaxation { tau } => write!(
                f,
                "the warm-up that covers the relaxation time ({tau:.0} steps) does not fit in the first half of the run"
            ),
            Shortfall::NotStationary { replicate, p } => write!(
                f,
                "replicate {replicate} fails the Heidelberger-Welch stationarity test (p = {p:.3})"
            ),
            Shortfall::Imprecise { se, tolerance } => write!(
                f,
                "the standard error of the long-run mean ({se:.4}) is above the precision asked ({tolerance:.4})"
            ),
        }
    }
}

/// What the rule finds in a set of replicates' series of equal length.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// Observations discarded as warm-up.
    pub truncation: usize,
    /// Mean over replicates and retained observations.
    pub mean: f64,
    /// Batch-means standard error of `mean` (from the replicate-mean series).
    pub se: Option<f64>,
    /// Relaxation time of the slowest mode above the tolerance (0: none).
    pub relaxation: f64,
    /// None when the series are long enough.
    pub shortfall: Option<Shortfall>,
}

/// Apply the rule to the replicates' series (equal lengths): MSER-5 on the replicate-mean
/// series, a warm-up covering `relaxations` relaxation times of its slowest mode above the
/// tolerance that the replicates share (`relaxation_time`), both in the first half; each replicate's retained part passing the
/// Heidelberger–Welch test at level 0.05/R; the batch-means standard error of the retained
/// mean within the tolerance.
pub fn assess(replicates: &[&[f64]], rule: &Rule) -> Assessment {
    let n = replicates.iter().map(|r| r.len()).min().unwrap_or(0);
    let count = replicates.len().max(1) as f64;
    let ensemble: Vec<f64> = (0..n)
        .map(|t| replicates.iter().map(|r| r[t]).sum::<f64>() / count)
        .collect();
    let mser = mser_truncation(&batch_means(&ensemble, MSER_BATCH)).map(|d| d * MSER_BATCH);
    let provisional = ensemble[mser.unwrap_or(0).min(n)..].iter().sum::<f64>()
        / (n - mser.unwrap_or(0).min(n)).max(1) as f64;
    let tolerance = (rule.precision * provisional.abs()).max(PRECISION_FLOOR);
    let relaxation =
        fit_relaxation(&ensemble).map_or(0.0, |fit| relaxation_time(replicates, &fit, tolerance));
    let covering = (rule.relaxations * relaxation).ceil() as usize;
    let truncation = mser.unwrap_or(n).max(covering).min(n);
    let retained = &ensemble[truncation..];
    let mean = retained.iter().sum::<f64>() / retained.len().max(1) as f64;
    let se = batch_means_se(retained);
    let mut assessment = Assessment {
        truncation,
        mean,
        se,
        relaxation,
        shortfall: None,
    };
    assessment.shortfall = shortfall(replicates, &assessment, mser, covering, n, rule);
    assessment
}

/// The first criterion the series fail, in the order of `assess`'s description.
fn shortfall(
    replicates: &[&[f64]],
    found: &Assessment,
    mser: Option<usize>,
    covering: usize,
    n: usize,
    rule: &Rule,
) -> Option<Shortfall> {
    let half = n / 2;
    match mser {
        Some(truncation) if truncation <= half => {}
        _ => {
            return Some(Shortfall::WarmUp {
                truncation: mser.unwrap_or(n),
            })
        }
    }
    if covering > half {
        return Some(Shortfall::Relaxation {
            tau: found.relaxation,
        });
    }
    let level = STATIONARITY_LEVEL / replicates.len().max(1) as f64;
    for (replicate, series) in replicates.iter().enumerate() {
        let retained = batch_means(&series[found.truncation..n], MSER_BATCH);
        let p = 1.0 - cramer_von_mises_cdf(heidelberger_welch(&retained));
        if p < level {
            return Some(Shortfall::NotStationary { replicate, p });
        }
    }
    let tolerance = (rule.precision * found.mean.abs()).max(PRECISION_FLOOR);
    match found.se {
        Some(se) if se <= tolerance => None,
        se => Some(Shortfall::Imprecise {
            se: se.unwrap_or(f64::INFINITY),
            tolerance,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cramer_von_mises_quantiles() {
        // Anderson & Darling (1952), table of the ω² distribution.
        for (q, p) in [(0.34730, 0.90), (0.46136, 0.95), (0.74346, 0.99)] {
            assert!(
                (cramer_von_mises_cdf(q) - p).abs() < 2e-4,
                "{q}: {}",
                cramer_von_mises_cdf(q)
            );
        }
    }

    #[test]
    fn mser_finds_a_step_change() {
        let mut batches = vec![1.0; 10];
        batches.extend(vec![0.0; 90]);
        assert_eq!(mser_truncation(&batches), Some(10));
        assert_eq!(mser_truncation(&[0.5; 9]), None);
        assert_eq!(mser_truncation(&[0.5; 40]), Some(0));
    }

    #[test]
    fn spectrum_of_white_noise_and_of_ar1() {
        // A deterministic sequence with the autocovariance of an AR(1) is fitted exactly.
        let mut x = vec![0.0f64; 4000];
        let mut state = 12345u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for t in 1..x.len() {
            x[t] = 0.8 * x[t - 1] + uniform();
        }
        // Innovations have variance 1/12; S(0) = (1/12) / (1 − 0.8)² ≈ 2.083.
        let s = spectrum_at_zero(&x);
        assert!((s - 2.083).abs() < 0.4, "{s}");
    }

    #[test]
    fn batch_means_se_of_a_constant_is_zero() {
        assert!(batch_means_se(&[0.3; 100]).unwrap() < 1e-15);
        assert_eq!(batch_means_se(&[0.3; 39]), None);
    }

    #[test]
    fn relaxation_fit_recovers_two_modes() {
        let series: Vec<f64> = (0..6000)
            .map(|t| 0.3 + 0.2 * (-(t as f64) / 30.0).exp() + 0.05 * (-(t as f64) / 700.0).exp())
            .collect();
        let fit = fit_relaxation(&series).unwrap();
        assert!((fit.asymptote - 0.3).abs() < 1e-3, "{fit:?}");
        let slow = fit.slowest_above(0.01);
        assert!((slow / 700.0 - 1.0).abs() < 0.05, "{fit:?}");
        // Below the tolerance the slow mode does not count.
        assert!(fit.slowest_above(0.06) < 100.0, "{fit:?}");
    }

    /// A deterministic standard normal sequence (Box–Muller on a 64-bit LCG).
    fn normals(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            let mut uniform = || {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            };
            let (u, v) = (uniform(), uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
    }

    /// `replicates` series of `n` steps: level + amplitude·exp(−t/τ) + AR(1) noise
    /// (coefficient 0.9, innovations sd `noise`).
    fn synthetic(replicates: u64, n: usize, amplitude: f64, tau: f64, noise: f64) -> Vec<Vec<f64>> {
        (0..replicates)
            .map(|r| {
                let mut normal = normals(1000 + r);
                let mut ar = 0.0;
                (0..n)
                    .map(|t| {
                        ar = 0.9 * ar + noise * normal();
                        0.25 + amplitude * (-(t as f64) / tau).exp() + ar
                    })
                    .collect()
            })
            .collect()
    }

    const RULE: Rule = Rule {
        precision: 0.02,
        relaxations: 5.0,
    };

    /// The rule applied at 200·2^j steps, as `run.until_settled` applies it.
    fn first_long_enough(series: &[Vec<f64>]) -> (usize, Assessment) {
        let mut n = 200;
        loop {
            let views: Vec<&[f64]> = series.iter().map(|s| &s[..n]).collect();
            let found = assess(&views, &RULE);
            if found.shortfall.is_none() || 2 * n > series[0].len() {
                return (n, found);
            }
            n *= 2;
        }
    }

    #[test]
    fn a_slow_transient_is_discarded_and_the_bias_is_within_the_precision() {
        // A transient of 0.1 relaxing with τ = 600 steps under AR(1) noise.
        let series = synthetic(8, 204_800, 0.1, 600.0, 0.002);
        let (n, found) = first_long_enough(&series);
        assert!(found.shortfall.is_none(), "{found:?}");
        // At least three relaxation times of the transient are discarded.
        assert!(found.truncation >= 1800, "{found:?} at {n}");
        let tolerance = 0.02 * 0.25;
        assert!((found.mean - 0.25).abs() <= tolerance, "{found:?} at {n}");
        assert!((found.relaxation / 600.0 - 1.0).abs() < 0.25, "{found:?}");
    }

    #[test]
    fn a_stationary_series_is_hardly_truncated() {
        let series = synthetic(8, 204_800, 0.0, 1.0, 0.002);
        let (n, found) = first_long_enough(&series);
        assert!(n <= 800, "{found:?} at {n}");
        assert!(found.shortfall.is_none(), "{found:?}");
        assert!(found.truncation <= n / 4, "{found:?} at {n}");
        assert!((found.mean - 0.25).abs() <= 0.005, "{found:?}");
    }

    #[test]
    fn a_series_that_never_settles_is_reported() {
        // A steady upward drift (0.02 every 200 steps): never long enough.
        let series: Vec<Vec<f64>> = synthetic(4, 51_200, 0.0, 1.0, 0.002)
            .into_iter()
            .map(|s| {
                s.iter()
                    .enumerate()
                    .map(|(t, v)| v + t as f64 * 1e-4)
                    .collect()
            })
            .collect();
        let (_, found) = first_long_enough(&series);
        assert!(found.shortfall.is_some(), "{found:?}");
    }
}
