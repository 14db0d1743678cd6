//! Unit-hypercube samples of the sensitivity designs, row by row in SALib's layout:
//! Saltelli's cross-sampled matrices of a scrambled Sobol' sequence (`design = "sobol"`) and
//! Morris one-at-a-time trajectories (`design = "morris"`). Mapping a unit coordinate to an
//! axis value belongs to `sweep::design`.

use cadresim_model::rng::Stream;

/// Longest Sobol' sequence the generator provides (base rows).
pub const MAX_SOBOL_ROWS: usize = 1 << 16;
/// Most factors a Sobol' design may have (its sequence has twice as many dimensions).
pub const MAX_SOBOL_FACTORS: usize = sobol_burley::NUM_DIMENSIONS as usize / 2;

/// Rows per base row of a Saltelli sample: A, AB_j for every factor, BA_j for every factor
/// when second order, B.
pub fn saltelli_block(factors: usize, second_order: bool) -> usize {
    if second_order {
        2 * factors + 2
    } else {
        factors + 2
    }
}

/// The Saltelli sample of `base_rows` rows of an Owen-scrambled Sobol' sequence in
/// 2 x `factors` dimensions (A = the first half, B = the second): for each base row, A, then
/// AB_j (A with factor j from B) for each factor, then BA_j (B with factor j from A) if second
/// order, then B, as `SALib.sample.sobol` orders them.
pub fn saltelli_rows(
    base_rows: usize,
    factors: usize,
    second_order: bool,
    scramble_seed: u32,
) -> Vec<Vec<f64>> {
    debug_assert!(base_rows <= MAX_SOBOL_ROWS && factors <= MAX_SOBOL_FACTORS);
    let mut rows = Vec::with_capacity(base_rows * saltelli_block(factors, second_order));
    for i in 0..base_rows {
        let coordinate = |dimension: usize| {
            sobol_burley::sample(i as u32, dimension as u32, scramble_seed) as f64
        };
        let a: Vec<f64> = (0..factors).map(coordinate).collect();
        let b: Vec<f64> = (factors..2 * factors).map(coordinate).collect();
        rows.push(a.clone());
        for j in 0..factors {
            let mut ab = a.clone();
            ab[j] = b[j];
            rows.push(ab);
        }
        if second_order {
            for j in 0..factors {
                let mut ba = b.clone();
                ba[j] = a[j];
                rows.push(ba);
            }
        }
        rows.push(b);
    }
    rows
}

/// Morris's step in the unit hypercube for `levels` grid levels: p / (2 (p - 1)).
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// `trajectories` Morris trajectories of `factors` + 1 rows each, consecutive (Morris 1991,
/// as `SALib.sample.morris` draws them without optimisation): a base point x* whose
/// coordinates are drawn from the lower half of the grid {0, 1/(p-1), ...}, a random sign per
/// factor and a random order in which the factors move by Δ; a factor with sign +1 starts at
/// x* and moves up to x* + Δ, one with sign -1 starts at x* + Δ and moves down to x*.
pub fn morris_rows(
    trajectories: usize,
    factors: usize,
    levels: usize,
    stream: &mut Stream,
) -> Vec<Vec<f64>> {
    let delta = morris_delta(levels);
    let lower_half = levels / 2;
    let mut rows = Vec::with_capacity(trajectories * (factors + 1));
    for _ in 0..trajectories {
        let start: Vec<f64> = (0..factors)
            .map(|_| stream.below(lower_half) as f64 / (levels as f64 - 1.0))
            .collect();
        let rising: Vec<bool> = (0..factors).map(|_| stream.below(2) == 1).collect();
        let mut order: Vec<usize> = (0..factors).collect();
        for i in (1..factors).rev() {
            order.swap(i, stream.below(i + 1));
        }
        let mut row: Vec<f64> = (0..factors)
            .map(|f| {
                if rising[f] {
                    start[f]
                } else {
                    start[f] + delta
                }
            })
            .collect();
        rows.push(row.clone());
        for &factor in &order {
            row[factor] = if rising[factor] {
                start[factor] + delta
            } else {
                start[factor]
            };
            rows.push(row.clone());
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use cadresim_model::rng::{Phase, ReplicateKey};

    #[test]
    fn saltelli_layout_of_two_factors() {
        let rows = saltelli_rows(2, 2, true, 7);
        assert_eq!(rows.len(), 2 * 6);
        for block in rows.chunks(6) {
            let (a, b) = (&block[0], &block[5]);
            assert_eq!(block[1], vec![b[0], a[1]]);
            assert_eq!(block[2], vec![a[0], b[1]]);
            assert_eq!(block[3], vec![a[0], b[1]]);
            assert_eq!(block[4], vec![b[0], a[1]]);
        }
        assert_eq!(saltelli_rows(2, 2, false, 7).len(), 2 * 4);
    }

    #[test]
    fn morris_moves_one_factor_by_delta_per_row() {
        let mut stream = ReplicateKey::new(1, 2).stream(0, 0, Phase::Init);
        let rows = morris_rows(5, 3, 4, &mut stream);
        assert_eq!(rows.len(), 5 * 4);
        let delta = morris_delta(4);
        for trajectory in rows.chunks(4) {
            let mut moved = [false; 3];
            for pair in trajectory.windows(2) {
                let changed: Vec<usize> = (0..3).filter(|&f| pair[0][f] != pair[1][f]).collect();
                assert_eq!(changed.len(), 1);
                let f = changed[0];
                assert!(((pair[1][f] - pair[0][f]).abs() - delta).abs() < 1e-12);
                assert!(!moved[f]);
                moved[f] = true;
            }
            for value in trajectory.iter().flatten() {
                assert!((0.0..=1.0 + 1e-12).contains(value));
            }
        }
    }
}
