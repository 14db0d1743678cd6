//! Charts of a result directory, drawn from its files (a run draws them after writing its
//! tables; `compare` draws them for several; `plot` draws them again).

use std::path::{Path, PathBuf};

use super::{Observer, StudyError};
use crate::charts;
use crate::output::{self, series, store, tables};
use crate::scenario::Scenario;

/// Draw the charts of result directories into `out`. `scenarios` replaces what the
/// manifest would say (a run draws its charts before its manifest exists).
pub fn draw_charts(
    dirs: &[PathBuf],
    out: &Path,
    size: (u32, u32),
    scenarios: Option<&[Scenario]>,
    overlay: bool,
    observer: &dyn Observer,
) -> Result<Vec<PathBuf>, StudyError> {
    let results = read_results(dirs, scenarios, observer)?;
    draw_results(&results, dirs, out, size, overlay)
}

/// Read back result directories for their charts, each labelled for a comparison.
pub fn read_results(
    dirs: &[PathBuf],
    scenarios: Option<&[Scenario]>,
    observer: &dyn Observer,
) -> Result<Vec<series::ResultData>, StudyError> {
    let mut results = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !store::find(dir, "timeseries").exists() {
            return Err(StudyError::Usage(format!(
                "{}: not a result directory (no timeseries.csv or timeseries.parquet)",
                dir.display()
            )));
        }
        let mut result =
            series::read_result(dir).map_err(|error| StudyError::Failed(error.to_string()))?;
        if let Some(scenarios) = scenarios {
            result.scenarios = scenarios.to_vec();
        } else if let Some(problem) = &result.manifest_problem {
            observer.warn(format!(
                "{problem}; charts are drawn without schedule events and targets"
            ));
        }
        results.push(result);
    }
    for (result, label) in results.iter_mut().zip(unique_labels(dirs)) {
        result.label = label;
    }
    Ok(results)
}

/// Draw the charts of results read from `dirs` into `out` (with a single directory, its
/// by-unit and effects charts too).
pub fn draw_results(
    results: &[series::ResultData],
    dirs: &[PathBuf],
    out: &Path,
    size: (u32, u32),
    overlay: bool,
) -> Result<Vec<PathBuf>, StudyError> {
    let mut files = charts::draw_all(results, out, size, overlay)?;
    if let ([dir], [result]) = (dirs, results) {
        files.extend(draw_unit_charts(dir, &result.scenarios, out, size)?);
        files.extend(draw_effect_charts(dir, &result.scenarios, out, size)?);
    }
    Ok(files)
}

/// The effects charts of a result directory that has `effects.csv`.
fn draw_effect_charts(
    dir: &Path,
    scenarios: &[Scenario],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, StudyError> {
    let path = store::find(dir, output::EFFECTS_TABLE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let rows =
        tables::read_effects(&path).map_err(|error| StudyError::Failed(error.to_string()))?;
    Ok(charts::draw_effects(&rows, scenarios, out, size)?)
}

/// The by-unit charts of a result directory that has by-unit tables (`output.by_unit`).
fn draw_unit_charts(
    dir: &Path,
    scenarios: &[Scenario],
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, StudyError> {
    let [series, summary] = output::UNIT_TABLES.map(|table| store::find(dir, table));
    if !summary.exists() {
        return Ok(Vec::new());
    }
    let read = |path: &Path| {
        tables::read_unit_values(path, "mean_innovation")
            .map_err(|error| StudyError::Failed(error.to_string()))
    };
    Ok(charts::draw_units(
        &read(&summary)?,
        &read(&series)?,
        &charts::Cohorts::of(scenarios),
        out,
        size,
    )?)
}

/// Province maps of `metrics` (any metric of the by-unit summary) for a result directory
/// whose recorded units are China's provinces (`plot --map`, which has called `check_maps`
/// before touching any chart).
pub fn draw_maps(
    dir: &Path,
    scenarios: &[Scenario],
    out: &Path,
    size: (u32, u32),
    metrics: &[String],
) -> Result<Vec<PathBuf>, StudyError> {
    let summary = store::find(dir, "summary_by_unit");
    let cohorts = charts::Cohorts::of(scenarios);
    let mut files = Vec::new();
    for metric in metrics {
        let values = tables::read_unit_values(&summary, metric)
            .map_err(|error| StudyError::Failed(error.to_string()))?;
        files.extend(charts::draw_province_maps(
            &values, metric, &cohorts, out, size,
        )?);
    }
    Ok(files)
}

/// Refuse `--map` for a directory whose recorded units are not China's provinces (checked
/// before any chart is touched).
pub fn check_maps(dir: &Path) -> Result<(), StudyError> {
    let summary = store::find(dir, "summary_by_unit");
    if !summary.exists() {
        return Err(StudyError::Usage(format!(
            "{}: --map needs the by-unit tables of a run with output.by_unit = \"province\" (there is no summary_by_unit)",
            dir.display()
        )));
    }
    let values = tables::read_unit_values(&summary, "mean_innovation")
        .map_err(|error| StudyError::Failed(error.to_string()))?;
    if values.is_empty() || !values.iter().all(charts::units::is_province) {
        return Err(StudyError::Usage(format!(
            "{}: --map draws China's provinces, and the recorded units are not the 31 of scenarios/data/china-provinces.csv",
            dir.display()
        )));
    }
    Ok(())
}

/// A label per directory for comparisons: its name, with `-2`, `-3`, ... added where
/// directories share a name (a/default, b/default).
pub fn unique_labels(dirs: &[PathBuf]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string());
        let label = std::iter::once(name.clone())
            .chain((2..).map(|n| format!("{name}-{n}")))
            .find(|label| !labels.contains(label))
            .expect("some label is free");
        labels.push(label);
    }
    labels
}
