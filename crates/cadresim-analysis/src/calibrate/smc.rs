//! ABC-SMC's one entry: it runs the acceptor the settings name, the uniform one (`abc`) or
//! the stochastic one (`stochastic`), which share the model, the population and the
//! perturbation kernel `abc` defines (so neither of those modules imports the other's
//! caller).

use rand::Rng;

use super::abc::{uniform_smc, Acceptor, Generation, Outcome, Problem, Settings};
use super::stochastic::stochastic_smc;

/// Run ABC-SMC against `observed` summaries with the settings' acceptor; `report` hears of
/// each generation when done.
pub fn abc_smc(
    settings: &Settings,
    problem: Problem,
    rng: &mut impl Rng,
    report: &mut dyn FnMut(&Generation),
) -> Outcome {
    match settings.acceptor {
        Acceptor::Uniform => uniform_smc(settings, problem, rng, report),
        Acceptor::Stochastic => stochastic_smc(settings, problem, rng, report),
    }
}

/// Both acceptors through the one entry: a normal mean recovered, and a stochastic run that
/// stops above temperature 1 says so.
#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    use super::super::abc::{Model, Threshold};
    use super::super::space::Box;
    use super::*;

    /// y ~ N(mean(x), sd²) on the unit interval, its density known exactly: the test models
    /// of this file.
    pub(super) struct Gaussian {
        pub(super) mean: fn(f64) -> f64,
        pub(super) sd: f64,
    }

    impl Model for Gaussian {
        fn simulate(
            &self,
            points: &[Vec<f64>],
            rng: &mut dyn rand::RngCore,
        ) -> Vec<Option<Vec<f64>>> {
            points
                .iter()
                .map(|p| {
                    let z: f64 = StandardNormal.sample(rng);
                    Some(vec![(self.mean)(p[0]) + self.sd * z])
                })
                .collect()
        }

        fn log_density(&self, points: &[Vec<f64>], observed: &[f64]) -> Vec<Option<f64>> {
            let log_normal = |r: f64| -0.5 * (r / self.sd).powi(2) - self.sd.ln();
            points
                .iter()
                .map(|p| Some(log_normal(observed[0] - (self.mean)(p[0]))))
                .collect()
        }
    }

    /// y ~ N(x, 0.05²): the posterior given y = 0.4 is N(0.4, 0.05²) (truncation at 0 and 1
    /// is negligible).
    const NORMAL: Gaussian = Gaussian {
        mean: |x| x,
        sd: 0.05,
    };

    #[test]
    fn the_posterior_of_a_normal_mean_is_recovered() {
        for acceptor in [Acceptor::Uniform, Acceptor::Stochastic] {
            recover_a_normal_mean(acceptor);
        }
    }

    fn recover_a_normal_mean(acceptor: Acceptor) {
        let settings = Settings {
            population: 2000,
            generations: 8,
            min_acceptance: 0.01,
            max_proposals_factor: 1000,
            acceptor,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let problem = Problem {
            model: &NORMAL,
            region: &Box::unit(1),
            observed: &[0.4],
        };
        let outcome = abc_smc(&settings, problem, &mut rng, &mut |_| {});
        let p = &outcome.population;
        let mean: f64 = p.points.iter().zip(&p.weights).map(|(x, w)| w * x[0]).sum();
        let variance: f64 = p
            .points
            .iter()
            .zip(&p.weights)
            .map(|(x, w)| w * (x[0] - mean).powi(2))
            .sum();
        // Monte Carlo error of the mean ≈ 0.05 / sqrt(ESS) < 0.003; the ABC tolerance widens
        // the posterior a little (sd 0.05 at epsilon 0).
        assert!((mean - 0.4).abs() < 0.01, "mean {mean}");
        assert!(
            (variance.sqrt() - 0.05).abs() < 0.01,
            "sd {}",
            variance.sqrt()
        );
        assert!(outcome.generations.len() >= 5);
        let thresholds: Vec<f64> = outcome.generations[1..]
            .iter()
            .map(|g| match g.threshold {
                Threshold::Epsilon(x) | Threshold::Temperature(x) => x,
                Threshold::Prior => f64::NAN,
            })
            .collect();
        assert!(
            thresholds.windows(2).all(|t| t[1] <= t[0]),
            "{thresholds:?}"
        );
        if acceptor == Acceptor::Stochastic {
            assert_eq!(thresholds.len(), 8);
            assert_eq!(thresholds[7], 1.0);
        }
        assert_eq!(outcome.unfinished_temperature(&settings), None);
    }

    #[test]
    fn a_stochastic_run_that_stops_above_temperature_one_says_so() {
        // Two proposals per particle: the prior sample fits, a tempered generation cannot.
        let settings = Settings {
            population: 200,
            generations: 8,
            min_acceptance: 0.01,
            max_proposals_factor: 2,
            acceptor: Acceptor::Stochastic,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let problem = Problem {
            model: &NORMAL,
            region: &Box::unit(1),
            observed: &[0.4],
        };
        let outcome = abc_smc(&settings, problem, &mut rng, &mut |_| {});
        let stopped = outcome.unfinished_temperature(&settings);
        assert!(stopped.is_some_and(|t| t > 1.0), "{stopped:?}");
        let uniform = Settings {
            acceptor: Acceptor::Uniform,
            ..settings
        };
        let outcome = abc_smc(&uniform, problem, &mut rng, &mut |_| {});
        assert_eq!(outcome.unfinished_temperature(&uniform), None);
    }
}

/// Simulation-based calibration (Talts et al. 2018) of both acceptors on a linear Gaussian
/// model with six summaries, one of which pins a parameter down: the uniform acceptor's
/// tolerance widens that parameter's posterior, the stochastic acceptor's does not.
#[cfg(test)]
mod coverage {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    use super::super::abc::{Acceptor, Model, Problem, Settings};
    use super::super::sbc::covers;
    use super::super::space::Box;
    use super::abc_smc;

    /// Noise sd of each summary: the first 0.02, the rest 0.3.
    const SD: [f64; 6] = [0.02, 0.3, 0.3, 0.3, 0.3, 0.3];

    struct Linear;

    impl Linear {
        fn means(p: &[f64]) -> [f64; 6] {
            [
                p[0],
                p[1] + p[2],
                p[1] - p[2],
                0.5 * p[1],
                0.5 * p[2],
                0.1 * p[0],
            ]
        }
    }

    impl Model for Linear {
        fn simulate(
            &self,
            points: &[Vec<f64>],
            rng: &mut dyn rand::RngCore,
        ) -> Vec<Option<Vec<f64>>> {
            points
                .iter()
                .map(|p| {
                    let means = Linear::means(p);
                    let noise = |i: usize, rng: &mut dyn rand::RngCore| {
                        let z: f64 = StandardNormal.sample(rng);
                        means[i] + SD[i] * z
                    };
                    Some((0..6).map(|i| noise(i, rng)).collect())
                })
                .collect()
        }

        fn log_density(&self, points: &[Vec<f64>], observed: &[f64]) -> Vec<Option<f64>> {
            points
                .iter()
                .map(|p| {
                    let means = Linear::means(p);
                    let log: f64 = (0..6)
                        .map(|i| -0.5 * ((observed[i] - means[i]) / SD[i]).powi(2) - SD[i].ln())
                        .sum();
                    Some(log)
                })
                .collect()
        }
    }

    /// Coverage of the central 50% and 90% intervals per parameter over `datasets`.
    pub(super) fn coverage(acceptor: Acceptor, datasets: usize) -> [[f64; 3]; 2] {
        let settings = Settings {
            population: 300,
            generations: 10,
            min_acceptance: 0.01,
            max_proposals_factor: 1000,
            acceptor,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut counts = [[0usize; 3]; 2];
        for _ in 0..datasets {
            let truth: Vec<f64> = (0..3).map(|_| rand::Rng::random::<f64>(&mut rng)).collect();
            let observed = Linear.simulate(std::slice::from_ref(&truth), &mut rng)[0]
                .clone()
                .expect("inside");
            let problem = Problem {
                model: &Linear,
                region: &Box::unit(3),
                observed: &observed,
            };
            let outcome = abc_smc(&settings, problem, &mut rng, &mut |_| {});
            let p = &outcome.population;
            for d in 0..3 {
                let values: Vec<f64> = p.points.iter().map(|x| x[d]).collect();
                for (level, count) in [0.5, 0.9].iter().zip(counts.iter_mut()) {
                    count[d] += covers(&values, &p.weights, truth[d], *level) as usize;
                }
            }
        }
        counts.map(|row| row.map(|c| c as f64 / datasets as f64))
    }

    /// Datasets per acceptor; binomial standard errors 0.065 at 50% and 0.039 at 90%.
    const DATASETS: usize = 60;

    #[test]
    fn the_stochastic_acceptor_covers_at_the_nominal_rates() {
        let [c50, c90] = coverage(Acceptor::Stochastic, DATASETS);
        for d in 0..3 {
            // Within three binomial standard errors.
            assert!((c50[d] - 0.5).abs() <= 0.19, "50%: {c50:?}");
            assert!((c90[d] - 0.9).abs() <= 0.117, "90%: {c90:?}");
        }
    }

    #[test]
    fn the_uniform_acceptor_is_conservative_where_one_summary_pins_a_parameter() {
        let [c50, _] = coverage(Acceptor::Uniform, DATASETS);
        assert!(c50[0] > 0.75, "50%: {c50:?}");
    }
}

/// Simulation-based calibration of the stochastic acceptor on a curved response: one
/// summary that rises steeply at one end of the parameter's range and flatly at the other
/// (the shape of the China calibration's E2 against the veto share, whose check leans high
/// in rank), observed with Gaussian noise whose density the sampler is given exactly. The
/// sampler alone must leave the ranks uniform; the asymmetric posteriors of a curved response
/// are not a reason for them to lean.
#[cfg(test)]
mod curved {
    use rand::SeedableRng;

    use super::super::abc::{Acceptor, Model, Problem, Settings};
    use super::super::sbc::{rank_bin, uniformity_p, RANK_BINS};
    use super::super::space::Box;
    use super::abc_smc;
    use super::tests::Gaussian;

    /// The summary's noise sd (E2's observation, discrepancy and ensemble noise together).
    const SD: f64 = 0.053;

    /// 0.86 (1 − exp(−v / 0.29)) for v = 0.05 + 0.35 u: slope 2.5 at v = 0.05, 0.9 at 0.35.
    fn mean(u: f64) -> f64 {
        let v = 0.05 + 0.35 * u;
        0.86 * (1.0 - (-v / 0.29).exp())
    }

    /// The curved response observed with E2's noise.
    const CURVED: Gaussian = Gaussian { mean, sd: SD };

    #[test]
    fn the_ranks_of_a_curved_response_are_uniform() {
        let settings = Settings {
            population: 300,
            generations: 6,
            min_acceptance: 0.01,
            max_proposals_factor: 1000,
            acceptor: Acceptor::Stochastic,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let datasets = 300;
        let mut histogram = [0usize; RANK_BINS];
        for _ in 0..datasets {
            let truth: f64 = rand::Rng::random(&mut rng);
            let observed = CURVED.simulate(&[vec![truth]], &mut rng)[0]
                .clone()
                .expect("inside");
            let problem = Problem {
                model: &CURVED,
                region: &Box::unit(1),
                observed: &observed,
            };
            let p = abc_smc(&settings, problem, &mut rng, &mut |_| {}).population;
            let values: Vec<f64> = p.points.iter().map(|x| x[0]).collect();
            histogram[rank_bin(&values, &p.weights, truth)] += 1;
        }
        let above: usize = histogram[RANK_BINS / 2..].iter().sum();
        // Half above the median, within three binomial standard errors (26 of 300); the
        // China check's veto share had 123 of 200 (62%), which would be 185 of 300.
        assert!(above.abs_diff(datasets / 2) <= 26, "{above} of {datasets}");
        let p = uniformity_p(&histogram);
        assert!(p >= 0.01, "χ² p {p}: {histogram:?}");
    }
}
