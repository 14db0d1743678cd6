//! The difference-in-differences estimators of `cadresim did`: pure functions from a balanced
//! panel of one outcome to estimates, standard errors and pre-trend tests. No I/O; `std` and
//! `stats` (the log-gamma function) only.
//!
//! * Static and event-study two-way fixed effects (TWFE): OLS on unit + period fixed effects,
//!   absorbed by two-way demeaning (exact on a balanced panel).
//! * Callaway, B. & Sant'Anna, P. H. C. (2021), "Difference-in-Differences with multiple time
//!   periods", Journal of Econometrics 225(2), 200-230: ATT(g, t) from the unconditional 2x2
//!   panel estimator, `base_period = "varying"`, no anticipation, never-treated or
//!   not-yet-treated controls; the dynamic (event-time) and simple aggregations with analytic
//!   standard errors from the influence functions, including the influence of the estimated
//!   cohort weights -- as R `did` (`att_gt` + `aggte`, `bstrap = FALSE`) and Python `csdid`
//!   compute them.
//! * Sun, L. & Abraham, S. (2021), "Estimating dynamic treatment effects in event studies with
//!   heterogeneous treatment effects", Journal of Econometrics 225(2), 175-199: the
//!   interaction-weighted estimator (cohort x relative-time interactions, cohort-share weights,
//!   delta-method standard errors with the weights held fixed, as fixest's `sunab` and
//!   pyfixest's saturated event study aggregate).
//! * Regression standard errors are CRV1, clustered by unit, with pyfixest's default small
//!   sample correction (`ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")`):
//!   V = (N - 1) / (N - K) * G / (G - 1) * (X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1, where
//!   N = units x periods, G = units, and K = regressors + periods, because the unit fixed effects
//!   are nested in the unit clusters and are not counted (K = k + (units + periods - 1) - units
//!   + 1). Intervals use Student t with G - 1 degrees of freedom there (pyfixest's `df_t`).
//! * Chi-square Wald pre-trend tests, with the p-value from the regularized upper incomplete
//!   gamma function (Numerical Recipes series / continued fraction).
//!
//! Sample rules shared by every estimator, as R `did` preprocesses: a unit whose cohort is at
//! or before the first period ("always treated") is dropped; a cohort after the last period is
//! never treated within the panel and counts as never treated. Without never-treated units,
//! Callaway & Sant'Anna and Sun & Abraham use the last-treated cohort as the comparison and
//! drop the periods from its adoption on (R `did` does so for both control groups; with
//! not-yet-treated controls the last cohort keeps its cohort and gets no ATT of its own), and
//! event-study TWFE drops the smallest event time besides e = -1.
//!
//! Refused as R `did` refuses ([`DidError`]): never-treated controls with fewer than 5
//! never-treated units (after the last cohort stands in for them), and an ATT(g, t) cell whose
//! treated share is at least 0.995 (DRDID trims every comparison unit there, leaving NA).
//! Regressors collinear with the fixed effects are dropped, and only when every one is does a
//! regression fail.

use std::fmt;

use cadresim_model::stats;

/// A balanced panel of one outcome: `cohort.len()` units observed at `periods` consecutive
/// periods `first, first + 1, ...`.
#[derive(Clone, Copy, Debug)]
pub struct Panel<'a> {
    /// The first period (a simulation step).
    pub first: i64,
    /// The number of periods T.
    pub periods: usize,
    /// Per unit: the first period in which it is treated (its cohort), None = never treated.
    /// Units with a cohort <= `first` (always treated) are dropped by every estimator.
    pub cohort: &'a [Option<i64>],
    /// `y[unit * periods + t]`, t = period - first.
    pub y: &'a [f64],
}

/// A point estimate with its standard error (NaN when not defined).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub estimate: f64,
    pub se: f64,
}

/// An estimate at one event time (period - cohort).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventEstimate {
    pub event_time: i64,
    pub value: Estimate,
}

/// ATT(g, t): the effect on cohort `cohort` at period `period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CohortEstimate {
    pub cohort: i64,
    pub period: i64,
    pub value: Estimate,
}

/// A chi-square Wald test that `df` estimates are jointly zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wald {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// The comparison units of Callaway & Sant'Anna.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    NeverTreated,
    NotYetTreated,
}

/// Why an estimator cannot run on a panel.
#[derive(Clone, Debug, PartialEq)]
pub enum DidError {
    /// `y` does not hold `units x periods` values.
    Shape {
        values: usize,
        units: usize,
        periods: usize,
    },
    TooFewPeriods {
        periods: usize,
    },
    NonFinite {
        unit: usize,
        period: i64,
    },
    /// Fewer than two units (clusters) remain.
    TooFewUnits {
        units: usize,
    },
    /// No unit adopts inside the panel after its first period.
    NoTreated,
    /// Neither never-treated units nor a second cohort to compare with.
    NoComparison,
    /// Every regressor is collinear with the fixed effects.
    Collinear,
    /// Fewer than 5 never-treated units for never-treated controls (R `did` refuses these).
    SmallControl {
        units: usize,
    },
    /// A Callaway & Sant'Anna cell without comparison units.
    NoControls {
        cohort: i64,
        period: i64,
    },
    /// A cell whose treated share is at least 0.995: R `DRDID` trims every control there.
    Overlap {
        cohort: i64,
        period: i64,
    },
}

impl fmt::Display for DidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DidError::Shape {
                values,
                units,
                periods,
            } => write!(
                f,
                "the panel has {values} values, not {units} units x {periods} periods"
            ),
            DidError::TooFewPeriods { periods } => {
                write!(f, "{periods} usable period(s): at least two are needed")
            }
            DidError::NonFinite { unit, period } => {
                write!(f, "unit {unit} has a non-finite outcome at period {period}")
            }
            DidError::TooFewUnits { units } => {
                write!(
                    f,
                    "{units} usable unit(s): at least two clusters are needed"
                )
            }
            DidError::NoTreated => write!(f, "no unit adopts after the first period"),
            DidError::NoComparison => write!(
                f,
                "no never-treated units and no second cohort to compare with"
            ),
            DidError::Collinear => {
                write!(
                    f,
                    "the treatment indicators are collinear with the fixed effects"
                )
            }
            DidError::SmallControl { units } => write!(
                f,
                "{units} never-treated unit(s): never-treated controls need at least 5 (as R did requires)"
            ),
            DidError::NoControls { cohort, period } => write!(
                f,
                "no comparison units for cohort {cohort} at period {period}"
            ),
            DidError::Overlap { cohort, period } => write!(
                f,
                "cohort {cohort} at period {period} has too few comparison units (treated share >= 0.995)"
            ),
        }
    }
}

impl std::error::Error for DidError {}

/// An event study: the estimates by event time (ascending), their covariance (row-major,
/// `events.len()` squared) and the pre-trend test over the leads asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct EventFit {
    pub events: Vec<EventEstimate>,
    pub covariance: Vec<f64>,
    pub pretrend: Option<Wald>,
}

/// Callaway & Sant'Anna on one panel with one control group.
#[derive(Clone, Debug, PartialEq)]
pub struct CallawaySantAnna {
    /// Every ATT(g, t) `att_gt` computes by default: cohorts ascending, then periods.
    pub att_gt: Vec<CohortEstimate>,
    /// `aggte(type = "dynamic")`: every event time, ascending.
    pub dynamic: Vec<EventEstimate>,
    /// The covariance of `dynamic` from the influence functions (row-major).
    pub dynamic_covariance: Vec<f64>,
    /// `aggte(type = "simple")`.
    pub overall: Estimate,
    /// Wald test that the dynamic estimates at event times `-leads..=-1` are zero.
    pub pretrend: Option<Wald>,
}

// ---------------------------------------------------------------------------------------------
// The sample every estimator uses.

/// The units an estimator uses, with their cohorts after recoding, and the periods it uses
/// (the first `periods` of the panel).
struct Sample<'a> {
    y: &'a [f64],
    stride: usize,
    first: i64,
    periods: usize,
    units: Vec<usize>,
    cohort: Vec<Option<i64>>,
}

impl<'a> Sample<'a> {
    /// Validate `panel`, drop always-treated units, recode cohorts after the last period.
    fn new(panel: &Panel<'a>) -> Result<Self, DidError> {
        let (units, periods) = (panel.cohort.len(), panel.periods);
        if panel.y.len() != units * periods {
            let values = panel.y.len();
            return Err(DidError::Shape {
                values,
                units,
                periods,
            });
        }
        if periods < 2 {
            return Err(DidError::TooFewPeriods { periods });
        }
        let last = panel.first + periods as i64 - 1;
        let mut sample = Sample {
            y: panel.y,
            stride: periods,
            first: panel.first,
            periods,
            units: Vec::new(),
            cohort: Vec::new(),
        };
        for (unit, cohort) in panel.cohort.iter().enumerate() {
            match *cohort {
                Some(g) if g <= panel.first => continue,
                Some(g) if g > last => sample.push(unit, None)?,
                other => sample.push(unit, other)?,
            }
        }
        if sample.units.len() < 2 {
            return Err(DidError::TooFewUnits {
                units: sample.units.len(),
            });
        }
        if sample.cohorts().is_empty() {
            return Err(DidError::NoTreated);
        }
        Ok(sample)
    }

    fn push(&mut self, unit: usize, cohort: Option<i64>) -> Result<(), DidError> {
        let row = &self.y[unit * self.stride..(unit + 1) * self.stride];
        if let Some(t) = row.iter().position(|v| !v.is_finite()) {
            let period = self.first + t as i64;
            return Err(DidError::NonFinite { unit, period });
        }
        self.units.push(unit);
        self.cohort.push(cohort);
        Ok(())
    }

    fn n(&self) -> usize {
        self.units.len()
    }

    fn y(&self, unit: usize, t: usize) -> f64 {
        self.y[self.units[unit] * self.stride + t]
    }

    fn period(&self, t: usize) -> i64 {
        self.first + t as i64
    }

    /// The distinct cohorts, ascending.
    fn cohorts(&self) -> Vec<i64> {
        let mut cohorts: Vec<i64> = self.cohort.iter().flatten().copied().collect();
        cohorts.sort_unstable();
        cohorts.dedup();
        cohorts
    }

    fn has_never_treated(&self) -> bool {
        self.cohort.iter().any(Option::is_none)
    }

    /// Without never-treated units: keep the periods before the last cohort adopts and,
    /// with `recode`, count that cohort as never treated. Returns the last cohort.
    fn last_cohort_as_control(&mut self, recode: bool) -> Result<i64, DidError> {
        let last = *self.cohorts().last().ok_or(DidError::NoTreated)?;
        self.periods = (last - self.first) as usize;
        if self.periods < 2 {
            return Err(DidError::TooFewPeriods {
                periods: self.periods,
            });
        }
        if recode {
            for cohort in self.cohort.iter_mut().filter(|c| **c == Some(last)) {
                *cohort = None;
            }
        }
        Ok(last)
    }
}

// ---------------------------------------------------------------------------------------------
// OLS with unit + period fixed effects and CRV1 standard errors, for regressors that depend on
// (cohort, period) only: every regressor here is such an indicator, so the demeaned design is
// stored per cohort class, never per unit.

/// The units grouped by cohort (None = never treated first).
struct Classes {
    cohort: Vec<Option<i64>>,
    size: Vec<f64>,
    of_unit: Vec<usize>,
}

impl Classes {
    fn new(sample: &Sample) -> Self {
        let mut cohort = sample.cohort.clone();
        cohort.sort_unstable();
        cohort.dedup();
        let of_unit: Vec<usize> = sample
            .cohort
            .iter()
            .map(|c| cohort.binary_search(c).expect("every cohort is a class"))
            .collect();
        let mut size = vec![0.0; cohort.len()];
        for &class in &of_unit {
            size[class] += 1.0;
        }
        Classes {
            cohort,
            size,
            of_unit,
        }
    }
}

/// An indicator that depends on (class, period) only: the periods where it is 1, by class, and
/// the class, period and grand means two-way demeaning subtracts.
struct Regressor {
    by_class: Vec<Vec<usize>>,
    times: Vec<usize>,
    class_mean: Vec<f64>,
    period_mean: Vec<f64>,
    grand_mean: f64,
}

impl Regressor {
    /// The regressor equal to 1 on the (class, t) cells `cells` and 0 elsewhere.
    fn indicator(cells: &[(usize, usize)], classes: &Classes, periods: usize) -> Self {
        let n: f64 = classes.size.iter().sum();
        let mut by_class = vec![Vec::new(); classes.size.len()];
        let mut class_mean = vec![0.0; classes.size.len()];
        let mut period_mean = vec![0.0; periods];
        for &(class, t) in cells {
            by_class[class].push(t);
            class_mean[class] += 1.0 / periods as f64;
            period_mean[t] += classes.size[class] / n;
        }
        let grand_mean = period_mean.iter().sum::<f64>() / periods as f64;
        let mut times: Vec<usize> = cells.iter().map(|&(_, t)| t).collect();
        times.sort_unstable();
        times.dedup();
        Regressor {
            by_class,
            times,
            class_mean,
            period_mean,
            grand_mean,
        }
    }

    /// The sum of squares of the regressor before demeaning.
    fn raw_norm(&self, classes: &Classes) -> f64 {
        let by_class = self.by_class.iter().zip(&classes.size);
        by_class
            .map(|(times, size)| size * times.len() as f64)
            .sum()
    }

    fn demeaned(&self, raw: f64, class: usize, t: usize) -> f64 {
        raw - self.class_mean[class] - self.period_mean[t] + self.grand_mean
    }
}

/// Coefficients of the regressors kept (not collinear) and their CRV1 covariance.
struct Ols {
    kept: Vec<usize>,
    beta: Vec<f64>,
    vcov: Vec<f64>,
}

/// OLS of y on unit + period fixed effects and `xs`, CRV1 by unit (pyfixest's default ssc).
fn ols_crv1(sample: &Sample, classes: &Classes, xs: Vec<Regressor>) -> Result<Ols, DidError> {
    let periods = sample.periods;
    let raw: Vec<f64> = xs.iter().map(|x| x.raw_norm(classes)).collect();
    let (kept, l) = factor_independent(&gram(&xs, classes, periods), &raw);
    if kept.is_empty() {
        return Err(DidError::Collinear);
    }
    let k = kept.len();
    let xs: Vec<Regressor> = xs
        .into_iter()
        .enumerate()
        .filter(|(i, _)| kept.binary_search(i).is_ok())
        .map(|(_, x)| x)
        .collect();
    let y = demean_y(sample);
    let beta = solve(&l, &cross_y(&xs, classes, &y, periods), k);
    let residual = residuals(&xs, classes, &y, &beta, periods);
    let factor = crv1_ssc(sample.n(), periods, k);
    let vcov = crv1(&xs, classes, &residual, &l, periods, factor);
    Ok(Ols { kept, beta, vcov })
}

/// pyfixest's default CRV1 factor: (N - 1) / (N - K) * G / (G - 1), K = k + periods; NaN
/// (standard errors undefined) when N <= K.
fn crv1_ssc(units: usize, periods: usize, k: usize) -> f64 {
    let n = (units * periods) as f64;
    let (g, big_k) = (units as f64, (k + periods) as f64);
    if n <= big_k {
        return f64::NAN;
    }
    (n - 1.0) / (n - big_k) * g / (g - 1.0)
}

/// y with unit and period means removed (the within transformation of a balanced panel).
fn demean_y(sample: &Sample) -> Vec<f64> {
    let (n, periods) = (sample.n(), sample.periods);
    let mut period_mean = vec![0.0; periods];
    let mut y = Vec::with_capacity(n * periods);
    for unit in 0..n {
        let row: Vec<f64> = (0..periods).map(|t| sample.y(unit, t)).collect();
        let mean = row.iter().sum::<f64>() / periods as f64;
        for (t, value) in row.into_iter().enumerate() {
            period_mean[t] += value / n as f64;
            y.push(value - mean);
        }
    }
    let grand = period_mean.iter().sum::<f64>() / periods as f64;
    for row in y.chunks_mut(periods) {
        for (value, mean) in row.iter_mut().zip(&period_mean) {
            *value -= mean - grand;
        }
    }
    y
}

/// X'X of the demeaned regressors, as X'MX = X'(MX): raw cells times demeaned values.
fn gram(xs: &[Regressor], classes: &Classes, periods: usize) -> Vec<f64> {
    let k = xs.len();
    let mut gram = vec![0.0; k * k];
    let mut dense = vec![0.0; classes.size.len() * periods];
    for (b, xb) in xs.iter().enumerate() {
        set_cells(&mut dense, xb, periods, true);
        for a in 0..=b {
            let mut sum = 0.0;
            for (class, times) in xs[a].by_class.iter().enumerate() {
                for &t in times {
                    let raw = dense[class * periods + t];
                    sum += classes.size[class] * xb.demeaned(raw, class, t);
                }
            }
            gram[a * k + b] = sum;
            gram[b * k + a] = sum;
        }
        set_cells(&mut dense, xb, periods, false);
    }
    gram
}

fn set_cells(dense: &mut [f64], x: &Regressor, periods: usize, on: bool) {
    for (class, times) in x.by_class.iter().enumerate() {
        for &t in times {
            dense[class * periods + t] = if on { 1.0 } else { 0.0 };
        }
    }
}

/// X'y with y demeaned (X'My = X'(My)).
fn cross_y(xs: &[Regressor], classes: &Classes, y: &[f64], periods: usize) -> Vec<f64> {
    let mut sums = vec![0.0; classes.size.len() * periods];
    for (unit, &class) in classes.of_unit.iter().enumerate() {
        for t in 0..periods {
            sums[class * periods + t] += y[unit * periods + t];
        }
    }
    let sum_over = |x: &Regressor| -> f64 {
        let by_class = x.by_class.iter().enumerate();
        by_class
            .map(|(class, times)| {
                times
                    .iter()
                    .map(|&t| sums[class * periods + t])
                    .sum::<f64>()
            })
            .sum()
    };
    xs.iter().map(sum_over).collect()
}

/// The residuals of the demeaned regression, unit-major.
fn residuals(
    xs: &[Regressor],
    classes: &Classes,
    y: &[f64],
    beta: &[f64],
    periods: usize,
) -> Vec<f64> {
    let c = classes.size.len();
    let mut fitted = vec![0.0; c * periods];
    for (x, &b) in xs.iter().zip(beta) {
        for (class, times) in x.by_class.iter().enumerate() {
            for &t in times {
                fitted[class * periods + t] += b;
            }
        }
        for class in 0..c {
            for t in 0..periods {
                fitted[class * periods + t] -=
                    b * (x.class_mean[class] + x.period_mean[t] - x.grand_mean);
            }
        }
    }
    let mut residual = y.to_vec();
    for (unit, &class) in classes.of_unit.iter().enumerate() {
        for t in 0..periods {
            residual[unit * periods + t] -= fitted[class * periods + t];
        }
    }
    residual
}

/// The CRV1 covariance factor * sum over units of z z', z = (X'X)^-1 s, with s the unit's
/// score: the sum over periods of its demeaned regressors times its residuals. (The meat has
/// rank at most the number of units, so this beats forming (X'X)^-1 M (X'X)^-1.)
fn crv1(
    xs: &[Regressor],
    classes: &Classes,
    residual: &[f64],
    l: &[f64],
    periods: usize,
    factor: f64,
) -> Vec<f64> {
    let k = xs.len();
    let mut vcov = vec![0.0; k * k];
    for (unit, &class) in classes.of_unit.iter().enumerate() {
        let u = &residual[unit * periods..(unit + 1) * periods];
        let total: f64 = u.iter().sum();
        let score: Vec<f64> = xs
            .iter()
            .map(|x| {
                let raw: f64 = x.by_class[class].iter().map(|&t| u[t]).sum();
                let period: f64 = x.times.iter().map(|&t| x.period_mean[t] * u[t]).sum();
                raw - period - (x.class_mean[class] - x.grand_mean) * total
            })
            .collect();
        let z = solve(l, &score, k);
        for a in 0..k {
            let row = &mut vcov[a * k..(a + 1) * k];
            row[a..]
                .iter_mut()
                .zip(&z[a..])
                .for_each(|(v, zb)| *v += z[a] * zb);
        }
    }
    for a in 0..k {
        for b in a..k {
            vcov[a * k + b] *= factor;
            vcov[b * k + a] = vcov[a * k + b];
        }
    }
    vcov
}

// ---------------------------------------------------------------------------------------------
// Small dense linear algebra (row-major square matrices).

/// The dot product of two equally long slices, in four lanes (so that it vectorizes).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4
        .remainder()
        .iter()
        .zip(b4.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a4.zip(b4) {
        for lane in 0..4 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

/// The share of a regressor's sum of squares that must remain after projecting out the fixed
/// effects and the regressors before it, or it counts as collinear and is dropped.
const COLLINEAR: f64 = 1e-10;

/// The columns of the Gram matrix of the demeaned regressors that are not collinear with the
/// fixed effects and earlier columns, ascending, and the lower Cholesky factor of their Gram
/// matrix (row-major, kept x kept): a left-looking Cholesky that skips column j when its
/// remaining pivot is below `COLLINEAR` x `raw[j]`, its sum of squares before demeaning (fixest
/// and pyfixest also drop collinear variables in order).
fn factor_independent(gram: &[f64], raw: &[f64]) -> (Vec<usize>, Vec<f64>) {
    let k = raw.len();
    let mut l = vec![0.0; k * k];
    let mut kept = Vec::new();
    for j in 0..k {
        let row_j = &l[j * k..j * k + kept.len()];
        let pivot = gram[j * k + j] - dot(row_j, row_j);
        let independent = pivot > COLLINEAR * raw[j];
        if !independent {
            continue;
        }
        let (root, p) = (pivot.sqrt(), kept.len());
        l[j * k + p] = root;
        for i in j + 1..k {
            let (head, tail) = l.split_at_mut(i * k);
            tail[p] = (gram[i * k + j] - dot(&head[j * k..j * k + p], &tail[..p])) / root;
        }
        kept.push(j);
    }
    let m = kept.len();
    let factor = kept
        .iter()
        .flat_map(|&i| l[i * k..i * k + m].to_vec())
        .collect();
    (kept, factor)
}

/// Lower Cholesky factor of a symmetric positive definite matrix; None when a pivot is not
/// positive relative to its diagonal (singular to working precision).
fn cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let pivot = a[j * k + j] - dot(&l[j * k..j * k + j], &l[j * k..j * k + j]);
        let positive = pivot.is_finite() && pivot > 1e-12 * a[j * k + j].abs();
        if !positive {
            return None;
        }
        let root = pivot.sqrt();
        l[j * k + j] = root;
        for i in j + 1..k {
            l[i * k + j] = (a[i * k + j] - dot(&l[i * k..i * k + j], &l[j * k..j * k + j])) / root;
        }
    }
    Some(l)
}

/// Solve L z = b (forward substitution).
fn forward(l: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let mut z = vec![0.0; k];
    for i in 0..k {
        z[i] = (b[i] - dot(&l[i * k..i * k + i], &z[..i])) / l[i * k + i];
    }
    z
}

/// Solve L' x = z (back substitution, along the rows of L).
fn backward(l: &[f64], z: &[f64], k: usize) -> Vec<f64> {
    let mut x = z.to_vec();
    for i in (0..k).rev() {
        x[i] /= l[i * k + i];
        let xi = x[i];
        x[..i]
            .iter_mut()
            .zip(&l[i * k..i * k + i])
            .for_each(|(x, l)| *x -= l * xi);
    }
    x
}

/// Solve A x = b given the lower Cholesky factor of A.
fn solve(l: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    backward(l, &forward(l, b, k), k)
}

// ---------------------------------------------------------------------------------------------
// Two-way fixed effects.

/// Static TWFE: y on unit + period fixed effects and D (1 from a unit's cohort on), CRV1 by
/// unit -- pyfixest's `feols("y ~ d | unit + period", vcov={"CRV1": "unit"})`.
pub fn twfe_static(panel: &Panel) -> Result<Estimate, DidError> {
    let sample = Sample::new(panel)?;
    let classes = Classes::new(&sample);
    let cells = class_cells(&sample, &classes, |g, period| period >= g);
    let d = Regressor::indicator(&cells, &classes, sample.periods);
    let ols = ols_crv1(&sample, &classes, vec![d])?;
    Ok(Estimate {
        estimate: ols.beta[0],
        se: ols.vcov[0].sqrt(),
    })
}

/// The (class, t) cells of the treated classes where `keep(cohort, period)` holds.
fn class_cells(
    sample: &Sample,
    classes: &Classes,
    keep: impl Fn(i64, i64) -> bool,
) -> Vec<(usize, usize)> {
    let mut cells = Vec::new();
    for (class, cohort) in classes.cohort.iter().enumerate() {
        let Some(g) = *cohort else { continue };
        for t in 0..sample.periods {
            if keep(g, sample.period(t)) {
                cells.push((class, t));
            }
        }
    }
    cells
}

/// Event-study TWFE: relative-time indicators 1{period - g = e} of treated units for every
/// event time observed except e = -1 (the reference) and, without never-treated units, the
/// smallest e as well (two normalizations are needed then). Unit + period fixed effects, CRV1
/// by unit. Indicators collinear with earlier ones are dropped, as fixest / pyfixest do, so
/// `events` holds every e estimated. `pretrend` tests e in `-leads..=-2`.
pub fn twfe_event(panel: &Panel, leads: i64) -> Result<EventFit, DidError> {
    let sample = Sample::new(panel)?;
    let classes = Classes::new(&sample);
    let mut times = event_times(&sample, &sample.cohorts());
    times.retain(|&e| e != -1);
    if !sample.has_never_treated() && !times.is_empty() {
        times.remove(0);
    }
    let xs = times
        .iter()
        .map(|&e| {
            let cells = class_cells(&sample, &classes, |g, period| period - g == e);
            Regressor::indicator(&cells, &classes, sample.periods)
        })
        .collect();
    let ols = ols_crv1(&sample, &classes, xs)?;
    let events: Vec<EventEstimate> = ols
        .kept
        .iter()
        .enumerate()
        .map(|(i, &column)| event(times[column], ols.beta[i], ols.vcov[i * ols.kept.len() + i]))
        .collect();
    Ok(event_fit(events, ols.vcov, -leads, -2))
}

/// The event times of cohorts `cohorts` over the sample's periods, ascending.
fn event_times(sample: &Sample, cohorts: &[i64]) -> Vec<i64> {
    let mut times: Vec<i64> = cohorts
        .iter()
        .flat_map(|&g| (0..sample.periods).map(move |t| sample.first + t as i64 - g))
        .collect();
    times.sort_unstable();
    times.dedup();
    times
}

fn event(event_time: i64, estimate: f64, variance: f64) -> EventEstimate {
    EventEstimate {
        event_time,
        value: Estimate {
            estimate,
            se: variance.sqrt(),
        },
    }
}

fn event_fit(events: Vec<EventEstimate>, covariance: Vec<f64>, low: i64, high: i64) -> EventFit {
    let pretrend = pretrend_wald(&events, &covariance, low, high);
    EventFit {
        events,
        covariance,
        pretrend,
    }
}

/// The Wald test of an event study's pre-trend at event times `-leads..=-2` (TWFE and Sun &
/// Abraham, whose reference is e = -1); None when none is estimated or the covariance is
/// singular.
pub fn pretrend_twfe(fit: &EventFit, leads: i64) -> Option<Wald> {
    pretrend_wald(&fit.events, &fit.covariance, -leads, -2)
}

/// The Wald test that the estimates of `events` at event times `low..=high` are jointly zero,
/// with `covariance` the covariance of all of `events` (row-major).
pub fn pretrend_wald(
    events: &[EventEstimate],
    covariance: &[f64],
    low: i64,
    high: i64,
) -> Option<Wald> {
    let k = events.len();
    let chosen: Vec<usize> = (0..k)
        .filter(|&i| (low..=high).contains(&events[i].event_time))
        .collect();
    let estimates: Vec<f64> = chosen.iter().map(|&i| events[i].value.estimate).collect();
    let sub: Vec<f64> = chosen
        .iter()
        .flat_map(|&a| chosen.iter().map(move |&b| covariance[a * k + b]))
        .collect();
    wald(&estimates, &sub)
}

/// The chi-square Wald statistic b' V^-1 b of `estimates` with covariance `covariance`
/// (row-major); None when there is nothing to test or V is singular.
pub fn wald(estimates: &[f64], covariance: &[f64]) -> Option<Wald> {
    let k = estimates.len();
    if k == 0 || covariance.len() != k * k {
        return None;
    }
    let l = cholesky(covariance, k)?;
    let z = forward(&l, estimates, k);
    let statistic: f64 = z.iter().map(|v| v * v).sum();
    statistic.is_finite().then(|| Wald {
        statistic,
        df: k,
        p_value: chi_square_sf(statistic, k),
    })
}

// ---------------------------------------------------------------------------------------------
// Sun & Abraham.

/// Sun & Abraham's interaction-weighted event study: y on unit + period fixed effects and
/// cohort x relative-time indicators (every e but -1) of each treated cohort, never-treated
/// units the comparison (without them, the last-treated cohort, with the periods from its
/// adoption on dropped). Each event time averages the cohort coefficients CATT(g, e) with
/// weights the cohorts' shares of units among the cohorts observed at e; standard errors by
/// the delta method with the CRV1 covariance, weights fixed. `pretrend` tests e in
/// `-leads..=-2`.
pub fn sun_abraham(panel: &Panel, leads: i64) -> Result<EventFit, DidError> {
    let mut sample = Sample::new(panel)?;
    if !sample.has_never_treated() {
        sample.last_cohort_as_control(true)?;
    }
    let classes = Classes::new(&sample);
    let cells = class_cells(&sample, &classes, |g, period| period - g != -1);
    if cells.is_empty() {
        return Err(DidError::NoComparison);
    }
    let xs = cells
        .iter()
        .map(|&cell| Regressor::indicator(&[cell], &classes, sample.periods))
        .collect();
    let ols = ols_crv1(&sample, &classes, xs)?;
    let event_of =
        |(class, t): (usize, usize)| sample.period(t) - classes.cohort[class].map_or(0, |g| g);
    let kept: Vec<(usize, i64)> = ols
        .kept
        .iter()
        .map(|&i| (cells[i].0, event_of(cells[i])))
        .collect();
    let (events, covariance) = interaction_weighted(&kept, &classes, &ols);
    Ok(event_fit(events, covariance, -leads, -2))
}

/// Average the cohort x event-time coefficients by event time with cohort-share weights:
/// the estimates and their covariance W V W' (each row of W has one weight per cohort).
fn interaction_weighted(
    terms: &[(usize, i64)],
    classes: &Classes,
    ols: &Ols,
) -> (Vec<EventEstimate>, Vec<f64>) {
    let k = terms.len();
    let mut times: Vec<i64> = terms.iter().map(|&(_, e)| e).collect();
    times.sort_unstable();
    times.dedup();
    let weights: Vec<Vec<(usize, f64)>> = times
        .iter()
        .map(|&e| {
            let at: Vec<usize> = (0..k).filter(|&i| terms[i].1 == e).collect();
            let total: f64 = at.iter().map(|&i| classes.size[terms[i].0]).sum();
            at.iter()
                .map(|&i| (i, classes.size[terms[i].0] / total))
                .collect()
        })
        .collect();
    let m = times.len();
    let mut covariance = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..m {
            let pairs = weights[a]
                .iter()
                .flat_map(|&(i, wi)| weights[b].iter().map(move |&(j, wj)| (i, j, wi * wj)));
            covariance[a * m + b] = pairs.map(|(i, j, w)| w * ols.vcov[i * k + j]).sum();
        }
    }
    let events = times
        .iter()
        .zip(&weights)
        .enumerate()
        .map(|(a, (&e, w))| {
            let estimate = w.iter().map(|&(i, wi)| wi * ols.beta[i]).sum();
            event(e, estimate, covariance[a * m + a])
        })
        .collect();
    (events, covariance)
}

// ---------------------------------------------------------------------------------------------
// Callaway & Sant'Anna.

/// One ATT(g, t): cohort g, period index t and base period index.
#[derive(Clone, Copy)]
struct Cell {
    cohort: i64,
    t: usize,
    base: usize,
}

/// An aggregation of cells: the cells it holds, their weights (cohort shares, summing to one)
/// and the influence function being accumulated.
struct Aggregate {
    cells: Vec<usize>,
    weight: Vec<f64>,
    /// sum_k p_k, p_k = n_{g_k} / n: the share of units behind the weights.
    mass: f64,
    influence: Vec<f64>,
}

/// Callaway & Sant'Anna (2021) on a balanced panel: every ATT(g, t) with the varying base
/// period, the dynamic and simple aggregations with analytic influence-function standard
/// errors (`bstrap = FALSE`), and the Wald test of the dynamic estimates at event times
/// `-leads..=-1`. Standard errors that are zero or undefined are NaN, as R `did` reports NA.
pub fn callaway_santanna(
    panel: &Panel,
    control: Control,
    leads: i64,
) -> Result<CallawaySantAnna, DidError> {
    let (sample, groups) = cs_sample(panel, control)?;
    let cells = cs_cells(&sample, &groups);
    let sizes: Vec<f64> = groups
        .iter()
        .map(|&g| sample.cohort.iter().filter(|c| **c == Some(g)).count() as f64)
        .collect();
    let events = cs_events(&sample, &cells);
    let size = |g: i64| groups.binary_search(&g).map_or(0.0, |i| sizes[i]);
    let mut aggregates = cs_aggregates(&sample, &cells, &events, size);
    let mut membership: Vec<Vec<(usize, f64)>> = vec![Vec::new(); cells.len()];
    for (a, aggregate) in aggregates.iter().enumerate() {
        for (&cell, &w) in aggregate.cells.iter().zip(&aggregate.weight) {
            membership[cell].push((a, w));
        }
    }
    let mut att_gt = Vec::with_capacity(cells.len());
    for (cell, members) in cells.iter().zip(&membership) {
        let (att, influence) = cell_att(&sample, control, cell)?;
        for &(a, w) in members {
            let target = &mut aggregates[a].influence;
            target
                .iter_mut()
                .zip(&influence)
                .for_each(|(sum, i)| *sum += w * i);
        }
        let value = Estimate {
            estimate: att,
            se: if_se(&influence),
        };
        att_gt.push(CohortEstimate {
            cohort: cell.cohort,
            period: sample.period(cell.t),
            value,
        });
    }
    let att: Vec<f64> = att_gt.iter().map(|c| c.value.estimate).collect();
    let estimates: Vec<f64> = aggregates
        .iter_mut()
        .map(|a| finish_aggregate(a, &sample, &cells, &att))
        .collect();
    Ok(cs_result(att_gt, &events, &aggregates, &estimates, leads))
}

/// R `did`'s smallest never-treated group for never-treated controls (`reqsize`, no covariates).
const MIN_NEVER_TREATED: usize = 5;

/// The sample and the cohorts that get ATT(g, t), as R `did`'s preprocessing leaves them.
fn cs_sample<'a>(panel: &Panel<'a>, control: Control) -> Result<(Sample<'a>, Vec<i64>), DidError> {
    let mut sample = Sample::new(panel)?;
    let mut groups = sample.cohorts();
    if !sample.has_never_treated() {
        let recode = control == Control::NeverTreated;
        let last = sample.last_cohort_as_control(recode)?;
        groups.retain(|&g| g != last);
    }
    if groups.is_empty() {
        return Err(DidError::NoComparison);
    }
    let never = sample.cohort.iter().filter(|c| c.is_none()).count();
    if control == Control::NeverTreated && never < MIN_NEVER_TREATED {
        return Err(DidError::SmallControl { units: never });
    }
    Ok((sample, groups))
}

/// Every (g, t), t past the first period, with the varying base: t - 1 before g, g - 1 from g.
fn cs_cells(sample: &Sample, groups: &[i64]) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &cohort in groups {
        let pre = (cohort - 1 - sample.first) as usize;
        for t in 1..sample.periods {
            let base = if sample.period(t) >= cohort {
                pre
            } else {
                t - 1
            };
            cells.push(Cell { cohort, t, base });
        }
    }
    cells
}

fn event_time(sample: &Sample, cell: &Cell) -> i64 {
    sample.period(cell.t) - cell.cohort
}

/// The event times of the cells, ascending.
fn cs_events(sample: &Sample, cells: &[Cell]) -> Vec<i64> {
    let mut events: Vec<i64> = cells.iter().map(|c| event_time(sample, c)).collect();
    events.sort_unstable();
    events.dedup();
    events
}

/// The aggregations: one per event time (`events`), then the simple one (every post cell),
/// each cell weighted by its cohort's size (`size`) over the aggregation's total.
fn cs_aggregates(
    sample: &Sample,
    cells: &[Cell],
    events: &[i64],
    size: impl Fn(i64) -> f64,
) -> Vec<Aggregate> {
    let build = |chosen: Vec<usize>| {
        let mass: Vec<f64> = chosen.iter().map(|&i| size(cells[i].cohort)).collect();
        let total: f64 = mass.iter().sum();
        let weight = mass.iter().map(|m| m / total).collect();
        let mass = total / sample.n() as f64;
        Aggregate {
            cells: chosen,
            weight,
            mass,
            influence: vec![0.0; sample.n()],
        }
    };
    let select =
        |keep: &dyn Fn(&Cell) -> bool| (0..cells.len()).filter(|&i| keep(&cells[i])).collect();
    let mut aggregates: Vec<Aggregate> = events
        .iter()
        .map(|&e| build(select(&|c| event_time(sample, c) == e)))
        .collect();
    aggregates.push(build(select(&|c| event_time(sample, c) >= 0)));
    aggregates
}

/// ATT(g, t) by the unconditional 2x2 panel estimator (what DRDID's doubly robust estimator
/// reduces to without covariates) and its influence function over the sample's n units:
/// n (dY - mean_treated) / n_treated on treated units, -n (dY - mean_control) / n_control on
/// comparison units, 0 elsewhere.
fn cell_att(sample: &Sample, control: Control, cell: &Cell) -> Result<(f64, Vec<f64>), DidError> {
    let period = sample.period(cell.t);
    let role = |c: Option<i64>| match c {
        Some(g) if g == cell.cohort => Some(true),
        None => Some(false),
        Some(g) if control == Control::NotYetTreated && g > period => Some(false),
        _ => None,
    };
    let delta = |unit: usize| sample.y(unit, cell.t) - sample.y(unit, cell.base);
    let (mut sums, mut counts) = ([0.0; 2], [0.0; 2]);
    for unit in 0..sample.n() {
        if let Some(treated) = role(sample.cohort[unit]) {
            sums[treated as usize] += delta(unit);
            counts[treated as usize] += 1.0;
        }
    }
    let cohort = cell.cohort;
    if counts[0] == 0.0 {
        return Err(DidError::NoControls { cohort, period });
    }
    if counts[1] / (counts[0] + counts[1]) >= 0.995 {
        return Err(DidError::Overlap { cohort, period });
    }
    let means = [sums[0] / counts[0], sums[1] / counts[1]];
    let n = sample.n() as f64;
    let influence = (0..sample.n())
        .map(|unit| match role(sample.cohort[unit]) {
            Some(true) => n * (delta(unit) - means[1]) / counts[1],
            Some(false) => -n * (delta(unit) - means[0]) / counts[0],
            None => 0.0,
        })
        .collect();
    Ok((means[1] - means[0], influence))
}

/// The analytic standard error of an influence function, sqrt(mean(IF^2) / n); NaN when not
/// positive and finite (R `did` reports NA then).
fn if_se(influence: &[f64]) -> f64 {
    let n = influence.len() as f64;
    let se = influence.iter().map(|v| v * v).sum::<f64>().sqrt() / n;
    if se.is_finite() && se > 0.0 {
        se
    } else {
        f64::NAN
    }
}

/// Complete an aggregation: its estimate sum_k w_k ATT_k, and the influence of the estimated
/// weights (R `did`'s `wif`) added to its influence function. For unit i in cohort G_i that
/// term is sum_k (1{G_i = g_k} - p_k)(ATT_k - estimate) / sum_k p_k with p_k = n_{g_k} / n;
/// as sum_k p_k (ATT_k - estimate) = 0 it is sum_{k: g_k = G_i} (ATT_k - estimate) / sum_k p_k.
fn finish_aggregate(
    aggregate: &mut Aggregate,
    sample: &Sample,
    cells: &[Cell],
    att: &[f64],
) -> f64 {
    let chosen = aggregate.cells.iter().zip(&aggregate.weight);
    let estimate: f64 = chosen.map(|(&k, w)| w * att[k]).sum();
    let mut deviation: Vec<(i64, f64)> = Vec::new();
    for &k in &aggregate.cells {
        match deviation.iter_mut().find(|(g, _)| *g == cells[k].cohort) {
            Some((_, d)) => *d += att[k] - estimate,
            None => deviation.push((cells[k].cohort, att[k] - estimate)),
        }
    }
    for (influence, cohort) in aggregate.influence.iter_mut().zip(&sample.cohort) {
        let Some(g) = cohort else { continue };
        if let Some((_, d)) = deviation.iter().find(|(h, _)| h == g) {
            *influence += d / aggregate.mass;
        }
    }
    estimate
}

/// Assemble the result: the dynamic estimates with their covariance, the simple aggregate,
/// the pre-trend test.
fn cs_result(
    att_gt: Vec<CohortEstimate>,
    events: &[i64],
    aggregates: &[Aggregate],
    estimates: &[f64],
    leads: i64,
) -> CallawaySantAnna {
    let m = events.len();
    let n = aggregates[0].influence.len() as f64;
    let mut covariance = vec![0.0; m * m];
    for a in 0..m {
        for b in a..m {
            let (fa, fb) = (&aggregates[a].influence, &aggregates[b].influence);
            let c = dot(fa, fb) / (n * n);
            covariance[a * m + b] = c;
            covariance[b * m + a] = c;
        }
    }
    let dynamic: Vec<EventEstimate> = (0..m)
        .map(|a| EventEstimate {
            event_time: events[a],
            value: Estimate {
                estimate: estimates[a],
                se: if_se(&aggregates[a].influence),
            },
        })
        .collect();
    let overall = Estimate {
        estimate: estimates[m],
        se: if_se(&aggregates[m].influence),
    };
    let pretrend = pretrend_wald(&dynamic, &covariance, -leads, -1);
    CallawaySantAnna {
        att_gt,
        dynamic,
        dynamic_covariance: covariance,
        overall,
        pretrend,
    }
}

// ---------------------------------------------------------------------------------------------
// Chi-square p-values.

/// P(X >= x) for X chi-square with `df` degrees of freedom: Q(df / 2, x / 2), the regularized
/// upper incomplete gamma function.
pub fn chi_square_sf(x: f64, df: usize) -> f64 {
    if x.is_nan() || df == 0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(df as f64 / 2.0, x / 2.0)
}

/// Q(a, x) = Gamma(a, x) / Gamma(a): the series for P when x < a + 1, else the continued
/// fraction (Numerical Recipes, 3rd ed., section 6.2).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x < a + 1.0 {
        1.0 - gamma_p_series(a, x)
    } else {
        gamma_q_fraction(a, x)
    }
}

fn gamma_p_series(a: f64, x: f64) -> f64 {
    let (mut ap, mut term) = (a, 1.0 / a);
    let mut sum = term;
    for _ in 0..10_000 {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if term.abs() < sum.abs() * f64::EPSILON {
            break;
        }
    }
    sum * (-x + a * x.ln() - stats::ln_gamma(a)).exp()
}

/// Modified Lentz evaluation of the continued fraction for Q(a, x).
fn gamma_q_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = f64::MIN_POSITIVE / f64::EPSILON;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        d = if d.abs() < TINY { TINY } else { d };
        c = b + an / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    (-x + a * x.ln() - stats::ln_gamma(a)).exp() * h
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---------------------------------------------------------------------------------------
    // Panels.

    /// The reference panels, built the same way in Python for the reference values below:
    /// unit i, period index k, cohort g; y = 0.25 i + 0.5 k + tau(t - g) from adoption on + a
    /// deterministic wiggle, tau(e) = 1 + 0.5 e. Every value is a multiple of 1/8, so both
    /// languages build it exactly.
    fn reference_y(cohorts: &[Option<i64>], periods: usize, first: i64) -> Vec<f64> {
        let mut y = Vec::with_capacity(cohorts.len() * periods);
        for (i, g) in cohorts.iter().enumerate() {
            for k in 0..periods {
                let t = first + k as i64;
                let effect = match g {
                    Some(g) if t >= *g => 1.0 + 0.5 * (t - g) as f64,
                    _ => 0.0,
                };
                let wiggle = ((i * 37 + k * 11 + i * k * 7) % 17) as f64 / 8.0 - 1.0;
                y.push(i as f64 * 0.25 + k as f64 * 0.5 + effect + wiggle);
            }
        }
        y
    }

    /// Panel A: never-treated units, an always-treated unit (cohort 1 = first period) and a
    /// cohort after the last period (9); periods 1..=6.
    fn cohorts_a() -> Vec<Option<i64>> {
        let n = None;
        let g = Some;
        vec![
            n,
            n,
            n,
            g(3),
            g(3),
            g(3),
            g(4),
            g(4),
            g(6),
            g(6),
            g(6),
            n,
            g(1),
            g(9),
            g(4),
            g(3),
        ]
    }

    /// Panel B: no never-treated units; periods 1..=7.
    fn cohorts_b() -> Vec<Option<i64>> {
        [3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 3, 5, 6, 6]
            .map(Some)
            .to_vec()
    }

    /// A planted-truth panel: 40 units (10 never treated, 10 each adopting at first + 3, 5
    /// and 8), 12 periods from `first`; y = unit effect + period effect + tau(cohort index,
    /// event time) from adoption on + `noise` x a deterministic pseudo-random draw.
    fn planted(
        first: i64,
        tau: impl Fn(usize, i64) -> f64,
        noise: f64,
    ) -> (Vec<Option<i64>>, Vec<f64>) {
        let periods = 12;
        let starts = [None, Some(first + 3), Some(first + 5), Some(first + 8)];
        let cohorts: Vec<Option<i64>> = (0..40).map(|u| starts[u % 4]).collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut draw = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut y = Vec::new();
        for (u, cohort) in cohorts.iter().enumerate() {
            for k in 0..periods {
                let t = first + k as i64;
                let effect = cohort
                    .filter(|&g| t >= g)
                    .map_or(0.0, |g| tau(u % 4, t - g));
                y.push(0.3 * u as f64 + (k as f64 / 2.0).sin() * 2.0 + effect + noise * draw());
            }
        }
        (cohorts, y)
    }

    fn panel<'a>(cohorts: &'a [Option<i64>], y: &'a [f64], first: i64) -> Panel<'a> {
        let periods = y.len() / cohorts.len();
        Panel {
            first,
            periods,
            cohort: cohorts,
            y,
        }
    }

    fn close(what: &str, got: f64, want: f64, tol: f64) {
        let scale = want.abs().max(1.0);
        assert!(
            (got - want).abs() <= tol * scale,
            "{what}: got {got:?}, want {want:?} (tolerance {tol:e})"
        );
    }

    fn at(events: &[EventEstimate], e: i64) -> Estimate {
        events
            .iter()
            .find(|x| x.event_time == e)
            .expect("event time estimated")
            .value
    }

    fn check_events(what: &str, got: &[EventEstimate], want: &[(i64, f64, f64)]) {
        let times: Vec<i64> = got.iter().map(|e| e.event_time).collect();
        let expected: Vec<i64> = want.iter().map(|w| w.0).collect();
        assert_eq!(times, expected, "{what}: event times");
        for (g, &(e, estimate, se)) in got.iter().zip(want) {
            close(&format!("{what} e={e}"), g.value.estimate, estimate, 1e-9);
            close(&format!("{what} e={e} se"), g.value.se, se, 1e-9);
        }
    }

    fn check_wald(what: &str, got: Option<Wald>, want: (f64, usize, f64)) {
        let got = got.unwrap_or_else(|| panic!("{what}: no pre-trend test"));
        close(what, got.statistic, want.0, 1e-9);
        assert_eq!(got.df, want.1, "{what}: df");
        close(&format!("{what} p"), got.p_value, want.2, 1e-9);
    }

    fn check_cs(
        fit: &CallawaySantAnna,
        att_gt: &[(i64, i64, f64, f64)],
        dynamic: &[(i64, f64, f64)],
        simple: (f64, f64),
        wald: (f64, usize, f64),
    ) {
        assert_eq!(fit.att_gt.len(), att_gt.len(), "ATT(g,t) cells");
        for (got, &(g, t, estimate, se)) in fit.att_gt.iter().zip(att_gt) {
            assert_eq!((got.cohort, got.period), (g, t));
            close(&format!("ATT({g},{t})"), got.value.estimate, estimate, 1e-9);
            close(&format!("ATT({g},{t}) se"), got.value.se, se, 1e-9);
        }
        check_events("dynamic", &fit.dynamic, dynamic);
        close("simple", fit.overall.estimate, simple.0, 1e-9);
        close("simple se", fit.overall.se, simple.1, 1e-9);
        check_wald("pre-trend", fit.pretrend, wald);
    }

    // ---------------------------------------------------------------------------------------
    // Known answers from the reference software.

    #[test]
    fn callaway_santanna_matches_csdid() {
        let a = cohorts_a();
        let ya = reference_y(&a, 6, 1);
        let pa = panel(&a, &ya, 1);
        let never = callaway_santanna(&pa, Control::NeverTreated, 3).unwrap();
        let (cells, dynamic) = (A_NEVERTREATED_ATT_GT, A_NEVERTREATED_DYNAMIC);
        check_cs(
            &never,
            &cells,
            &dynamic,
            A_NEVERTREATED_SIMPLE,
            A_NEVERTREATED_WALD,
        );
        let later = callaway_santanna(&pa, Control::NotYetTreated, 3).unwrap();
        let (cells, dynamic) = (A_NOTYETTREATED_ATT_GT, A_NOTYETTREATED_DYNAMIC);
        check_cs(
            &later,
            &cells,
            &dynamic,
            A_NOTYETTREATED_SIMPLE,
            A_NOTYETTREATED_WALD,
        );
    }

    #[test]
    fn callaway_santanna_without_never_treated_matches_csdid() {
        let b = cohorts_b();
        let yb = reference_y(&b, 7, 1);
        let pb = panel(&b, &yb, 1);
        let never = callaway_santanna(&pb, Control::NeverTreated, 3).unwrap();
        let (cells, dynamic) = (B_NEVERTREATED_ATT_GT, B_NEVERTREATED_DYNAMIC);
        check_cs(
            &never,
            &cells,
            &dynamic,
            B_NEVERTREATED_SIMPLE,
            B_NEVERTREATED_WALD,
        );
        let later = callaway_santanna(&pb, Control::NotYetTreated, 3).unwrap();
        let (cells, dynamic) = (B_NOTYETTREATED_ATT_GT, B_NOTYETTREATED_DYNAMIC);
        check_cs(
            &later,
            &cells,
            &dynamic,
            B_NOTYETTREATED_SIMPLE,
            B_NOTYETTREATED_WALD,
        );
    }

    #[test]
    fn regressions_match_pyfixest() {
        let cases = [
            (
                cohorts_a(),
                6,
                A_TWFE,
                &A_TWFE_EVENT[..],
                A_TWFE_EVENT_WALD,
                &A_SUN_ABRAHAM[..],
            ),
            (
                cohorts_b(),
                7,
                B_TWFE,
                &B_TWFE_EVENT[..],
                B_TWFE_EVENT_WALD,
                &B_SUN_ABRAHAM[..],
            ),
        ];
        for (cohorts, periods, twfe, event, event_wald, sa) in cases {
            let y = reference_y(&cohorts, periods, 1);
            let p = panel(&cohorts, &y, 1);
            let fit = twfe_static(&p).unwrap();
            close("twfe", fit.estimate, twfe.0, 1e-9);
            close("twfe se", fit.se, twfe.1, 1e-9);
            let fit = twfe_event(&p, 3).unwrap();
            check_events("twfe-event", &fit.events, event);
            check_wald("twfe-event pre-trend", fit.pretrend, event_wald);
            assert_eq!(pretrend_twfe(&fit, 3), fit.pretrend);
            check_events("sun-abraham", &sun_abraham(&p, 3).unwrap().events, sa);
        }
    }

    #[test]
    fn chi_square_survival_matches_scipy() {
        for (x, df, p) in CHI_SQUARE {
            close(
                &format!("chi2.sf({x}, {df})"),
                chi_square_sf(x, df),
                p,
                1e-11,
            );
        }
        for x in [0.1, 1.0, 3.0, 12.5, 60.0] {
            close(
                "df 2 is exponential",
                chi_square_sf(x, 2),
                (-x / 2.0).exp(),
                1e-13,
            );
        }
        assert_eq!(chi_square_sf(0.0, 3), 1.0);
        assert_eq!(chi_square_sf(-1.0, 3), 1.0);
        assert!(chi_square_sf(f64::NAN, 3).is_nan());
    }

    // ---------------------------------------------------------------------------------------
    // Known answers by hand.

    /// 2 treated (cohort 1, dY 3 and 5) and 2 control units (dY 1 and 2), periods 0 and 1.
    fn two_by_two() -> (Vec<Option<i64>>, Vec<f64>) {
        let cohorts = vec![Some(1), Some(1), None, None];
        (cohorts, vec![0.0, 3.0, 1.0, 6.0, 0.0, 1.0, 2.0, 4.0])
    }

    #[test]
    fn two_by_two_by_hand() {
        let (cohorts, y) = two_by_two();
        let p = panel(&cohorts, &y, 0);
        // DiD of means: (3 + 5) / 2 - (1 + 2) / 2.
        let twfe = twfe_static(&p).unwrap();
        close("twfe", twfe.estimate, 2.5, 1e-12);
        // Demeaned D = +-1/4, residuals +-r/2 with r = dY - group mean: X'X = 1/2, scores
        // +-r/4, meat = sum r^2 / 16 = 2.5 / 16; ssc = (8 - 1) / (8 - 3) * 4 / 3 = 28 / 15.
        close(
            "twfe se",
            twfe.se,
            (28.0 / 15.0 * (2.5 / 16.0) / 0.25_f64).sqrt(),
            1e-12,
        );
        close(
            "twfe se = sqrt(7/6)",
            twfe.se,
            (7.0_f64 / 6.0).sqrt(),
            1e-12,
        );
        // Influence function n (dY - mean) / n_group = 2 r: (-2, 2) treated, (1, -1) control.
        let cs = callaway_santanna(&p, Control::NotYetTreated, 0).unwrap();
        let se = 10.0_f64.sqrt() / 4.0;
        for value in [cs.att_gt[0].value, at(&cs.dynamic, 0), cs.overall] {
            close("ATT", value.estimate, 2.5, 1e-12);
            close("ATT se", value.se, se, 1e-12);
        }
        assert_eq!(cs.pretrend, None);
        let event = twfe_event(&p, 5).unwrap();
        assert_eq!(event.events.len(), 1);
        close("twfe-event", event.events[0].value.estimate, 2.5, 1e-12);
        close(
            "sun-abraham",
            sun_abraham(&p, 5).unwrap().events[0].value.estimate,
            2.5,
            1e-12,
        );
    }

    #[test]
    fn three_periods_by_hand() {
        // Five never-treated units y = c + t; unit 5 adopts at 1 (y 0, 3, 5), unit 6 at 2
        // (y 1, 2, 6). ATT(1,1) = 3 - 1, ATT(1,2) = 5 - 2 (base 0), ATT(2,1) = 1 - 1 (base 0,
        // pre-period), ATT(2,2) = 4 - 1 (base 1); with not-yet-treated controls unit 6 joins
        // the controls of ATT(1,1) with dY 1, the same as the never treated.
        let mut cohorts = vec![None; 5];
        cohorts.extend([Some(1), Some(2)]);
        let mut y: Vec<f64> = (0..5)
            .flat_map(|c| [c as f64, c as f64 + 1.0, c as f64 + 2.0])
            .collect();
        y.extend([0.0, 3.0, 5.0, 1.0, 2.0, 6.0]);
        for control in [Control::NeverTreated, Control::NotYetTreated] {
            let cs = callaway_santanna(&panel(&cohorts, &y, 0), control, 1).unwrap();
            let cells: Vec<(i64, i64, f64)> = cs
                .att_gt
                .iter()
                .map(|c| (c.cohort, c.period, c.value.estimate))
                .collect();
            assert_eq!(cells, [(1, 1, 2.0), (1, 2, 3.0), (2, 1, 0.0), (2, 2, 3.0)]);
            close("e = -1", at(&cs.dynamic, -1).estimate, 0.0, 1e-12);
            close("e = 0", at(&cs.dynamic, 0).estimate, 2.5, 1e-12);
            close("e = 1", at(&cs.dynamic, 1).estimate, 3.0, 1e-12);
            close("simple", cs.overall.estimate, 8.0 / 3.0, 1e-12);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Planted truth.

    #[test]
    fn a_constant_effect_is_recovered_by_every_estimator() {
        let (cohorts, y) = planted(100, |_, _| 2.0, 0.0);
        let p = panel(&cohorts, &y, 100);
        close("twfe", twfe_static(&p).unwrap().estimate, 2.0, 1e-9);
        let truth = |e: i64| if e >= 0 { 2.0 } else { 0.0 };
        for fit in [twfe_event(&p, 3).unwrap(), sun_abraham(&p, 3).unwrap()] {
            for e in &fit.events {
                close("event study", e.value.estimate, truth(e.event_time), 1e-9);
            }
        }
        for control in [Control::NeverTreated, Control::NotYetTreated] {
            let cs = callaway_santanna(&p, control, 3).unwrap();
            for cell in &cs.att_gt {
                close(
                    "ATT(g,t)",
                    cell.value.estimate,
                    truth(cell.period - cell.cohort),
                    1e-9,
                );
            }
            for e in &cs.dynamic {
                close("dynamic", e.value.estimate, truth(e.event_time), 1e-9);
            }
            close("simple", cs.overall.estimate, 2.0, 1e-9);
        }
    }

    /// The simple-aggregation truth of `planted`: tau averaged over post cells, each weighted
    /// by its cohort's size (all cohorts have 10 units).
    fn simple_truth(tau: impl Fn(usize, i64) -> f64) -> f64 {
        let cells: Vec<f64> = (1..4)
            .flat_map(|c| {
                let g = [0, 3, 5, 8][c];
                (g..12).map(move |k| (c, k - g))
            })
            .map(|(c, e)| tau(c, e))
            .collect();
        cells.iter().sum::<f64>() / cells.len() as f64
    }

    #[test]
    fn growing_effects_are_recovered_by_cs_and_sa_and_bias_static_twfe_down() {
        let tau = |_: usize, e: i64| 1.0 + 0.5 * e as f64;
        let (cohorts, y) = planted(0, tau, 0.0);
        let p = panel(&cohorts, &y, 0);
        let truth = |e: i64| if e >= 0 { tau(0, e) } else { 0.0 };
        for control in [Control::NeverTreated, Control::NotYetTreated] {
            let cs = callaway_santanna(&p, control, 3).unwrap();
            for e in &cs.dynamic {
                close("cs dynamic", e.value.estimate, truth(e.event_time), 1e-9);
            }
            close("cs simple", cs.overall.estimate, simple_truth(tau), 1e-9);
        }
        // Effects that depend on e alone: the fully dynamic TWFE is right as well.
        for fit in [sun_abraham(&p, 3).unwrap(), twfe_event(&p, 3).unwrap()] {
            for e in &fit.events {
                close("event study", e.value.estimate, truth(e.event_time), 1e-9);
            }
        }
        // Static TWFE compares late adopters with early adopters whose effect keeps growing:
        // biased down, well below the average effect (3.05 here).
        let twfe = twfe_static(&p).unwrap().estimate;
        assert!(
            twfe < simple_truth(tau) - 0.5,
            "static TWFE {twfe} is not biased down"
        );
    }

    #[test]
    fn cohort_heterogeneity_contaminates_twfe_event_leads_but_not_sun_abraham() {
        let tau = |c: usize, e: i64| c as f64 * (1.0 + 0.5 * e as f64);
        let (cohorts, y) = planted(0, tau, 0.0);
        let p = panel(&cohorts, &y, 0);
        let sa = sun_abraham(&p, 4).unwrap();
        for e in &sa.events {
            // Cohorts observed e periods after adoption, equally large: a plain mean.
            let observed: Vec<usize> = (1..4)
                .filter(|&c| e.event_time < 12 - [0, 3, 5, 8][c])
                .collect();
            let want = if e.event_time < 0 {
                0.0
            } else {
                observed.iter().map(|&c| tau(c, e.event_time)).sum::<f64>() / observed.len() as f64
            };
            close("sun-abraham", e.value.estimate, want, 1e-9);
        }
        let leads = twfe_event(&p, 4).unwrap();
        let worst = leads.events.iter().filter(|e| e.event_time < -1);
        let worst = worst.map(|e| e.value.estimate.abs()).fold(0.0, f64::max);
        assert!(
            worst > 0.05,
            "TWFE leads should be contaminated, largest is {worst}"
        );
    }

    #[test]
    fn noisy_panels_cover_the_truth() {
        let tau = |_: usize, e: i64| 1.0 + 0.25 * e as f64;
        let (cohorts, y) = planted(0, tau, 1.0);
        let p = panel(&cohorts, &y, 0);
        let within = |what: &str, value: Estimate, truth: f64| {
            assert!(value.se > 0.0 && value.se < 0.5, "{what}: se {}", value.se);
            let z = (value.estimate - truth) / value.se;
            assert!(
                z.abs() < 4.0,
                "{what}: {} vs {truth} (z = {z})",
                value.estimate
            );
        };
        for control in [Control::NeverTreated, Control::NotYetTreated] {
            let cs = callaway_santanna(&p, control, 3).unwrap();
            within("cs simple", cs.overall, simple_truth(tau));
            within("cs e=2", at(&cs.dynamic, 2), tau(0, 2));
            let wald = cs.pretrend.unwrap();
            assert!(wald.df == 3 && wald.p_value > 0.001, "{wald:?}");
        }
        let sa = sun_abraham(&p, 3).unwrap();
        within("sa e=2", at(&sa.events, 2), tau(0, 2));
        within(
            "twfe-event e=2",
            at(&twfe_event(&p, 3).unwrap().events, 2),
            tau(0, 2),
        );
        assert_eq!(sa.pretrend.unwrap().df, 2);
    }

    // ---------------------------------------------------------------------------------------
    // Sample rules and errors.

    #[test]
    fn always_treated_units_are_dropped_and_late_cohorts_are_never_treated() {
        let a = cohorts_a();
        let y = reference_y(&a, 6, 1);
        // Without the always-treated unit 12, and with cohort 9 written as never treated.
        let keep: Vec<usize> = (0..a.len()).filter(|&u| u != 12).collect();
        let cohorts: Vec<Option<i64>> = keep.iter().map(|&u| a[u].filter(|&g| g <= 6)).collect();
        let y2: Vec<f64> = keep
            .iter()
            .flat_map(|&u| y[u * 6..(u + 1) * 6].to_vec())
            .collect();
        let (p1, p2) = (panel(&a, &y, 1), panel(&cohorts, &y2, 1));
        assert_eq!(twfe_static(&p1), twfe_static(&p2));
        assert_eq!(twfe_event(&p1, 3), twfe_event(&p2, 3));
        assert_eq!(sun_abraham(&p1, 3), sun_abraham(&p2, 3));
        for control in [Control::NeverTreated, Control::NotYetTreated] {
            assert_eq!(
                callaway_santanna(&p1, control, 3),
                callaway_santanna(&p2, control, 3)
            );
        }
    }

    #[test]
    fn twfe_event_without_never_treated_drops_the_smallest_event_time() {
        let b = cohorts_b();
        let y = reference_y(&b, 7, 1);
        let fit = twfe_event(&panel(&b, &y, 1), 3).unwrap();
        let times: Vec<i64> = fit.events.iter().map(|e| e.event_time).collect();
        assert_eq!(times, [-4, -3, -2, 0, 1, 2, 3, 4]); // observed: -5..=4
        assert_eq!(fit.covariance.len(), 64);
    }

    #[test]
    fn unusable_panels_are_refused() {
        let (cohorts, y) = two_by_two();
        let p = |cohorts: &'static [Option<i64>], y: &'static [f64], periods| Panel {
            first: 0,
            periods,
            cohort: cohorts,
            y,
        };
        let shape = Panel {
            first: 0,
            periods: 2,
            cohort: &cohorts,
            y: &y[..7],
        };
        assert!(matches!(
            twfe_static(&shape),
            Err(DidError::Shape { values: 7, .. })
        ));
        assert_eq!(
            twfe_static(&p(&[Some(1), None], &[1.0, 2.0], 1)),
            Err(DidError::TooFewPeriods { periods: 1 })
        );
        let mut bad = y.clone();
        bad[3] = f64::NAN;
        let nan = panel(&cohorts, &bad, 0);
        assert_eq!(
            twfe_static(&nan),
            Err(DidError::NonFinite { unit: 1, period: 1 })
        );
        let untreated = p(&[None, None, Some(0), Some(9)], &[0.0; 8], 2);
        assert_eq!(twfe_static(&untreated), Err(DidError::NoTreated));
        let lonely = p(&[Some(1), Some(0)], &[0.0; 4], 2);
        assert_eq!(
            twfe_static(&lonely),
            Err(DidError::TooFewUnits { units: 1 })
        );
        let single = p(
            &[Some(2), Some(2), Some(2)],
            &[0.0, 1.0, 3.0, 1.0, 2.0, 2.0, 2.0, 4.0, 1.0],
            3,
        );
        assert_eq!(twfe_static(&single), Err(DidError::Collinear));
        assert_eq!(sun_abraham(&single, 2), Err(DidError::NoComparison));
        for control in [Control::NeverTreated, Control::NotYetTreated] {
            assert_eq!(
                callaway_santanna(&single, control, 2),
                Err(DidError::NoComparison)
            );
        }
        let two = panel(&cohorts, &y, 0);
        let small = callaway_santanna(&two, Control::NeverTreated, 1);
        assert_eq!(small, Err(DidError::SmallControl { units: 2 }));
    }

    #[test]
    fn a_cell_without_overlap_is_refused() {
        // 199 units adopting at 2 and one never-treated unit: treated share 0.995.
        let mut cohorts = vec![Some(2); 199];
        cohorts.push(None);
        let y: Vec<f64> = (0..600).map(|i| (i % 7) as f64).collect();
        let fit = callaway_santanna(&panel(&cohorts, &y, 0), Control::NotYetTreated, 1);
        assert_eq!(
            fit,
            Err(DidError::Overlap {
                cohort: 2,
                period: 1
            })
        );
    }

    #[test]
    fn errors_read_as_one_line() {
        let errors = [
            DidError::Shape {
                values: 7,
                units: 4,
                periods: 2,
            },
            DidError::TooFewPeriods { periods: 1 },
            DidError::NonFinite { unit: 3, period: 9 },
            DidError::TooFewUnits { units: 1 },
            DidError::NoTreated,
            DidError::NoComparison,
            DidError::Collinear,
            DidError::SmallControl { units: 2 },
            DidError::NoControls {
                cohort: 4,
                period: 6,
            },
            DidError::Overlap {
                cohort: 4,
                period: 6,
            },
        ];
        for error in errors {
            let text = error.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
        }
    }

    #[test]
    fn wald_tests_by_hand() {
        // Independent estimates 1 and 2 with variances 1 and 4: W = 1 + 1, p = exp(-1).
        let wald = wald(&[1.0, 2.0], &[1.0, 0.0, 0.0, 4.0]).unwrap();
        close("W", wald.statistic, 2.0, 1e-14);
        assert_eq!(wald.df, 2);
        close("p", wald.p_value, (-1.0_f64).exp(), 1e-13);
        assert_eq!(super::wald(&[1.0, 1.0], &[1.0, 1.0, 1.0, 1.0]), None);
        assert_eq!(super::wald(&[], &[]), None);
        let events: Vec<EventEstimate> = [-3, -2, 0]
            .iter()
            .map(|&e| EventEstimate {
                event_time: e,
                value: Estimate {
                    estimate: 1.0,
                    se: 1.0,
                },
            })
            .collect();
        let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let pre = pretrend_wald(&events, &identity, -5, -2).unwrap();
        assert_eq!((pre.statistic, pre.df), (2.0, 2));
        assert_eq!(pretrend_wald(&events, &identity, -1, -1), None);
    }

    // ---------------------------------------------------------------------------------------
    // Reference values for panels A and B (`reference_y`), computed once by the reference
    // software with Python 3.11.7: csdid 0.4.3 (ATTgt(control_group=...).fit(est_method="dr",
    // base_period="varying", bstrap=False), aggte(typec="dynamic" / "simple", bstrap=False),
    // the Wald over dynamic e in -3..=-1 from its influence functions) and pyfixest 0.60.0
    // (feols "y ~ d | unit + period" and "y ~ <event dummies> | unit + period" with
    // vcov={"CRV1": "unit"}; event_study(estimator="saturated").aggregate()), scipy 1.17.1
    // (chi2.sf), numpy 2.4.6, pandas 3.1.1. Tuples: (g, t, ATT, se), (e, estimate, se),
    // (estimate, se), (W, df, p).

    const A_NEVERTREATED_ATT_GT: [(i64, i64, f64, f64); 15] = [
        (3, 2, -0.8375, 0.5420519463114213),
        (3, 3, 1.1187500000000001, 0.34593340670568373),
        (3, 4, 0.8875000000000001, 0.4949037153831036),
        (3, 5, 2.56875, 0.5936365023101258),
        (3, 6, 2.7625, 0.4474842874336483),
        (4, 2, 0.6000000000000001, 0.528572501071413),
        (4, 3, -0.3916666666666666, 0.4558163210313103),
        (4, 4, 1.175, 0.3176301133219092),
        (4, 5, 1.2833333333333332, 0.25704877761637784),
        (4, 6, 2.383333333333333, 0.28179319971817524),
        (6, 2, -0.10833333333333328, 0.5706883433058583),
        (6, 3, -0.39166666666666655, 0.3945696202005232),
        (6, 4, -0.5333333333333334, 0.3836472144890214),
        (6, 5, 0.31666666666666676, 0.7542410951609767),
        (6, 6, 0.8916666666666665, 0.3945696202005232),
    ];
    const A_NEVERTREATED_DYNAMIC: [(i64, f64, f64); 8] = [
        (-4, -0.10833333333333328, 0.5706883433058583),
        (-3, -0.39166666666666655, 0.3945696202005232),
        (-2, 0.033333333333333326, 0.4433249790357375),
        (-1, -0.35749999999999993, 0.3187799005583633),
        (0, 1.0675, 0.16698240925319052),
        (1, 1.0571428571428572, 0.3301249873739183),
        (2, 2.489285714285714, 0.3690326966480549),
        (3, 2.7625, 0.4474842874336483),
    ];
    const A_NEVERTREATED_SIMPLE: (f64, f64) = (1.6625, 0.2363774154303033);
    const A_NEVERTREATED_WALD: (f64, usize, f64) = (2.613891574769644, 3, 0.45505937754377346);
    const A_NOTYETTREATED_ATT_GT: [(i64, i64, f64, f64); 15] = [
        (3, 2, -0.9715909090909092, 0.3545553462675003),
        (3, 3, 1.3323863636363635, 0.29937973195183065),
        (3, 4, 1.2343749999999998, 0.5101209549429184),
        (3, 5, 2.796875, 0.5877316282087216),
        (3, 6, 2.7625, 0.4474842874336483),
        (4, 2, 0.9062499999999999, 0.3317426237352954),
        (4, 3, -0.24479166666666669, 0.43124061693026267),
        (4, 4, 1.3749999999999998, 0.29682930934947926),
        (4, 5, 1.3645833333333335, 0.2825090773082771),
        (4, 6, 2.383333333333333, 0.28179319971817524),
        (6, 2, 0.020833333333333336, 0.4088237559461606),
        (6, 3, -0.24479166666666666, 0.3757783324076312),
        (6, 4, -0.5333333333333334, 0.3836472144890214),
        (6, 5, 0.31666666666666676, 0.7542410951609767),
        (6, 6, 0.8916666666666665, 0.3945696202005232),
    ];
    const A_NOTYETTREATED_DYNAMIC: [(i64, f64, f64); 8] = [
        (-4, 0.020833333333333336, 0.4088237559461606),
        (-3, -0.24479166666666666, 0.3757783324076312),
        (-2, 0.18645833333333323, 0.4004025842274479),
        (-1, -0.3670738636363636, 0.3460820950117058),
        (0, 1.2129545454545454, 0.18689562688164507),
        (1, 1.2901785714285714, 0.3218717050625318),
        (2, 2.619642857142857, 0.36971634572159745),
        (3, 2.7625, 0.4474842874336483),
    ];
    const A_NOTYETTREATED_SIMPLE: (f64, f64) = (1.8052962662337662, 0.22954690833777922);
    const A_NOTYETTREATED_WALD: (f64, usize, f64) = (1.4311988252868515, 3, 0.6982381239172257);
    const A_TWFE: (f64, f64) = (1.2186475409836066, 0.15043353227221254);
    const A_TWFE_EVENT: [(i64, f64, f64); 8] = [
        (-5, 0.8868772536561271, 0.29573680275712466),
        (-4, 0.8536626467484588, 0.45993308070777394),
        (-3, 0.07052039549860294, 0.31687217537906287),
        (-2, 0.43701409639621047, 0.30269956985795016),
        (0, 1.1356969150056435, 0.1600026531359209),
        (1, 1.0626138906084508, 0.31071484791064163),
        (2, 2.3863372398514326, 0.3504616179419563),
        (3, 2.6924006693438205, 0.38475482823957496),
    ];
    const A_TWFE_EVENT_WALD: (f64, usize, f64) = (2.9707897068018845, 2, 0.22641292311150785);
    const A_SUN_ABRAHAM: [(i64, f64, f64); 8] = [
        (-5, 0.7166666666666652, 0.5121860133851155),
        (-4, 0.6083333333333407, 0.8389524151103057),
        (-3, 0.004166666666666083, 0.33040977670599153),
        (-2, 0.357499999999995, 0.3298639357330659),
        (0, 1.0674999999999928, 0.19138442261037988),
        (1, 1.0571428571428476, 0.3782021806457729),
        (2, 2.4892857142857023, 0.43190732619584027),
        (3, 2.762499999999979, 0.5260534342102587),
    ];
    const B_NEVERTREATED_ATT_GT: [(i64, i64, f64, f64); 12] = [
        (3, 2, -0.26666666666666666, 0.5165232775938527),
        (3, 3, 1.2999999999999998, 0.3176301133219092),
        (3, 4, 1.5333333333333332, 0.429103285503187),
        (3, 5, 3.0416666666666665, 0.3551864403484562),
        (4, 2, -0.85, 0.6414610060028765),
        (4, 3, 0.42499999999999993, 0.4752776966036687),
        (4, 4, 0.8583333333333334, 0.3945696202005232),
        (4, 5, 1.7833333333333332, 0.4603340172172891),
        (5, 2, -1.3083333333333333, 0.536311131368378),
        (5, 3, 0.6749999999999999, 0.3488871195991939),
        (5, 4, -0.6, 0.3608631627393162),
        (5, 5, 2.3833333333333333, 0.4013403469302259),
    ];
    const B_NEVERTREATED_DYNAMIC: [(i64, f64, f64); 6] = [
        (-3, -1.3083333333333333, 0.536311131368378),
        (-2, -0.08750000000000002, 0.45388561640327163),
        (-1, -0.14722222222222225, 0.28677227932986116),
        (0, 1.513888888888889, 0.28792872250878665),
        (1, 1.6583333333333332, 0.3365091765850166),
        (2, 3.0416666666666665, 0.35518644034845614),
    ];
    const B_NEVERTREATED_SIMPLE: (f64, f64) = (1.8166666666666667, 0.22685789863445247);
    const B_NEVERTREATED_WALD: (f64, usize, f64) = (6.147210843533495, 3, 0.10466366835949337);
    const B_NOTYETTREATED_ATT_GT: [(i64, i64, f64, f64); 12] = [
        (3, 2, 0.321969696969697, 0.5358322205436886),
        (3, 3, 1.0, 0.28602874437352827),
        (3, 4, 1.5052083333333335, 0.45523162324415095),
        (3, 5, 3.0416666666666665, 0.3551864403484562),
        (4, 2, -0.42045454545454547, 0.6477705670772513),
        (4, 3, 0.17187500000000003, 0.46318674966018175),
        (4, 4, 1.0833333333333333, 0.3692655686429283),
        (4, 5, 1.7833333333333332, 0.4603340172172891),
        (5, 2, -1.003787878787879, 0.5373927562622363),
        (5, 3, 0.515625, 0.3420045252172802),
        (5, 4, -0.6, 0.3608631627393162),
        (5, 5, 2.3833333333333333, 0.4013403469302259),
    ];
    const B_NOTYETTREATED_DYNAMIC: [(i64, f64, f64); 6] = [
        (-3, -1.003787878787879, 0.5373927562622363),
        (-2, 0.047585227272727265, 0.4867791259947706),
        (-1, -0.03538510101010098, 0.3007690940821763),
        (0, 1.488888888888889, 0.3157104563986058),
        (1, 1.6442708333333333, 0.33952098271427894),
        (2, 3.0416666666666665, 0.35518644034845614),
    ];
    const B_NOTYETTREATED_SIMPLE: (f64, f64) = (1.7994791666666667, 0.22399142018937254);
    const B_NOTYETTREATED_WALD: (f64, usize, f64) = (4.846282350773646, 3, 0.18340541362963758);
    const B_TWFE: (f64, f64) = (0.9714805825242719, 0.23948775703778336);
    const B_TWFE_EVENT: [(i64, f64, f64); 8] = [
        (-4, 0.6160965593119435, 0.3634827641217136),
        (-3, 0.14623247450247873, 0.20359199279651793),
        (-2, 0.20961332703337812, 0.23029194690912483),
        (0, 1.2455774465865794, 0.25570809396062627),
        (1, 1.8618980861773404, 0.3839288905917795),
        (2, 2.452808174969832, 0.39524545899192953),
        (3, 2.9052608199334053, 0.43096470690123917),
        (4, 3.8464092876182097, 0.7423463527463738),
    ];
    const B_TWFE_EVENT_WALD: (f64, usize, f64) = (0.985296330488948, 2, 0.6110062044713692);
    const B_SUN_ABRAHAM: [(i64, f64, f64); 6] = [
        (-4, 1.2333333333333367, 0.8507561355980366),
        (-3, 0.1750000000000005, 0.3688438408142785),
        (-2, 0.14722222222222428, 0.2948076584552767),
        (0, 1.5138888888888928, 0.22866506827942873),
        (1, 1.6583333333333365, 0.393843578175792),
        (2, 3.0416666666666714, 0.4205671330873569),
    ];
    const CHI_SQUARE: [(f64, usize, f64); 8] = [
        (3.841458820694124, 1, 0.04999999999999989),
        (10.0, 3, 0.01856613546304325),
        (0.5, 7, 0.9994464813904249),
        (100.0, 50, 3.454931382984871e-05),
        (7.0, 2, 0.0301973834223185),
        (0.001, 4, 0.9999998750416589),
        (250.0, 200, 0.009379131668826098),
        (40.0, 5, 1.493367900050393e-07),
    ];
}
