//! Per-step metrics, the per-group tally they are computed from, and the equilibrium summary
//! of a replicate (means, `converged_at`, class): docs/MODEL.md §7.11.

use serde::Serialize;

use crate::longrun::Shortfall;
use crate::params::EquilibriumParams;

/// The level name of the whole hierarchy in every table (beside the hierarchy's own levels).
pub const WHOLE_HIERARCHY: &str = "all";

/// The metrics of one step, in output column order.
pub const METRICS: [&str; 35] = [
    "share_idle",
    "share_routine",
    "share_innovating",
    "mean_innovation",
    "mean_attainment",
    "share_missed",
    "output",
    "damage",
    "private_gain",
    "welfare",
    "mean_payoff",
    "errors",
    "detected",
    "sanctioned",
    "exempted",
    "wrongly_exempted",
    "wrongly_sanctioned",
    "veto_events",
    "caught_idle",
    "dismissals",
    "abuse_rate",
    "markup",
    "share_units_missed",
    "sanctioned_talk",
    "sanctioned_light",
    "sanctioned_heavy",
    "sanctioned_prosecution",
    "reopened",
    "leadership_cost",
    "corruption_cost",
    "enforcement_cost",
    "mean_ability",
    "share_opportunist",
    "eligible_exemption_rate",
    "believed_exemption",
];

/// The values each metric can take (in `METRICS` order): shares, intensities and rates lie
/// in [0, 1]; counts, output, losses, attainment and markups are never negative; welfare and
/// payoffs can have either sign. Intervals of their means are kept inside (`Spread::within`).
pub const BOUNDS: [(f64, f64); METRIC_COUNT] = {
    const SHARE: (f64, f64) = (0.0, 1.0);
    const NON_NEGATIVE: (f64, f64) = (0.0, f64::INFINITY);
    const ANY: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);
    [
        SHARE,        // share_idle
        SHARE,        // share_routine
        SHARE,        // share_innovating
        SHARE,        // mean_innovation
        NON_NEGATIVE, // mean_attainment
        SHARE,        // share_missed
        NON_NEGATIVE, // output
        NON_NEGATIVE, // damage
        NON_NEGATIVE, // private_gain
        ANY,          // welfare
        ANY,          // mean_payoff
        NON_NEGATIVE, // errors
        NON_NEGATIVE, // detected
        NON_NEGATIVE, // sanctioned
        NON_NEGATIVE, // exempted
        NON_NEGATIVE, // wrongly_exempted
        NON_NEGATIVE, // wrongly_sanctioned
        NON_NEGATIVE, // veto_events
        NON_NEGATIVE, // caught_idle
        NON_NEGATIVE, // dismissals
        SHARE,        // abuse_rate
        NON_NEGATIVE, // markup
        SHARE,        // share_units_missed
        NON_NEGATIVE, // sanctioned_talk
        NON_NEGATIVE, // sanctioned_light
        NON_NEGATIVE, // sanctioned_heavy
        NON_NEGATIVE, // sanctioned_prosecution
        NON_NEGATIVE, // reopened
        NON_NEGATIVE, // leadership_cost
        NON_NEGATIVE, // corruption_cost
        NON_NEGATIVE, // enforcement_cost
        NON_NEGATIVE, // mean_ability
        SHARE,        // share_opportunist
        SHARE,        // eligible_exemption_rate
        SHARE,        // believed_exemption
    ]
};

/// What each metric measures, in words for chart titles and axes (in `METRICS` order).
pub const MEANINGS: [&str; METRIC_COUNT] = [
    "share of idle cadres",
    "share of cadres doing routine work",
    "share of cadres innovating",
    "mean innovation intensity (0-1)",
    "mean target attainment",
    "share of cadres missing their target",
    "total output per step",
    "public loss from new errors per step",
    "private gain (self-serving reform, corruption) per step",
    "welfare (output - damage - private gain - costs)",
    "mean payoff",
    "new errors per step",
    "errors detected per step",
    "errors sanctioned per step",
    "errors exempted per step",
    "violations wrongly exempted per step",
    "exploratory errors wrongly sanctioned per step",
    "one-vote vetoes per step",
    "idle cadres sanctioned per step",
    "dismissals per step",
    "abuse rate (wrongly exempted / exempted)",
    "mean markup added per layer",
    "share of units whose jurisdiction misses its target",
    "sanctions in the first form (talks) per step",
    "sanctions in the second form (light discipline) per step",
    "sanctions in the third form (heavy discipline) per step",
    "sanctions in the fourth form (prosecution) per step",
    "exemptions re-opened and sanctioned per step",
    "leadership costs borne by superiors per step",
    "social cost of corruption beyond the transfer per step",
    "cost of investigations per step",
    "mean ability of cadres in post",
    "share of opportunists among cadres in post",
    "exemption rate among errors eligible for tolerance",
    "believed chance that an exploratory error is exempted",
];

/// The meaning of a metric in words (the name itself if it is not a metric).
pub fn meaning(metric: &str) -> &str {
    metric_index(metric).map(|i| MEANINGS[i]).unwrap_or(metric)
}

/// Number of metrics.
pub const METRIC_COUNT: usize = METRICS.len();

/// Index of a metric by name.
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|metric| *metric == name)
}

pub const SHARE_IDLE: usize = 0;
pub const SHARE_ROUTINE: usize = 1;
pub const SHARE_INNOVATING: usize = 2;
pub const MEAN_INNOVATION: usize = 3;
pub const WELFARE: usize = 9;
pub const ABUSE_RATE: usize = 20;

/// The metrics of a step measured on units, not cadres (over the same set: a level, all
/// levels, or a recorded unit's subtree).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UnitMeasures {
    /// Mean over the units of the markup their parent applied to them.
    pub markup: f64,
    /// Share of the units whose jurisdiction attainment is below 1.
    pub share_missed: f64,
}

/// Raw sums of one step over a set of cadres (a peer group, a level, or all).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    pub cadres: f64,
    pub idle: f64,
    pub routine: f64,
    pub innovating: f64,
    pub innovation: f64,
    pub attainment: f64,
    pub missed: f64,
    pub output: f64,
    pub damage: f64,
    pub private_gain: f64,
    pub payoff: f64,
    pub errors: f64,
    pub detected: f64,
    pub sanctioned: f64,
    pub exempted: f64,
    pub wrongly_exempted: f64,
    pub wrongly_sanctioned: f64,
    pub veto_events: f64,
    pub caught_idle: f64,
    pub dismissals: f64,
    /// Honest innovations that succeeded (no metric column; recorded per unit for `did`).
    pub successes: f64,
    /// Sanctioned errors by form of discipline, mildest first.
    pub forms: [f64; 4],
    pub reopened: f64,
    pub leadership_cost: f64,
    pub corruption_cost: f64,
    pub enforcement_cost: f64,
    /// Sum of the cadres' ability.
    pub ability: f64,
    pub opportunists: f64,
    /// Detected errors eligible for tolerance (in scope, and not veto-class unless
    /// `tolerate_veto`), and those of them exempted.
    pub eligible: f64,
    pub eligible_exempted: f64,
    /// Sum over cadres of their group's belief that an exploratory error is exempted.
    pub belief: f64,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.cadres += other.cadres;
        self.idle += other.idle;
        self.routine += other.routine;
        self.innovating += other.innovating;
        self.innovation += other.innovation;
        self.attainment += other.attainment;
        self.missed += other.missed;
        self.output += other.output;
        self.damage += other.damage;
        self.private_gain += other.private_gain;
        self.payoff += other.payoff;
        self.errors += other.errors;
        self.detected += other.detected;
        self.sanctioned += other.sanctioned;
        self.exempted += other.exempted;
        self.wrongly_exempted += other.wrongly_exempted;
        self.wrongly_sanctioned += other.wrongly_sanctioned;
        self.veto_events += other.veto_events;
        self.caught_idle += other.caught_idle;
        self.dismissals += other.dismissals;
        self.successes += other.successes;
        for (form, other) in self.forms.iter_mut().zip(other.forms) {
            *form += other;
        }
        self.reopened += other.reopened;
        self.leadership_cost += other.leadership_cost;
        self.corruption_cost += other.corruption_cost;
        self.enforcement_cost += other.enforcement_cost;
        self.ability += other.ability;
        self.opportunists += other.opportunists;
        self.eligible += other.eligible;
        self.eligible_exempted += other.eligible_exempted;
        self.belief += other.belief;
    }

    /// The step's metrics, in `METRICS` order, given what is measured on the units rather
    /// than the cadres.
    pub fn metrics(&self, units: &UnitMeasures) -> [f64; METRIC_COUNT] {
        let n = self.cadres.max(1.0);
        let abuse_rate = if self.exempted > 0.0 {
            self.wrongly_exempted / self.exempted
        } else {
            0.0
        };
        [
            self.idle / n,
            self.routine / n,
            self.innovating / n,
            self.innovation / n,
            self.attainment / n,
            self.missed / n,
            self.output,
            self.damage,
            self.private_gain,
            self.output
                - self.damage
                - self.private_gain
                - self.corruption_cost
                - self.enforcement_cost,
            self.payoff / n,
            self.errors,
            self.detected,
            self.sanctioned,
            self.exempted,
            self.wrongly_exempted,
            self.wrongly_sanctioned,
            self.veto_events,
            self.caught_idle,
            self.dismissals,
            abuse_rate,
            units.markup,
            units.share_missed,
            self.forms[0],
            self.forms[1],
            self.forms[2],
            self.forms[3],
            self.reopened,
            self.leadership_cost,
            self.corruption_cost,
            self.enforcement_cost,
            self.ability / n,
            self.opportunists / n,
            if self.eligible > 0.0 {
                self.eligible_exempted / self.eligible
            } else {
                0.0
            },
            self.belief / n,
        ]
    }
}

/// Equilibrium classes, in the order the classification tests them (docs/MODEL.md §7.11).
pub const CLASSES: [&str; 5] = [
    "abusive",
    "lazy-idle",
    "lazy-routine",
    "innovative",
    "mixed",
];

/// The classes that are lazy governance: inaction (lazy-idle) or not daring (lazy-routine).
pub const LAZY_GOVERNANCE: [&str; 2] = ["lazy-idle", "lazy-routine"];

/// Whether a class is lazy governance.
pub fn is_lazy_governance(class: &str) -> bool {
    LAZY_GOVERNANCE.contains(&class)
}

/// The most frequent class given a weight (count or share) per class in `CLASSES` order;
/// ties go to the class earlier in `CLASSES`.
pub fn modal_class(weights: &[f64; CLASSES.len()]) -> &'static str {
    let mut best = 0;
    for (index, weight) in weights.iter().enumerate() {
        if *weight > weights[best] {
            best = index;
        }
    }
    CLASSES[best]
}

/// Classify equilibrium means (docs/MODEL.md §7.11).
pub fn classify(means: &[f64; METRIC_COUNT], thresholds: &EquilibriumParams) -> &'static str {
    if means[ABUSE_RATE] >= thresholds.abusive_abuse_rate {
        "abusive"
    } else if means[SHARE_IDLE] >= thresholds.lazy_idle {
        "lazy-idle"
    } else if means[MEAN_INNOVATION] < thresholds.lazy_innovation {
        "lazy-routine"
    } else if means[MEAN_INNOVATION] >= thresholds.innovative_innovation {
        "innovative"
    } else {
        "mixed"
    }
}

/// First step t >= 2W-1 from which the W-step moving mean of `series` moves by at most
/// `tolerance` over W steps, at t and at every later step.
pub fn converged_at(series: &[f64], window: usize, tolerance: f64) -> Option<usize> {
    let w = window;
    if w == 0 || series.len() < 2 * w {
        return None;
    }
    let mut prefix = Vec::with_capacity(series.len() + 1);
    prefix.push(0.0);
    for value in series {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + value);
    }
    let moving = |t: usize| (prefix[t + 1] - prefix[t + 1 - w]) / w as f64;
    let mut candidate = None;
    for t in (2 * w - 1)..series.len() {
        if (moving(t) - moving(t - w)).abs() <= tolerance {
            candidate.get_or_insert(t);
        } else {
            candidate = None;
        }
    }
    candidate
}

/// Serialize an array as a sequence (serde derives arrays of at most 32 elements).
fn as_sequence<S: serde::Serializer>(values: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values)
}

/// The equilibrium of one replicate at one level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Equilibrium {
    #[serde(serialize_with = "as_sequence")]
    pub means: [f64; METRIC_COUNT],
    pub converged_at: Option<usize>,
    /// converged_at <= burn_in: the equilibrium window holds no transient.
    pub settled: bool,
    pub class: &'static str,
    /// Where a replicate that ran until settled (`run.until_settled`) opened its equilibrium
    /// window and stopped, and what the long-run rule found; None for a run of `run.steps`
    /// steps.
    pub span: Option<RunSpan>,
}

/// The equilibrium window of a replicate that ran until settled: steps `burn_in..steps`
/// (the warm-up the long-run rule truncated, and the run's length), with the relaxation time
/// and, when the rule was not satisfied by `run.max_steps`, why (neither is read back from
/// tables: 0 and None there).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RunSpan {
    pub burn_in: usize,
    pub steps: usize,
    #[serde(skip)]
    pub relaxation: f64,
    #[serde(skip)]
    pub shortfall: Option<Shortfall>,
}

impl RunSpan {
    /// A span as tables record it (no relaxation time or shortfall).
    pub fn new(burn_in: usize, steps: usize) -> Self {
        RunSpan {
            burn_in,
            steps,
            relaxation: 0.0,
            shortfall: None,
        }
    }
}

/// How many of a set of equilibria had not settled, and how late the latest converged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settling {
    pub equilibria: usize,
    /// Not settled: converged after burn_in, or never.
    pub unsettled: usize,
    /// Of those, how many never converged.
    pub never: usize,
    /// The latest converged_at of the unsettled ones that converged.
    pub latest: Option<usize>,
    /// Of the unsettled, how many ran until settled (`run.until_settled`) and were stopped
    /// by `run.max_steps`.
    pub capped: usize,
}

impl Settling {
    pub fn of<'a>(equilibria: impl IntoIterator<Item = &'a Equilibrium>) -> Self {
        let mut settling = Settling::default();
        for equilibrium in equilibria {
            settling.equilibria += 1;
            if equilibrium.settled {
                continue;
            }
            settling.unsettled += 1;
            settling.capped += usize::from(equilibrium.span.is_some());
            match equilibrium.converged_at {
                Some(t) => settling.latest = settling.latest.max(Some(t)),
                None => settling.never += 1,
            }
        }
        settling
    }

    /// A warning when some equilibria (of `what`: a scenario or a sweep; counted in `unit`)
    /// include a transient; `fixed_length_advice` says what to do about those that ran a
    /// fixed number of steps.
    pub fn warning(&self, what: &str, unit: &str, fixed_length_advice: &str) -> Option<String> {
        if self.unsettled == 0 {
            return None;
        }
        if self.capped == self.unsettled {
            return Some(format!(
                "{what}: {} of {} {unit} did not satisfy the long-run rule by run.max_steps, so their equilibrium means may include a transient; raise run.max_steps",
                self.unsettled, self.equilibria
            ));
        }
        let mut details = Vec::new();
        if let Some(latest) = self.latest {
            details.push(format!("the latest converged at step {latest}"));
        }
        if self.never > 0 {
            details.push(format!("{} never converged", self.never));
        }
        Some(format!(
            "{what}: {} of {} {unit} had not settled when the equilibrium window opened ({}), so their equilibrium means include a transient; {fixed_length_advice}",
            self.unsettled,
            self.equilibria,
            details.join("; ")
        ))
    }
}

/// Equilibrium of a per-step series of metrics (`steps[t][metric]`).
pub fn equilibrium(
    steps: &[[f64; METRIC_COUNT]],
    burn_in: usize,
    thresholds: &EquilibriumParams,
) -> Equilibrium {
    let window = &steps[burn_in.min(steps.len())..];
    let mut means = [0.0; METRIC_COUNT];
    for row in window {
        for (mean, value) in means.iter_mut().zip(row) {
            *mean += value;
        }
    }
    let count = window.len().max(1) as f64;
    for mean in &mut means {
        *mean /= count;
    }
    let innovation: Vec<f64> = steps.iter().map(|row| row[MEAN_INNOVATION]).collect();
    let converged_at = converged_at(
        &innovation,
        thresholds.window as usize,
        thresholds.tolerance,
    );
    Equilibrium {
        means,
        converged_at,
        settled: converged_at.is_some_and(|t| t <= burn_in),
        class: classify(&means, thresholds),
        span: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn means(idle: f64, innovation: f64, abuse: f64) -> [f64; METRIC_COUNT] {
        let mut means = [0.0; METRIC_COUNT];
        means[SHARE_IDLE] = idle;
        means[MEAN_INNOVATION] = innovation;
        means[ABUSE_RATE] = abuse;
        means
    }

    #[test]
    fn classes_at_every_boundary() {
        let t = EquilibriumParams::default();
        // abusive first, whatever else holds
        assert_eq!(classify(&means(0.9, 0.0, 0.25), &t), "abusive");
        assert_eq!(classify(&means(0.9, 0.0, 0.2499), &t), "lazy-idle");
        // lazy-idle from share_idle 0.5 on, before innovation is looked at
        assert_eq!(classify(&means(0.5, 0.9, 0.0), &t), "lazy-idle");
        assert_eq!(classify(&means(0.4999, 0.1, 0.0), &t), "lazy-routine");
        // lazy-routine strictly below 0.15, innovative from 0.3, mixed between
        assert_eq!(classify(&means(0.2, 0.1499, 0.0), &t), "lazy-routine");
        assert_eq!(classify(&means(0.2, 0.15, 0.0), &t), "mixed");
        assert_eq!(classify(&means(0.2, 0.2999, 0.0), &t), "mixed");
        assert_eq!(classify(&means(0.2, 0.3, 0.0), &t), "innovative");
        assert!(is_lazy_governance("lazy-idle") && is_lazy_governance("lazy-routine"));
        assert!(!is_lazy_governance("mixed") && !is_lazy_governance("innovative"));
    }

    #[test]
    fn convergence_is_first_step_of_lasting_stability() {
        // Constant series: converged at the first allowed step 2W-1.
        assert_eq!(converged_at(&[0.5; 100], 10, 0.01), Some(19));
        // A jump at step 50 breaks stability until the moving means agree again.
        let mut series = vec![0.0; 50];
        series.extend(vec![1.0; 50]);
        assert_eq!(converged_at(&series, 10, 0.01), Some(69));
        // Too short a series never converges.
        assert_eq!(converged_at(&[0.5; 19], 10, 0.01), None);
        // Oscillation until the end: none.
        let zigzag: Vec<f64> = (0..100).map(|t| ((t / 10) % 2) as f64).collect();
        assert_eq!(converged_at(&zigzag, 10, 0.01), None);
    }
}
