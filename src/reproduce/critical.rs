//! The critical penalty as a level crossing: where the mean curve of a metric over replicates,
//! on a grid of an axis (the penalty), first crosses a level, with a percentile bootstrap
//! interval over replicates (Efron & Tibshirani 1993, ch. 13). The mean curve is smooth where
//! single replicates' curves are not, so the crossing is a property of the corps' expected
//! response, not a tipping point of any one run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bootstrap resamples of the replicates behind each interval.
pub const RESAMPLES: usize = 2000;

/// Where a curve crosses the level, on the axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Position {
    /// The condition already holds at the grid's first value: the crossing lies below it.
    Below,
    /// Between two grid values (interpolated linearly in the log of the axis).
    At(f64),
    /// The condition holds nowhere on the grid: the crossing lies above its last value.
    Above,
}

impl Position {
    /// An order on positions: below the grid, then by value, then above it.
    fn key(self) -> f64 {
        match self {
            Position::Below => f64::NEG_INFINITY,
            Position::At(x) => x,
            Position::Above => f64::INFINITY,
        }
    }
}

/// Which side of the level the condition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The metric falls below the level.
    Below,
    /// The metric rises above the level.
    Above,
}

/// A crossing with its 95% percentile bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossing {
    pub estimate: Position,
    pub low: Position,
    pub high: Position,
}

/// The first crossing of `level` by the curve `means` on the increasing grid `xs` (> 0).
pub fn crossing(xs: &[f64], means: &[f64], level: f64, direction: Direction) -> Position {
    let holds = |m: f64| match direction {
        Direction::Below => m < level,
        Direction::Above => m > level,
    };
    match means.iter().position(|&m| holds(m)) {
        None => Position::Above,
        Some(0) => Position::Below,
        Some(i) => {
            let (m0, m1) = (means[i - 1], means[i]);
            let t = (m0 - level) / (m0 - m1);
            let (l0, l1) = (xs[i - 1].ln(), xs[i].ln());
            Position::At((l0 + t * (l1 - l0)).exp())
        }
    }
}

/// The crossing of the mean curve of `curves` (`curves[r][i]`: replicate r at `xs[i]`) and
/// its interval from `RESAMPLES` resamples of the replicates (seeded by `seed`).
pub fn estimate(
    xs: &[f64],
    curves: &[Vec<f64>],
    level: f64,
    direction: Direction,
    seed: u64,
) -> Crossing {
    let mean_curve = |rows: &mut dyn Iterator<Item = usize>, sums: &mut Vec<f64>| {
        sums.iter_mut().for_each(|s| *s = 0.0);
        let mut n = 0usize;
        for r in rows {
            for (sum, value) in sums.iter_mut().zip(&curves[r]) {
                *sum += value;
            }
            n += 1;
        }
        sums.iter_mut().for_each(|s| *s /= n.max(1) as f64);
    };
    let mut sums = vec![0.0; xs.len()];
    mean_curve(&mut (0..curves.len()), &mut sums);
    let estimate = crossing(xs, &sums, level, direction);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Replicates are counted in u32 so that the draws are the same on every platform.
    let n = curves.len();
    let mut draws: Vec<Position> = (0..RESAMPLES)
        .map(|_| {
            let mut rows = (0..n).map(|_| rng.random_range(0..n as u32) as usize);
            mean_curve(&mut rows, &mut sums);
            crossing(xs, &sums, level, direction)
        })
        .collect();
    draws.sort_by(|a, b| a.key().total_cmp(&b.key()));
    Crossing {
        estimate,
        low: percentile(&draws, 0.025),
        high: percentile(&draws, 0.975),
    }
}

/// The `q` quantile of sorted positions (type 7, interpolated in the log of the axis between
/// two crossings on the grid; a neighbour off the grid gives that side).
fn percentile(sorted: &[Position], q: f64) -> Position {
    let h = (sorted.len() - 1) as f64 * q;
    let (lower, upper) = (sorted[h.floor() as usize], sorted[h.ceil() as usize]);
    match (lower, upper) {
        (Position::At(a), Position::At(b)) => {
            let t = h - h.floor();
            Position::At((a.ln() + t * (b.ln() - a.ln())).exp())
        }
        (Position::Below, _) => Position::Below,
        (_, Position::Above) => Position::Above,
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crossing_interpolates_in_the_log_of_the_axis() {
        let xs = [1.0, 2.0, 4.0, 8.0];
        let means = [0.9, 0.5, 0.3, 0.1];
        // 0.2 lies halfway between 0.3 (at 4) and 0.1 (at 8): the geometric midpoint.
        match crossing(&xs, &means, 0.2, Direction::Below) {
            Position::At(x) => assert!((x - 32f64.sqrt()).abs() < 1e-12, "{x}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            crossing(&xs, &means, 0.95, Direction::Below),
            Position::Below
        );
        assert_eq!(
            crossing(&xs, &means, 0.05, Direction::Below),
            Position::Above
        );
        assert_eq!(
            crossing(&xs, &means, 0.4, Direction::Above),
            Position::Below
        );
        // The first crossing counts when the curve comes back.
        let back = [0.9, 0.1, 0.3, 0.1];
        match crossing(&xs, &back, 0.5, Direction::Below) {
            Position::At(x) => assert!(x > 1.0 && x < 2.0, "{x}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn percentiles_keep_sides_off_the_grid() {
        let sorted = [
            Position::Below,
            Position::At(2.0),
            Position::At(8.0),
            Position::Above,
        ];
        assert_eq!(percentile(&sorted, 0.0), Position::Below);
        assert_eq!(percentile(&sorted, 0.1), Position::Below);
        match percentile(&sorted, 0.5) {
            Position::At(x) => assert!((x - 4.0).abs() < 1e-12, "{x}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(percentile(&sorted, 0.9), Position::Above);
    }

    /// A standard normal draw (Box–Muller).
    fn normal(rng: &mut ChaCha8Rng) -> f64 {
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Coverage and bias of the interval on a planted case: replicate r responds as
    /// Φ((a_r − ln x) / 0.8) + noise with a_r ~ N(ln 8, 0.15²) and noise N(0, 0.02²) per point,
    /// 20 replicates on the grid of critical-penalty.toml (13 log-spaced points from 1 to 64).
    /// The mean curve of infinitely many replicates on a dense grid is
    /// Φ((ln 8 − ln x) / √(0.8² + 0.15²)), so the true crossing of 0.2 is
    /// 8 · exp(√0.6625 · Φ⁻¹(0.8)).
    #[test]
    fn the_interval_covers_a_planted_crossing() {
        let xs: Vec<f64> = (0..13).map(|i| 2f64.powf(i as f64 / 2.0)).collect();
        let truth = 8.0 * (0.6625f64.sqrt() * 0.8416212335729143).exp();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let datasets = 400;
        let (mut covered, mut errors, mut half_widths) = (0, Vec::new(), Vec::new());
        for dataset in 0..datasets {
            let curves: Vec<Vec<f64>> = (0..20)
                .map(|_| {
                    let a = 8f64.ln() + 0.15 * normal(&mut rng);
                    xs.iter()
                        .map(|x| {
                            crate::stats::normal_cdf((a - x.ln()) / 0.8) + 0.02 * normal(&mut rng)
                        })
                        .collect()
                })
                .collect();
            let found = estimate(&xs, &curves, 0.2, Direction::Below, dataset);
            let (Position::At(x), Position::At(low), Position::At(high)) =
                (found.estimate, found.low, found.high)
            else {
                panic!("{found:?}");
            };
            covered += usize::from(low <= truth && truth <= high);
            errors.push(x - truth);
            half_widths.push((high - low) / 2.0);
        }
        let coverage = covered as f64 / datasets as f64;
        let bias = errors.iter().sum::<f64>() / datasets as f64;
        let half_width = half_widths.iter().sum::<f64>() / datasets as f64;
        eprintln!("coverage {coverage}, bias {bias}, mean half-width {half_width}, truth {truth}");
        assert!(coverage >= 0.93, "coverage {coverage}");
        assert!(
            bias.abs() < half_width / 2.0,
            "bias {bias}, half-width {half_width}"
        );
    }
}
