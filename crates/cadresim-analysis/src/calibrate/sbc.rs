//! Posterior summaries and the simulation-based check of a calibration method (Talts,
//! Betancourt, Simpson, Vehtari & Gelman 2018): for truths drawn from the prior, the rank of
//! each truth within its posterior is uniform and central intervals cover it at their nominal
//! rate when the method is right.

use crate::did::estimate::chi_square_sf;

/// The `q` quantile of weighted values (the smallest value whose cumulative weight reaches
/// q; weights need not sum to 1).
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    for &i in &order {
        cumulative += weights[i] / total;
        if cumulative >= q - 1e-12 {
            return values[i];
        }
    }
    order.last().map_or(f64::NAN, |&i| values[i])
}

/// Weighted mean and standard deviation.
pub fn weighted_moments(values: &[f64], weights: &[f64]) -> (f64, f64) {
    let total: f64 = weights.iter().sum();
    let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total;
    let variance = values
        .iter()
        .zip(weights)
        .map(|(v, w)| w * (v - mean) * (v - mean))
        .sum::<f64>()
        / total;
    (mean, variance.sqrt())
}

/// Rank bins of the check's histograms.
pub const RANK_BINS: usize = 20;

/// The truth's rank bin: the posterior mass below it, in `RANK_BINS` equal bins (ties count
/// half).
pub fn rank_bin(values: &[f64], weights: &[f64], truth: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let below: f64 = values
        .iter()
        .zip(weights)
        .map(|(v, w)| match v.total_cmp(&truth) {
            std::cmp::Ordering::Less => *w,
            std::cmp::Ordering::Equal => 0.5 * w,
            std::cmp::Ordering::Greater => 0.0,
        })
        .sum();
    ((below / total * RANK_BINS as f64) as usize).min(RANK_BINS - 1)
}

/// Whether the truth lies in the central `level` interval of the posterior.
pub fn covers(values: &[f64], weights: &[f64], truth: f64, level: f64) -> bool {
    let low = weighted_quantile(values, weights, (1.0 - level) / 2.0);
    let high = weighted_quantile(values, weights, (1.0 + level) / 2.0);
    (low..=high).contains(&truth)
}

/// The p-value of Pearson's χ² test that `counts` come from a uniform distribution over
/// their bins.
pub fn uniformity_p(counts: &[usize]) -> f64 {
    let n: usize = counts.iter().sum();
    if n == 0 || counts.len() < 2 {
        return f64::NAN;
    }
    let expected = n as f64 / counts.len() as f64;
    let statistic: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    chi_square_sf(statistic, counts.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_equal_weights_are_order_statistics() {
        let values = [5.0, 1.0, 3.0, 2.0, 4.0];
        let weights = [1.0; 5];
        assert_eq!(weighted_quantile(&values, &weights, 0.5), 3.0);
        assert_eq!(weighted_quantile(&values, &weights, 0.2), 1.0);
        assert_eq!(weighted_quantile(&values, &weights, 1.0), 5.0);
        assert!(covers(&values, &weights, 3.0, 0.5));
        assert!(!covers(&values, &weights, 5.5, 0.9));
    }

    #[test]
    fn ranks_and_uniformity() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let weights = vec![1.0; 100];
        assert_eq!(rank_bin(&values, &weights, -1.0), 0);
        assert_eq!(rank_bin(&values, &weights, 49.5), 10);
        assert_eq!(rank_bin(&values, &weights, 1e9), RANK_BINS - 1);
        assert_eq!(uniformity_p(&[5; 20]), 1.0);
        assert!(uniformity_p(&[100, 0, 0, 0]) < 1e-10);
        assert_eq!(weighted_moments(&[1.0, 3.0], &[1.0, 1.0]), (2.0, 1.0));
    }
}
