//! Bagged PRIM (Kwakkel & Cunningham 2016, "Improving scenario discovery by bagging random
//! boxes"): PRIM on bootstrap resamples of the cases, and how often the box chosen on each
//! resample restricts each column. A restriction PRIM found by chance in one sample of cases
//! rarely recurs across resamples; one the data support does. The reported box keeps only
//! the restrictions that recur in at least `KEEP` of the resamples. Also the dummy factor: a
//! column of uniform noise that no outcome can depend on, so a box that restricts it is
//! spurious. Plain numbers; knows no file or sweep.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::prim::{self, Cases, Column, TrajectoryBox};

/// Bootstrap resamples by default (at least 100, as Kwakkel & Cunningham 2016 advise).
pub const DEFAULT_RESAMPLES: usize = 100;

/// Share of the resamples in which a restriction must recur to be kept.
pub const KEEP: f64 = 0.8;

/// The name the dummy factor goes by in tables and charts.
pub const DUMMY: &str = "dummy (uniform noise)";

/// The stream of a seed that draws the bootstrap resamples (the dummy factor draws from
/// stream 0).
const RESAMPLE_STREAM: u64 = 1;

/// The share of `resamples` bootstrap resamples of the cases in which the box that `choose`
/// picks on PRIM's trajectory restricts each column. Resample b draws as many cases as there
/// are, with replacement, from ChaCha8 seeded by `seed` (stream 1, words from b · 2^32 on):
/// the result is the same for any thread count. A resample with no case of interest, or only
/// such cases, restricts nothing.
pub fn inclusion(
    cases: &Cases,
    options: &prim::Options,
    resamples: usize,
    seed: u64,
    choose: &(dyn Fn(&[TrajectoryBox]) -> usize + Sync),
) -> Vec<f64> {
    let counts: Vec<Vec<bool>> = (0..resamples)
        .into_par_iter()
        .map(|b| restricted_in_resample(cases, options, seed, b as u64, choose))
        .collect();
    (0..cases.columns.len())
        .map(|j| counts.iter().filter(|row| row[j]).count() as f64 / resamples.max(1) as f64)
        .collect()
}

/// Which columns the box chosen on bootstrap resample `b` restricts.
fn restricted_in_resample(
    cases: &Cases,
    options: &prim::Options,
    seed: u64,
    b: u64,
    choose: &(dyn Fn(&[TrajectoryBox]) -> usize + Sync),
) -> Vec<bool> {
    let n = cases.outcome.len();
    let mut generator = ChaCha8Rng::seed_from_u64(seed);
    generator.set_stream(RESAMPLE_STREAM);
    generator.set_word_pos(u128::from(b) << 32);
    let picks: Vec<usize> = (0..n).map(|_| generator.random_range(0..n)).collect();
    let outcome: Vec<bool> = picks.iter().map(|&i| cases.outcome[i]).collect();
    let interesting = outcome.iter().filter(|&&o| o).count();
    if interesting == 0 || interesting == n {
        return vec![false; cases.columns.len()];
    }
    let columns: Vec<Column> = cases
        .columns
        .iter()
        .map(|column| resampled(column, &picks))
        .collect();
    let resample = Cases {
        columns: &columns,
        outcome: &outcome,
    };
    let initial = resample.initial_box();
    let trajectory = prim::prim(&resample, options);
    let chosen = &trajectory[choose(&trajectory)];
    chosen
        .limits
        .iter()
        .zip(&initial)
        .map(|(limit, first)| limit != first)
        .collect()
}

/// The column's values at the picked cases.
fn resampled(column: &Column, picks: &[usize]) -> Column {
    match column {
        Column::Numeric(values) => Column::Numeric(picks.iter().map(|&i| values[i]).collect()),
        Column::Categorical { codes, count } => Column::Categorical {
            codes: picks.iter().map(|&i| codes[i]).collect(),
            count: *count,
        },
    }
}

/// The dummy factor's value for each of `groups` groups (points of a sweep, samples of a
/// robustness check): uniform on [0, 1) from ChaCha8 seeded by `seed`, stream 0, in order.
pub fn dummy_values(groups: usize, seed: u64) -> Vec<f64> {
    let mut generator = ChaCha8Rng::seed_from_u64(seed);
    (0..groups).map(|_| generator.random::<f64>()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases on a grid of two informative-looking columns and noise: of interest exactly
    /// where x < 0.3.
    fn planted(n: usize, seed: u64) -> (Vec<Column>, Vec<bool>) {
        let mut generator = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<f64> = (0..n).map(|_| generator.random::<f64>()).collect();
        let noise: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..n).map(|_| generator.random::<f64>()).collect())
            .collect();
        let outcome = x.iter().map(|&v| v < 0.3).collect();
        let mut columns = vec![Column::Numeric(x)];
        columns.extend(noise.into_iter().map(Column::Numeric));
        columns.push(Column::Numeric(dummy_values(n, seed + 1)));
        (columns, outcome)
    }

    #[test]
    fn the_planted_restriction_recurs_and_noise_does_not() {
        let (columns, outcome) = planted(400, 7);
        let cases = Cases {
            columns: &columns,
            outcome: &outcome,
        };
        let choose = |t: &[TrajectoryBox]| super::super::densest_covering(t, 0.5);
        let found = inclusion(&cases, &prim::Options::default(), 100, 11, &choose);
        assert!(found[0] >= KEEP, "{found:?}");
        for (j, share) in found.iter().enumerate().skip(1) {
            assert!(*share < KEEP, "column {j}: {found:?}");
        }
    }

    #[test]
    fn inclusion_is_the_same_on_one_thread_and_on_two() {
        let (columns, outcome) = planted(200, 3);
        let cases = Cases {
            columns: &columns,
            outcome: &outcome,
        };
        let choose = |t: &[TrajectoryBox]| super::super::densest_covering(t, 0.5);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| inclusion(&cases, &prim::Options::default(), 20, 5, &choose))
        };
        assert_eq!(on(1), on(2));
    }
}
