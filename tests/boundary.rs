//! Tipping points (`design = "boundary"`): the crossing agrees with a fine grid of the same
//! scenario, the same bytes for any thread count, after a resume and after shards are
//! merged, and bad boundary designs are refused in one line.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common;

use common::{cadresim, header, records, succeeded};
use tempfile::TempDir;

/// A small, fast corps under pressure (three levels, 124 cadres).
const BASE: &str = r#"
[run]
steps = 80
burn_in = 40

[hierarchy]
levels = [
  { name = "province", branching = 2, cadres = 4 },
  { name = "county", branching = 3, cadres = 6 },
  { name = "township", branching = 3, cadres = 4 },
]
"#;

const BOUNDARY: &str = r#"
[sweep]
design = "boundary"
replicates = 4

[sweep.boundary]
where = "mean_innovation < 0.25"
precision = 0.01

[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 32.0
scale = "log"

[[sweep.axis]]
name = "tolerance"
variants = { off = { "fault_tolerance.enabled" = false }, scoped = { "fault_tolerance.enabled" = true } }
"#;

fn write_sweep(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, format!("{BASE}\n{body}")).unwrap();
    path
}

/// The same sweep on the default hierarchy (4,632 cadres): the small corps's equilibria are
/// noisy enough near the threshold to cross back and forth between nearby penalties.
fn write_default_corps_sweep(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let base = BASE.split("[hierarchy]").next().unwrap();
    fs::write(&path, format!("{base}\n{body}")).unwrap();
    path
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    let output = cadresim()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    succeeded(&output);
}

/// Per replicate, the first penalty of a fine grid at which mean_innovation < 0.25, as the
/// geometric middle of its grid step.
fn grid_crossings(dir: &Path, tolerance: &str) -> (Vec<f64>, f64) {
    let points = records(&dir.join("points.csv"));
    let mut penalties: Vec<f64> = points.iter().map(|p| p[1].parse().unwrap()).collect();
    penalties.dedup();
    let ratio = penalties[1] / penalties[0];
    let rows = records(&dir.join("sweep.csv"));
    let header = header(&dir.join("sweep.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (point, replicate, level, innovation) = (
        column("point"),
        column("replicate"),
        column("level"),
        column("mean_innovation"),
    );
    let mut crossings = vec![f64::NAN; 4];
    for p in &points {
        if &p[2] != tolerance {
            continue;
        }
        let penalty: f64 = p[1].parse().unwrap();
        for row in rows
            .iter()
            .filter(|r| r[point] == p[0] && &r[level] == "all")
        {
            let r: usize = row[replicate].parse().unwrap();
            let holds = row[innovation].parse::<f64>().unwrap() < 0.25;
            if holds && crossings[r].is_nan() {
                crossings[r] = penalty / ratio.sqrt();
            }
        }
    }
    (crossings, ratio)
}

#[test]
fn the_crossing_agrees_with_a_fine_grid() {
    let dir = TempDir::new().unwrap();
    let file = write_default_corps_sweep(dir.path(), "boundary", BOUNDARY);
    let out = dir.path().join("boundary");
    sweep(&file, &out, &[]);
    let grid = BOUNDARY
        .replace("design = \"boundary\"", "design = \"grid\"")
        .replace(
            "[sweep.boundary]\nwhere = \"mean_innovation < 0.25\"\nprecision = 0.01\n",
            "",
        )
        .replace("scale = \"log\"", "scale = \"log\"\nsteps = 61");
    let grid_file = write_default_corps_sweep(dir.path(), "grid", &grid);
    let grid_out = dir.path().join("grid");
    sweep(&grid_file, &grid_out, &[]);
    let rows = records(&out.join("boundary.csv"));
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let (crossings, ratio) = grid_crossings(&grid_out, &row[0]);
        assert!(crossings.iter().all(|c| c.is_finite()), "{crossings:?}");
        let grid_mean = crossings.iter().sum::<f64>() / crossings.len() as f64;
        let number = |i: usize| row[i].parse::<f64>().unwrap();
        let (estimate, low, high) = (number(1), number(2), number(3));
        assert_eq!(&row[4], "4", "every replicate crosses: {row:?}");
        // Each replicate's crossing is bracketed to 1%; the grid knows it to one step.
        assert!(
            (estimate / grid_mean).ln().abs() <= ratio.ln(),
            "{estimate} vs grid {grid_mean}"
        );
        assert!(
            low / ratio <= grid_mean && grid_mean <= high * ratio,
            "[{low}, {high}] misses the grid's {grid_mean}"
        );
        assert!(number(8) <= 8.0 + 4.0 * 7.0, "{row:?}");
    }
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap()
}

#[test]
fn boundary_results_are_the_same_bytes_across_threads_resume_and_shards() {
    let dir = TempDir::new().unwrap();
    let file = write_sweep(dir.path(), "boundary", BOUNDARY);
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &["--threads", "1"]);
    let files = [
        "boundary.csv",
        "points.csv",
        "sweep.csv",
        "sweep_summary.csv",
    ];

    let threaded = dir.path().join("threaded");
    sweep(&file, &threaded, &["--threads", "2"]);
    for name in files {
        assert!(
            read(&whole, name) == read(&threaded, name),
            "{name}: threads"
        );
    }

    // As if killed mid-search: the last parts of every search and the tables are gone.
    let resumed = dir.path().join("resumed");
    sweep(&file, &resumed, &[]);
    let mut parts: Vec<PathBuf> = fs::read_dir(resumed.join("parts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    for part in parts.iter().rev().take(parts.len() / 3) {
        fs::remove_file(part).unwrap();
    }
    for name in ["manifest.json", "boundary.csv", "sweep.csv"] {
        fs::remove_file(resumed.join(name)).unwrap();
    }
    sweep(&file, &resumed, &["--resume"]);
    for name in files {
        assert!(read(&whole, name) == read(&resumed, name), "{name}: resume");
    }

    let mut shards = Vec::new();
    for k in 1..=2 {
        let out = dir.path().join(format!("shard-{k}"));
        sweep(&file, &out, &["--shard", &format!("{k}/2")]);
        shards.push(out);
    }
    let merged = dir.path().join("merged");
    cadresim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    for name in files {
        assert!(read(&whole, name) == read(&merged, name), "{name}: merge");
    }
    assert!(merged.join("charts/boundary.svg").exists());
    let chart = fs::read_to_string(whole.join("charts/boundary.svg")).unwrap();
    assert!(chart.contains("Critical accountability.penalty where mean_innovation &lt; 0.25"));
}

#[test]
fn bad_boundary_designs_are_refused_in_one_line() {
    let dir = TempDir::new().unwrap();
    let cases = [
        (
            BOUNDARY.replace(
                "from = 0.5\nto = 32.0\nscale = \"log\"",
                "values = [1.0, 2.0]",
            ),
            "sweep.axis[0]",
        ),
        (
            BOUNDARY.replace("mean_innovation < 0.25", "mean_inovation < 0.25"),
            "mean_inovation",
        ),
        (
            BOUNDARY.replace("where = \"mean_innovation < 0.25\"\n", ""),
            "sweep.boundary.where",
        ),
        (
            BOUNDARY.replace("scale = \"log\"", "scale = \"log\"\nsteps = 4"),
            "sweep.axis[0].steps",
        ),
        (
            BOUNDARY.replace("precision = 0.01", "precision = 0.01\nmax_evaluations = 4"),
            "sweep.boundary.max_evaluations",
        ),
        (
            BOUNDARY.replace("design = \"boundary\"", "design = \"grid\""),
            "sweep.boundary",
        ),
    ];
    for (index, (body, expected)) in cases.iter().enumerate() {
        let file = write_sweep(dir.path(), &format!("bad-{index}"), body);
        let output = cadresim()
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(dir.path().join(format!("out-{index}")))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "case {index}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains(expected), "case {index}: {message}");
    }
}
