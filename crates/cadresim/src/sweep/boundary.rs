//! Tipping points by bisection (`design = "boundary"`), as plain numbers: for one search (one
//! combination of the other axes) the values of the first axis to evaluate next, given what
//! has been evaluated, and the search's result. A condition is judged per replicate; common
//! random numbers make each replicate's crossing a well-defined number.

use serde::{Deserialize, Serialize};

/// `[sweep.boundary]`: the condition, when to stop, and the coarse initial grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoundarySpec {
    /// The condition (`discover --where` language), judged per replicate at the whole
    /// hierarchy.
    pub condition: String,
    /// Final bracket width: relative to the crossing's value, or absolute with `absolute`.
    pub precision: f64,
    pub absolute: bool,
    /// Most points one search may evaluate (the initial grid included).
    pub max_evaluations: usize,
    /// Points of the initial grid (both ends included).
    pub initial: usize,
}

/// Defaults of `[sweep.boundary]`.
pub const DEFAULT_PRECISION: f64 = 0.01;
pub const DEFAULT_MAX_EVALUATIONS: usize = 24;
pub const DEFAULT_INITIAL: usize = 8;

/// The first axis of a boundary design: a numeric range, searched on a log scale when `log`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub from: f64,
    pub to: f64,
    pub log: bool,
}

impl Range {
    /// The initial grid: `count` values from `from` to `to` (log-spaced on a log scale).
    pub fn grid(&self, count: usize) -> Vec<f64> {
        (0..count)
            .map(|i| match i {
                0 => self.from,
                _ if i == count - 1 => self.to,
                _ => self.at(i as f64 / (count - 1) as f64),
            })
            .collect()
    }

    fn at(&self, fraction: f64) -> f64 {
        if self.log {
            (self.from.ln() + (self.to.ln() - self.from.ln()) * fraction).exp()
        } else {
            self.from + (self.to - self.from) * fraction
        }
    }

    /// The middle of a bracket (geometric on a log scale).
    pub fn middle(&self, low: f64, high: f64) -> f64 {
        if self.log {
            (low * high).sqrt()
        } else {
            (low + high) / 2.0
        }
    }
}

/// What has been evaluated in one search: (x, whether the condition held, per replicate), in
/// evaluation order.
pub type Evaluated = [(f64, Vec<bool>)];

/// Where one replicate's condition changes: the first change along x among the evaluated
/// points, as (low, high); None when it never changes.
pub fn bracket(evaluated: &Evaluated, replicate: usize) -> Option<(f64, f64)> {
    let sorted = sorted(evaluated);
    sorted
        .windows(2)
        .find(|pair| pair[0].1[replicate] != pair[1].1[replicate])
        .map(|pair| (pair[0].0, pair[1].0))
}

fn sorted(evaluated: &Evaluated) -> Vec<&(f64, Vec<bool>)> {
    let mut sorted: Vec<&(f64, Vec<bool>)> = evaluated.iter().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    sorted
}

/// Whether a bracket is as narrow as the spec asks.
fn narrow(spec: &BoundarySpec, (low, high): (f64, f64)) -> bool {
    let width = high - low;
    if spec.absolute {
        width <= spec.precision
    } else {
        width <= spec.precision * ((low + high) / 2.0).abs()
    }
}

/// The next values to evaluate: the initial grid first; then the middles of every
/// replicate's bracket that is still too wide (each middle once, in increasing order), as
/// many as the budget allows; empty when the search is done.
pub fn next(spec: &BoundarySpec, range: &Range, evaluated: &Evaluated) -> Vec<f64> {
    if evaluated.is_empty() {
        return range.grid(spec.initial);
    }
    let budget = spec.max_evaluations.saturating_sub(evaluated.len());
    let replicates = evaluated[0].1.len();
    let mut middles: Vec<f64> = Vec::new();
    for replicate in 0..replicates {
        if let Some(bracket) = bracket(evaluated, replicate) {
            let middle = range.middle(bracket.0, bracket.1);
            let new = middle > bracket.0 && middle < bracket.1;
            if !narrow(spec, bracket) && new && !middles.contains(&middle) {
                middles.push(middle);
            }
        }
    }
    middles.sort_by(f64::total_cmp);
    middles.truncate(budget);
    middles
}

/// Whether a finished search left some replicate's bracket wider than the precision: it ran
/// out of evaluations (`max_evaluations`) first.
pub fn imprecise(spec: &BoundarySpec, evaluated: &Evaluated) -> bool {
    let replicates = evaluated.first().map(|(_, r)| r.len()).unwrap_or(0);
    (0..replicates).any(|r| bracket(evaluated, r).is_some_and(|b| !narrow(spec, b)))
}

/// What `boundary.csv` flags a search with that ran out of evaluations (after its other
/// flag, if any: `mixed+imprecise`).
pub const IMPRECISE: &str = "imprecise";

/// How the condition behaves along the range for one search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// Every replicate crosses once on the initial grid.
    Crossing,
    /// The condition already holds at the low end for every replicate: the crossing is below
    /// the range.
    Below,
    /// It holds nowhere on the range for any replicate: the crossing is above it.
    Above,
    /// Some replicate's condition changes more than once on the initial grid.
    NonMonotone,
    /// Replicates disagree: some cross, others hold everywhere or nowhere.
    Mixed,
}

impl Flag {
    pub fn name(self) -> &'static str {
        match self {
            Flag::Crossing => "",
            Flag::Below => "below",
            Flag::Above => "above",
            Flag::NonMonotone => "non-monotone",
            Flag::Mixed => "mixed",
        }
    }
}

/// The result of one search.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    /// Each replicate's crossing (its bracket's middle), None where it has none.
    pub replicates: Vec<Option<f64>>,
    pub flag: Flag,
    pub evaluations: usize,
}

/// The result of a finished search. `initial` is the size of the initial grid (the first
/// evaluations), on which the flags are judged.
pub fn crossing(range: &Range, evaluated: &Evaluated, initial: usize) -> Crossing {
    let grid = &evaluated[..initial.min(evaluated.len())];
    let replicates = evaluated.first().map(|(_, r)| r.len()).unwrap_or(0);
    let changes = |replicate: usize| {
        sorted(grid)
            .windows(2)
            .filter(|pair| pair[0].1[replicate] != pair[1].1[replicate])
            .count()
    };
    let first = sorted(grid)
        .first()
        .map(|p| p.1.clone())
        .unwrap_or_default();
    let per_replicate: Vec<Option<f64>> = (0..replicates)
        .map(|r| bracket(evaluated, r).map(|(low, high)| range.middle(low, high)))
        .collect();
    let flag = if (0..replicates).any(|r| changes(r) > 1) {
        Flag::NonMonotone
    } else if per_replicate.iter().all(Option::is_some) {
        Flag::Crossing
    } else if per_replicate.iter().all(Option::is_none) && first.iter().all(|h| *h) {
        Flag::Below
    } else if per_replicate.iter().all(Option::is_none) && first.iter().all(|h| !*h) {
        Flag::Above
    } else {
        Flag::Mixed
    };
    Crossing {
        replicates: per_replicate,
        flag,
        evaluations: evaluated.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(precision: f64, absolute: bool) -> BoundarySpec {
        BoundarySpec {
            condition: "mean_innovation < 0.2".into(),
            precision,
            absolute,
            max_evaluations: 40,
            initial: 8,
        }
    }

    /// Run a search against replicates whose condition starts to hold at `thresholds`.
    fn search(spec: &BoundarySpec, range: &Range, thresholds: &[f64]) -> (Crossing, usize) {
        let mut evaluated: Vec<(f64, Vec<bool>)> = Vec::new();
        loop {
            let xs = next(spec, range, &evaluated);
            if xs.is_empty() {
                break;
            }
            for x in xs {
                evaluated.push((x, thresholds.iter().map(|t| x >= *t).collect()));
            }
        }
        (crossing(range, &evaluated, spec.initial), evaluated.len())
    }

    #[test]
    fn bisection_finds_each_replicates_threshold_within_the_precision() {
        let range = Range {
            from: 0.5,
            to: 16.0,
            log: true,
        };
        let thresholds = [5.1, 5.3, 6.0];
        let (result, evaluations) = search(&spec(0.01, false), &range, &thresholds);
        assert_eq!(result.flag, Flag::Crossing);
        for (found, truth) in result.replicates.iter().zip(thresholds) {
            let found = found.unwrap();
            assert!((found - truth).abs() <= 0.01 * truth, "{found} vs {truth}");
        }
        // The initial grid, then at most log2(bracket / precision) rounds per distinct bracket.
        assert!(evaluations <= 8 + 3 * 7, "{evaluations}");
        let (absolute, _) = search(&spec(0.05, true), &range, &[2.0]);
        assert!((absolute.replicates[0].unwrap() - 2.0).abs() <= 0.05);
    }

    #[test]
    fn ends_and_non_monotone_replicates_are_flagged() {
        let range = Range {
            from: 1.0,
            to: 8.0,
            log: false,
        };
        let spec = spec(0.01, false);
        assert_eq!(search(&spec, &range, &[0.5, 0.2]).0.flag, Flag::Below);
        assert_eq!(search(&spec, &range, &[9.0]).0.flag, Flag::Above);
        assert_eq!(search(&spec, &range, &[3.0, 9.0]).0.flag, Flag::Mixed);
        // A replicate whose condition holds only in the middle of the range.
        let grid = range.grid(8);
        let evaluated: Vec<(f64, Vec<bool>)> = grid
            .iter()
            .map(|x| (*x, vec![(3.0..6.0).contains(x)]))
            .collect();
        assert_eq!(crossing(&range, &evaluated, 8).flag, Flag::NonMonotone);
    }

    #[test]
    fn the_budget_caps_the_evaluations() {
        let range = Range {
            from: 0.0,
            to: 1.0,
            log: false,
        };
        let mut spec = spec(1e-9, true);
        spec.max_evaluations = 12;
        let (result, evaluations) = search(&spec, &range, &[0.37]);
        assert_eq!(evaluations, 12);
        assert!((result.replicates[0].unwrap() - 0.37).abs() < 1.0 / 7.0 / 16.0);
    }

    /// Evaluate a search to its end against replicates crossing at `thresholds`.
    fn evaluated(spec: &BoundarySpec, range: &Range, thresholds: &[f64]) -> Vec<(f64, Vec<bool>)> {
        let mut evaluated: Vec<(f64, Vec<bool>)> = Vec::new();
        loop {
            let xs = next(spec, range, &evaluated);
            if xs.is_empty() {
                return evaluated;
            }
            for x in xs {
                evaluated.push((x, thresholds.iter().map(|t| x >= *t).collect()));
            }
        }
    }

    #[test]
    fn a_search_that_runs_out_of_evaluations_is_imprecise() {
        let range = Range {
            from: 0.0,
            to: 1.0,
            log: false,
        };
        let mut short = spec(1e-6, true);
        short.max_evaluations = 12;
        assert!(imprecise(&short, &evaluated(&short, &range, &[0.37])));
        let mut enough = spec(1e-6, true);
        enough.max_evaluations = 100;
        assert!(!imprecise(&enough, &evaluated(&enough, &range, &[0.37])));
        // No crossing, no bracket: nothing to be imprecise about.
        assert!(!imprecise(&short, &evaluated(&short, &range, &[2.0])));
    }
}
