//! A scenario discovery's `trajectory.csv` (PRIM's peeling and pasting) and `box.csv`.

use std::io::Write;

use super::optional;
use crate::output::store::number;
use crate::rows::{BoxRow, TrajectoryRow};

/// `trajectory.csv`: `box, coverage, density, mass, restricted, n` (box = position on the
/// peeling and pasting trajectory, from 0 = every case).
pub fn write_trajectory<W: Write>(out: W, rows: &[TrajectoryRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["box", "coverage", "density", "mass", "restricted", "n"])?;
    for (index, row) in rows.iter().enumerate() {
        writer.write_record([
            index.to_string(),
            number(row.coverage),
            number(row.density),
            number(row.mass),
            row.restricted.to_string(),
            row.n.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// `box.csv`: `parameter, lower, upper, values, p_value, inclusion` (bounds inclusive, empty
/// for a categorical parameter; values joined by `|`, empty for a numeric one; inclusion
/// empty without bagging).
pub fn write_box<W: Write>(out: W, rows: &[BoxRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "parameter",
        "lower",
        "upper",
        "values",
        "p_value",
        "inclusion",
    ])?;
    for row in rows {
        writer.write_record([
            row.parameter.clone(),
            optional(row.bounds.map(|b| b.0)),
            optional(row.bounds.map(|b| b.1)),
            row.values.join("|"),
            optional(row.p_value),
            optional(row.inclusion),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
