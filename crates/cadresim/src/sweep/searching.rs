//! Running the searches of a boundary design: each search evaluates points (reading a
//! committed part, or simulating and committing one) until its bisection is done, so an
//! interrupted search resumes where it stopped and a merge replays the shards' searches
//! without simulating. A finished search becomes a row of `boundary.csv`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::boundary::{self, Crossing};
use super::{check_finite, check_part, run_point, usage, write_part, Point, SweepError, SweepSpec};
use crate::discovery::condition::{self, Condition};
use crate::metrics::{modal_class, Equilibrium, CLASSES, METRIC_COUNT, WHOLE_HIERARCHY};
use crate::output::part_path;
use crate::output::tables;
use crate::rows::BoundaryRow;
use crate::stats;

/// Where a search's points come from.
pub enum Source<'a> {
    /// Simulated (unless already committed) and committed into this directory.
    Run(&'a Path),
    /// Read from the parts of these directories (a merge).
    Read(&'a [PathBuf]),
}

/// One finished search.
pub struct SearchResult {
    pub search: Point,
    /// The points it evaluated, in evaluation order.
    pub points: Vec<Point>,
    pub crossing: Crossing,
    /// Where the condition judged on the replicates' mean equilibrium changes.
    pub mean_bracket: Option<(f64, f64)>,
    /// It ran out of evaluations before every bracket was as narrow as the precision.
    pub imprecise: bool,
}

/// Run every search (in parallel); returns their results in search order and how many
/// points were simulated now.
pub fn run_searches(
    spec: &SweepSpec,
    searches: &[Point],
    source: &Source,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<SearchResult>, usize), SweepError> {
    let condition = condition::parse(&spec.boundary_spec().condition)
        .map_err(|error| SweepError::Usage(error.to_string()))?;
    let simulated = AtomicUsize::new(0);
    let results = searches
        .par_iter()
        .map(|search| run_search(spec, search, &condition, source, &simulated, progress))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((results, simulated.into_inner()))
}

fn run_search(
    spec: &SweepSpec,
    search: &Point,
    condition: &Condition,
    source: &Source,
    simulated: &AtomicUsize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SearchResult, SweepError> {
    let settings = spec.boundary_spec();
    let range = spec.boundary_range();
    let mut evaluated: Vec<(f64, Vec<bool>)> = Vec::new();
    let mut means: Vec<(f64, Vec<bool>)> = Vec::new();
    let mut points = Vec::new();
    loop {
        let next = boundary::next(settings, &range, &evaluated);
        if next.is_empty() {
            break;
        }
        for x in next {
            let point = spec.boundary_point(search, points.len(), x);
            let equilibria = evaluate(spec, &point, source, simulated)?;
            let holds = equilibria
                .iter()
                .map(|e| condition.holds(&e.means, e.class))
                .collect();
            evaluated.push((x, holds));
            means.push((x, vec![holds_on_average(condition, &equilibria)]));
            points.push(point);
            progress(1);
        }
    }
    Ok(SearchResult {
        search: search.clone(),
        points,
        crossing: boundary::crossing(&range, &evaluated, settings.initial),
        mean_bracket: boundary::bracket(&means, 0),
        imprecise: boundary::imprecise(settings, &evaluated),
    })
}

/// The condition on the mean over replicates of every metric, with their most frequent
/// class.
fn holds_on_average(condition: &Condition, equilibria: &[Equilibrium]) -> bool {
    let mut means = [0.0; METRIC_COUNT];
    let mut classes = [0.0; CLASSES.len()];
    for equilibrium in equilibria {
        for (sum, value) in means.iter_mut().zip(&equilibrium.means) {
            *sum += value / equilibria.len() as f64;
        }
        if let Some(index) = CLASSES.iter().position(|c| *c == equilibrium.class) {
            classes[index] += 1.0;
        }
    }
    condition.holds(&means, modal_class(&classes))
}

/// The whole-hierarchy equilibrium of every replicate at `point`.
fn evaluate(
    spec: &SweepSpec,
    point: &Point,
    source: &Source,
    simulated: &AtomicUsize,
) -> Result<Vec<Equilibrium>, SweepError> {
    let path = match source {
        Source::Run(dir) => {
            if !matches!(check_part(spec, dir, point), Some(Ok(()))) {
                let scenario = spec.scenario_for(point).map_err(usage(point))?;
                let plan = scenario
                    .plan()
                    .map_err(|error| SweepError::Usage(format!("point {}: {error}", point.id)))?;
                let equilibria = run_point(&plan);
                check_finite(point, &equilibria)?;
                write_part(dir, point, &scenario, &equilibria)?;
                simulated.fetch_add(1, Ordering::Relaxed);
            }
            part_path(dir, point.id)
        }
        Source::Read(dirs) => dirs
            .iter()
            .map(|dir| part_path(dir, point.id))
            .find(|path| path.exists())
            .ok_or_else(|| {
                SweepError::Usage(format!(
                    "point {} of a boundary search has no results in the shards",
                    point.id
                ))
            })?,
    };
    let replicates = spec.base.params.run.replicates as usize;
    Ok(tables::read_part(&path, point.id, replicates)?
        .into_iter()
        .filter(|(_, level, _)| level == WHOLE_HIERARCHY)
        .map(|(_, _, equilibrium)| equilibrium)
        .collect())
}

/// A search's row of `boundary.csv`: the mean crossing over the replicates that cross, with
/// its t-based 95% interval.
pub fn boundary_row(result: &SearchResult) -> BoundaryRow {
    let crossings: Vec<f64> = result
        .crossing
        .replicates
        .iter()
        .flatten()
        .copied()
        .collect();
    let spread = (!crossings.is_empty()).then(|| stats::spread(&crossings));
    BoundaryRow {
        labels: result.search.labels.clone(),
        estimate: spread.map(|s| s.mean),
        ci95: spread.and_then(|s| s.ci95),
        crossed: crossings.len(),
        replicates: result.crossing.replicates.len(),
        bracket: result.mean_bracket,
        evaluations: result.crossing.evaluations,
        flag: match (result.crossing.flag.name(), result.imprecise) {
            (flag, false) => flag.to_string(),
            ("", true) => boundary::IMPRECISE.to_string(),
            (flag, true) => format!("{flag}+{}", boundary::IMPRECISE),
        },
    }
}
