//! The structural factorial's tables: `structure/verdicts.csv` (and each cell's part),
//! `structure/cells.csv` and `structure/structure.csv`.

use std::io::Write;

use super::write_rows;
use crate::rows::{CellVerdictRow, LevelShareRow};

/// The columns of `structure/verdicts.csv`: `CellVerdictRow`'s fields.
const CELL_VERDICT_HEADER: [&str; 5] = ["cell", "claim", "applicable", "holds", "effect"];

/// The columns of `structure/structure.csv`: `LevelShareRow`'s fields.
const LEVEL_SHARE_HEADER: [&str; 8] = [
    "claim",
    "switch",
    "level",
    "cells",
    "holding",
    "share",
    "ci95_low",
    "ci95_high",
];

/// `structure/verdicts.csv`: `cell, claim, applicable, holds, effect` (a cell that cannot
/// decide the claim has `holds` false and an empty effect).
pub fn write_cell_verdicts<W: Write>(out: W, rows: &[CellVerdictRow]) -> csv::Result<()> {
    write_rows(out, &CELL_VERDICT_HEADER, rows)
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
    write_rows(out, &LEVEL_SHARE_HEADER, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tables::header_of;

    #[test]
    fn headers_are_the_rows_fields() {
        let verdict = CellVerdictRow {
            cell: 0,
            claim: "c".into(),
            applicable: false,
            holds: false,
            effect: None,
        };
        assert_eq!(header_of(&verdict), CELL_VERDICT_HEADER);
        let share = LevelShareRow {
            claim: "c".into(),
            switch: "s".into(),
            level: "on".into(),
            cells: 0,
            holding: 0,
            share: None,
            ci95_low: None,
            ci95_high: None,
        };
        assert_eq!(header_of(&share), LEVEL_SHARE_HEADER);
        let mut text = Vec::new();
        write_cell_verdicts(&mut text, &[verdict]).unwrap();
        write_level_shares(&mut text, &[share]).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "cell,claim,applicable,holds,effect\n0,c,false,false,\n\
             claim,switch,level,cells,holding,share,ci95_low,ci95_high\nc,s,on,0,0,,,\n"
        );
    }
}
