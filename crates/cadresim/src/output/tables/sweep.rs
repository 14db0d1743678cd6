//! A sweep's tables: `points.csv`, `sweep.csv`, `sweep_summary.csv`, the part file of each
//! point (the ledger's parts) and a boundary design's `boundary.csv`.

use std::io::Write;
use std::path::Path;

use super::run::{equilibrium_header, equilibrium_row, write_statistics, STATISTICS_HEADER};
use super::{optional, Table};
use crate::metrics::{Equilibrium, RunSpan, CLASSES, METRIC_COUNT};
use crate::output::manifest::sha256_hex;
use crate::output::store::{ReadError, TableWriter};
use crate::rows::BoundaryRow;
use crate::rows::PointsTable;
use crate::runner::LevelStatistics;

/// The rows of the parts of a sweep, in point order: (point id, (replicate, level, equilibrium)).
pub type SweepRows<'a> = (usize, &'a Vec<(usize, String, Equilibrium)>);

/// `sweep.csv`: `point, replicate, level, <means>, converged_at, settled, class`, then
/// `burn_in, steps` when the points ran until settled.
pub fn write_sweep_rows<'a, W: Write>(
    out: W,
    points: impl Iterator<Item = SweepRows<'a>> + Clone,
) -> csv::Result<()> {
    let spans = points
        .clone()
        .any(|(_, rows)| rows.iter().any(|(_, _, e)| e.span.is_some()));
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(equilibrium_header("point", spans))?;
    for (point, rows) in points {
        for (replicate, level, equilibrium) in rows {
            writer.write_record(equilibrium_row(
                &point.to_string(),
                *replicate,
                level,
                equilibrium,
                spans,
            ))?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// `sweep_summary.csv`: the statistics table of every point at every level.
pub fn write_sweep_summary<'a, W: Write + Send>(
    out: W,
    points: impl Iterator<Item = SweepRows<'a>>,
) -> csv::Result<()> {
    let mut writer = TableWriter::csv(out);
    writer.write_record(
        STATISTICS_HEADER
            .iter()
            .map(|c| c.replace("{key}", "point")),
    )?;
    for (point, rows) in points {
        let mut levels: Vec<&str> = Vec::new();
        for (_, level, _) in rows {
            if !levels.contains(&level.as_str()) {
                levels.push(level);
            }
        }
        for level in levels {
            let equilibria: Vec<&Equilibrium> = rows
                .iter()
                .filter(|(_, l, _)| l == level)
                .map(|(_, _, e)| e)
                .collect();
            let statistics = LevelStatistics::from_equilibria(&equilibria);
            write_statistics(&mut writer, &point.to_string(), level, &statistics)?;
        }
    }
    writer.finish()?;
    Ok(())
}

/// `point, <axis columns>`: one row per sweep point with its axis labels.
pub fn write_points<'a, W: Write>(
    out: W,
    columns: &[String],
    points: impl Iterator<Item = (usize, &'a [String])>,
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["point".to_string()];
    header.extend(columns.iter().cloned());
    writer.write_record(&header)?;
    for (id, labels) in points {
        let mut row = vec![id.to_string()];
        row.extend(labels.iter().cloned());
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Read `points.csv`.
pub fn read_points(path: &Path) -> Result<PointsTable, ReadError> {
    let table = Table::read(path)?;
    let id = table.column(&["point"])?;
    let axes: Vec<usize> = (0..table.header.len()).filter(|c| *c != id).collect();
    Ok(PointsTable {
        columns: axes.iter().map(|c| table.header[*c].clone()).collect(),
        points: table
            .records
            .iter()
            .map(|record| {
                let labels = axes.iter().map(|c| record[*c].to_string()).collect();
                (record[id].to_string(), labels)
            })
            .collect(),
    })
}

/// The first line of a part file; the rest are `summary.csv`-style rows without a header.
const PART_HEADER: &str = "# cadresim part";

/// A part file: a line naming the point, its replicate count, its row count and the SHA-256
/// of the rows (recorded when the part is committed), then the rows of one sweep point.
pub fn write_part<W: Write>(
    mut out: W,
    point: usize,
    levels: &[String],
    equilibria: &[Vec<Equilibrium>],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows = 0;
    for (replicate, by_level) in equilibria.iter().enumerate() {
        for (level, equilibrium) in levels.iter().zip(by_level) {
            writer.write_record(equilibrium_row(
                &point.to_string(),
                replicate,
                level,
                equilibrium,
                equilibrium.span.is_some(),
            ))?;
            rows += 1;
        }
    }
    let body = writer.into_inner().map_err(|e| e.into_error())?;
    writeln!(
        out,
        "{PART_HEADER}: point={point} replicates={} rows={rows} sha256={}",
        equilibria.len(),
        sha256_hex(&body)
    )?;
    out.write_all(&body)?;
    Ok(())
}

/// The identity and checksum of a part file, from its first line.
struct PartHeader {
    point: usize,
    replicates: usize,
    rows: usize,
    sha256: String,
}

fn parse_part_header(line: &str) -> Option<PartHeader> {
    let fields = line.strip_prefix(PART_HEADER)?.strip_prefix(": ")?;
    let mut header = PartHeader {
        point: usize::MAX,
        replicates: 0,
        rows: 0,
        sha256: String::new(),
    };
    for field in fields.split(' ') {
        match field.split_once('=')? {
            ("point", value) => header.point = value.parse().ok()?,
            ("replicates", value) => header.replicates = value.parse().ok()?,
            ("rows", value) => header.rows = value.parse().ok()?,
            ("sha256", value) => header.sha256 = value.to_string(),
            _ => return None,
        }
    }
    Some(header)
}

/// Rows of the part file of point `point` of a sweep with `replicates` replicates:
/// (replicate, level, equilibrium). Fails, naming the file, when the part is not that point's,
/// has another replicate count, or its rows are not those committed (truncated, emptied,
/// edited).
pub fn read_part(
    path: &Path,
    point: usize,
    replicates: usize,
) -> Result<Vec<(usize, String, Equilibrium)>, ReadError> {
    let corrupt = |message: String| ReadError::new(path, message);
    let bytes = std::fs::read(path).map_err(|e| corrupt(e.to_string()))?;
    let split = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len());
    let (first, body) = bytes.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let header = std::str::from_utf8(first)
        .ok()
        .and_then(parse_part_header)
        .ok_or_else(|| corrupt("not a part file (no `# cadresim part` line)".into()))?;
    if header.point != point {
        return Err(corrupt(format!(
            "holds point {}, not point {point}",
            header.point
        )));
    }
    if header.replicates != replicates {
        return Err(corrupt(format!(
            "has {} replicates, the sweep {replicates}",
            header.replicates
        )));
    }
    if sha256_hex(body) != header.sha256 {
        return Err(corrupt(
            "its rows differ from those committed (SHA-256 mismatch)".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| corrupt(e.to_string()))?;
        if record.len() != METRIC_COUNT + 6 && record.len() != METRIC_COUNT + 8 {
            return Err(corrupt(format!("a row has {} fields", record.len())));
        }
        let replicate = record[1]
            .parse()
            .map_err(|_| corrupt("bad replicate".into()))?;
        let mut means = [0.0; METRIC_COUNT];
        for (mean, text) in means.iter_mut().zip(record.iter().skip(3)) {
            *mean = text
                .parse()
                .map_err(|_| corrupt(format!("bad number `{text}`")))?;
        }
        let converged_at = match &record[METRIC_COUNT + 3] {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|_| corrupt("bad converged_at".into()))?,
            ),
        };
        let settled = record[METRIC_COUNT + 4]
            .parse()
            .map_err(|_| corrupt("bad settled".into()))?;
        let class = CLASSES
            .iter()
            .find(|c| **c == &record[METRIC_COUNT + 5])
            .ok_or_else(|| corrupt("bad class".into()))?;
        if record[0] != *point.to_string() || replicate >= replicates {
            return Err(corrupt(format!(
                "a row names point {} replicate {replicate}",
                &record[0]
            )));
        }
        rows.push((
            replicate,
            record[2].to_string(),
            Equilibrium {
                means,
                converged_at,
                settled,
                class,
                span: read_span(&record).map_err(|what| corrupt(format!("bad {what}")))?,
            },
        ));
    }
    if rows.len() != header.rows {
        return Err(corrupt(format!(
            "has {} rows, {} were committed",
            rows.len(),
            header.rows
        )));
    }
    Ok(rows)
}

/// The `burn_in, steps` at the end of a part row of a replicate that ran until settled.
fn read_span(record: &csv::StringRecord) -> Result<Option<RunSpan>, &'static str> {
    if record.len() == METRIC_COUNT + 6 {
        return Ok(None);
    }
    let burn_in = record[METRIC_COUNT + 6].parse().map_err(|_| "burn_in")?;
    let steps = record[METRIC_COUNT + 7].parse().map_err(|_| "steps")?;
    Ok(Some(RunSpan::new(burn_in, steps)))
}

const BOUNDARY_COLUMNS: [&str; 9] = [
    "estimate",
    "ci95_low",
    "ci95_high",
    "crossed",
    "replicates",
    "bracket_low",
    "bracket_high",
    "evaluations",
    "flag",
];

/// `boundary.csv`: one column per axis after the first (`columns`), then `estimate,
/// ci95_low, ci95_high, crossed, replicates, bracket_low, bracket_high, evaluations, flag`
/// (empty cells where there is no crossing or interval).
pub fn write_boundary<W: Write>(
    out: W,
    columns: &[String],
    rows: &[BoundaryRow],
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = columns.iter().map(String::as_str).collect();
    header.extend(BOUNDARY_COLUMNS);
    writer.write_record(&header)?;
    for row in rows {
        let mut record = row.labels.clone();
        record.extend([
            optional(row.estimate),
            optional(row.ci95.map(|c| c.0)),
            optional(row.ci95.map(|c| c.1)),
            row.crossed.to_string(),
            row.replicates.to_string(),
            optional(row.bracket.map(|b| b.0)),
            optional(row.bracket.map(|b| b.1)),
            row.evaluations.to_string(),
            row.flag.clone(),
        ]);
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// Read `boundary.csv`: the axis columns (those before `estimate`) and the rows.
pub fn read_boundary(path: &Path) -> Result<(Vec<String>, Vec<BoundaryRow>), ReadError> {
    let table = Table::read(path)?;
    let first = table.column(&["estimate"])?;
    let columns: Vec<String> = table.header[..first].to_vec();
    let position = |name: &str| table.column(&[name]);
    let at: Vec<usize> = BOUNDARY_COLUMNS
        .iter()
        .map(|name| position(name))
        .collect::<Result<_, _>>()?;
    let bad = |what: &str| ReadError::new(path, format!("bad {what}"));
    let number = |text: &str, what: &str| -> Result<Option<f64>, ReadError> {
        if text.is_empty() {
            Ok(None)
        } else {
            text.parse().map(Some).map_err(|_| bad(what))
        }
    };
    let rows = table
        .records
        .iter()
        .map(|record| {
            let pair = |a: usize, b: usize, what: &str| -> Result<Option<(f64, f64)>, ReadError> {
                Ok(number(&record[at[a]], what)?.zip(number(&record[at[b]], what)?))
            };
            Ok(BoundaryRow {
                labels: (0..first).map(|i| record[i].to_string()).collect(),
                estimate: number(&record[at[0]], "estimate")?,
                ci95: pair(1, 2, "ci95")?,
                crossed: record[at[3]].parse().map_err(|_| bad("crossed"))?,
                replicates: record[at[4]].parse().map_err(|_| bad("replicates"))?,
                bracket: pair(5, 6, "bracket")?,
                evaluations: record[at[7]].parse().map_err(|_| bad("evaluations"))?,
                flag: record[at[8]].to_string(),
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    Ok((columns, rows))
}
