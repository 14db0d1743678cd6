//! ABC-SMC with a stochastic acceptor: exact inference for a model whose summaries carry
//! Gaussian noise of known covariance (Wilkinson 2013, "Approximate Bayesian computation
//! gives exact results under the assumption of model error"; Schälte & Hasenauer 2020), as
//! pyABC's `StochasticAcceptor` with `pdf_norm_max_found` and its default `Temperature`:
//! `AcceptanceRateScheme(target_rate = 0.3)` and `ExpDecayFixedIterScheme` aggregated by
//! their minimum, never rising, the last generation at temperature 1. A proposal whose
//! observed summaries have log density d is accepted with probability
//! min(1, exp((d − c) / T)) and weighted by max(1, exp((d − c) / T)) × prior / proposal
//! density; at T = 1 the population is a weighted sample of the posterior itself, not of a
//! tolerance-widened one. Single-threaded and driven by one seeded generator.

use rand::Rng;

use super::abc::BATCH;
use super::abc::{
    perturbed, Generation, Kernel, Outcome, Population, Problem, Settings, Threshold,
};

/// pyABC's `AcceptanceRateScheme` target acceptance rate.
const TARGET_RATE: f64 = 0.3;
/// The range of log(1 / T) that scheme searches (pyABC's).
const LOG_BETA_RANGE: (f64, f64) = (-100.0, 0.0);

/// Proposals of one generation, accepted or not, from which the next temperature is chosen.
#[derive(Default)]
struct Records {
    points: Vec<Vec<f64>>,
    /// log p(observed | point).
    densities: Vec<f64>,
    /// log q(point), the density the point was proposed from, up to a constant.
    proposal: Vec<f64>,
}

/// One generation's outcome: the accepted population with its log densities, its proposals.
struct Sample {
    population: Population,
    densities: Vec<f64>,
    records: Records,
    proposals: usize,
}

/// How a generation proposes: from the prior (the region), or by moving the previous
/// population with its kernel.
#[derive(Clone, Copy)]
enum Proposal<'a> {
    Prior,
    Moved(&'a Kernel, &'a Population),
}

/// How a generation accepts: every proposal with equal weight (the prior sample, which only
/// sets the first temperature and the normalisation), or stochastically at a normalisation
/// and temperature.
#[derive(Clone, Copy)]
enum Acceptance {
    All,
    Tempered { norm: f64, temperature: f64 },
}

impl Acceptance {
    /// log of (density / normalisation)^(1 / temperature).
    fn log_ratio(self, density: f64) -> f64 {
        match self {
            Acceptance::All => 0.0,
            Acceptance::Tempered { norm, temperature } => (density - norm) / temperature,
        }
    }
}

/// Run ABC-SMC with the stochastic acceptor for `settings.generations` generations after a
/// prior sample (which only sets the first temperature and the normalisation, as pyABC's
/// calibration sample does); `report` hears of each generation when done.
pub fn stochastic_smc(
    settings: &Settings,
    problem: Problem,
    rng: &mut impl Rng,
    report: &mut dyn FnMut(&Generation),
) -> Outcome {
    let target = (
        settings.population,
        settings.population * settings.max_proposals_factor,
    );
    let mut previous = sample(target, problem, Proposal::Prior, Acceptance::All, true, rng)
        .expect("the prior sample accepts every proposal");
    let mut generations = vec![Generation {
        generation: 0,
        threshold: Threshold::Prior,
        proposals: previous.proposals,
        acceptance: settings.population as f64 / previous.proposals as f64,
    }];
    report(&generations[0]);
    let last = settings.generations;
    let mut norm = f64::NEG_INFINITY;
    let mut temperature = f64::INFINITY;
    for generation in 1..=last {
        norm = norm.max(max(&previous.densities));
        let kernel = (generation > 1).then(|| Kernel::of(&previous.population));
        let proposal = match &kernel {
            Some(kernel) => Proposal::Moved(kernel, &previous.population),
            None => Proposal::Prior,
        };
        temperature = if generation == last {
            1.0
        } else {
            let weights = record_weights(&previous.records, proposal);
            let rate = acceptance_rate_temperature(&previous.records.densities, &weights, norm);
            let decay = match generation {
                1 => f64::INFINITY,
                _ => exponential_decay(temperature, generation, last),
            };
            rate.min(decay).min(temperature).max(1.0)
        };
        let keep = generation + 1 < last;
        let acceptance = Acceptance::Tempered { norm, temperature };
        let Some(next) = sample(target, problem, proposal, acceptance, keep, rng) else {
            break;
        };
        generations.push(Generation {
            generation,
            threshold: Threshold::Temperature(temperature),
            proposals: next.proposals,
            acceptance: settings.population as f64 / next.proposals as f64,
        });
        report(generations.last().expect("just pushed"));
        previous = next;
    }
    Outcome {
        generations,
        population: previous.population,
    }
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// pyABC's `ExpDecayFixedIterScheme`: T_prev^((to go − 1) / to go), with `to go` the
/// generations left including this one.
fn exponential_decay(previous: f64, generation: usize, last: usize) -> f64 {
    let to_go = (last - generation + 1) as f64;
    previous.powf((to_go - 1.0) / to_go)
}

/// The records' weights as a sample of the next proposal: q_next / q_then, normalised
/// (uniform for the prior sample, whose next proposal is the prior again).
fn record_weights(records: &Records, next: Proposal) -> Vec<f64> {
    let logs: Vec<f64> = match next {
        Proposal::Prior => vec![0.0; records.points.len()],
        Proposal::Moved(kernel, population) => records
            .points
            .iter()
            .zip(&records.proposal)
            .map(|(point, then)| kernel.log_mixture(population, point) - then)
            .collect(),
    };
    normalised_exp(&logs)
}

/// exp of each log weight, scaled to sum to 1.
fn normalised_exp(logs: &[f64]) -> Vec<f64> {
    let top = max(logs);
    let raw: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|w| w / total).collect()
}

/// pyABC's `AcceptanceRateScheme`: the temperature at which the weighted records would be
/// accepted at the target rate, Σ w min(1, exp((d − c) β)) = 0.3, solved by bisection on
/// log β in [−100, 0]; 1 when even T = 1 accepts more.
fn acceptance_rate_temperature(densities: &[f64], weights: &[f64], norm: f64) -> f64 {
    let rate = |log_beta: f64| -> f64 {
        let beta = log_beta.exp();
        densities
            .iter()
            .zip(weights)
            .map(|(d, w)| w * ((d - norm) * beta).exp().min(1.0))
            .sum::<f64>()
            - TARGET_RATE
    };
    let (mut low, mut high) = LOG_BETA_RANGE;
    if rate(high) > 0.0 {
        return 1.0;
    }
    if rate(low) < 0.0 {
        return (-low).exp();
    }
    // rate rises as log β falls (a hotter acceptor accepts more): keep rate(low) ≥ 0 ≥ rate(high).
    while high - low > 1e-12 * (1.0 + low.abs()) {
        let middle = 0.5 * (low + high);
        if rate(middle) >= 0.0 {
            low = middle;
        } else {
            high = middle;
        }
    }
    (-0.5 * (low + high)).exp()
}

/// One generation: proposals until `population` are accepted, or None after `limit`
/// proposals.
fn sample(
    (population, limit): (usize, usize),
    Problem {
        model,
        region,
        observed,
    }: Problem,
    proposal: Proposal,
    acceptance: Acceptance,
    keep_records: bool,
    rng: &mut impl Rng,
) -> Option<Sample> {
    let (mut points, mut densities, mut log_weights) = (Vec::new(), Vec::new(), Vec::new());
    let mut records = Records::default();
    let mut proposals = 0;
    while points.len() < population {
        if proposals >= limit {
            return None;
        }
        let batch = match proposal {
            Proposal::Prior => (0..BATCH).map(|_| region.sample(rng)).collect(),
            Proposal::Moved(kernel, previous) => perturbed(previous, kernel, rng),
        };
        for (point, density) in batch.iter().zip(model.log_density(&batch, observed)) {
            let Some(density) = density else { continue };
            if points.len() == population {
                break;
            }
            proposals += 1;
            let log_ratio = acceptance.log_ratio(density);
            let accept = log_ratio >= 0.0 || rng.random::<f64>() < log_ratio.exp();
            let needs_proposal = accept || keep_records;
            let log_q = match (proposal, needs_proposal) {
                (Proposal::Moved(kernel, previous), true) => kernel.log_mixture(previous, point),
                _ => 0.0,
            };
            if accept {
                points.push(point.clone());
                densities.push(density);
                log_weights.push(log_ratio.max(0.0) - log_q);
            }
            if keep_records {
                records.points.push(point.clone());
                records.densities.push(density);
                records.proposal.push(log_q);
            }
        }
    }
    Some(Sample {
        population: Population::new(points, normalised_exp(&log_weights)),
        densities,
        records,
        proposals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acceptance_rate_scheme_solves_for_its_target() {
        // Two records, equal weights, log densities 0 and −10 below the norm: at T the rate
        // is (1 + exp(−10 / T)) / 2, and 0.3 needs... the first alone gives 0.5 > 0.3 at T = 1.
        assert_eq!(
            acceptance_rate_temperature(&[0.0, -10.0], &[0.5, 0.5], 0.0),
            1.0
        );
        // Both 10 below the norm: exp(−10 / T) = 0.3 at T = 10 / ln(1 / 0.3).
        let t = acceptance_rate_temperature(&[-10.0, -10.0], &[0.5, 0.5], 0.0);
        let expected = 10.0 / (1.0f64 / 0.3).ln();
        assert!((t - expected).abs() < 1e-9 * expected, "{t} vs {expected}");
    }

    #[test]
    fn the_temperature_decays_to_one_at_the_last_generation() {
        assert_eq!(exponential_decay(16.0, 3, 4), 4.0);
        assert_eq!(exponential_decay(16.0, 4, 4), 1.0);
        assert!((exponential_decay(27.0, 2, 4) - 9.0).abs() < 1e-12);
    }
}
