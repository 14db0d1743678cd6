//! The "rational person" rule: each cadre picks the action with the highest exact expected
//! payoff under the true parameters (docs/MODEL.md §7.8), ties to the lowest index.

use crate::params::{ErrorClass, Params};
use crate::stats::normal_cdf;

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
    let (sanctions, no_veto) = expected_sanctions(params, [negligence, second], idle, belief);
    let promotion = match cutoff {
        None => 0.0,
        Some(cutoff) => outcomes
            .iter()
            .map(|&(p, succeeded)| {
                let innovation = if succeeded { intensity } else { 0.0 };
                p * no_veto
                    * beat_probability(params, cadre, attainment(succeeded), innovation, cutoff)
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
    work.salary + intrinsic + incentives.innovation_reward * success_probability + private_gain
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
    let penalty = |class, veto| accountability.penalty * forms.expected_severity(class, veto);
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

/// The probability that the cadre's evaluation score beats the promotion cutoff, given its
/// attainment and the innovation credited.
fn beat_probability(
    params: &Params,
    cadre: &CadreView,
    attainment: f64,
    innovation: f64,
    cutoff: f64,
) -> f64 {
    let incentives = &params.incentives;
    let evaluated = incentives.evaluated_attainment(attainment, cadre.attainment_sum, cadre.tenure);
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

#[cfg(test)]
mod tests {
    use super::*;

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
