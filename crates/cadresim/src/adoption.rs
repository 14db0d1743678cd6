//! Adoption-date files (read only): the CSV a `[[schedule]]` entry names with
//! `adopt = { LEVEL = "FILE.csv" }`, one row per unit with the step at which it adopts the
//! entry's `set` (columns `unit`, a code or name, and `step`; other columns, such as a
//! source, are ignored). `scenario.rs` turns the rows into one entry per step.

use std::path::Path;

/// One row: a unit (code or name) and its step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adoption {
    pub unit: String,
    pub step: u64,
    /// The row's line in the file (the header is line 1).
    pub line: u64,
}

/// Read an adoption-date file; the error names the line and what is wrong.
pub fn read(path: &Path) -> Result<Vec<Adoption>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| e.to_string())?;
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            format!("has no column `{name}` (the columns must include `unit` and `step`)")
        })
    };
    let (unit, step) = (column("unit")?, column("step")?);
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let name = record.get(unit).unwrap_or("").trim();
        if name.is_empty() {
            return Err(format!(
                "line {line}: `unit` is empty (a unit code or name)"
            ));
        }
        let text = record.get(step).unwrap_or("").trim();
        let step = text.parse::<u64>().map_err(|_| {
            format!("line {line}: step `{text}` is not a whole number of steps (>= 0)")
        })?;
        if rows.iter().any(|row: &Adoption| row.unit == name) {
            return Err(format!(
                "line {line}: unit `{name}` is listed twice (one adoption step per unit)"
            ));
        }
        rows.push(Adoption {
            unit: name.to_string(),
            step,
            line,
        });
    }
    if rows.is_empty() {
        return Err("has no rows (one row per adopting unit: unit, step)".to_string());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<Vec<Adoption>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dates.csv");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    #[test]
    fn rows_are_read_with_their_lines_and_extra_columns_ignored() {
        let rows = read_text("unit,step,source\n33,60,a notice\n浙江省,90,\n").unwrap();
        assert_eq!(
            rows,
            [
                Adoption {
                    unit: "33".into(),
                    step: 60,
                    line: 2
                },
                Adoption {
                    unit: "浙江省".into(),
                    step: 90,
                    line: 3
                },
            ]
        );
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        assert!(read_text("code,step\n1,2\n")
            .unwrap_err()
            .contains("no column `unit`"));
        assert!(read_text("unit,step\n1,x\n")
            .unwrap_err()
            .starts_with("line 2: step `x`"));
        assert!(read_text("unit,step\n1,-3\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(read_text("unit,step\n1,2\n1,4\n")
            .unwrap_err()
            .contains("line 3: unit `1` is listed twice"));
        assert!(read_text("unit,step\n").unwrap_err().contains("no rows"));
    }
}
