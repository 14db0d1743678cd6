//! Statistics used across the project: the spread of replicate values with its t-based 95%
//! interval (kept inside a quantity's bounds by `Spread::within`), the Wilson interval of a
//! share, the Student t quantile, the normal CDF, and an estimate written to the digits its interval
//! supports. Pure
//! functions, no state; the model, the tables and the charts all take them from here.

use serde::Serialize;

/// Standard normal CDF (erfc with fractional error < 1.2e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let (t, polynomial) = erfc_terms(x);
    0.5 * erfc_value(x, t, polynomial.exp())
}

/// `normal_cdf` of every value, in place, with the same operations in the same order (so
/// equal to the last bit): the exponentials of up to four values are taken after all their
/// other terms, so that the processor works on independent values side by side.
pub fn normal_cdfs(values: &mut [f64]) {
    for chunk in values.chunks_mut(4) {
        let mut x = [0.0; 4];
        let mut t = [0.0; 4];
        let mut e = [0.0; 4];
        for (k, z) in chunk.iter().enumerate() {
            x[k] = -*z / std::f64::consts::SQRT_2;
            (t[k], e[k]) = erfc_terms(x[k]);
        }
        for e in &mut e[..chunk.len()] {
            *e = e.exp();
        }
        for (k, z) in chunk.iter_mut().enumerate() {
            *z = 0.5 * erfc_value(x[k], t[k], e[k]);
        }
    }
}

/// erfc(x) = t exp(polynomial), Numerical Recipes' Chebyshev fit: (t, polynomial).
fn erfc_terms(x: f64) -> (f64, f64) {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let polynomial = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    (t, polynomial)
}

/// erfc(x) from `erfc_terms`' t and the exponential of its polynomial.
fn erfc_value(x: f64, t: f64, exponential: f64) -> f64 {
    let value = t * exponential;
    if x >= 0.0 {
        value
    } else {
        2.0 - value
    }
}

/// A mean with its 95% interval (the mean alone, as both bounds, when there is none).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// Mean, standard deviation and t-based 95% interval of replicate values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    /// None with fewer than two values.
    pub sd: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    pub n: usize,
}

impl Spread {
    /// The interval intersected with `bounds`, the values the quantity can take (a share's
    /// [0, 1]). The true mean lies inside the bounds, so the interval covers it exactly as
    /// often as before (Mandelkern 2002, "Setting confidence intervals for bounded
    /// parameters", Statistical Science 17(2)); only the impossible part is cut off.
    pub fn within(self, (low, high): (f64, f64)) -> Spread {
        Spread {
            ci95: self
                .ci95
                .map(|(a, b)| (a.clamp(low, high), b.clamp(low, high))),
            ..self
        }
    }
}

pub fn spread(values: &[f64]) -> Spread {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 {
        return Spread {
            mean,
            sd: None,
            ci95: None,
            n,
        };
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = variance.sqrt();
    let half = student_t_quantile_975(n - 1) * sd / (n as f64).sqrt();
    Spread {
        mean,
        sd: Some(sd),
        ci95: Some((mean - half, mean + half)),
        n,
    }
}

/// A paired comparison of replicate values: the mean of the per-replicate differences
/// (`values - baseline`) with its t-based 95% interval, and the correlation of the pairs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Paired {
    /// Mean, sd and interval of the differences.
    pub difference: Spread,
    /// Pearson correlation of (baseline, values); None with fewer than two pairs or when
    /// either side does not vary.
    pub correlation: Option<f64>,
}

/// Compare `values` with `baseline`, replicate by replicate (equal lengths, pairs by index).
pub fn paired(baseline: &[f64], values: &[f64]) -> Paired {
    let differences: Vec<f64> = values.iter().zip(baseline).map(|(v, b)| v - b).collect();
    Paired {
        difference: spread(&differences),
        correlation: correlation(baseline, values),
    }
}

/// An unpaired comparison of two independent samples (Welch 1947): the difference of their
/// means (`values` − `baseline`), its standard error √(s₁²/n₁ + s₀²/n₀) and a t interval with
/// the Welch–Satterthwaite degrees of freedom
/// (s₁²/n₁ + s₀²/n₀)² / ((s₁²/n₁)²/(n₁−1) + (s₀²/n₀)²/(n₀−1)).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Welch {
    pub difference: f64,
    /// None when either sample has fewer than two values.
    pub se: Option<f64>,
    pub df: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    pub n: usize,
    pub n_baseline: usize,
}

/// Compare `values` with an independent `baseline` sample (Welch's t).
pub fn welch(baseline: &[f64], values: &[f64]) -> Welch {
    let (ours, theirs) = (spread(values), spread(baseline));
    let difference = ours.mean - theirs.mean;
    let mut welch = Welch {
        difference,
        se: None,
        df: None,
        ci95: None,
        n: ours.n,
        n_baseline: theirs.n,
    };
    let (Some(s1), Some(s0)) = (ours.sd, theirs.sd) else {
        return welch;
    };
    let (a, b) = (s1 * s1 / ours.n as f64, s0 * s0 / theirs.n as f64);
    let se = (a + b).sqrt();
    welch.se = Some(se);
    if se > 0.0 {
        let df = (a + b).powi(2) / (a * a / (ours.n - 1) as f64 + b * b / (theirs.n - 1) as f64);
        let half = t_quantile_975(df.max(1.0)) * se;
        welch.df = Some(df);
        welch.ci95 = Some((difference - half, difference + half));
    } else {
        welch.ci95 = Some((difference, difference));
    }
    welch
}

/// A scenario's difference from a baseline: paired under common random numbers (the same
/// seed and replicates), otherwise Welch's unpaired comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Difference {
    Paired(Paired),
    Welch(Welch),
}

impl Difference {
    /// The difference with its 95% interval; `sd` is the paired differences' (None for Welch).
    pub fn spread(&self) -> Spread {
        match self {
            Difference::Paired(paired) => paired.difference,
            Difference::Welch(welch) => Spread {
                mean: welch.difference,
                sd: None,
                ci95: welch.ci95,
                n: welch.n,
            },
        }
    }

    /// `paired` or `welch`, as written in differences.csv.
    pub fn method(&self) -> &'static str {
        match self {
            Difference::Paired(_) => "paired",
            Difference::Welch(_) => "welch",
        }
    }

    /// Replicates of the baseline behind the difference.
    pub fn n_baseline(&self) -> usize {
        match self {
            Difference::Paired(paired) => paired.difference.n,
            Difference::Welch(welch) => welch.n_baseline,
        }
    }

    /// The correlation of the pairs (paired only).
    pub fn correlation(&self) -> Option<f64> {
        match self {
            Difference::Paired(paired) => paired.correlation,
            Difference::Welch(_) => None,
        }
    }
}

/// Pearson correlation of two equally long samples (None when undefined).
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 2 {
        return None;
    }
    let mean = |x: &[f64]| x[..n].iter().sum::<f64>() / n as f64;
    let (mean_a, mean_b) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a[..n].iter().zip(&b[..n]) {
        ab += (x - mean_a) * (y - mean_b);
        aa += (x - mean_a).powi(2);
        bb += (y - mean_b).powi(2);
    }
    (aa > 0.0 && bb > 0.0).then(|| ab / (aa * bb).sqrt())
}

/// Wilson score 95% interval of a share of `successes` in `n`.
pub fn wilson95(successes: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = successes as f64 / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / denominator;
    // With no success (or no failure) the bound is exactly 0 (or 1); the arithmetic would
    // leave a rounding error such as 5.6e-17.
    let low = if p == 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if p == 1.0 {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (bisection on the CDF).
pub fn student_t_quantile_975(df: usize) -> f64 {
    t_quantile_975(df.max(1) as f64)
}

/// The 0.975 quantile of Student's t with real `df` ≥ 1 degrees of freedom (as Welch's
/// approximation gives them).
pub fn t_quantile_975(df: f64) -> f64 {
    let (mut low, mut high) = (0.0_f64, 20.0_f64);
    if df == 1.0 {
        return 12.706_204_736_174_7; // tan(0.475 pi)
    }
    for _ in 0..100 {
        let mid = 0.5 * (low + high);
        if student_t_cdf(mid, df) < 0.975 {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// P(X >= k) for X ~ Binomial(n, p).
pub fn binomial_upper_tail(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let log_choose = |i: usize| {
        ln_gamma(n as f64 + 1.0) - ln_gamma(i as f64 + 1.0) - ln_gamma((n - i) as f64 + 1.0)
    };
    (k..=n)
        .map(|i| (log_choose(i) + i as f64 * p.ln() + (n - i) as f64 * (1.0 - p).ln()).exp())
        .sum::<f64>()
        .min(1.0)
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error about 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI.ln()
            - (std::f64::consts::PI * x).sin().ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The `q` quantile of `values` by linear interpolation between order statistics (Hyndman &
/// Fan 1996 type 7: R's and numpy's default); NaN for no values.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (low, high) = (h.floor() as usize, h.ceil() as usize);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

/// An estimate with its 95% interval, to the digits the interval supports: two significant
/// digits of its half-width (`4.27 [3.91, 4.63]`), or three significant digits without one.
pub fn estimate_text(estimate: f64, ci95: Option<(f64, f64)>) -> String {
    let digits_for = |scale: f64, significant: i32| {
        if scale > 0.0 && scale.is_finite() {
            (significant - 1 - scale.log10().floor() as i32).clamp(0, 9) as usize
        } else {
            3
        }
    };
    match ci95 {
        Some((low, high)) => {
            let d = digits_for((high - low) / 2.0, 2);
            format!("{estimate:.d$} [{low:.d$}, {high:.d$}]")
        }
        None => {
            let d = digits_for(estimate.abs(), 3);
            format!("{estimate:.d$}")
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn welch_matches_scipy_ttest_ind_with_unequal_variances() {
        // scipy.stats.ttest_ind([2, 4, 6], [1, 2, 3, 4], equal_var=False):
        // df 3.234718826405868, 95% interval (-2.5423279549230244, 5.542327954923024).
        let w = super::welch(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0]);
        assert_eq!(w.difference, 1.5);
        assert!((w.df.unwrap() - 3.234718826405868).abs() < 1e-12);
        let (low, high) = w.ci95.unwrap();
        assert!((low + 2.5423279549230244).abs() < 1e-9, "{low}");
        assert!((high - 5.542327954923024).abs() < 1e-9, "{high}");
        assert_eq!((w.n, w.n_baseline), (3, 4));
        assert_eq!(super::welch(&[1.0], &[2.0, 3.0]).ci95, None);
    }

    #[test]
    fn binomial_tail_is_exact_on_small_cases() {
        // P(X >= 2), n = 3, p = 0.5: 4/8.
        assert!((binomial_upper_tail(2, 3, 0.5) - 0.5).abs() < 1e-12);
        assert!((binomial_upper_tail(3, 3, 0.1) - 0.001).abs() < 1e-12);
        assert_eq!(binomial_upper_tail(0, 10, 0.3), 1.0);
    }

    use super::*;

    #[test]
    fn estimates_carry_the_digits_their_interval_supports() {
        assert_eq!(
            estimate_text(4.2714, Some((3.9123, 4.6301))),
            "4.27 [3.91, 4.63]"
        );
        assert_eq!(estimate_text(12.6, Some((2.0, 23.0))), "13 [2, 23]");
        assert_eq!(estimate_text(0.5, None), "0.500");
        assert_eq!(estimate_text(1234.4, None), "1234");
        assert_eq!(estimate_text(1.0, Some((1.0, 1.0))), "1.000 [1.000, 1.000]");
    }

    #[test]
    fn wilson_bounds_are_exact_at_none_and_all() {
        for n in [1, 3, 7, 10, 64, 200] {
            assert_eq!(wilson95(0, n).0, 0.0, "n = {n}");
            assert_eq!(wilson95(n, n).1, 1.0, "n = {n}");
        }
        let (low, high) = wilson95(5, 10);
        assert!((low - 0.236_593).abs() < 1e-6 && (high - 0.763_407).abs() < 1e-6);
    }

    #[test]
    fn paired_differences_by_hand() {
        let baseline = [1.0, 2.0, 3.0, 4.0];
        let values = [1.5, 2.0, 3.5, 5.0];
        let p = paired(&baseline, &values);
        // Differences 0.5, 0, 0.5, 1: mean 0.5, sd sqrt(1/6).
        assert!((p.difference.mean - 0.5).abs() < 1e-12);
        assert!((p.difference.sd.unwrap() - (1.0f64 / 6.0).sqrt()).abs() < 1e-12);
        let (low, high) = p.difference.ci95.unwrap();
        let half = 3.182_446 * (1.0f64 / 6.0).sqrt() / 2.0;
        assert!((high - 0.5 - half).abs() < 1e-5 && (0.5 - low - half).abs() < 1e-5);
        assert!(p.correlation.unwrap() > 0.95);
        let same = paired(&baseline, &baseline);
        assert_eq!(same.difference.mean, 0.0);
        assert_eq!(same.difference.ci95, Some((0.0, 0.0)));
        assert_eq!(correlation(&[1.0, 1.0], &[2.0, 3.0]), None);
    }

    #[test]
    fn normal_cdf_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }

    #[test]
    fn normal_cdfs_equal_normal_cdf_to_the_last_bit() {
        let mut values: Vec<f64> = (0..23).map(|k| (k as f64 - 11.0) * 0.73).collect();
        values.push(0.0);
        values.push(-0.0);
        values.push(40.0);
        let want: Vec<u64> = values.iter().map(|&z| normal_cdf(z).to_bits()).collect();
        normal_cdfs(&mut values);
        let got: Vec<u64> = values.iter().map(|z| z.to_bits()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn t_quantiles_match_tables() {
        for (df, expected) in [
            (1, 12.7062),
            (2, 4.3027),
            (3, 3.1824),
            (7, 2.3646),
            (30, 2.0423),
            (1000, 1.9623),
        ] {
            assert!(
                (student_t_quantile_975(df) - expected).abs() < 1e-3,
                "df {df}"
            );
        }
    }

    #[test]
    fn spread_of_replicates() {
        let s = spread(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd.unwrap() - 1.290_994_448_7).abs() < 1e-9);
        let (low, high) = s.ci95.unwrap();
        assert!((high - 2.5 - 3.182_446 * 1.290_994_448_7 / 2.0).abs() < 1e-4);
        assert!((2.5 - low - (high - 2.5)).abs() < 1e-12);
        assert_eq!(spread(&[3.0]).sd, None);
    }
}
