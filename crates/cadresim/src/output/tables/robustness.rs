//! The robustness check's tables: `verdicts.csv` (and each sample's part), `samples.csv`,
//! `robustness.csv` and `failures.csv`.

use std::io::Write;
use std::path::Path;

use super::{read_rows, write_rows};
use crate::output::store::{number, ReadError};
use crate::rows::{FailureRow, RobustnessRow, VerdictRow};

/// The columns of `verdicts.csv`: `VerdictRow`'s fields.
const VERDICT_HEADER: [&str; 5] = ["sample", "claim", "holds", "effect", "replicates"];

/// `verdicts.csv` (and each `parts/sample-*.csv`): `sample, claim, holds` (`true`/`false`),
/// `effect` (empty for a claim not decided), `replicates`.
pub fn write_verdicts<W: Write>(out: W, rows: &[VerdictRow]) -> csv::Result<()> {
    write_rows(out, &VERDICT_HEADER, rows)
}

/// Read `verdicts.csv` or a sample's part.
pub fn read_verdicts(path: &Path) -> Result<Vec<VerdictRow>, ReadError> {
    read_rows(path)
}

/// `samples.csv`: `sample`, then one column per varied parameter (sample 0: the defaults).
pub fn write_samples<W: Write>(out: W, keys: &[String], rows: &[Vec<f64>]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["sample".to_string()];
    header.extend(keys.iter().cloned());
    writer.write_record(&header)?;
    for (sample, row) in rows.iter().enumerate() {
        let mut record = vec![sample.to_string()];
        record.extend(row.iter().map(|v| number(*v)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// The columns of `robustness.csv`: `RobustnessRow`'s fields.
const ROBUSTNESS_HEADER: [&str; 10] = [
    "claim",
    "samples",
    "holding",
    "share",
    "ci95_low",
    "ci95_high",
    "effect_median",
    "effect_q05",
    "effect_q95",
    "fails_where",
];

/// `robustness.csv`: `claim, samples, holding, share, ci95_low, ci95_high, effect_median,
/// effect_q05, effect_q95, fails_where` (Wilson interval; the effect's quantiles over the
/// samples; the PRIM box of failures in words).
pub fn write_robustness<W: Write>(out: W, rows: &[RobustnessRow]) -> csv::Result<()> {
    write_rows(out, &ROBUSTNESS_HEADER, rows)
}

/// The columns of `failures.csv`: `FailureRow`'s fields.
const FAILURE_HEADER: [&str; 9] = [
    "claim",
    "parameter",
    "lower",
    "upper",
    "p_value",
    "inclusion",
    "coverage",
    "density",
    "mass",
];

/// `failures.csv`: `claim, parameter, lower, upper, p_value, inclusion, coverage, density,
/// mass`, one row per restricted parameter of each claim's failure box (inclusive limits,
/// empty where the box keeps the sampled end; the share of bootstrap resamples restricting
/// it; the box's statistics repeated on each of its rows).
pub fn write_failures<W: Write>(out: W, rows: &[FailureRow]) -> csv::Result<()> {
    write_rows(out, &FAILURE_HEADER, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tables::header_of;

    /// Each header is its row's serde fields, in order.
    #[test]
    fn the_headers_are_the_rows_fields() {
        let verdict = VerdictRow {
            sample: 3,
            claim: "c".into(),
            holds: true,
            effect: f64::NAN,
            replicates: None,
        };
        assert_eq!(header_of(&verdict), VERDICT_HEADER);
        let robustness = RobustnessRow {
            claim: "c".into(),
            samples: 4,
            holding: 2,
            share: 0.5,
            ci95_low: 0.15,
            ci95_high: 0.85,
            effect_median: 1.0,
            effect_q05: -1.0,
            effect_q95: 2.0,
            fails_where: String::new(),
        };
        assert_eq!(header_of(&robustness), ROBUSTNESS_HEADER);
        let failure = FailureRow {
            claim: "c".into(),
            parameter: "p".into(),
            lower: None,
            upper: Some(2.0),
            p_value: None,
            inclusion: Some(0.5),
            coverage: 0.25,
            density: 1.0,
            mass: 0.125,
        };
        assert_eq!(header_of(&failure), FAILURE_HEADER);
    }

    /// Verdicts are written and read back exactly: NaN as an empty effect, a missing
    /// replicates column (parts written before it existed) as None.
    #[test]
    fn verdicts_round_trip_and_old_parts_read() {
        let rows = vec![
            VerdictRow {
                sample: 0,
                claim: "pressure-lazy".into(),
                holds: true,
                effect: -0.25,
                replicates: Some(8),
            },
            VerdictRow {
                sample: 1,
                claim: "umbrella".into(),
                holds: false,
                effect: f64::NAN,
                replicates: None,
            },
        ];
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("verdicts.csv");
        write_verdicts(std::fs::File::create(&path).unwrap(), &rows).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "sample,claim,holds,effect,replicates\n0,pressure-lazy,true,-0.25,8\n1,umbrella,false,,\n"
        );
        let back = read_verdicts(&path).unwrap();
        assert_eq!(back[0], rows[0]);
        assert!(back[1].effect.is_nan() && back[1].replicates.is_none() && !back[1].holds);
        std::fs::write(&path, "sample,claim,holds,effect\n2,c,true,0.5\n").unwrap();
        assert_eq!(read_verdicts(&path).unwrap()[0].replicates, None);
        std::fs::write(&path, "sample,claim,holds,effect\n2,c,maybe,0.5\n").unwrap();
        let error = read_verdicts(&path).unwrap_err().to_string();
        assert!(error.starts_with(&path.display().to_string()), "{error}");
        write_verdicts(std::fs::File::create(&path).unwrap(), &[]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "sample,claim,holds,effect,replicates\n"
        );
    }
}
