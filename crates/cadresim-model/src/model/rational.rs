//! The "rational person" rule: each cadre picks the action with the highest exact expected
//! payoff under the true parameters (docs/MODEL.md §7.8), ties to the lowest index.

use crate::params::{ErrorClass, Params, MAX_ACTIONS};
use crate::stats::normal_cdfs;

/// What the rule knows about one cadre.
#[derive(Clone, Copy, Debug)]
pub struct CadreView {
    /// theta * cap_u.
    pub capability: f64,
    /// Per-cadre target tau of the cadre's unit.
    pub target: f64,
    pub psm: f64,
    pub proneness: f64,
    pub opportunist: bool,
    pub tenure: f64,
    /// Sum of the cadre's attainment over its earlier steps in post.
    pub attainment_sum: f64,
    /// Jurisdiction attainment of the unit in the previous step.
    pub jurisdiction: f64,
    /// Without published lists (`fault_tolerance.lists = false`): the share of each class's
    /// detected errors the cadre's group has seen exempted, used instead of the rule.
    pub belief: Option<[f64; 3]>,
}

/// P(sanctioned | detected error of `class`, veto-class or not): not exempted, or under
/// lifelong accountability exempted and re-opened before the cadre leaves,
/// r / (r + turnover) for a re-opening rate r.
pub fn sanction_probability(params: &Params, class: ErrorClass, veto: bool) -> f64 {
    believed_sanction_probability(params, class, veto, None)
}

/// `sanction_probability`, with the chance of exemption (before any re-opening) taken from
/// `belief` (the share of each class's detected errors seen exempted) when given.
pub fn believed_sanction_probability(
    params: &Params,
    class: ErrorClass,
    veto: bool,
    belief: Option<&[f64; 3]>,
) -> f64 {
    let tolerance = &params.fault_tolerance;
    if !tolerance.enabled || (veto && !tolerance.tolerate_veto) {
        return 1.0;
    }
    let accuracy = tolerance.screening_accuracy;
    let sanctioned = match belief {
        Some(seen) => 1.0 - seen[class as usize],
        None if tolerance.in_scope(class) => 1.0 - accuracy,
        None => accuracy,
    };
    let accountability = &params.accountability;
    let reopen = accountability.reopen_rate;
    if !accountability.lifelong || reopen == 0.0 {
        return sanctioned;
    }
    let reopened = reopen / (reopen + params.cadres.turnover);
    sanctioned + (1.0 - sanctioned) * reopened
}

/// Expected sanction of one violation error: detection over its life x P(sanctioned) x
/// the expected penalty (veto-class with `veto_share`, each form's severity), times the
/// probability `work.violation_error` that taking a chance of private gain makes one.
pub fn violation_deterrent(params: &Params) -> f64 {
    let accountability = &params.accountability;
    let forms = &accountability.forms;
    let class = ErrorClass::Violation;
    let veto_multiplier = if accountability.one_vote_veto {
        accountability.veto_multiplier
    } else {
        1.0
    };
    let share = accountability.veto_share;
    let penalty = accountability.penalty
        * ((1.0 - share)
            * sanction_probability(params, class, false)
            * forms.expected_severity(class, false)
            + share
                * sanction_probability(params, class, true)
                * forms.expected_severity(class, true)
                * veto_multiplier);
    params.work.violation_error * effective_detection(params) * penalty
}

/// Detection probability over an error's life: d, or with lifelong accountability
/// d + (1 - d) h / (h + turnover).
pub fn effective_detection(params: &Params) -> f64 {
    let accountability = &params.accountability;
    let detection = accountability.detection;
    if !accountability.lifelong {
        return detection;
    }
    let late = accountability.late_detection;
    let hazard = late + params.cadres.turnover;
    let caught_later = if hazard > 0.0 { late / hazard } else { 0.0 };
    detection + (1.0 - detection) * caught_later
}

/// What every action's expected payoff shares within one peer group's step: the regime's
/// detection over an error's life and, per error class, the expected sanction of a detected
/// error and the chance that a veto-class one is sanctioned (with the group's belief when
/// lists are not published). Built once per group and regime, so that a cadre's choice
/// computes only what depends on the cadre; each value is the same expression, in the same
/// order, as the straightforward payoff, so the payoffs are equal to the last bit.
#[derive(Clone, Copy, Debug)]
pub struct Stakes {
    detection: f64,
    /// (1 - veto share) P(sanctioned) penalty + veto share P(sanctioned | veto) penalty x
    /// veto multiplier, per class.
    weight: [f64; 3],
    /// P(sanctioned | detected veto-class error), per class.
    veto_sanctioned: [f64; 3],
    /// The expected sanction of idleness.
    idle: f64,
}

impl Stakes {
    pub fn new(params: &Params, belief: Option<&[f64; 3]>) -> Stakes {
        let accountability = &params.accountability;
        let forms = &accountability.forms;
        let penalty = |class, veto| accountability.penalty * forms.expected_severity(class, veto);
        let veto_multiplier = if accountability.one_vote_veto {
            accountability.veto_multiplier
        } else {
            1.0
        };
        let veto_share = accountability.veto_share;
        let weight = ErrorClass::ALL.map(|class| {
            (1.0 - veto_share)
                * believed_sanction_probability(params, class, false, belief)
                * penalty(class, false)
                + veto_share
                    * believed_sanction_probability(params, class, true, belief)
                    * (penalty(class, true) * veto_multiplier)
        });
        Stakes {
            detection: effective_detection(params),
            weight,
            veto_sanctioned: ErrorClass::ALL
                .map(|class| believed_sanction_probability(params, class, true, belief)),
            idle: accountability.inaction_detection * accountability.inaction_penalty,
        }
    }
}

/// The rule's menu: each action's effort and innovation intensity; action 0 is idleness.
#[derive(Clone, Copy, Debug)]
pub struct Menu<'a> {
    pub effort: &'a [f64],
    pub intensity: &'a [f64],
}

/// One action of the rule's menu.
#[derive(Clone, Copy, Debug)]
pub struct Action {
    pub effort: f64,
    pub intensity: f64,
    pub idle: bool,
}

/// The chances that one cadre's evaluation beats the cut-off, per action of its menu: after
/// a failed (or no) innovation and after a success. They are computed together, each
/// distinct attainment once (every action at full effort fails to the same one), so that
/// the processor evaluates the independent normal CDFs side by side.
struct Chances {
    failure: [f64; MAX_ACTIONS],
    success: [f64; MAX_ACTIONS],
}

impl Chances {
    fn new(params: &Params, menu: Menu, cadre: &CadreView, cutoff: f64) -> Chances {
        const QUERIES: usize = 2 * MAX_ACTIONS;
        let work = &params.work;
        let mut attainment = [0.0f64; QUERIES];
        let mut innovation = [0.0; QUERIES];
        let mut failure = [0usize; MAX_ACTIONS];
        let mut success = [0usize; MAX_ACTIONS];
        let mut queries = 0;
        for (action, (&effort, &intensity)) in menu.effort.iter().zip(menu.intensity).enumerate() {
            let failed = cadre.capability * (effort + 0.0) / cadre.target;
            let known = (0..queries)
                .find(|&q| innovation[q] == 0.0 && attainment[q].to_bits() == failed.to_bits());
            failure[action] = known.unwrap_or_else(|| {
                attainment[queries] = failed;
                queries += 1;
                queries - 1
            });
            if intensity > 0.0 && work.innovation_success != 0.0 {
                let gain = work.innovation_gain * intensity;
                attainment[queries] = cadre.capability * (effort + gain) / cadre.target;
                innovation[queries] = intensity;
                success[action] = queries;
                queries += 1;
            }
        }
        let mut beat = [0.0; QUERIES];
        beat_probabilities(
            params,
            cadre,
            &attainment[..queries],
            &innovation[..queries],
            cutoff,
            &mut beat[..queries],
        );
        Chances {
            failure: failure.map(|q| beat[q]),
            success: success.map(|q| beat[q]),
        }
    }
}

/// Exact expected payoff of `action` for a cadre; `cutoff` is the peer group's promotion
/// cut-off score of the previous step (None: no promotion value).
pub fn expected_payoff(
    params: &Params,
    effort: f64,
    intensity: f64,
    idle: bool,
    cadre: &CadreView,
    cutoff: Option<f64>,
) -> f64 {
    let stakes = Stakes::new(params, cadre.belief.as_ref());
    let menu = Menu {
        effort: &[effort],
        intensity: &[intensity],
    };
    let chances = cutoff.map(|cutoff| Chances::new(params, menu, cadre, cutoff));
    let action = Action {
        effort,
        intensity,
        idle,
    };
    let beats = chances.map(|c| (c.failure[0], c.success[0]));
    payoff(params, &stakes, action, cadre, beats)
}

/// The action of the menu with the highest expected payoff for a cadre, ties to the lowest
/// index; `stakes` are its group's (see `Stakes`), `cutoff` as in `expected_payoff`.
pub fn best_action(
    params: &Params,
    stakes: &Stakes,
    menu: Menu,
    cadre: &CadreView,
    cutoff: Option<f64>,
) -> usize {
    let chances = cutoff.map(|cutoff| Chances::new(params, menu, cadre, cutoff));
    let mut best = (0usize, f64::NEG_INFINITY);
    for (index, (&effort, &intensity)) in menu.effort.iter().zip(menu.intensity).enumerate() {
        let action = Action {
            effort,
            intensity,
            idle: index == 0,
        };
        let beats = chances
            .as_ref()
            .map(|c| (c.failure[index], c.success[index]));
        let value = payoff(params, stakes, action, cadre, beats);
        if value > best.1 {
            best = (index, value);
        }
    }
    best.0
}

/// `expected_payoff` with the group's `stakes` and the action's chances of beating the
/// cut-off after a failure and after a success (None: no promotion value).
fn payoff(
    params: &Params,
    stakes: &Stakes,
    action: Action,
    cadre: &CadreView,
    beats: Option<(f64, f64)>,
) -> f64 {
    let branch = Branch {
        params,
        stakes,
        action,
        cadre,
        beats,
    };
    let honest = branch.payoff(false);
    if cadre.opportunist && action.intensity > 0.0 {
        let rate = params.work.self_serving_rate;
        (1.0 - rate) * honest + rate * branch.payoff(true)
    } else {
        honest
    }
}

/// One action of one cadre, honest or self-serving.
struct Branch<'a> {
    params: &'a Params,
    stakes: &'a Stakes,
    action: Action,
    cadre: &'a CadreView,
    beats: Option<(f64, f64)>,
}

impl Branch<'_> {
    fn payoff(&self, self_serving: bool) -> f64 {
        let Branch {
            params,
            stakes,
            action:
                Action {
                    effort,
                    intensity,
                    idle,
                },
            cadre,
            beats,
        } = *self;
        let work = &params.work;
        let incentives = &params.incentives;
        let honest_innovation = intensity > 0.0 && !self_serving;
        let success_probability = if honest_innovation {
            work.innovation_success
        } else {
            0.0
        };
        // Output outcomes: (probability, succeeded); one that cannot happen adds nothing.
        let outcomes = [
            (success_probability, true),
            (1.0 - success_probability, false),
        ];
        let possible = || outcomes.iter().filter(|&&(p, _)| p != 0.0);
        let attainment = |succeeded: bool| {
            let gain = if succeeded {
                work.innovation_gain * intensity
            } else {
                0.0
            };
            cadre.capability * (effort + gain) / cadre.target
        };
        let shortfall: f64 = possible()
            .map(|&(p, succeeded)| p * (1.0 - attainment(succeeded)).max(0.0))
            .sum();
        // Error classes and their rates.
        let negligence = (
            ErrorClass::Negligence,
            cadre.proneness * work.routine_error * effort,
        );
        let second = if self_serving {
            (ErrorClass::Violation, work.violation_error * intensity)
        } else {
            (
                ErrorClass::Exploratory,
                cadre.proneness * work.innovation_error * intensity,
            )
        };
        let (sanctions, no_veto) = expected_sanctions(params, stakes, [negligence, second], idle);
        let promotion = match beats {
            None => 0.0,
            Some((failure, success)) => possible()
                .map(|&(p, succeeded)| p * no_veto * if succeeded { success } else { failure })
                .sum(),
        };
        let intrinsic = if honest_innovation {
            work.psm_weight * cadre.psm * intensity
        } else {
            0.0
        };
        let private_gain = if self_serving {
            work.private_gain * intensity
        } else {
            0.0
        };
        work.salary + intrinsic + incentives.innovation_reward * success_probability + private_gain
            - work.effort_cost * effort
            - work.innovation_cost * intensity
            - sanctions
            - params.targets.miss_penalty * shortfall
            + incentives.promotion_reward * promotion
    }
}

/// The expected sanctions of the error rates (and of idleness), with the probability that
/// no veto-class error is sanctioned (1 without the one-vote veto).
fn expected_sanctions(
    params: &Params,
    stakes: &Stakes,
    rates: [(ErrorClass, f64); 2],
    idle: bool,
) -> (f64, f64) {
    let accountability = &params.accountability;
    let mut sanctions = 0.0;
    let mut no_veto = 1.0;
    for (class, rate) in rates {
        sanctions += rate * stakes.detection * stakes.weight[class as usize];
        if accountability.one_vote_veto {
            no_veto *= 1.0
                - rate
                    * accountability.veto_share
                    * accountability.detection
                    * stakes.veto_sanctioned[class as usize];
        }
    }
    if idle {
        sanctions += stakes.idle;
    }
    (sanctions, no_veto)
}

/// The probabilities that the cadre's evaluation score beats the promotion cutoff, given
/// each attainment and the innovation credited with it, into `beat`.
fn beat_probabilities(
    params: &Params,
    cadre: &CadreView,
    attainment: &[f64],
    innovation: &[f64],
    cutoff: f64,
    beat: &mut [f64],
) {
    let incentives = &params.incentives;
    let noise = incentives.evaluation_noise;
    for ((beat, &attainment), &innovation) in beat.iter_mut().zip(attainment).zip(innovation) {
        let evaluated =
            incentives.evaluated_attainment(attainment, cadre.attainment_sum, cadre.tenure);
        let score = incentives.target_weight * evaluated
            + incentives.innovation_weight * innovation
            + incentives.jurisdiction_weight * cadre.jurisdiction
            + incentives.seniority_weight * cadre.tenure;
        *beat = if noise > 0.0 {
            (cutoff - score) / noise
        } else if score > cutoff {
            1.0
        } else if score == cutoff {
            0.5
        } else {
            0.0
        };
    }
    if noise > 0.0 {
        normal_cdfs(beat);
        for beat in beat {
            *beat = 1.0 - *beat;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::normal_cdf;

    /// The payoff as first written, one expression per term, with nothing shared between
    /// actions: the oracle the shared `Stakes` and `Chances` must agree with.
    mod reference {
        use super::super::{believed_sanction_probability, effective_detection};
        use super::super::{CadreView, ErrorClass, Params};
        use crate::stats::normal_cdf;

        /// Exact expected payoff of `action` for a cadre; `cutoff` is the peer group's promotion
        /// cut-off score of the previous step (None: no promotion value).
        pub fn expected_payoff(
            params: &Params,
            effort: f64,
            intensity: f64,
            idle: bool,
            cadre: &CadreView,
            cutoff: Option<f64>,
        ) -> f64 {
            let honest = branch_payoff(params, effort, intensity, idle, cadre, cutoff, false);
            if cadre.opportunist && intensity > 0.0 {
                let rate = params.work.self_serving_rate;
                (1.0 - rate) * honest
                    + rate * branch_payoff(params, effort, intensity, idle, cadre, cutoff, true)
            } else {
                honest
            }
        }

        fn branch_payoff(
            params: &Params,
            effort: f64,
            intensity: f64,
            idle: bool,
            cadre: &CadreView,
            cutoff: Option<f64>,
            self_serving: bool,
        ) -> f64 {
            let work = &params.work;
            let incentives = &params.incentives;
            let belief = cadre.belief.as_ref();
            let honest_innovation = intensity > 0.0 && !self_serving;
            let success_probability = if honest_innovation {
                work.innovation_success
            } else {
                0.0
            };
            // Output outcomes: (probability, succeeded).
            let outcomes = [
                (success_probability, true),
                (1.0 - success_probability, false),
            ];
            let attainment = |succeeded: bool| {
                let gain = if succeeded {
                    work.innovation_gain * intensity
                } else {
                    0.0
                };
                cadre.capability * (effort + gain) / cadre.target
            };
            let shortfall: f64 = outcomes
                .iter()
                .map(|&(p, succeeded)| p * (1.0 - attainment(succeeded)).max(0.0))
                .sum();
            // Error classes and their rates.
            let negligence = (
                ErrorClass::Negligence,
                cadre.proneness * work.routine_error * effort,
            );
            let second = if self_serving {
                (ErrorClass::Violation, work.violation_error * intensity)
            } else {
                (
                    ErrorClass::Exploratory,
                    cadre.proneness * work.innovation_error * intensity,
                )
            };
            let (sanctions, no_veto) =
                expected_sanctions(params, [negligence, second], idle, belief);
            let promotion = match cutoff {
                None => 0.0,
                Some(cutoff) => outcomes
                    .iter()
                    .map(|&(p, succeeded)| {
                        let innovation = if succeeded { intensity } else { 0.0 };
                        p * no_veto
                            * beat_probability(
                                params,
                                cadre,
                                attainment(succeeded),
                                innovation,
                                cutoff,
                            )
                    })
                    .sum(),
            };
            let intrinsic = if honest_innovation {
                work.psm_weight * cadre.psm * intensity
            } else {
                0.0
            };
            let private_gain = if self_serving {
                work.private_gain * intensity
            } else {
                0.0
            };
            work.salary
                + intrinsic
                + incentives.innovation_reward * success_probability
                + private_gain
                - work.effort_cost * effort
                - work.innovation_cost * intensity
                - sanctions
                - params.targets.miss_penalty * shortfall
                + incentives.promotion_reward * promotion
        }

        /// The expected sanctions of the error rates (and of idleness), with the probability that
        /// no veto-class error is sanctioned (1 without the one-vote veto).
        fn expected_sanctions(
            params: &Params,
            rates: [(ErrorClass, f64); 2],
            idle: bool,
            belief: Option<&[f64; 3]>,
        ) -> (f64, f64) {
            let accountability = &params.accountability;
            let forms = &accountability.forms;
            let penalty =
                |class, veto| accountability.penalty * forms.expected_severity(class, veto);
            let veto_multiplier = if accountability.one_vote_veto {
                accountability.veto_multiplier
            } else {
                1.0
            };
            let detection = effective_detection(params);
            let veto_share = accountability.veto_share;
            let mut sanctions = 0.0;
            let mut no_veto = 1.0;
            for (class, rate) in rates {
                sanctions += rate
                    * detection
                    * ((1.0 - veto_share)
                        * believed_sanction_probability(params, class, false, belief)
                        * penalty(class, false)
                        + veto_share
                            * believed_sanction_probability(params, class, true, belief)
                            * (penalty(class, true) * veto_multiplier));
                if accountability.one_vote_veto {
                    no_veto *= 1.0
                        - rate
                            * veto_share
                            * accountability.detection
                            * believed_sanction_probability(params, class, true, belief);
                }
            }
            if idle {
                sanctions += accountability.inaction_detection * accountability.inaction_penalty;
            }
            (sanctions, no_veto)
        }

        fn beat_probability(
            params: &Params,
            cadre: &CadreView,
            attainment: f64,
            innovation: f64,
            cutoff: f64,
        ) -> f64 {
            let incentives = &params.incentives;
            let evaluated =
                incentives.evaluated_attainment(attainment, cadre.attainment_sum, cadre.tenure);
            let score = incentives.target_weight * evaluated
                + incentives.innovation_weight * innovation
                + incentives.jurisdiction_weight * cadre.jurisdiction
                + incentives.seniority_weight * cadre.tenure;
            if incentives.evaluation_noise > 0.0 {
                1.0 - normal_cdf((cutoff - score) / incentives.evaluation_noise)
            } else if score > cutoff {
                1.0
            } else if score == cutoff {
                0.5
            } else {
                0.0
            }
        }
    }

    fn cadre() -> CadreView {
        CadreView {
            capability: 1.0,
            target: 1.2,
            psm: 0.5,
            proneness: 1.0,
            opportunist: false,
            tenure: 3.0,
            attainment_sum: 2.5,
            jurisdiction: 1.0,
            belief: None,
        }
    }

    /// Regimes that reach every branch of the payoff: tolerance in and out of scope, beliefs
    /// without lists, lifelong re-opening, no veto, no evaluation noise, certain success,
    /// idleness sanctioned, a tenure average, innovation that never succeeds.
    fn regimes() -> Vec<Params> {
        let mut regimes = vec![Params::default()];
        let mut p = Params::default();
        p.fault_tolerance.enabled = true;
        p.fault_tolerance.lists = false;
        p.fault_tolerance.scope = vec![ErrorClass::Exploratory, ErrorClass::Negligence];
        p.accountability.lifelong = true;
        p.accountability.reopen_rate = 0.1;
        p.accountability.inaction_detection = 0.2;
        p.incentives.tenure_weight = 0.5;
        p.incentives.innovation_weight = 0.3;
        p.incentives.jurisdiction_weight = 0.2;
        p.incentives.seniority_weight = 0.05;
        p.incentives.innovation_reward = 0.5;
        regimes.push(p);
        let mut p = Params::default();
        p.accountability.one_vote_veto = false;
        p.accountability.penalty = 1.5;
        p.incentives.evaluation_noise = 0.0;
        p.work.innovation_success = 1.0;
        regimes.push(p);
        let mut p = Params::default();
        p.fault_tolerance.enabled = true;
        p.fault_tolerance.tolerate_veto = true;
        p.accountability.penalty = 0.5;
        regimes.push(p);
        let mut p = Params::default();
        p.work.innovation_success = 0.0;
        p.incentives.evaluation_noise = 0.0;
        p.incentives.tenure_weight = 1.0;
        regimes.push(p);
        regimes
    }

    #[test]
    fn shared_stakes_give_the_straightforward_payoffs_exactly() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let efforts = [0.4, 1.0, 1.0, 1.0, 1.0, 1.0];
        let intensities = [0.0, 0.0, 0.25, 0.5, 0.75, 1.0];
        let mut compared = 0;
        for params in regimes() {
            for _ in 0..2000 {
                let belief = [rng.random(), rng.random(), rng.random()];
                let c = CadreView {
                    capability: rng.random_range(0.3..2.0),
                    target: rng.random_range(0.5..2.0),
                    psm: rng.random(),
                    proneness: rng.random_range(0.2..2.0),
                    opportunist: rng.random_bool(0.5),
                    tenure: rng.random_range(0..12) as f64,
                    attainment_sum: rng.random_range(0.0..10.0),
                    jurisdiction: rng.random_range(0.0..1.5),
                    belief: (!params.fault_tolerance.lists).then_some(belief),
                };
                let cutoff = rng.random_bool(0.8).then(|| rng.random_range(0.3..1.8));
                let stakes = Stakes::new(&params, c.belief.as_ref());
                let menu = Menu {
                    effort: &efforts,
                    intensity: &intensities,
                };
                let chances = cutoff.map(|cutoff| Chances::new(&params, menu, &c, cutoff));
                let mut best = (0, f64::NEG_INFINITY);
                for (index, (&effort, &intensity)) in efforts.iter().zip(&intensities).enumerate() {
                    let idle = index == 0;
                    let want =
                        reference::expected_payoff(&params, effort, intensity, idle, &c, cutoff);
                    if want > best.1 {
                        best = (index, want);
                    }
                    let action = Action {
                        effort,
                        intensity,
                        idle,
                    };
                    let beats = chances
                        .as_ref()
                        .map(|chances| (chances.failure[index], chances.success[index]));
                    // Equal as numbers (a zero's sign aside), so every comparison between
                    // actions, and so every choice, is the same.
                    let got = payoff(&params, &stakes, action, &c, beats);
                    assert_eq!(got, want, "{c:?} {action:?} cutoff {cutoff:?}");
                    let alone = expected_payoff(&params, effort, intensity, idle, &c, cutoff);
                    assert_eq!(alone, want, "{c:?} {action:?} alone, cutoff {cutoff:?}");
                    compared += 1;
                }
                assert_eq!(best_action(&params, &stakes, menu, &c, cutoff), best.0);
            }
        }
        assert_eq!(compared, 5 * 2000 * 6);
    }

    #[test]
    fn hand_computed_payoffs_without_promotion_value() {
        let params = Params::default();
        let c = cadre();
        // Idle: e = 0.4, output 0.4, shortfall 1 - 0.4/1.2 = 2/3.
        // Negligence rate 0.02*0.4 = 0.008; sanction 0.008*0.5*(0.8*8 + 0.2*20) = 0.0416.
        let idle = 1.0 - 0.3 * 0.4 - 0.0416 - 2.0 / 3.0;
        assert!((expected_payoff(&params, 0.4, 0.0, true, &c, None) - idle).abs() < 1e-12);
        // Routine: e = 1, shortfall 1 - 1/1.2 = 1/6, sanctions 0.02*0.5*10.4 = 0.104.
        let routine = 1.0 - 0.3 - 0.104 - 1.0 / 6.0;
        assert!((expected_payoff(&params, 1.0, 0.0, false, &c, None) - routine).abs() < 1e-12);
        // Innovate at x = 1: success 0.5 gives output 2.2 (no shortfall), failure 1/6.
        // Sanctions 0.104 + 0.15*0.5*10.4 = 0.884; psm 0.4*0.5 = 0.2; cost 0.3 + 0.2.
        let innovate = 1.0 + 0.2 - 0.3 - 0.2 - 0.884 - 0.5 / 6.0;
        assert!((expected_payoff(&params, 1.0, 1.0, false, &c, None) - innovate).abs() < 1e-12);
    }

    #[test]
    fn hand_computed_payoff_with_tolerance_opportunism_and_promotion() {
        let mut params = Params::default();
        params.fault_tolerance.enabled = true;
        let mut c = cadre();
        c.opportunist = true;
        // Innovate at x = 0.5 with a cut-off equal to the failure score.
        let cutoff = 1.0 / 1.2;
        let honest_sanctions = 0.02 * 0.5 * (0.8 * 0.85 * 8.0 + 0.2 * 20.0)
            + 0.075 * 0.5 * (0.8 * 0.15 * 8.0 + 0.2 * 20.0);
        let honest_no_veto = (1.0 - 0.02 * 0.2 * 0.5) * (1.0 - 0.075 * 0.2 * 0.5);
        let success_score = 1.6 / 1.2;
        let honest_promotion =
            honest_no_veto * (0.5 * (1.0 - normal_cdf((cutoff - success_score) / 0.1)) + 0.5 * 0.5);
        let honest = 1.0 + 0.4 * 0.5 * 0.5 - 0.3 - 0.1 - honest_sanctions - 0.5 * (1.0 - 1.0 / 1.2)
            + 2.0 * honest_promotion;
        let selfish_sanctions = 0.02 * 0.5 * (0.8 * 0.85 * 8.0 + 0.2 * 20.0)
            + 0.15 * 0.5 * (0.8 * 0.85 * 8.0 + 0.2 * 20.0);
        let selfish_no_veto = (1.0 - 0.02 * 0.2 * 0.5) * (1.0 - 0.15 * 0.2 * 0.5);
        let selfish = 1.0 + 0.4 - 0.3 - 0.1 - selfish_sanctions - (1.0 - 1.0 / 1.2)
            + 2.0 * selfish_no_veto * 0.5;
        let expected = 0.5 * honest + 0.5 * selfish;
        let got = expected_payoff(&params, 1.0, 0.5, false, &c, Some(cutoff));
        // Phi is accurate to about 1e-7, which bounds the agreement here.
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }

    #[test]
    fn reopening_and_the_deterrent_of_private_gain() {
        let mut params = Params::default();
        // 0.3 x 0.5 x 8 x (0.8 + 0.2 x 2.5).
        assert!((violation_deterrent(&params) - 1.56).abs() < 1e-12);
        params.fault_tolerance.enabled = true;
        params.accountability.lifelong = true;
        params.accountability.reopen_rate = 0.1;
        let exploratory = sanction_probability(&params, ErrorClass::Exploratory, false);
        let expected = 0.15 + 0.85 * 0.1 / (0.1 + 0.03);
        assert!((exploratory - expected).abs() < 1e-15);
        // A veto-class error is never exempted, so never re-opened.
        assert_eq!(
            sanction_probability(&params, ErrorClass::Exploratory, true),
            1.0
        );
        params.accountability.lifelong = false;
        assert!(
            (sanction_probability(&params, ErrorClass::Exploratory, false) - 0.15).abs() < 1e-15
        );
    }

    #[test]
    fn lifelong_raises_effective_detection() {
        let mut params = Params::default();
        assert_eq!(effective_detection(&params), 0.5);
        params.accountability.lifelong = true;
        let expected = 0.5 + 0.5 * 0.1 / (0.1 + 0.03);
        assert!((effective_detection(&params) - expected).abs() < 1e-15);
    }
}
