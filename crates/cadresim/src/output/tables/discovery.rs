//! A scenario discovery's `trajectory.csv` (PRIM's peeling and pasting) and `box.csv`.

use std::io::Write;

use super::write_rows;
use crate::rows::{BoxRow, TrajectoryRow};

/// The columns of `trajectory.csv`: `TrajectoryRow`'s fields.
const TRAJECTORY_HEADER: [&str; 6] = ["box", "coverage", "density", "mass", "restricted", "n"];

/// The columns of `box.csv`: `BoxRow`'s fields.
const BOX_HEADER: [&str; 6] = [
    "parameter",
    "lower",
    "upper",
    "values",
    "p_value",
    "inclusion",
];

/// `trajectory.csv`: `box, coverage, density, mass, restricted, n` (box = position on the
/// peeling and pasting trajectory, from 0 = every case).
pub fn write_trajectory<W: Write>(out: W, rows: &[TrajectoryRow]) -> csv::Result<()> {
    write_rows(out, &TRAJECTORY_HEADER, rows)
}

/// `box.csv`: `parameter, lower, upper, values, p_value, inclusion` (bounds inclusive, empty
/// for a categorical parameter; values joined by `|`, empty for a numeric one; inclusion
/// empty without bagging).
pub fn write_box<W: Write>(out: W, rows: &[BoxRow]) -> csv::Result<()> {
    write_rows(out, &BOX_HEADER, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tables::header_of;

    #[test]
    fn headers_are_the_rows_fields() {
        let trajectory = TrajectoryRow {
            index: 0,
            coverage: 1.0,
            density: 0.5,
            mass: 1.0,
            restricted: 0,
            n: 10,
        };
        assert_eq!(header_of(&trajectory), TRAJECTORY_HEADER);
        let row = BoxRow {
            parameter: "p".into(),
            lower: None,
            upper: None,
            values: vec!["a".into(), "b".into()],
            p_value: None,
            inclusion: None,
        };
        assert_eq!(header_of(&row), BOX_HEADER);
    }

    #[test]
    fn cells_are_written_as_before() {
        let trajectory = [TrajectoryRow {
            index: 3,
            coverage: 0.5,
            density: 1.0,
            mass: 0.25,
            restricted: 2,
            n: 40,
        }];
        let mut text = Vec::new();
        write_trajectory(&mut text, &trajectory).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "box,coverage,density,mass,restricted,n\n3,0.5,1.0,0.25,2,40\n"
        );
        let row = BoxRow {
            parameter: "decision.rule".into(),
            lower: None,
            upper: None,
            values: vec!["logit".into(), "rational".into()],
            p_value: Some(0.01),
            inclusion: None,
        };
        let mut text = Vec::new();
        write_box(&mut text, &[row]).unwrap();
        assert!(String::from_utf8(text)
            .unwrap()
            .ends_with("\ndecision.rule,,,logit|rational,0.01,\n"));
    }
}
