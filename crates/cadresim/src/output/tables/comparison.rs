//! `differences.csv` of `compare`: each scenario's difference from the baseline.

use std::io::Write;

use super::optional;
use crate::output::store::number;
use crate::rows::DifferenceRow;

/// `differences.csv`: `scenario, level, metric, difference, sd, ci95_low, ci95_high, n,
/// correlation, method, n_baseline`: with `method` `paired`, the mean of per-replicate
/// differences from the baseline, their sd, t interval, number of pairs and correlation; with
/// `welch` (different seeds or replicates), the difference of means with Welch's interval,
/// each side's replicates and no sd or correlation. Empty where undefined.
pub fn write_differences<W: Write>(out: W, rows: &[DifferenceRow]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "scenario",
        "level",
        "metric",
        "difference",
        "sd",
        "ci95_low",
        "ci95_high",
        "n",
        "correlation",
        "method",
        "n_baseline",
    ])?;
    for row in rows {
        let spread = row.difference.spread();
        writer.write_record([
            row.scenario.clone(),
            row.level.clone(),
            row.metric.clone(),
            number(spread.mean),
            optional(spread.sd),
            optional(spread.ci95.map(|c| c.0)),
            optional(spread.ci95.map(|c| c.1)),
            spread.n.to_string(),
            optional(row.difference.correlation()),
            row.difference.method().to_string(),
            row.difference.n_baseline().to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
