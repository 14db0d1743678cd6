//! Tree files: the CSV of units (`code, name, parent, level`) a scenario names in
//! `hierarchy.tree`, read and checked against the scenario's levels. Every problem is one
//! line naming the file's line and what is wrong; the result is a `UnitTree` whose
//! invariants the model relies on (unique codes, parents one level up, no cycles).

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::params::{LevelSpec, UnitTree};

/// The columns a tree file must have (others are ignored).
pub const COLUMNS: [&str; 4] = ["code", "name", "parent", "level"];

/// Read a tree file: its units and the SHA-256 of its bytes. The error is one line (without
/// the file name, which the caller adds).
pub fn read(path: &Path, levels: &[LevelSpec]) -> Result<(UnitTree, String), String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read it: {error}"))?;
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let text = String::from_utf8(bytes).map_err(|error| {
        format!(
            "not valid UTF-8 (at byte {})",
            error.utf8_error().valid_up_to()
        )
    })?;
    Ok((parse(&text, levels)?, digest))
}

/// One row as read, with its line in the file.
struct Row {
    line: u64,
    code: String,
    name: String,
    parent: String,
    level: u8,
}

/// Parse and check the text of a tree file against the scenario's levels.
pub fn parse(text: &str, levels: &[LevelSpec]) -> Result<UnitTree, String> {
    let rows = read_rows(text, levels)?;
    if rows.is_empty() {
        return Err("has no units (a header and no rows)".to_string());
    }
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (position, row) in rows.iter().enumerate() {
        if let Some(first) = index.insert(&row.code, position) {
            return Err(format!(
                "line {}: code {:?} repeats line {}",
                row.line, row.code, rows[first].line
            ));
        }
    }
    let mut parent = Vec::with_capacity(rows.len());
    for row in &rows {
        parent.push(match row.parent.as_str() {
            "" => None,
            code => Some(*index.get(code).ok_or_else(|| {
                format!(
                    "line {}: the parent {code:?} of unit {:?} is not a code in the file",
                    row.line, row.code
                )
            })? as u32),
        });
    }
    check_cycles(&rows, &parent)?;
    check_levels(&rows, &parent, levels)?;
    Ok(UnitTree {
        codes: rows.iter().map(|row| row.code.clone()).collect(),
        names: rows.iter().map(|row| row.name.clone()).collect(),
        level: rows.iter().map(|row| row.level).collect(),
        parent,
    })
}

fn read_rows(text: &str, levels: &[LevelSpec]) -> Result<Vec<Row>, String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| format!("cannot read the header: {error}"))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                format!(
                    "has no column `{name}` (the header needs {})",
                    COLUMNS.join(", ")
                )
            })
    };
    let [code, name, parent, level] = COLUMNS.map(column);
    let (code, name, parent, level) = (code?, name?, parent?, level?);
    let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| format!("{error}"))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let level_name = field(level);
        let level = names.iter().position(|n| *n == level_name).ok_or_else(|| {
            format!(
                "line {line}: level {level_name:?} is not a level of the scenario ({})",
                names.join(", ")
            )
        })?;
        let row = Row {
            line,
            code: field(code),
            name: field(name),
            parent: field(parent),
            level: level as u8,
        };
        if row.code.is_empty() {
            return Err(format!("line {line}: the code is empty"));
        }
        for (what, text) in [("code", &row.code), ("name", &row.name)] {
            if text.chars().any(char::is_control) {
                return Err(format!(
                    "line {line}: the {what} {text:?} holds a control character (a line break, tab, ...); codes and names are printed on one line and drawn in charts"
                ));
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Following parents from any unit must end at a unit without one.
fn check_cycles(rows: &[Row], parent: &[Option<u32>]) -> Result<(), String> {
    // 0: not seen, 1: on the current path, 2: known to reach the top.
    let mut state = vec![0u8; rows.len()];
    for start in 0..rows.len() {
        let mut path = Vec::new();
        let mut here = start;
        while state[here] == 0 {
            state[here] = 1;
            path.push(here);
            match parent[here] {
                Some(p) => here = p as usize,
                None => break,
            }
        }
        if state[here] == 1 && parent[here].is_some() {
            let from = path.iter().position(|&u| u == here).unwrap_or(0);
            let mut codes: Vec<&str> = path[from..].iter().map(|&u| &*rows[u].code).collect();
            codes.push(&rows[here].code);
            return Err(format!(
                "line {}: unit {:?} is its own ancestor ({})",
                rows[here].line,
                rows[here].code,
                codes.join(" -> ")
            ));
        }
        for unit in path {
            state[unit] = 2;
        }
    }
    Ok(())
}

/// The top level has no parent; every other unit's parent is one level up; no level empty.
fn check_levels(rows: &[Row], parent: &[Option<u32>], levels: &[LevelSpec]) -> Result<(), String> {
    let name = |level: u8| &levels[level as usize].name;
    let mut counts = vec![0usize; levels.len()];
    for (row, parent) in rows.iter().zip(parent) {
        counts[row.level as usize] += 1;
        match (row.level, parent) {
            (0, None) => {}
            (0, Some(p)) => {
                return Err(format!(
                "line {}: unit {:?} is a {}, the top level, so its parent must be empty, got {:?}",
                row.line,
                row.code,
                name(0),
                rows[*p as usize].code
            ))
            }
            (level, None) => {
                return Err(format!(
                    "line {}: unit {:?} is a {} and needs a parent (a {})",
                    row.line,
                    row.code,
                    name(level),
                    name(level - 1)
                ))
            }
            (level, Some(p)) if rows[*p as usize].level + 1 != level => {
                let above = &rows[*p as usize];
                return Err(format!(
                    "line {}: unit {:?} is a {} but its parent {:?} is a {}; a {}'s parent must be a {}",
                    row.line,
                    row.code,
                    name(level),
                    above.code,
                    name(above.level),
                    name(level),
                    name(level - 1)
                ));
            }
            _ => {}
        }
    }
    if let Some(empty) = counts.iter().position(|&count| count == 0) {
        return Err(format!(
            "has no unit of level {:?}; every level of hierarchy.levels needs units",
            levels[empty].name
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels() -> Vec<LevelSpec> {
        ["province", "county"]
            .iter()
            .map(|name| LevelSpec {
                name: name.to_string(),
                branching: None,
                cadres: 3,
            })
            .collect()
    }

    fn error(text: &str) -> String {
        parse(text, &levels()).unwrap_err()
    }

    #[test]
    fn a_good_tree_reads_in_file_order() {
        let tree = parse(
            "code,name,parent,level\n1,一,,province\n11,一一,1,county\n2,二,,province\n",
            &levels(),
        )
        .unwrap();
        assert_eq!(tree.codes, ["1", "11", "2"]);
        assert_eq!(tree.names, ["一", "一一", "二"]);
        assert_eq!(tree.parent, [None, Some(0), None]);
        assert_eq!(tree.level, [0, 1, 0]);
    }

    #[test]
    fn every_problem_is_one_line_naming_the_line() {
        let head = "code,name,parent,level\n";
        let cases = [
            (head.to_string(), "has no units"),
            (
                "code,name,level\n1,a,province\n".into(),
                "has no column `parent`",
            ),
            (
                format!("{head}1,a,,province\n1,b,,province\n"),
                "line 3: code \"1\" repeats line 2",
            ),
            (
                format!("{head}1,a,,province\n11,b,9,county\n"),
                "line 3: the parent \"9\" of unit \"11\" is not a code",
            ),
            (
                format!("{head}1,a,,province\n11,b,12,county\n12,c,11,county\n"),
                "is its own ancestor",
            ),
            (
                format!("{head}1,a,,province\n11,b,11,county\n"),
                "is its own ancestor (11 -> 11)",
            ),
            (
                format!("{head}1,a,,province\n2,b,1,province\n11,c,1,county\n"),
                "line 3: unit \"2\" is a province, the top level",
            ),
            (
                format!("{head}1,a,,province\n11,b,,county\n"),
                "line 3: unit \"11\" is a county and needs a parent (a province)",
            ),
            (
                format!("{head}1,a,,province\n11,b,1,town\n"),
                "line 3: level \"town\" is not a level of the scenario (province, county)",
            ),
            (
                format!("{head}1,a,,province\n"),
                "has no unit of level \"county\"",
            ),
            (format!("{head},a,,province\n"), "line 2: the code is empty"),
        ];
        for (text, expected) in cases {
            let message = error(&text);
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
            assert!(!message.contains('\n'));
        }
    }

    #[test]
    fn a_level_mismatch_names_both_levels() {
        let mut three = levels();
        three.insert(
            1,
            LevelSpec {
                name: "prefecture".into(),
                branching: None,
                cadres: 1,
            },
        );
        let message = parse(
            "code,name,parent,level\n1,a,,province\n101,b,1,prefecture\n10101,c,1,county\n",
            &three,
        )
        .unwrap_err();
        assert_eq!(message, "line 4: unit \"10101\" is a county but its parent \"1\" is a province; a county's parent must be a prefecture");
    }
}
