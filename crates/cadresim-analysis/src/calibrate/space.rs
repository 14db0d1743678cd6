//! The parameter space of a calibration: each parameter's prior (uniform or log-uniform on a
//! range) as a map between the unit interval and the parameter's natural scale, and
//! space-filling designs in the unit cube. Every emulator, implausibility and particle lives
//! in the unit cube, where both priors are uniform.

use rand::Rng;

/// A parameter's prior.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prior {
    Uniform,
    /// Uniform in the logarithm (both ends positive).
    LogUniform,
}

impl Prior {
    pub fn name(self) -> &'static str {
        match self {
            Prior::Uniform => "uniform",
            Prior::LogUniform => "log-uniform",
        }
    }
}

/// A calibrated parameter: its key, prior and range; `integer` rounds natural values.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub key: String,
    pub prior: Prior,
    pub low: f64,
    pub high: f64,
    pub integer: bool,
}

impl Parameter {
    /// The natural value at `u` in [0, 1] (u = 0 is `low`, u = 1 is `high`).
    pub fn natural(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let value = match self.prior {
            Prior::Uniform => self.low + u * (self.high - self.low),
            Prior::LogUniform => (self.low.ln() + u * (self.high / self.low).ln()).exp(),
        };
        let value = value.clamp(self.low, self.high);
        if self.integer {
            value.round()
        } else {
            value
        }
    }

    /// Where `value` lies in [0, 1] (the inverse of `natural`, before rounding).
    pub fn unit(&self, value: f64) -> f64 {
        let u = match self.prior {
            Prior::Uniform => (value - self.low) / (self.high - self.low),
            Prior::LogUniform => (value / self.low).ln() / (self.high / self.low).ln(),
        };
        u.clamp(0.0, 1.0)
    }
}

/// Candidate hypercubes compared by the maximin criterion.
const LHS_CANDIDATES: usize = 20;

/// A maximin Latin hypercube of `n` points in [0, 1]^`dims`: the best of 20 random Latin
/// hypercubes by their smallest pairwise distance (Morris & Mitchell 1995's criterion).
pub fn latin_hypercube(n: usize, dims: usize, rng: &mut impl Rng) -> Vec<Vec<f64>> {
    let mut best: Vec<Vec<f64>> = Vec::new();
    let mut best_distance = f64::NEG_INFINITY;
    for _ in 0..LHS_CANDIDATES {
        let design = random_latin_hypercube(n, dims, rng);
        let distance = smallest_distance(&design);
        if distance > best_distance {
            best_distance = distance;
            best = design;
        }
    }
    best
}

fn random_latin_hypercube(n: usize, dims: usize, rng: &mut impl Rng) -> Vec<Vec<f64>> {
    let mut design = vec![vec![0.0; dims]; n];
    for dim in 0..dims {
        let mut strata: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            strata.swap(i, rng.random_range(0..=i));
        }
        for (point, stratum) in design.iter_mut().zip(strata) {
            point[dim] = (stratum as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    design
}

fn smallest_distance(points: &[Vec<f64>]) -> f64 {
    let mut smallest = f64::INFINITY;
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            smallest = smallest.min(squared_distance(a, b));
        }
    }
    smallest
}

pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// `n` of `candidates` spread out: the first candidate, then repeatedly the candidate
/// farthest from those chosen (greedy maximin). Indices in the order chosen.
pub fn spread_subset(candidates: &[Vec<f64>], n: usize) -> Vec<usize> {
    if candidates.is_empty() || n == 0 {
        return Vec::new();
    }
    let mut nearest = vec![f64::INFINITY; candidates.len()];
    let mut chosen = vec![0];
    while chosen.len() < n.min(candidates.len()) {
        let last = &candidates[*chosen.last().expect("one chosen")];
        let mut far = (0, f64::NEG_INFINITY);
        for (i, point) in candidates.iter().enumerate() {
            nearest[i] = nearest[i].min(squared_distance(point, last));
            if nearest[i] > far.1 {
                far = (i, nearest[i]);
            }
        }
        chosen.push(far.0);
    }
    chosen
}

/// A box inside the unit cube.
#[derive(Clone, Debug, PartialEq)]
pub struct Box {
    pub low: Vec<f64>,
    pub high: Vec<f64>,
}

impl Box {
    pub fn unit(dims: usize) -> Box {
        Box {
            low: vec![0.0; dims],
            high: vec![1.0; dims],
        }
    }

    /// The smallest box holding `points`, widened by `margin` of its width on each side
    /// (at least 0.02) and kept inside the unit cube.
    pub fn around(points: &[Vec<f64>], dims: usize, margin: f64) -> Box {
        let mut low = vec![1.0f64; dims];
        let mut high = vec![0.0f64; dims];
        for point in points {
            for d in 0..dims {
                low[d] = low[d].min(point[d]);
                high[d] = high[d].max(point[d]);
            }
        }
        for d in 0..dims {
            let pad = (margin * (high[d] - low[d]).max(0.0)).max(0.02);
            low[d] = (low[d] - pad).max(0.0);
            high[d] = (high[d] + pad).min(1.0);
        }
        Box { low, high }
    }

    pub fn volume(&self) -> f64 {
        self.low
            .iter()
            .zip(&self.high)
            .map(|(l, h)| h - l)
            .product()
    }

    pub fn sample(&self, rng: &mut impl Rng) -> Vec<f64> {
        self.low
            .iter()
            .zip(&self.high)
            .map(|(l, h)| l + rng.random::<f64>() * (h - l))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn parameter(prior: Prior) -> Parameter {
        Parameter {
            key: "x".into(),
            prior,
            low: 1.0,
            high: 16.0,
            integer: false,
        }
    }

    #[test]
    fn priors_map_the_unit_interval_onto_the_range() {
        let uniform = parameter(Prior::Uniform);
        assert_eq!(uniform.natural(0.0), 1.0);
        assert_eq!(uniform.natural(0.5), 8.5);
        assert_eq!(uniform.natural(1.0), 16.0);
        let log = parameter(Prior::LogUniform);
        assert!((log.natural(0.5) - 4.0).abs() < 1e-12);
        assert!((log.natural(0.25) - 2.0).abs() < 1e-12);
        assert!((log.unit(8.0) - 0.75).abs() < 1e-12);
        assert!((uniform.unit(uniform.natural(0.3)) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn a_latin_hypercube_has_one_point_in_each_stratum_of_each_dimension() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let design = latin_hypercube(10, 3, &mut rng);
        for dim in 0..3 {
            let mut strata: Vec<usize> = design.iter().map(|p| (p[dim] * 10.0) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_spread_subset_takes_the_far_corners_first() {
        let points = vec![
            vec![0.0, 0.0],
            vec![0.1, 0.1],
            vec![1.0, 1.0],
            vec![0.0, 1.0],
        ];
        assert_eq!(spread_subset(&points, 3), vec![0, 2, 3]);
    }
}
