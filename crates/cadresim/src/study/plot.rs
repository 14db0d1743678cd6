//! The `plot` study: draw a result or sweep directory's charts again, under its lock, and
//! relist them in its manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::charts::{check_maps, draw_maps, draw_results, read_results};
use super::{Observer, StudyError};
use crate::charts;
use crate::output::{self, tables, OutputError};

/// What to draw again: a result or sweep directory's charts, at `size`, and for a run that
/// recorded China's provinces, the province maps of `maps` (metric names).
#[derive(Clone, Debug)]
pub struct RedrawRequest {
    pub dir: PathBuf,
    pub size: (u32, u32),
    pub maps: Vec<String>,
}

/// Redraw the charts of a result or sweep directory into its `charts/`, holding its lock;
/// returns the chart files. The manifest first stops listing the charts, and lists the new
/// ones once all are drawn, so an interrupted redraw leaves a manifest true of every file it
/// lists.
pub fn redraw(
    request: &RedrawRequest,
    observer: &dyn Observer,
) -> Result<Vec<PathBuf>, StudyError> {
    let dir = &request.dir;
    let _lock = output::lock_existing(dir)?;
    let out = dir.join("charts");
    let files = if dir.join("sweep_summary.csv").exists() {
        if !request.maps.is_empty() {
            return Err(StudyError::Usage(format!(
                "{}: --map draws the provinces of a run directory, not of a sweep",
                dir.display()
            )));
        }
        redraw_sweep(dir, request.size)?
    } else {
        if !request.maps.is_empty() {
            check_maps(dir)?;
        }
        let dirs = std::slice::from_ref(dir);
        let results = read_results(dirs, None, observer)?;
        relist_charts(dir, None)?;
        let mut files = draw_results(&results, dirs, &out, request.size, false)?;
        if !request.maps.is_empty() {
            let scenarios = &results[0].scenarios;
            files.extend(draw_maps(
                dir,
                scenarios,
                &out,
                request.size,
                &request.maps,
            )?);
        }
        files
    };
    relist_charts(dir, Some(&output::hash_files(dir, &files)?))?;
    Ok(files)
}

/// Redraw a sweep's charts (and its sensitivity analysis's).
fn redraw_sweep(dir: &Path, size: (u32, u32)) -> Result<Vec<PathBuf>, StudyError> {
    let lock = crate::sweep::read_lock(dir)?;
    let analysed = if dir.join("sensitivity.csv").exists() {
        let read = |name: &str| {
            tables::read_sensitivity(&dir.join(name))
                .map_err(|error| StudyError::Failed(error.to_string()))
        };
        Some((
            read("sensitivity.csv")?,
            read("sensitivity_convergence.csv")?,
        ))
    } else {
        None
    };
    relist_charts(dir, None)?;
    let mut files = super::sweep::draw_sweep_charts(&lock.spec, dir, size)?;
    if let Some((indices, convergence)) = analysed {
        files.extend(charts::draw_sensitivity(
            &indices,
            &convergence,
            &dir.join("charts"),
            size,
        )?);
    }
    Ok(files)
}

/// Whether a file a manifest lists is a chart (`charts/x.png`).
fn is_chart(name: &str) -> bool {
    name.starts_with("charts/")
}

/// List in the manifest of `dir` no charts (`None`) or these charts besides its other
/// files. A manifest that cannot be read vouches for nothing and is left as it is.
fn relist_charts(dir: &Path, charts: Option<&BTreeMap<String, String>>) -> Result<(), StudyError> {
    let relisted = match charts {
        None => output::relist_manifest(dir, |name| !is_chart(name), &BTreeMap::new(), &[]),
        Some(charts) => output::relist_manifest(dir, |_| true, charts, &[]),
    };
    match relisted {
        Ok(_) | Err(OutputError::NotManifest { .. }) => Ok(()),
        Err(error) => Err(error.into()),
    }
}
