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
