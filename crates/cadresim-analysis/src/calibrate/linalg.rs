//! The small dense linear algebra calibration needs: Cholesky factors and the inverse of a
//! lower-triangular matrix (row-major `Vec<Vec<f64>>`, a few hundred rows at most).

/// Lower Cholesky factor of a symmetric positive semi-definite matrix; a pivot below `floor`
/// is replaced by `floor` (a matrix that is singular in some direction).
pub fn cholesky(matrix: &[Vec<f64>], floor: f64) -> Vec<Vec<f64>> {
    let n = matrix.len();
    let mut lower = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| lower[i][k] * lower[j][k]).sum();
            if i == j {
                lower[i][i] = (matrix[i][i] - sum).max(floor).sqrt();
            } else {
                lower[i][j] = (matrix[i][j] - sum) / lower[j][j];
            }
        }
    }
    lower
}

/// The inverse of a lower-triangular matrix with a non-zero diagonal (lower-triangular too).
pub fn lower_inverse(lower: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = lower.len();
    let mut inverse = vec![vec![0.0; n]; n];
    for j in 0..n {
        inverse[j][j] = 1.0 / lower[j][j];
        for i in j + 1..n {
            let sum: f64 = (j..i).map(|k| lower[i][k] * inverse[k][j]).sum();
            inverse[i][j] = -sum / lower[i][i];
        }
    }
    inverse
}

/// Smallest pivot of a covariance's factor in `log_normal_density`.
const MIN_COVARIANCE_PIVOT: f64 = 1e-300;

/// log N(residual; 0, covariance), the multivariate normal log density.
pub fn log_normal_density(covariance: &[Vec<f64>], residual: &[f64]) -> f64 {
    let lower = cholesky(covariance, MIN_COVARIANCE_PIVOT);
    let n = residual.len();
    let mut solved = vec![0.0; n];
    for i in 0..n {
        let sum: f64 = (0..i).map(|k| lower[i][k] * solved[k]).sum();
        solved[i] = (residual[i] - sum) / lower[i][i];
    }
    let log_det: f64 = (0..n).map(|i| 2.0 * lower[i][i].ln()).sum();
    let squared: f64 = solved.iter().map(|v| v * v).sum();
    -0.5 * (squared + log_det + n as f64 * (2.0 * std::f64::consts::PI).ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_log_density_has_known_values() {
        // Standard normal at 0: −½ ln 2π.
        let half_log_two_pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((log_normal_density(&[vec![1.0]], &[0.0]) + half_log_two_pi).abs() < 1e-15);
        // Covariance [[4, 2], [2, 2]] (det 4, inverse [[0.5, −0.5], [−0.5, 1]]) at (1, 1):
        // quadratic form 0.5 − 1 + 1 = 0.5.
        let value = log_normal_density(&[vec![4.0, 2.0], vec![2.0, 2.0]], &[1.0, 1.0]);
        let expected = -0.5 * (0.5 + 4.0f64.ln()) - 2.0 * half_log_two_pi;
        assert!((value - expected).abs() < 1e-14, "{value} vs {expected}");
    }

    #[test]
    fn cholesky_factors_a_known_matrix() {
        let l = cholesky(&[vec![4.0, 2.0], vec![2.0, 5.0]], 1e-10);
        assert_eq!(l, vec![vec![2.0, 0.0], vec![1.0, 2.0]]);
    }

    #[test]
    fn a_lower_inverse_times_its_matrix_is_the_identity() {
        let l = vec![
            vec![2.0, 0.0, 0.0],
            vec![1.0, 2.0, 0.0],
            vec![-1.0, 0.5, 4.0],
        ];
        let inverse = lower_inverse(&l);
        assert_eq!(inverse[0], vec![0.5, 0.0, 0.0]);
        assert_eq!(inverse[1], vec![-0.25, 0.5, 0.0]);
        let products: Vec<Vec<f64>> = l
            .iter()
            .map(|row| {
                (0..3)
                    .map(|j| (0..3).map(|k| row[k] * inverse[k][j]).sum())
                    .collect()
            })
            .collect();
        for (i, row) in products.iter().enumerate() {
            for (j, product) in row.iter().enumerate() {
                let identity = if i == j { 1.0 } else { 0.0 };
                assert!((product - identity).abs() < 1e-15, "({i},{j}) {product}");
            }
        }
    }
}
