//! Reproducing the founding paper's claims: the experiments manifest
//! (`scenarios/experiments.toml`), reading the evidence back from result and sweep
//! directories, the test that decides each claim, and RESULTS.md. Verdicts are computed from
//! the data; nothing here knows what they should be.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::scenario::{parse_table, read_text, ScenarioError};

/// One group of scenario files run together.
#[derive(Clone, Debug)]
pub struct RunGroup {
    pub name: String,
    pub files: Vec<PathBuf>,
}

/// One claim of the paper.
#[derive(Clone, Debug)]
pub struct ClaimSpec {
    pub id: String,
    pub text: String,
    pub files: Vec<String>,
}

/// The experiments manifest.
#[derive(Clone, Debug)]
pub struct Experiments {
    pub path: PathBuf,
    pub seed: u64,
    pub quick_replicates: u64,
    pub quick_steps: u64,
    pub runs: Vec<RunGroup>,
    pub sweeps: Vec<PathBuf>,
    pub claims: Vec<ClaimSpec>,
}

/// Claims this version knows how to decide.
pub const KNOWN_CLAIMS: [&str; 9] = [
    "pressure-lazy",
    "scoped-tolerance",
    "umbrella",
    "error-correction",
    "two-factor",
    "lifelong",
    "overweighting",
    "rational-threshold",
    "lazy-trap",
];

fn invalid(file: &str, key: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// Read the experiments manifest; file paths in it are relative to it.
pub fn load(path: &Path) -> Result<Experiments, ScenarioError> {
    let file = path.display().to_string();
    let (text, _) = read_text(path)?;
    let table = parse_table(&text, &file)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for key in table.keys() {
        if !matches!(key.as_str(), "seed" | "quick" | "run" | "sweep" | "claim") {
            return Err(invalid(
                &file,
                key,
                "is not a known key (allowed: seed, quick, run, sweep, claim)",
            ));
        }
    }
    let integer =
        |value: Option<&toml::Value>, key: &str, default: u64| -> Result<u64, ScenarioError> {
            match value {
                None => Ok(default),
                Some(toml::Value::Integer(n)) if *n >= 1 => Ok(*n as u64),
                Some(_) => Err(invalid(&file, key, "must be an integer >= 1")),
            }
        };
    let seed = integer(table.get("seed"), "seed", 1)?;
    let quick = table
        .get("quick")
        .and_then(|q| q.as_table())
        .cloned()
        .unwrap_or_default();
    let quick_replicates = integer(quick.get("replicates"), "quick.replicates", 3)?;
    let quick_steps = integer(quick.get("steps"), "quick.steps", 150)?;
    let strings = |value: Option<&toml::Value>, key: &str| -> Result<Vec<String>, ScenarioError> {
        value
            .and_then(|v| v.as_array())
            .and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| invalid(&file, key, "must be a list of strings"))
    };
    let tables = |key: &str| -> Vec<toml::Table> {
        table
            .get(key)
            .and_then(|v| v.as_array())
            .map(|items| items.iter().filter_map(|i| i.as_table().cloned()).collect())
            .unwrap_or_default()
    };
    let mut runs = Vec::new();
    for (index, run) in tables("run").iter().enumerate() {
        let name = run
            .get("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid(&file, &format!("run[{index}].name"), "is required"))?;
        let files = strings(run.get("files"), &format!("run[{index}].files"))?;
        runs.push(RunGroup {
            name: name.to_string(),
            files: files.iter().map(|f| dir.join(f)).collect(),
        });
    }
    let mut sweeps = Vec::new();
    for (index, sweep) in tables("sweep").iter().enumerate() {
        let path = sweep
            .get("file")
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid(&file, &format!("sweep[{index}].file"), "is required"))?;
        sweeps.push(dir.join(path));
    }
    let mut claims = Vec::new();
    for (index, claim) in tables("claim").iter().enumerate() {
        let get = |key: &str| {
            claim
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| invalid(&file, &format!("claim[{index}].{key}"), "is required"))
        };
        let id = get("id")?;
        if !KNOWN_CLAIMS.contains(&id.as_str()) {
            return Err(invalid(
                &file,
                &format!("claim[{index}].id"),
                format!("`{id}` has no test; known: {}", KNOWN_CLAIMS.join(", ")),
            ));
        }
        claims.push(ClaimSpec {
            id,
            text: get("text")?,
            files: strings(claim.get("files"), &format!("claim[{index}].files"))?,
        });
    }
    Ok(Experiments {
        path: path.to_path_buf(),
        seed,
        quick_replicates,
        quick_steps,
        runs,
        sweeps,
        claims,
    })
}

/// A mean with its 95% interval (the mean alone when there is none).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

impl Stat {
    /// Above `other` with non-overlapping 95% intervals.
    pub fn above(&self, other: &Stat) -> bool {
        self.low > other.high
    }
}

fn read_csv(path: &Path) -> Result<Vec<csv::StringRecord>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn stat_of(record: &csv::StringRecord) -> Option<Stat> {
    let mean: f64 = record[3].parse().ok()?;
    Some(Stat {
        mean,
        low: record[5].parse().unwrap_or(mean),
        high: record[6].parse().unwrap_or(mean),
    })
}

/// Equilibrium statistics of a run directory (from equilibrium.csv).
pub struct RunEvidence {
    pub dir: PathBuf,
    stats: HashMap<(String, String, String), Stat>,
}

impl RunEvidence {
    pub fn read(dir: &Path) -> Result<Self, String> {
        let mut stats = HashMap::new();
        for record in read_csv(&dir.join("equilibrium.csv"))? {
            if let Some(stat) = stat_of(&record) {
                stats.insert(
                    (
                        record[0].to_string(),
                        record[1].to_string(),
                        record[2].to_string(),
                    ),
                    stat,
                );
            }
        }
        Ok(RunEvidence {
            dir: dir.to_path_buf(),
            stats,
        })
    }

    fn get(&self, scenario: &str, level: &str, metric: &str) -> Result<Stat, String> {
        self.stats
            .get(&(scenario.to_string(), level.to_string(), metric.to_string()))
            .copied()
            .ok_or_else(|| {
                format!(
                    "{}: no {metric} of {scenario} at level {level}",
                    self.dir.display()
                )
            })
    }

    fn all(&self, scenario: &str, metric: &str) -> Result<Stat, String> {
        self.get(scenario, "all", metric)
    }

    /// Most frequent class of a scenario at level all.
    fn class(&self, scenario: &str) -> Result<String, String> {
        let mut best = (String::new(), -1.0);
        for class in crate::metrics::CLASSES {
            let share = self.all(scenario, &format!("class_{class}"))?.mean;
            if share > best.1 {
                best = (class.to_string(), share);
            }
        }
        Ok(best.0)
    }

    /// Level names of a scenario in hierarchy order (without "all").
    fn levels(&self, scenario: &str) -> Vec<String> {
        let mut levels: Vec<String> = Vec::new();
        let records = read_csv(&self.dir.join("equilibrium.csv")).unwrap_or_default();
        for record in records {
            if &record[0] == scenario
                && &record[1] != "all"
                && !levels.iter().any(|l| l == &record[1])
            {
                levels.push(record[1].to_string());
            }
        }
        levels
    }
}

/// Point statistics of a sweep directory at level all.
pub struct SweepEvidence {
    pub dir: PathBuf,
    /// Per point: axis column -> label.
    labels: Vec<HashMap<String, String>>,
    stats: Vec<HashMap<String, Stat>>,
}

impl SweepEvidence {
    pub fn read(dir: &Path) -> Result<Self, String> {
        let path = dir.join("points.csv");
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut labels = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            labels.push(
                columns
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_string))
                    .collect(),
            );
        }
        let mut stats = vec![HashMap::new(); labels.len()];
        for record in read_csv(&dir.join("sweep_summary.csv"))? {
            let Ok(point) = record[0].parse::<usize>() else {
                continue;
            };
            if &record[1] != "all" || point >= stats.len() {
                continue;
            }
            if let Some(stat) = stat_of(&record) {
                stats[point].insert(record[2].to_string(), stat);
            }
        }
        Ok(SweepEvidence {
            dir: dir.to_path_buf(),
            labels,
            stats,
        })
    }

    /// (x, stat) of `metric` for points whose labels match `filter`, in point order.
    fn series(
        &self,
        x_column: &str,
        filter: &[(&str, &str)],
        metric: &str,
    ) -> Result<Vec<(f64, Stat)>, String> {
        let mut series = Vec::new();
        for (labels, stats) in self.labels.iter().zip(&self.stats) {
            if filter
                .iter()
                .all(|(c, v)| labels.get(*c).map(String::as_str) == Some(*v))
            {
                let x = labels
                    .get(x_column)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| {
                        format!("{}: no numeric column {x_column}", self.dir.display())
                    })?;
                let stat = *stats
                    .get(metric)
                    .ok_or_else(|| format!("{}: no {metric}", self.dir.display()))?;
                series.push((x, stat));
            }
        }
        if series.is_empty() {
            return Err(format!(
                "{}: no points match {filter:?}",
                self.dir.display()
            ));
        }
        Ok(series)
    }
}

/// One number of a claim's evidence.
#[derive(Clone, Debug)]
pub enum Quantity {
    Stat(String, Stat),
    Value(String, f64),
    Text(String, String),
}

/// The decision on one claim.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub holds: bool,
    /// The test that decided it, in words.
    pub test: String,
    pub quantities: Vec<Quantity>,
    /// The chart that shows the evidence.
    pub figure: PathBuf,
}

/// Where the evidence of an experiments run lives.
pub struct Evidence {
    pub runs: HashMap<String, RunEvidence>,
    pub sweeps: HashMap<String, SweepEvidence>,
}

impl Evidence {
    fn run(&self, name: &str) -> Result<&RunEvidence, String> {
        self.runs
            .get(name)
            .ok_or_else(|| format!("the experiments have no run group `{name}`"))
    }

    fn sweep(&self, name: &str) -> Result<&SweepEvidence, String> {
        self.sweeps
            .get(name)
            .ok_or_else(|| format!("the experiments have no sweep `{name}`"))
    }
}

const PENALTY: &str = "accountability.penalty";

/// Decide one claim from the evidence.
pub fn decide(id: &str, evidence: &Evidence) -> Result<Verdict, String> {
    let regimes = || evidence.run("regimes");
    match id {
        "pressure-lazy" => {
            let runs = regimes()?;
            let curve = evidence.sweep("penalty-curve")?;
            let class = runs.class("pressure")?;
            let off = curve.series(PENALTY, &[("tolerance", "off")], "mean_innovation")?;
            let falling = off.windows(2).all(|w| w[1].1.mean < w[0].1.mean);
            let separated = off[0].1.above(&off[off.len() - 1].1);
            let mut quantities = vec![
                Quantity::Text("equilibrium class, pressure.toml".into(), class.clone()),
                Quantity::Stat(
                    "mean_innovation, pressure.toml".into(),
                    runs.all("pressure", "mean_innovation")?,
                ),
                Quantity::Stat(
                    "share_idle, pressure.toml".into(),
                    runs.all("pressure", "share_idle")?,
                ),
            ];
            quantities.extend(off.iter().map(|(x, s)| {
                Quantity::Stat(
                    format!("mean_innovation at penalty {x:.3}, no tolerance"),
                    *s,
                )
            }));
            Ok(Verdict {
                holds: matches!(class.as_str(), "passive" | "lazy") && falling && separated,
                test: "the most frequent class of pressure.toml is passive or lazy; along penalty-curve without tolerance mean_innovation falls at every step, and its 95% intervals at the lowest and highest penalty do not overlap".into(),
                quantities,
                figure: curve.dir.join("charts/curve-mean_innovation.png"),
            })
        }
        "scoped-tolerance" => {
            let curve = evidence.sweep("penalty-curve")?;
            let mut holds = true;
            let mut quantities = Vec::new();
            for metric in ["mean_innovation", "welfare"] {
                let off = curve.series(PENALTY, &[("tolerance", "off")], metric)?;
                let scoped = curve.series(PENALTY, &[("tolerance", "scoped")], metric)?;
                for ((x, o), (_, s)) in off
                    .iter()
                    .zip(&scoped)
                    .filter(|((x, _), _)| *x >= 2.0 - 1e-9)
                {
                    holds &= s.above(o);
                    quantities.push(Quantity::Stat(
                        format!("{metric} at penalty {x:.3}, no tolerance"),
                        *o,
                    ));
                    quantities.push(Quantity::Stat(
                        format!("{metric} at penalty {x:.3}, scoped tolerance"),
                        *s,
                    ));
                }
            }
            Ok(Verdict {
                holds,
                test: "at every penalty >= 2 of penalty-curve, the 95% interval of mean_innovation and of welfare with scoped tolerance lies entirely above the one without tolerance".into(),
                quantities,
                figure: curve.dir.join("charts/curve-welfare.png"),
            })
        }
        "umbrella" => {
            let runs = regimes()?;
            let mut holds = true;
            let mut quantities = Vec::new();
            for metric in ["wrongly_exempted", "private_gain"] {
                let scoped = runs.all("ft-scoped", metric)?;
                quantities.push(Quantity::Stat(format!("{metric}, ft-scoped"), scoped));
                for other in ["ft-blanket", "ft-poor-screening"] {
                    let value = runs.all(other, metric)?;
                    holds &= value.above(&scoped);
                    quantities.push(Quantity::Stat(format!("{metric}, {other}"), value));
                }
            }
            Ok(Verdict {
                holds,
                test: "the 95% intervals of wrongly_exempted and of private_gain (per step, equilibrium) of ft-blanket and of ft-poor-screening both lie entirely above those of ft-scoped".into(),
                quantities,
                figure: runs.dir.join("charts/equilibria.png"),
            })
        }
        "error-correction" => {
            let runs = regimes()?;
            let damage = (
                runs.all("ft-scoped", "damage")?,
                runs.all("ft-no-correction", "damage")?,
            );
            let welfare = (
                runs.all("ft-scoped", "welfare")?,
                runs.all("ft-no-correction", "welfare")?,
            );
            Ok(Verdict {
                holds: damage.1.above(&damage.0) && welfare.0.above(&welfare.1),
                test: "ft-no-correction has a damage interval entirely above ft-scoped's and a welfare interval entirely below it".into(),
                quantities: vec![
                    Quantity::Stat("damage, ft-scoped".into(), damage.0),
                    Quantity::Stat("damage, ft-no-correction".into(), damage.1),
                    Quantity::Stat("welfare, ft-scoped".into(), welfare.0),
                    Quantity::Stat("welfare, ft-no-correction".into(), welfare.1),
                ],
                figure: runs.dir.join("charts/equilibria.png"),
            })
        }
        "two-factor" => {
            let runs = regimes()?;
            let innovation = |s: &str| runs.all(s, "mean_innovation");
            let (pressure, alone, scoped, both) = (
                innovation("pressure")?,
                innovation("incentives")?,
                innovation("ft-scoped")?,
                innovation("ft-incentives")?,
            );
            let effect_alone = alone.mean - pressure.mean;
            let effect_tolerance = scoped.mean - pressure.mean;
            let effect_with = both.mean - scoped.mean;
            let mut highest = true;
            for other in [
                "pressure",
                "ft-scoped",
                "ft-blanket",
                "ft-poor-screening",
                "ft-no-correction",
                "incentives",
                "lifelong",
                "adaptive-markup",
            ] {
                highest &= both.above(&innovation(other)?);
            }
            Ok(Verdict {
                holds: effect_alone < effect_tolerance / 3.0 && effect_with > effect_alone && highest,
                test: "incentives alone raise mean_innovation by less than a third of what scoped tolerance does; incentives add more on top of tolerance than on their own; and ft-incentives has the highest innovation of all regimes, its interval above every other".into(),
                quantities: vec![
                    Quantity::Stat("mean_innovation, pressure".into(), pressure),
                    Quantity::Stat("mean_innovation, incentives (no tolerance)".into(), alone),
                    Quantity::Stat("mean_innovation, ft-scoped".into(), scoped),
                    Quantity::Stat("mean_innovation, ft-incentives".into(), both),
                    Quantity::Value("effect of incentives without tolerance".into(), effect_alone),
                    Quantity::Value("effect of scoped tolerance".into(), effect_tolerance),
                    Quantity::Value("effect of incentives with tolerance".into(), effect_with),
                ],
                figure: runs.dir.join("charts/equilibria.png"),
            })
        }
        "lifelong" => {
            let runs = regimes()?;
            let innovation = (
                runs.all("pressure", "mean_innovation")?,
                runs.all("lifelong", "mean_innovation")?,
            );
            let idle = (
                runs.all("pressure", "share_idle")?,
                runs.all("lifelong", "share_idle")?,
            );
            Ok(Verdict {
                holds: innovation.0.above(&innovation.1),
                test: "the mean_innovation interval of lifelong.toml lies entirely below that of pressure.toml".into(),
                quantities: vec![
                    Quantity::Stat("mean_innovation, pressure".into(), innovation.0),
                    Quantity::Stat("mean_innovation, lifelong".into(), innovation.1),
                    Quantity::Stat("share_idle, pressure".into(), idle.0),
                    Quantity::Stat("share_idle, lifelong".into(), idle.1),
                ],
                figure: runs.dir.join("charts/behaviour-lifelong.png"),
            })
        }
        "overweighting" => {
            let runs = regimes()?;
            let markup = (
                runs.all("pressure", "markup")?,
                runs.all("adaptive-markup", "markup")?,
            );
            let levels = runs.levels("adaptive-markup");
            let idle: Vec<Stat> = levels
                .iter()
                .map(|level| runs.get("adaptive-markup", level, "share_idle"))
                .collect::<Result<_, _>>()?;
            let rising = idle.len() >= 2 && idle.windows(2).all(|w| w[1].mean > w[0].mean);
            let mut quantities = vec![
                Quantity::Stat("mean markup, fixed markups (pressure)".into(), markup.0),
                Quantity::Stat("mean markup, adaptive-markup".into(), markup.1),
            ];
            quantities.extend(
                levels.iter().zip(&idle).map(|(l, s)| {
                    Quantity::Stat(format!("share_idle at {l}, adaptive-markup"), *s)
                }),
            );
            Ok(Verdict {
                holds: markup.1.above(&markup.0) && rising,
                test: "the equilibrium markup with adaptive markups has an interval above the fixed markup's, and mean share_idle rises at every level down the hierarchy (a chance ordering of four levels has probability 1/24)".into(),
                quantities,
                figure: runs.dir.join("charts/levels-adaptive-markup.png"),
            })
        }
        "rational-threshold" => {
            let sweep = evidence.sweep("rational-vs-bounded")?;
            let largest_step = |rule: &str| -> Result<f64, String> {
                let series = sweep.series(PENALTY, &[("rule", rule)], "mean_innovation")?;
                let means: Vec<f64> = series.iter().map(|(_, s)| s.mean).collect();
                let range = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                    - means.iter().cloned().fold(f64::INFINITY, f64::min);
                let step = means
                    .windows(2)
                    .map(|w| (w[1] - w[0]).abs())
                    .fold(0.0, f64::max);
                Ok(if range > 0.0 { step / range } else { 0.0 })
            };
            let (rational, bounded) = (largest_step("rational")?, largest_step("satisficing")?);
            let mut quantities = vec![
                Quantity::Value(
                    "largest change between neighbouring penalties / total range, rational".into(),
                    rational,
                ),
                Quantity::Value(
                    "largest change between neighbouring penalties / total range, satisficing"
                        .into(),
                    bounded,
                ),
            ];
            for rule in ["rational", "satisficing"] {
                for (x, s) in sweep.series(PENALTY, &[("rule", rule)], "mean_innovation")? {
                    quantities.push(Quantity::Stat(
                        format!("mean_innovation at penalty {x:.3}, {rule}"),
                        s,
                    ));
                }
            }
            Ok(Verdict {
                holds: rational >= 0.5 && bounded <= 0.35,
                test: "abrupt: under the rational rule at least half of the whole fall of mean_innovation happens between two neighbouring penalties of the (log-spaced, 16-point) sweep; smooth: under satisficing no single step carries more than 35% of it".into(),
                quantities,
                figure: sweep.dir.join("charts/curve-mean_innovation.png"),
            })
        }
        "lazy-trap" => {
            let sweep = evidence.sweep("lazy-trap")?;
            let ends = |socialization: &str| -> Result<(Stat, Stat), String> {
                let outbound = sweep.series(
                    PENALTY,
                    &[("socialization", socialization), ("branch", "outbound")],
                    "mean_innovation",
                )?;
                let back = sweep.series(
                    PENALTY,
                    &[("socialization", socialization), ("branch", "return")],
                    "mean_innovation",
                )?;
                Ok((outbound[0].1, back[back.len() - 1].1))
            };
            let (on_start, on_end) = ends("on")?;
            let (off_start, off_end) = ends("off")?;
            let recovery_on = on_end.mean / on_start.mean;
            let recovery_off = off_end.mean / off_start.mean;
            Ok(Verdict {
                holds: on_start.above(&on_end) && recovery_off > recovery_on,
                test: "with socialization, mean_innovation back at the starting penalty (end of the return branch) lies entirely below its value there on the way out; and the share recovered (return / outbound) is larger without socialization".into(),
                quantities: vec![
                    Quantity::Stat("mean_innovation at the start, socialization on".into(), on_start),
                    Quantity::Stat("mean_innovation back at the start, socialization on".into(), on_end),
                    Quantity::Stat("mean_innovation at the start, socialization off".into(), off_start),
                    Quantity::Stat("mean_innovation back at the start, socialization off".into(), off_end),
                    Quantity::Value("share recovered, socialization on".into(), recovery_on),
                    Quantity::Value("share recovered, socialization off".into(), recovery_off),
                ],
                figure: sweep.dir.join("charts/curve-mean_innovation.png"),
            })
        }
        other => Err(format!("no test for claim `{other}`")),
    }
}

fn verdict_word(holds: bool) -> &'static str {
    if holds {
        "holds"
    } else {
        "does not hold"
    }
}

/// RESULTS.md for decided claims; figures are referenced as `figures/<id>.png`.
pub fn results_markdown(
    experiments: &Experiments,
    decided: &[(ClaimSpec, Verdict)],
    command: &str,
    provenance: &str,
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# Results: the paper's claims, regenerated\n");
    let _ = writeln!(
        text,
        "Written by `{command}` ({provenance}). Every number, figure and verdict below is computed from the simulation output; only the claim sentences (in `{}`) are written by hand. Seed {}.\n",
        experiments.path.display(),
        experiments.seed
    );
    let _ = writeln!(text, "| claim | verdict |\n|---|---|");
    for (claim, verdict) in decided {
        let _ = writeln!(text, "| `{}` | {} |", claim.id, verdict_word(verdict.holds));
    }
    for (index, (claim, verdict)) in decided.iter().enumerate() {
        let _ = writeln!(text, "\n## {}. {}\n", index + 1, claim.text);
        let files: Vec<String> = claim
            .files
            .iter()
            .map(|f| format!("`scenarios/{f}`"))
            .collect();
        let _ = writeln!(
            text,
            "Claim `{}`. Scenario files: {}.\n",
            claim.id,
            files.join(", ")
        );
        let _ = writeln!(text, "![{}](figures/{}.png)\n", claim.id, claim.id);
        let _ = writeln!(text, "| quantity | value | 95% interval |\n|---|---|---|");
        for quantity in &verdict.quantities {
            match quantity {
                Quantity::Stat(name, stat) => {
                    let _ = writeln!(
                        text,
                        "| {name} | {:.4} | [{:.4}, {:.4}] |",
                        stat.mean, stat.low, stat.high
                    );
                }
                Quantity::Value(name, value) => {
                    let _ = writeln!(text, "| {name} | {value:.4} | |");
                }
                Quantity::Text(name, value) => {
                    let _ = writeln!(text, "| {name} | {value} | |");
                }
            }
        }
        let _ = writeln!(
            text,
            "\n**Verdict: {}.** Test: {}.",
            verdict_word(verdict.holds),
            verdict.test
        );
    }
    text
}

/// The (claim id, holds) pairs of a RESULTS.md summary table.
pub fn verdicts_of(markdown: &str) -> Vec<(String, bool)> {
    markdown
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() == 4 && cells[1].starts_with('`') {
                let id = cells[1].trim_matches('`').to_string();
                match cells[2] {
                    "holds" => Some((id, true)),
                    "does not hold" => Some((id, false)),
                    _ => None,
                }
            } else {
                None
            }
        })
        .collect()
}
