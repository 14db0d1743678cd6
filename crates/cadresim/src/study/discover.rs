//! The `discover` study: PRIM on a finished sweep, written to DIR/discover-<condition>/
//! (trajectory.csv, box.csv, discover.json, charts, manifest.json).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{refuse_output_among_inputs, StudyError};
use crate::charts::{self, BoxLimit};
use crate::discovery::{self, bagging, prim, Discovery, DiscoveryError, Restriction};
use crate::output::manifest::{self, Manifest, Stamp};
use crate::output::{self, tables};
use crate::sweep;

/// What to discover: where a condition holds in a finished sweep, PRIM's settings, and
/// where to write.
#[derive(Clone, Debug)]
pub struct DiscoverRequest {
    /// The finished sweep directory.
    pub dir: PathBuf,
    /// The condition on a point's equilibrium (`mean_innovation < 0.15`).
    pub condition: String,
    /// The level whose equilibrium the condition reads (`all`, `1`, ...).
    pub level: String,
    /// PRIM's peeling and pasting fraction.
    pub alpha: f64,
    /// The smallest box, as a share of the points.
    pub min_mass: f64,
    /// The box of the peeling trajectory to report (default: the densest with coverage at
    /// least 0.5).
    pub chosen: Option<usize>,
    /// Bootstrap resamples of bagged PRIM (0: plain PRIM, every restriction kept).
    pub resamples: usize,
    /// The discovery directory (default: `DIR/discover-<condition>`).
    pub out: Option<PathBuf>,
    pub force: bool,
    pub size: (u32, u32),
}

impl DiscoverRequest {
    /// A request with PRIM's default settings.
    pub fn new(dir: PathBuf, condition: String) -> Self {
        DiscoverRequest {
            dir,
            condition,
            level: crate::metrics::WHOLE_HIERARCHY.to_string(),
            alpha: prim::Options::default().peel_alpha,
            min_mass: prim::Options::default().min_mass,
            chosen: None,
            resamples: bagging::DEFAULT_RESAMPLES,
            out: None,
            force: false,
            size: charts::DEFAULT_SIZE,
        }
    }
}

/// A finished discovery: the condition in words, what PRIM found and where it was written.
pub struct DiscoverOutcome {
    pub title: String,
    pub found: Discovery,
    pub out: PathBuf,
}

impl From<DiscoveryError> for StudyError {
    fn from(error: DiscoveryError) -> Self {
        match error {
            DiscoveryError::UnknownPoint(_) => StudyError::Failed(error.to_string()),
            _ => StudyError::Usage(error.to_string()),
        }
    }
}

/// What discover.json records.
#[derive(serde::Serialize)]
struct Record<'a> {
    cadresim_version: &'static str,
    git_commit: Option<String>,
    condition: &'a str,
    level: &'a str,
    alpha: f64,
    min_mass: f64,
    chosen_box: usize,
    chosen_by: &'static str,
    /// Bagged PRIM's bootstrap resamples (0: none) and the share a restriction must recur in.
    resamples: usize,
    keep: f64,
    /// Restrictions of the chosen box that recur in too few resamples, dropped.
    dropped: &'a [String],
    /// Seeds the dummy factor and the resamples (the sweep's seed).
    seed: u64,
    /// The reported box restricts the dummy factor (uniform noise): it fits noise.
    spurious: bool,
    sweep_dir: String,
    sweep_file: String,
    sweep_sha256: &'a str,
    cases: usize,
    cases_of_interest: usize,
    coverage: f64,
    density: f64,
    mass: f64,
    restricted: Vec<&'a str>,
}

/// Run the discovery that `record` (a discover.json) describes again into `out` (replaced),
/// quietly: for `replay`. The sweep is the recorded directory, or `beside` (the directory
/// above the discovery's) when that one is gone.
pub fn rerun(record: &Path, beside: &Path, out: &Path) -> Result<(), StudyError> {
    let bad = |what: &str| {
        StudyError::Usage(format!(
            "{}: {what}; cannot replay the discovery",
            record.display()
        ))
    };
    let text = std::fs::read_to_string(record).map_err(|e| bad(&e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    let field = |key: &str| json.get(key).ok_or_else(|| bad(&format!("no `{key}`")));
    let text_of = |key: &str| -> Result<String, StudyError> {
        Ok(field(key)?
            .as_str()
            .ok_or_else(|| bad(&format!("`{key}` is not text")))?
            .to_string())
    };
    let number = |key: &str| -> Result<f64, StudyError> {
        field(key)?
            .as_f64()
            .ok_or_else(|| bad(&format!("`{key}` is not a number")))
    };
    let recorded_dir = PathBuf::from(text_of("sweep_dir")?);
    let dir = match recorded_dir.join("manifest.json").exists() {
        true => recorded_dir,
        false => beside.to_path_buf(),
    };
    let chosen = match text_of("chosen_by")?.as_str() {
        "--box" => Some(number("chosen_box")? as usize),
        _ => None,
    };
    let resamples = match json.get("resamples") {
        None => 0,
        Some(value) => value
            .as_u64()
            .ok_or_else(|| bad("`resamples` is not a whole number"))?
            as usize,
    };
    let request = DiscoverRequest {
        dir,
        condition: text_of("condition")?,
        level: text_of("level")?,
        alpha: number("alpha")?,
        min_mass: number("min_mass")?,
        chosen,
        resamples,
        out: Some(out.to_path_buf()),
        force: true,
        size: charts::DEFAULT_SIZE,
    };
    discover(&request).map(|_| ())
}

/// Discover and write the directory.
pub fn discover(args: &DiscoverRequest) -> Result<DiscoverOutcome, StudyError> {
    check_settings(args)?;
    let condition = discovery::parse(&args.condition)
        .map_err(|error| StudyError::Usage(format!("--where: {error}")))?;
    let lock = sweep::read_lock(&args.dir)?;
    if !args.dir.join("manifest.json").exists() {
        return Err(StudyError::Usage(format!(
            "{}: the sweep has not finished (no manifest.json); finish or merge it first",
            args.dir.display()
        )));
    }
    output::verify_files(&args.dir, &["points.csv", "sweep.csv"])?;
    let read_error = |error: tables::ReadError| StudyError::Failed(error.to_string());
    let points = tables::read_points(&args.dir.join("points.csv")).map_err(read_error)?;
    let rows = tables::read_summary(&args.dir.join("sweep.csv")).map_err(read_error)?;
    let options = discovery::Options {
        prim: prim::Options {
            peel_alpha: args.alpha,
            paste_alpha: args.alpha,
            min_mass: args.min_mass,
        },
        chosen: args.chosen,
        resamples: args.resamples,
        seed: lock.seed,
    };
    let found = discovery::discover(&points, &rows, &args.level, &condition, &options)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join(format!("discover-{}", slug(&condition.text))));
    refuse_output_among_inputs(
        &out,
        std::slice::from_ref(&args.dir),
        "the sweep directory",
        "choose an --out outside it (the default is DIR/discover-<condition>)",
    )?;
    let _lock = output::prepare_dir(&out, args.force)?;
    let mut written = write_tables(&out, &found)?;
    let title = condition.describe();
    written.extend(charts::draw_discovery(
        &title,
        &trajectory_rows(&found),
        found.chosen,
        &box_limits(&found),
        &out.join("charts"),
        args.size,
    )?);
    let chosen = &found.reported;
    let record = Record {
        cadresim_version: env!("CARGO_PKG_VERSION"),
        git_commit: manifest::git_commit(),
        condition: &condition.text,
        level: &args.level,
        alpha: args.alpha,
        min_mass: args.min_mass,
        chosen_box: found.chosen,
        chosen_by: if args.chosen.is_some() {
            "--box"
        } else {
            "the densest box with coverage >= 0.5"
        },
        resamples: args.resamples,
        keep: bagging::KEEP,
        dropped: &found.dropped,
        seed: lock.seed,
        spurious: found.spurious,
        sweep_dir: args.dir.display().to_string(),
        sweep_file: lock.spec.source_path.display().to_string(),
        sweep_sha256: &lock.sweep_sha256,
        cases: found.cases,
        cases_of_interest: found.of_interest,
        coverage: chosen.coverage,
        density: chosen.density,
        mass: chosen.mass,
        restricted: found
            .restrictions
            .iter()
            .map(|r| r.row.parameter.as_str())
            .collect(),
    };
    let text = serde_json::to_string_pretty(&record).expect("record serializes");
    written.push(output::write_atomically(&out, "discover.json", |w| {
        w.write_all(text.as_bytes())
    })?);
    write_manifest(&out, &output::hash_files(&out, &written)?)?;
    Ok(DiscoverOutcome { title, found, out })
}

/// Refuse PRIM settings outside their ranges (the command line's parsers refuse them
/// earlier, with the same words).
fn check_settings(args: &DiscoverRequest) -> Result<(), StudyError> {
    let share = |x: f64, high: f64| x > 0.0 && x < high;
    if !share(args.alpha, 0.5) {
        return Err(StudyError::Usage(format!(
            "--alpha: expected a number strictly between 0 and 0.5, got `{}`",
            args.alpha
        )));
    }
    if args.resamples > 10_000 {
        return Err(StudyError::Usage(format!(
            "--resamples: expected 0 (plain PRIM) to 10000, got {}",
            args.resamples
        )));
    }
    if !share(args.min_mass, 1.0) {
        return Err(StudyError::Usage(format!(
            "--min-mass: expected a number strictly between 0 and 1, got `{}`",
            args.min_mass
        )));
    }
    Ok(())
}

/// `discover-<slug>`: the condition with operators in words and other symbols as dashes.
fn slug(condition: &str) -> String {
    let mut text = condition.to_lowercase();
    for (op, word) in [
        ("<=", "-le-"),
        (">=", "-ge-"),
        ("==", "-eq-"),
        ("<", "-lt-"),
        (">", "-gt-"),
    ] {
        text = text.replace(op, word);
    }
    let mut slug = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // A minus sign before a number (not the dash inside a class name or an exponent).
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1);
        let sign = c == '-'
            && !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '.' || b == '_')
            && after.is_some_and(|a| a.is_ascii_digit() || *a == '.');
        if sign {
            if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            slug.push_str("minus");
            continue;
        }
        let keep = c.is_ascii_alphanumeric() || c == '.' || c == '_';
        let c = if keep { c } else { '-' };
        if c != '-' || !slug.ends_with('-') {
            slug.push(c);
        }
    }
    let slug = slug.trim_matches('-');
    if slug.chars().count() <= SLUG_LENGTH {
        return slug.to_string();
    }
    // Cut long slugs, then tell apart conditions that share the beginning.
    let digest = manifest::sha256_hex(condition.as_bytes());
    let head: String = slug.chars().take(SLUG_LENGTH - 13).collect();
    format!("{}-{}", head.trim_end_matches('-'), &digest[..12])
}

/// Longest `discover-<slug>` slug.
const SLUG_LENGTH: usize = 80;

fn trajectory_rows(found: &Discovery) -> Vec<crate::rows::TrajectoryRow> {
    found
        .trajectory
        .iter()
        .enumerate()
        .map(|(index, b)| crate::rows::TrajectoryRow {
            index,
            coverage: b.coverage,
            density: b.density,
            mass: b.mass,
            restricted: b.restricted,
            n: b.n,
        })
        .collect()
}

fn write_tables(out: &Path, found: &Discovery) -> Result<Vec<PathBuf>, StudyError> {
    let trajectory = trajectory_rows(found);
    let rows: Vec<crate::rows::BoxRow> = found.restrictions.iter().map(|r| r.row.clone()).collect();
    Ok(vec![
        output::write_atomically(out, "trajectory.csv", |w| {
            tables::write_trajectory(w, &trajectory).map_err(Into::into)
        })?,
        output::write_atomically(out, "box.csv", |w| {
            tables::write_box(w, &rows).map_err(Into::into)
        })?,
    ])
}

/// Every parameter's limits in the chosen box, normalised to its range in the sweep.
fn box_limits(found: &Discovery) -> Vec<BoxLimit> {
    found
        .parameters
        .iter()
        .map(|parameter| {
            let restriction = found
                .restrictions
                .iter()
                .find(|r| r.row.parameter == parameter.name);
            match restriction {
                None => BoxLimit {
                    parameter: parameter.name.clone(),
                    low: 0.0,
                    high: 1.0,
                    text: String::new(),
                },
                Some(r) => {
                    let (low, high) = match (r.row.bounds(), r.range) {
                        (Some((low, high)), Some((min, max))) if max > min => {
                            ((low - min) / (max - min), (high - min) / (max - min))
                        }
                        _ => (
                            0.0,
                            r.row.values.len() as f64 / parameter.categories.len().max(1) as f64,
                        ),
                    };
                    BoxLimit {
                        parameter: parameter.name.clone(),
                        low,
                        high,
                        text: limit_words(r),
                    }
                }
            }
        })
        .collect()
}

/// A restriction in words: `≥ 5.2`, `≤ 0.4`, `in [0.2, 0.6]` or `in {off, scoped}`.
pub fn limit_words(restriction: &Restriction) -> String {
    let short = |x: f64| format!("{}", (x * 1e4).round() / 1e4);
    match (restriction.row.bounds(), restriction.range) {
        (Some((low, high)), Some((min, max))) => match (low > min, high < max) {
            (true, false) => format!("≥ {}", short(low)),
            (false, true) => format!("≤ {}", short(high)),
            _ => format!("in [{}, {}]", short(low), short(high)),
        },
        _ => format!("in {{{}}}", restriction.row.values.join(", ")),
    }
}

/// manifest.json of a discovery directory: what wrote it and the SHA-256 of every file
/// (what was discovered is in discover.json).
fn write_manifest(out: &Path, files: &BTreeMap<String, String>) -> Result<(), StudyError> {
    let manifest = Manifest {
        stamp: Stamp::now("discover", None, None),
        record: (),
        files: files.clone(),
    };
    output::write_manifest(out, &manifest)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_plain_names() {
        assert_eq!(slug("mean_innovation < 0.15"), "mean_innovation-lt-0.15");
        assert_eq!(
            slug("class in [lazy-idle, lazy-routine]"),
            "class-in-lazy-idle-lazy-routine"
        );
        assert_eq!(
            slug("welfare>=3000 and class == lazy"),
            "welfare-ge-3000-and-class-eq-lazy"
        );
    }

    #[test]
    fn slugs_of_different_conditions_differ() {
        assert_eq!(slug("welfare < -0.5"), "welfare-lt-minus0.5");
        assert_ne!(slug("welfare < -0.5"), slug("welfare < 0.5"));
        assert_eq!(slug("welfare>-.5"), "welfare-gt-minus.5");
        assert_eq!(slug("share_idle < 1e-3"), "share_idle-lt-1e-3");
        let long = |last: &str| {
            format!("mean_innovation < 0.5 and share_idle > 0.25 and welfare >= 1000 and abuse_rate < {last}")
        };
        let (a, b) = (slug(&long("0.1")), slug(&long("0.2")));
        assert_ne!(a, b);
        assert!(a.chars().count() <= 80 && b.chars().count() <= 80, "{a}");
    }
}
