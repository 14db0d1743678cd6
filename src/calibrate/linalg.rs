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

#[cfg(test)]
mod tests {
    use super::*;

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
