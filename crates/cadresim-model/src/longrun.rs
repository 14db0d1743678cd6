//! Long-run means of simulation output series, as plain numbers: MSER-5 truncation of the
//! warm-up (White 1997; White, Cobb & Spratt 2000; Hoad, Robinson & Davies 2010), the
//! Heidelberger–Welch stationarity test (Heidelberger & Welch 1983, as coda's `heidel.diag`
//! computes it, with the spectral density at zero of an autoregressive fit as coda's
//! `spectrum0.ar`), the batch-means standard error of a mean (Schmeiser 1982), and the
//! relaxation times of a series from a fit of up to two exponential modes. `assess` combines
//! them into the stopping rule of `run.until_settled` (docs/MODEL.md §7.11).

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

    /// The modes' contribution to the mean of observations `from..to` (exact geometric sums
    /// of b·exp(−t/τ) over the integer times).
    pub fn bias(&self, from: usize, to: usize) -> f64 {
        if to <= from {
            return 0.0;
        }
        let count = (to - from) as f64;
        self.modes
            .iter()
            .map(|&(tau, amplitude)| {
                let ratio = (-1.0 / tau).exp();
                let sum =
                    ((-(from as f64) / tau).exp() - (-(to as f64) / tau).exp()) / (1.0 - ratio);
                amplitude * sum / count
            })
            .sum()
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

/// The modes of `fit` (to the replicate-mean series) that the replicates share: with two
/// replicates or more, fitted to each replicate with the same time constants, the mode's
/// amplitudes have a mean that differs from 0 by more than the t-based 95% half-width
/// across replicates (slow fluctuations of single replicates average out; a relaxation does
/// not). With one replicate every mode counts.
pub fn shared_modes(replicates: &[&[f64]], fit: &Relaxation) -> Relaxation {
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
    Relaxation {
        asymptote: fit.asymptote,
        modes: fit
            .modes
            .iter()
            .enumerate()
            .filter(|(mode, _)| shared(*mode))
            .map(|(_, mode)| *mode)
            .collect(),
    }
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
    /// max(precision·|mean|, `PRECISION_FLOOR`); 0 when the precision is 0, which no
    /// noisy series meets): the standard error at most the tolerance, the fitted
    /// relaxation's remaining bias and the drift between doublings at most half of it.
    pub precision: f64,
}

/// Why a series is not yet long enough.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shortfall {
    /// MSER-5 truncates in the second half (or there are too few batches).
    WarmUp { truncation: usize },
    /// With any warm-up in the first half, the fitted relaxation (slowest mode τ) would still
    /// bias the retained mean by `bias`, more than `allowed`.
    Relaxation { tau: f64, bias: f64, allowed: f64 },
    /// The mean of the run's second half differs from that of the quarter before it by
    /// `drift`, more than half the tolerance: the series is still moving.
    Drift { drift: f64, allowed: f64 },
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
            Shortfall::Relaxation { tau, bias, allowed } => write!(
                f,
                "the fitted relaxation (slowest time {tau:.0} steps) would still shift the long-run mean by {bias:.4}, more than the {allowed:.4} allowed, after any warm-up in the first half of the run"
            ),
            Shortfall::Drift { drift, allowed } => write!(
                f,
                "the mean of the run's second half differs from that of the quarter before it by {drift:.4}, more than the {allowed:.4} allowed"
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
    /// Relaxation time of the slowest shared mode above the tolerance (0: none).
    pub relaxation: f64,
    /// The shared modes' fitted contribution to `mean` (0 without a fit).
    pub bias: f64,
    /// max(precision·|mean after the MSER warm-up|, `PRECISION_FLOOR`); 0 at precision 0.
    pub tolerance: f64,
    /// None when the series are long enough.
    pub shortfall: Option<Shortfall>,
}

/// Apply the rule to the replicates' series (equal lengths n). On the replicate-mean series:
/// MSER-5 chooses the least warm-up d; a fit of up to two exponential modes, kept where the
/// replicates share them (`shared_modes`), gives the warm-up B ≥ d, the first (in steps of
/// one MSER batch) whose retained mean the fitted modes shift by at most half the tolerance.
/// The series are long enough when d and B lie in the first half, the mean of the second half
/// differs from that of the quarter before it by at most half the tolerance (a relaxation too slow
/// for the fit to see still shows as drift between doublings), every replicate's retained
/// part passes the Heidelberger–Welch test at level 0.05/R (`stationary_from`, which may
/// move the warm-up to 10%, ..., 50% of the run), and the batch-means standard error of the
/// retained mean is within the tolerance.
pub fn assess(replicates: &[&[f64]], rule: &Rule) -> Assessment {
    let n = replicates.iter().map(|r| r.len()).min().unwrap_or(0);
    let count = replicates.len().max(1) as f64;
    let ensemble: Vec<f64> = (0..n)
        .map(|t| replicates.iter().map(|r| r[t]).sum::<f64>() / count)
        .collect();
    let mser = mser_truncation(&batch_means(&ensemble, MSER_BATCH)).map(|d| d * MSER_BATCH);
    let from = mser.unwrap_or(n).min(n);
    let tolerance = if rule.precision > 0.0 {
        (rule.precision * mean(&ensemble[from..]).abs()).max(PRECISION_FLOOR)
    } else {
        0.0
    };
    let modes = fit_relaxation(&ensemble).map(|fit| shared_modes(replicates, &fit));
    let relaxation = modes.as_ref().map_or(0.0, |m| m.slowest_above(tolerance));
    let bias_from = |b: usize| modes.as_ref().map_or(0.0, |m| m.bias(b, n));
    let unbiased = (from..=n / 2)
        .step_by(MSER_BATCH)
        .find(|&b| bias_from(b).abs() <= tolerance / 2.0);
    let mut truncation = unbiased.unwrap_or(from.max(n / 2)).min(n);
    let drift = mean(&ensemble[n / 2..]) - mean(&ensemble[n / 4..n / 2]);
    let mut shortfall = match (mser, unbiased) {
        (Some(d), _) if d > n / 2 => Some(Shortfall::WarmUp { truncation: d }),
        (None, _) => Some(Shortfall::WarmUp { truncation: n }),
        (_, None) => Some(Shortfall::Relaxation {
            tau: relaxation,
            bias: bias_from(truncation).abs(),
            allowed: tolerance / 2.0,
        }),
        _ if drift.abs() > tolerance / 2.0 => Some(Shortfall::Drift {
            drift: drift.abs(),
            allowed: tolerance / 2.0,
        }),
        _ => None,
    };
    if shortfall.is_none() {
        match stationary_from(replicates, truncation) {
            Ok(start) => truncation = start,
            Err((replicate, p)) => shortfall = Some(Shortfall::NotStationary { replicate, p }),
        }
    }
    let retained = &ensemble[truncation..];
    let se = batch_means_se(retained);
    if shortfall.is_none() && !se.is_some_and(|se| se <= tolerance) {
        shortfall = Some(Shortfall::Imprecise {
            se: se.unwrap_or(f64::INFINITY),
            tolerance,
        });
    }
    Assessment {
        truncation,
        mean: mean(retained),
        se,
        relaxation,
        bias: bias_from(truncation),
        tolerance,
        shortfall,
    }
}

/// Heidelberger and Welch's own procedure on every replicate's batch means from `start`:
/// the Cramér–von Mises test at level 0.05/R, repeated from 10%, 20%, ..., 50% of the run
/// (those after `start`) until every replicate passes, as coda's `heidel.diag` discards up to
/// half of a chain. The first step kept, or the replicate that fails last and its p-value.
fn stationary_from(replicates: &[&[f64]], start: usize) -> Result<usize, (usize, f64)> {
    let n = replicates.iter().map(|r| r.len()).min().unwrap_or(0);
    let level = STATIONARITY_LEVEL / replicates.len().max(1) as f64;
    let later = (1..=5)
        .map(|tenth| n * tenth / 10)
        .filter(|&from| from > start);
    let mut failed = (0, 0.0);
    for from in std::iter::once(start).chain(later) {
        let failing = replicates
            .iter()
            .enumerate()
            .find_map(|(replicate, series)| {
                let batches = batch_means(&series[from..n], MSER_BATCH);
                let p = 1.0 - cramer_von_mises_cdf(heidelberger_welch(&batches));
                (p < level).then_some((replicate, p))
            });
        match failing {
            None => return Ok(from),
            Some(failure) => failed = failure,
        }
    }
    Err(failed)
}

/// The run length after which the rule is applied next: from a first length L on, L·2^k
/// and 1.5·L·2^k alternately (200, 300, 400, 600, 800, ...), so that a run is at most 50%
/// longer than the rule needs.
pub fn next_check(length: u64, first: u64) -> u64 {
    let doubling = length.is_multiple_of(first) && (length / first).is_power_of_two();
    if doubling {
        length * 3 / 2
    } else {
        length * 4 / 3
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
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

    const RULE: Rule = Rule { precision: 0.02 };

    /// The rule applied at the lengths `run.until_settled` applies it at (200, 300, 400, ...).
    fn first_long_enough(series: &[Vec<f64>]) -> (usize, Assessment) {
        let mut n = 200;
        loop {
            let views: Vec<&[f64]> = series.iter().map(|s| &s[..n]).collect();
            let found = assess(&views, &RULE);
            let next = next_check(n as u64, 200) as usize;
            if found.shortfall.is_none() || next > series[0].len() {
                return (n, found);
            }
            n = next;
        }
    }

    #[test]
    fn checks_come_at_one_and_one_and_a_half_times_powers_of_two() {
        let mut lengths = vec![200];
        while lengths.len() < 9 {
            lengths.push(next_check(*lengths.last().unwrap(), 200));
        }
        assert_eq!(lengths, [200, 300, 400, 600, 800, 1200, 1600, 2400, 3200]);
    }

    #[test]
    fn the_bias_of_a_mode_is_its_exact_mean() {
        let fit = Relaxation {
            asymptote: 0.0,
            modes: vec![(50.0, 0.2)],
        };
        let direct: f64 = (100..400)
            .map(|t| 0.2 * (-(t as f64) / 50.0).exp())
            .sum::<f64>()
            / 300.0;
        assert!((fit.bias(100, 400) - direct).abs() < 1e-15);
        assert_eq!(fit.bias(400, 400), 0.0);
    }

    #[test]
    fn a_slow_transient_is_discarded_and_the_bias_is_within_the_precision() {
        // A transient of 0.1 relaxing with τ = 600 steps under AR(1) noise.
        let series = synthetic(8, 204_800, 0.1, 600.0, 0.002);
        let (n, found) = first_long_enough(&series);
        assert!(found.shortfall.is_none(), "{found:?}");
        let tolerance = 0.02 * 0.25;
        // The transient's true contribution to the retained mean: at most half the tolerance.
        let truth = Relaxation {
            asymptote: 0.25,
            modes: vec![(600.0, 0.1)],
        };
        assert!(
            truth.bias(found.truncation, n) <= tolerance / 2.0,
            "{found:?} at {n}"
        );
        assert!((found.mean - 0.25).abs() <= tolerance, "{found:?} at {n}");
        assert!((found.relaxation / 600.0 - 1.0).abs() < 0.25, "{found:?}");
    }

    #[test]
    fn three_modes_over_three_decades_are_bounded_by_a_two_mode_fit() {
        // A decay over three time scales (a slow culture under faster learning), AR(1) noise:
        // the long-run mean is within 5% of the level (the acceptance of docs/MODEL.md §7.11).
        let mut series = synthetic(8, 307_200, 0.0, 1.0, 0.002);
        for s in &mut series {
            for (t, v) in s.iter_mut().enumerate() {
                let t = t as f64;
                *v += 0.05 * (-t / 200.0).exp()
                    + 0.03 * (-t / 2_000.0).exp()
                    + 0.02 * (-t / 20_000.0).exp();
            }
        }
        let (n, found) = first_long_enough(&series);
        assert!(found.shortfall.is_none(), "{found:?} at {n}");
        assert!((found.mean - 0.25).abs() <= 0.05 * 0.25, "{found:?} at {n}");
    }

    #[test]
    fn a_power_law_decay_is_followed_until_its_mean_is_within_five_percent() {
        // 0.1·(1 + t/100)^(−1/2): no time constant at all, the slowest kind of relaxation the
        // drift criterion is made for (an exponential fit sees only the part it can span).
        let mut series = synthetic(8, 102_400, 0.0, 1.0, 0.002);
        for s in &mut series {
            for (t, v) in s.iter_mut().enumerate() {
                *v += 0.1 / (1.0 + t as f64 / 100.0).sqrt();
            }
        }
        let (n, found) = first_long_enough(&series);
        assert!(n >= 25_600, "{found:?} at {n}");
        assert!((found.mean - 0.25).abs() <= 0.05 * 0.25, "{found:?} at {n}");
        // Where it is still running at the end, only the significance test holds it back
        // (with 100,000 steps it detects a trend far below the precision).
        assert!(
            matches!(
                found.shortfall,
                None | Some(Shortfall::NotStationary { .. })
            ),
            "{found:?} at {n}"
        );
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
