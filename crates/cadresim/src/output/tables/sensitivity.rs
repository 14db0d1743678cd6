//! `sensitivity.csv` and `sensitivity_convergence.csv` of a sensitivity analysis.

use std::io::Write;
use std::path::Path;

use super::{optional, Table};
use crate::output::store::ReadError;
use crate::rows::SensitivityRow;

const SENSITIVITY_HEADER: [&str; 8] = [
    "method",
    "metric",
    "level",
    "parameter",
    "index",
    "estimate",
    "ci95_low",
    "ci95_high",
];

/// `sensitivity.csv` (`method, metric, level, parameter, index, estimate, ci95_low,
/// ci95_high`), or with `sample_size` after `index`, `sensitivity_convergence.csv`.
pub fn write_sensitivity<W: Write>(
    out: W,
    rows: &[SensitivityRow],
    with_sample_size: bool,
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = SENSITIVITY_HEADER.to_vec();
    if with_sample_size {
        header.insert(5, "sample_size");
    }
    writer.write_record(&header)?;
    for row in rows {
        let mut record = vec![
            row.method.clone(),
            row.metric.clone(),
            row.level.clone(),
            row.parameter.clone(),
            row.index.clone(),
        ];
        if with_sample_size {
            record.push(row.sample_size.to_string());
        }
        record.push(optional(row.estimate));
        record.push(optional(row.interval.map(|i| i.0)));
        record.push(optional(row.interval.map(|i| i.1)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// Read `sensitivity.csv` or `sensitivity_convergence.csv` (sample size 0 where absent).
pub fn read_sensitivity(path: &Path) -> Result<Vec<SensitivityRow>, ReadError> {
    let table = Table::read(path)?;
    let column = |name: &str| table.column(&[name]);
    let [method, metric, level, parameter, index, estimate, low, high] =
        SENSITIVITY_HEADER.map(column);
    let (method, metric, level, parameter, index) = (method?, metric?, level?, parameter?, index?);
    let (estimate, low, high) = (estimate?, low?, high?);
    let size = table.column(&["sample_size"]).ok();
    Ok(table
        .records
        .iter()
        .map(|record| {
            let parse = |c: usize| record[c].parse::<f64>().ok();
            SensitivityRow {
                method: record[method].to_string(),
                metric: record[metric].to_string(),
                level: record[level].to_string(),
                parameter: record[parameter].to_string(),
                index: record[index].to_string(),
                sample_size: size.and_then(|c| record[c].parse().ok()).unwrap_or(0),
                estimate: parse(estimate),
                interval: parse(low).zip(parse(high)),
            }
        })
        .collect())
}
