//! PRIM, the patient rule induction method (Friedman & Fisher 1999), for binary outcomes as
//! the EMA Workbench implements it (`ema_workbench/analysis/prim.py`, one box): peeling by
//! quantiles (`alpha`) from either end of numeric columns and by removing one value of
//! categorical ones, chosen by the "lenient 1" objective (gain in density per case removed)
//! while the mass stays at least `min_mass`; then pasting back; every accepted box is kept as
//! the trajectory. Quasi-p-values of a box's restrictions as Bryant & Lempert (2010). Works
//! on plain columns; knows no file or sweep.

use cadresim_model::stats;

/// One column of cases.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Numeric(Vec<f64>),
    /// Category codes 0..count.
    Categorical {
        codes: Vec<usize>,
        count: usize,
    },
}

/// The limits a box puts on one column.
#[derive(Clone, Debug, PartialEq)]
pub enum Limit {
    /// Inclusive bounds.
    Range(f64, f64),
    /// Allowed category codes, ascending.
    Values(Vec<usize>),
}

impl Limit {
    fn holds(&self, column: &Column, case: usize) -> bool {
        match (self, column) {
            (Limit::Range(low, high), Column::Numeric(values)) => {
                *low <= values[case] && values[case] <= *high
            }
            (Limit::Values(kept), Column::Categorical { codes, .. }) => kept.contains(&codes[case]),
            _ => false,
        }
    }
}

/// A box: one limit per column.
pub type Limits = Vec<Limit>;

/// One box on the trajectory with its statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct TrajectoryBox {
    pub limits: Limits,
    /// Cases of interest in the box over all cases of interest.
    pub coverage: f64,
    /// Cases of interest in the box over cases in the box.
    pub density: f64,
    /// Cases in the box over all cases.
    pub mass: f64,
    /// Columns whose limits differ from the initial box.
    pub restricted: usize,
    /// Cases in the box.
    pub n: usize,
    /// Cases of interest in the box.
    pub k: usize,
}

/// PRIM's options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    pub peel_alpha: f64,
    pub paste_alpha: f64,
    pub min_mass: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            peel_alpha: 0.05,
            paste_alpha: 0.05,
            min_mass: 0.05,
        }
    }
}

/// The cases: columns and the binary outcome (true = of interest).
pub struct Cases<'a> {
    pub columns: &'a [Column],
    pub outcome: &'a [bool],
}

impl Cases<'_> {
    /// The box holding every case.
    pub fn initial_box(&self) -> Limits {
        self.columns
            .iter()
            .map(|column| match column {
                Column::Numeric(values) => Limit::Range(
                    values.iter().copied().fold(f64::INFINITY, f64::min),
                    values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ),
                Column::Categorical { codes, count } => {
                    Limit::Values((0..*count).filter(|c| codes.contains(c)).collect())
                }
            })
            .collect()
    }

    /// The cases inside `limits`, among `among`.
    pub fn inside(&self, limits: &Limits, among: &[usize]) -> Vec<usize> {
        among
            .iter()
            .copied()
            .filter(|&case| {
                limits
                    .iter()
                    .zip(self.columns)
                    .all(|(limit, column)| limit.holds(column, case))
            })
            .collect()
    }

    fn of_interest(&self, cases: &[usize]) -> usize {
        cases.iter().filter(|&&c| self.outcome[c]).count()
    }

    /// The statistics of a box holding `cases`.
    pub fn statistics(&self, limits: Limits, cases: &[usize], initial: &Limits) -> TrajectoryBox {
        let total = self.outcome.len();
        let interesting = self.outcome.iter().filter(|&&o| o).count();
        let k = self.of_interest(cases);
        TrajectoryBox {
            restricted: restricted(&limits, initial),
            coverage: if interesting > 0 {
                k as f64 / interesting as f64
            } else {
                0.0
            },
            density: if cases.is_empty() {
                0.0
            } else {
                k as f64 / cases.len() as f64
            },
            mass: cases.len() as f64 / total as f64,
            n: cases.len(),
            k,
            limits,
        }
    }

    fn mean(&self, cases: &[usize]) -> f64 {
        if cases.is_empty() {
            0.0
        } else {
            self.of_interest(cases) as f64 / cases.len() as f64
        }
    }
}

/// How many columns a box restricts.
pub fn restricted(limits: &Limits, initial: &Limits) -> usize {
    limits.iter().zip(initial).filter(|(a, b)| a != b).count()
}

/// The EMA Workbench's quantile (after sdtoolkit): the mean of the two order statistics
/// around (n - 1) q, moved outward past ties.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut data = values.to_vec();
    data.sort_by(f64::total_cmp);
    let i = (data.len() - 1) as f64 * q;
    let (mut lower, mut higher) = (i.floor() as usize, i.ceil() as usize);
    if q > 0.5 {
        while data[lower] == data[higher] && lower > 0 {
            lower -= 1;
        }
    } else {
        while data[lower] == data[higher] && higher < data.len() - 1 {
            higher += 1;
        }
    }
    (data[lower] + data[higher]) / 2.0
}

/// The "lenient 1" objective: the change in mean divided by the change in the number of
/// cases (0 when the mean does not change).
fn lenient1(cases: &Cases, old: &[usize], new: &[usize]) -> f64 {
    let (mean_old, mean_new) = (cases.mean(old), cases.mean(new));
    if mean_old == mean_new || old.len() == new.len() {
        return 0.0;
    }
    (mean_new - mean_old) / old.len().abs_diff(new.len()) as f64
}

/// A candidate box: its limits and the cases in it.
type Candidate = (Limits, Vec<usize>);

/// Run PRIM for one box; returns the trajectory, from the initial box to the last accepted.
pub fn prim(cases: &Cases, options: &Options) -> Vec<TrajectoryBox> {
    let initial = cases.initial_box();
    let all: Vec<usize> = (0..cases.outcome.len()).collect();
    let mut trajectory = vec![cases.statistics(initial.clone(), &all, &initial)];
    let (mut limits, mut inside) = (initial.clone(), all.clone());
    // Peeling.
    loop {
        let candidates = peels(cases, &limits, &inside, options.peel_alpha);
        let Some((obj, (new_limits, new_inside))) = best(cases, &inside, candidates, &initial)
        else {
            break;
        };
        let (mass_old, mass_new) = (inside.len(), new_inside.len());
        let total = all.len() as f64;
        if mass_new as f64 / total >= options.min_mass && mass_new < mass_old && obj > 0.0 {
            limits = new_limits;
            inside = new_inside;
            trajectory.push(cases.statistics(limits.clone(), &inside, &initial));
        } else {
            break;
        }
    }
    // Pasting.
    loop {
        let candidates = pastes(cases, &limits, &initial, options.paste_alpha);
        let Some((obj, (new_limits, new_inside))) = best(cases, &inside, candidates, &initial)
        else {
            break;
        };
        let total = all.len() as f64;
        let better = cases.mean(&new_inside) > cases.mean(&inside);
        if new_inside.len() as f64 / total >= options.min_mass
            && new_inside.len() > inside.len()
            && obj > 0.0
            && better
        {
            limits = new_limits;
            inside = new_inside;
            trajectory.push(cases.statistics(limits.clone(), &inside, &initial));
        } else {
            break;
        }
    }
    trajectory
}

/// The candidate with the highest objective, ties to the one restricting fewer columns,
/// then to the earlier candidate (the Workbench's stable sort).
fn best(
    cases: &Cases,
    inside: &[usize],
    candidates: Vec<Candidate>,
    initial: &Limits,
) -> Option<(f64, Candidate)> {
    let mut best: Option<(f64, usize, Candidate)> = None;
    for candidate in candidates {
        let obj = lenient1(cases, inside, &candidate.1);
        let free = initial.len() - restricted(&candidate.0, initial);
        let wins = match &best {
            None => true,
            Some((best_obj, best_free, _)) => {
                obj > *best_obj || (obj == *best_obj && free > *best_free)
            }
        };
        if wins {
            best = Some((obj, free, candidate));
        }
    }
    best.map(|(obj, _, candidate)| (obj, candidate))
}

/// Column order of the Workbench: numeric columns first, then categorical ones.
fn column_order(cases: &Cases) -> Vec<usize> {
    let numeric = |c: &Column| matches!(c, Column::Numeric(_));
    let mut order: Vec<usize> = (0..cases.columns.len())
        .filter(|&j| numeric(&cases.columns[j]))
        .collect();
    order.extend((0..cases.columns.len()).filter(|&j| !numeric(&cases.columns[j])));
    order
}

/// Every peel of the box: from the top and from the bottom of each numeric column, and the
/// removal of each value of each categorical column that keeps more than one.
fn peels(cases: &Cases, limits: &Limits, inside: &[usize], alpha: f64) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for j in column_order(cases) {
        match (&cases.columns[j], &limits[j]) {
            (Column::Numeric(values), Limit::Range(low, high)) => {
                let in_box: Vec<f64> = inside.iter().map(|&c| values[c]).collect();
                let top = quantile(&in_box, 1.0 - alpha);
                let kept: Vec<usize> = inside
                    .iter()
                    .copied()
                    .filter(|&c| values[c] <= top)
                    .collect();
                candidates.push((with(limits, j, Limit::Range(*low, top)), kept));
                let bottom = quantile(&in_box, alpha);
                let kept: Vec<usize> = inside
                    .iter()
                    .copied()
                    .filter(|&c| values[c] >= bottom)
                    .collect();
                candidates.push((with(limits, j, Limit::Range(bottom, *high)), kept));
            }
            (Column::Categorical { codes, .. }, Limit::Values(allowed)) if allowed.len() > 1 => {
                for &removed in allowed {
                    let rest: Vec<usize> =
                        allowed.iter().copied().filter(|&v| v != removed).collect();
                    let kept: Vec<usize> = inside
                        .iter()
                        .copied()
                        .filter(|&c| codes[c] != removed)
                        .collect();
                    candidates.push((with(limits, j, Limit::Values(rest)), kept));
                }
            }
            _ => {}
        }
    }
    candidates
}

/// Every paste of the box: for each restricted column, widen the lower and the upper bound
/// (numeric) to a quantile of the cases just outside, or add back one value (categorical).
/// Only restricted columns decide which cases a pasted box holds, as in the Workbench.
fn pastes(cases: &Cases, limits: &Limits, initial: &Limits, alpha: f64) -> Vec<Candidate> {
    let restricted_columns: Vec<usize> = (0..limits.len())
        .filter(|&j| limits[j] != initial[j])
        .collect();
    let all: Vec<usize> = (0..cases.outcome.len()).collect();
    let inside_restricted = |candidate: &Limits| -> Vec<usize> {
        all.iter()
            .copied()
            .filter(|&case| {
                restricted_columns
                    .iter()
                    .all(|&j| candidate[j].holds(&cases.columns[j], case))
            })
            .collect()
    };
    let mut candidates = Vec::new();
    for j in column_order(cases) {
        if !restricted_columns.contains(&j) {
            continue;
        }
        match (&cases.columns[j], &limits[j], &initial[j]) {
            (Column::Numeric(values), Limit::Range(low, high), Limit::Range(min, max)) => {
                let below = with(limits, j, Limit::Range(*min, *low));
                let data: Vec<f64> = inside_restricted(&below)
                    .iter()
                    .map(|&c| values[c])
                    .collect();
                let lower = if data.is_empty() {
                    *min
                } else {
                    quantile(&data, 1.0 - alpha)
                };
                let pasted = with(limits, j, Limit::Range(lower, *high));
                candidates.push((pasted.clone(), inside_restricted(&pasted)));
                let above = with(limits, j, Limit::Range(*high, *max));
                let data: Vec<f64> = inside_restricted(&above)
                    .iter()
                    .map(|&c| values[c])
                    .collect();
                let upper = if data.is_empty() {
                    *max
                } else {
                    quantile(&data, alpha)
                };
                let pasted = with(limits, j, Limit::Range(*low, upper));
                candidates.push((pasted.clone(), inside_restricted(&pasted)));
            }
            (Column::Categorical { .. }, Limit::Values(kept), Limit::Values(every)) => {
                for value in every.iter().filter(|v| !kept.contains(v)) {
                    let mut more = kept.clone();
                    more.push(*value);
                    more.sort_unstable();
                    let pasted = with(limits, j, Limit::Values(more));
                    candidates.push((pasted.clone(), inside_restricted(&pasted)));
                }
            }
            _ => {}
        }
    }
    candidates
}

fn with(limits: &Limits, j: usize, limit: Limit) -> Limits {
    let mut changed = limits.clone();
    changed[j] = limit;
    changed
}

/// Quasi-p-value of each restricted column of `limits` (Bryant & Lempert 2010, as the
/// Workbench computes it): with that column's restriction lifted (for a numeric column, each
/// restricted side in turn; the larger value is reported), the one-sided binomial
/// probability of at least the box's cases of interest among its cases at the density of the
/// widened box. None for unrestricted columns.
pub fn quasi_p_values(cases: &Cases, limits: &Limits, initial: &Limits) -> Vec<Option<f64>> {
    let restricted_columns: Vec<usize> = (0..limits.len())
        .filter(|&j| limits[j] != initial[j])
        .collect();
    let all: Vec<usize> = (0..cases.outcome.len()).collect();
    let count = |candidate: &Limits| -> (usize, usize) {
        let inside: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&case| {
                restricted_columns
                    .iter()
                    .all(|&j| candidate[j].holds(&cases.columns[j], case))
            })
            .collect();
        (inside.len(), cases.of_interest(&inside))
    };
    let (n_box, k_box) = count(limits);
    (0..limits.len())
        .map(|j| {
            if !restricted_columns.contains(&j) {
                return None;
            }
            let widened: Vec<Limits> = match (&limits[j], &initial[j]) {
                (Limit::Range(low, high), Limit::Range(min, max)) => {
                    let mut sides = Vec::new();
                    if low != min {
                        sides.push(with(limits, j, Limit::Range(*min, *high)));
                    }
                    if high != max {
                        sides.push(with(limits, j, Limit::Range(*low, *max)));
                    }
                    sides
                }
                (_, every) => vec![with(limits, j, every.clone())],
            };
            widened
                .iter()
                .map(|w| {
                    let (n, k) = count(w);
                    stats::binomial_upper_tail(k_box, n_box, k as f64 / n.max(1) as f64)
                })
                .reduce(f64::max)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_the_workbench() {
        let data = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&data, 0.05), 1.5);
        assert_eq!(quantile(&data, 0.95), 4.5);
        // Ties move outward.
        assert_eq!(quantile(&[1.0, 1.0, 1.0, 2.0], 0.05), 1.5);
    }
}
