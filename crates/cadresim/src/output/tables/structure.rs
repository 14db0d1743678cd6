//! The structural factorial's tables: `structure/verdicts.csv` (and each cell's part),
//! `structure/cells.csv` and `structure/structure.csv`.

use std::io::Write;

use super::optional;
use crate::rows::{CellVerdictRow, LevelShareRow};

/// `structure/verdicts.csv`: `cell, claim, applicable, holds, effect` (a cell that cannot
/// decide the claim has `holds` false and an empty effect).
pub fn write_cell_verdicts<W: Write>(out: W, rows: &[CellVerdictRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["cell", "claim", "applicable", "holds", "effect"])?;
    for row in rows {
        writer.write_record([
            row.cell.to_string(),
            row.claim.clone(),
            row.applicable.to_string(),
            row.holds.to_string(),
            optional(row.applicable.then_some(row.effect)),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// `structure/cells.csv`: `cell`, then one column per switch with its level's name.
pub fn write_cells<W: Write>(
    out: W,
    switches: &[String],
    cells: &[Vec<String>],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["cell".to_string()];
    header.extend(switches.iter().cloned());
    writer.write_record(&header)?;
    for (index, levels) in cells.iter().enumerate() {
        let mut record = vec![index.to_string()];
        record.extend(levels.iter().cloned());
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// `structure/structure.csv`: `claim, switch, level, cells, holding, share, ci95_low,
/// ci95_high` (Wilson interval; empty share and interval where no cell decides the claim).
pub fn write_level_shares<W: Write>(out: W, rows: &[LevelShareRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "claim",
        "switch",
        "level",
        "cells",
        "holding",
        "share",
        "ci95_low",
        "ci95_high",
    ])?;
    for row in rows {
        let interval = (row.cells > 0).then(|| crate::stats::wilson95(row.holding, row.cells));
        writer.write_record([
            row.claim.clone(),
            row.switch.clone(),
            row.level.clone(),
            row.cells.to_string(),
            row.holding.to_string(),
            optional(row.share),
            optional(interval.map(|i| i.0)),
            optional(interval.map(|i| i.1)),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
