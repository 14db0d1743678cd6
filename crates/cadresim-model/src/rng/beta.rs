//! Beta draws for recruits' public-service motivation: rand_distr 0.5's `Beta` (Cheng 1978,
//! algorithms BB and BC) operation for operation, so the draws are the same bits, except that
//! the logarithms of constants (ln 4, ln 5) are computed once rather than at every attempt.

use std::cmp::Ordering;

use rand_distr::Open01;

use crate::rng::Stream;

/// Beta(alpha, beta) with both parameters positive.
#[derive(Clone, Copy, Debug)]
pub struct Beta {
    /// The smaller parameter for BB, the larger for BC (as rand_distr stores them).
    a: f64,
    b: f64,
    switched: bool,
    algorithm: Algorithm,
    ln4: f64,
    ln5: f64,
}

#[derive(Clone, Copy, Debug)]
enum Algorithm {
    /// Both parameters above 1.
    BB { alpha: f64, beta: f64, gamma: f64 },
    /// At least one parameter at or below 1.
    BC {
        alpha: f64,
        beta: f64,
        kappa1: f64,
        kappa2: f64,
    },
}

impl Beta {
    /// None unless both parameters are positive.
    pub fn new(alpha: f64, beta: f64) -> Option<Self> {
        let positive = |x: f64| x > 0.0;
        if !positive(alpha) || !positive(beta) {
            return None;
        }
        let (a, b, switched) = if alpha < beta {
            (alpha, beta, false)
        } else {
            (beta, alpha, true)
        };
        let (a, b, switched, algorithm) = if a > 1.0 {
            let alpha = a + b;
            let beta = ((alpha - 2.0) / (2.0 * a * b - alpha)).sqrt();
            let gamma = a + 1.0 / beta;
            (a, b, switched, Algorithm::BB { alpha, beta, gamma })
        } else {
            let (a, b, switched) = (b, a, !switched);
            let alpha = a + b;
            let beta = 1.0 / b;
            let delta = 1.0 + a - b;
            let kappa1 = delta * (1. / 18. / 4. + 3. / 18. / 4. * b) / (a * beta - 14. / 18.);
            let kappa2 = 0.25 + (0.5 + 0.25 / delta) * b;
            let algorithm = Algorithm::BC {
                alpha,
                beta,
                kappa1,
                kappa2,
            };
            (a, b, switched, algorithm)
        };
        Some(Beta {
            a,
            b,
            switched,
            algorithm,
            ln4: 4.0f64.ln(),
            ln5: 5.0f64.ln(),
        })
    }

    /// One draw.
    pub fn sample(&self, stream: &mut Stream) -> f64 {
        let w = match self.algorithm {
            Algorithm::BB { alpha, beta, gamma } => self.bb(stream, alpha, beta, gamma),
            Algorithm::BC {
                alpha,
                beta,
                kappa1,
                kappa2,
            } => self.bc(stream, alpha, beta, kappa1, kappa2),
        };
        if !self.switched {
            if w == f64::INFINITY {
                return 1.0;
            }
            w / (self.b + w)
        } else {
            self.b / (self.b + w)
        }
    }

    /// v = beta ln(u1 / (1 - u1)) and w = a e^v, as both algorithms compute them.
    #[inline(always)]
    fn v_and_w(&self, beta: f64, u1: f64) -> (f64, f64) {
        let v = beta * (u1 / (1.0 - u1)).ln();
        (v, self.a * v.exp())
    }

    fn bb(&self, stream: &mut Stream, alpha: f64, beta: f64, gamma: f64) -> f64 {
        loop {
            let u1: f64 = stream.sample(&Open01);
            let u2: f64 = stream.sample(&Open01);
            let (v, w) = self.v_and_w(beta, u1);
            let z = u1 * u1 * u2;
            let r = gamma * v - self.ln4;
            let s = self.a + r - w;
            if s + 1.0 + self.ln5 >= 5.0 * z {
                return w;
            }
            let t = z.ln();
            if s >= t {
                return w;
            }
            // Not below, NaN included (rand_distr's `!(x < t)`).
            let x = r + alpha * (alpha / (self.b + w)).ln();
            if x.partial_cmp(&t) != Some(Ordering::Less) {
                return w;
            }
        }
    }

    fn bc(&self, stream: &mut Stream, alpha: f64, beta: f64, kappa1: f64, kappa2: f64) -> f64 {
        loop {
            let z;
            let u1: f64 = stream.sample(&Open01);
            let u2: f64 = stream.sample(&Open01);
            if u1 < 0.5 {
                let y = u1 * u2;
                z = u1 * y;
                if 0.25 * u2 + z - y >= kappa1 {
                    continue;
                }
            } else {
                z = u1 * u1 * u2;
                if z <= 0.25 {
                    return self.v_and_w(beta, u1).1;
                }
                if z >= kappa2 {
                    continue;
                }
            }
            let (v, w) = self.v_and_w(beta, u1);
            let x = alpha * ((alpha / (self.b + w)).ln() + v) - self.ln4;
            if x.partial_cmp(&z.ln()) != Some(Ordering::Less) {
                return w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Phase, ReplicateKey};

    /// Every parameter shape (both above 1, one or both at or below 1, equal, switched):
    /// the same bits as rand_distr's Beta from the same stream.
    #[test]
    fn draws_the_same_bits_as_rand_distr() {
        let key = ReplicateKey::new(3, 1);
        let pairs = [
            (2.0, 2.0),
            (2.0, 5.0),
            (5.0, 2.0),
            (1.5, 1.2),
            (0.5, 0.5),
            (0.3, 2.0),
            (2.0, 0.3),
            (1.0, 1.0),
            (1.0, 3.0),
            (0.9, 0.2),
        ];
        for (index, &(alpha, beta)) in pairs.iter().enumerate() {
            let ours = Beta::new(alpha, beta).unwrap();
            let theirs = rand_distr::Beta::new(alpha, beta).unwrap();
            let mut a = key.stream(index as u64, 0, Phase::Init);
            let mut b = key.stream(index as u64, 0, Phase::Init);
            for draw in 0..20_000 {
                let x = ours.sample(&mut a);
                let y: f64 = b.sample(&theirs);
                assert_eq!(
                    x.to_bits(),
                    y.to_bits(),
                    "Beta({alpha}, {beta}) draw {draw}"
                );
            }
        }
    }

    #[test]
    fn refuses_parameters_that_are_not_positive() {
        assert!(Beta::new(0.0, 1.0).is_none());
        assert!(Beta::new(1.0, -1.0).is_none());
        assert!(Beta::new(f64::NAN, 1.0).is_none());
    }
}
