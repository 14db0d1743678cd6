//! Scenario discovery: PRIM finds a planted box, its trajectory is monotone in mass, and the
//! reported statistics are exactly what the box's limits give on the sweep's own tables.

use crate::common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use cadresim::discovery::prim::{self, Cases, Column, Limit};
use cadresim::rng::{Phase, ReplicateKey};
use common::{cadresim, SMALL};
use tempfile::TempDir;

/// Cases uniform on [0, 1]^3 plus a categorical column of 3 values; of interest with
/// probability 0.95 inside [0.2, 0.6] x [0.5, 0.9] (any x2, category 0 or 1) and 0.05 outside.
fn planted(n: usize) -> (Vec<Column>, Vec<bool>) {
    let mut stream = ReplicateKey::new(7, 0).stream(0, 0, Phase::Init);
    let mut numeric: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut codes = Vec::with_capacity(n);
    let mut outcome = Vec::with_capacity(n);
    for _ in 0..n {
        let x: Vec<f64> = (0..3).map(|_| stream.uniform()).collect();
        let code = stream.below(3);
        let inside = (0.2..=0.6).contains(&x[0]) && (0.5..=0.9).contains(&x[1]) && code < 2;
        outcome.push(stream.chance(if inside { 0.95 } else { 0.05 }));
        for (column, value) in numeric.iter_mut().zip(x) {
            column.push(value);
        }
        codes.push(code);
    }
    let mut columns: Vec<Column> = numeric.into_iter().map(Column::Numeric).collect();
    columns.push(Column::Categorical { codes, count: 3 });
    (columns, outcome)
}

fn overlap(limit: &Limit, low: f64, high: f64) -> f64 {
    match limit {
        Limit::Range(a, b) => (b.min(high) - a.max(low)).max(0.0) / (high - low),
        Limit::Values(_) => unreachable!(),
    }
}

#[test]
fn prim_finds_a_planted_box() {
    let (columns, outcome) = planted(6000);
    let cases = Cases {
        columns: &columns,
        outcome: &outcome,
    };
    let trajectory = prim::prim(&cases, &prim::Options::default());
    // The largest box on the trajectory that is dense enough.
    let found = trajectory
        .iter()
        .find(|b| b.density >= 0.85)
        .expect("a box of density >= 0.85");
    let planted_share = overlap(&found.limits[0], 0.2, 0.6) * overlap(&found.limits[1], 0.5, 0.9);
    let kept_categories = match &found.limits[3] {
        Limit::Values(kept) => (0..2).filter(|c| kept.contains(c)).count() as f64 / 2.0,
        Limit::Range(..) => unreachable!(),
    };
    assert!(
        planted_share * kept_categories >= 0.9,
        "the box holds {:.2} of the planted box: {:?}",
        planted_share * kept_categories,
        found.limits
    );
    // Peeling shrinks the box step by step, pasting then only widens it.
    let masses: Vec<f64> = trajectory.iter().map(|b| b.mass).collect();
    let turn = masses
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(
        masses[..=turn].windows(2).all(|w| w[1] < w[0]),
        "{masses:?}"
    );
    assert!(masses[turn..].windows(2).all(|w| w[1] > w[0]), "{masses:?}");
    // Every box's statistics are what its limits give.
    let all: Vec<usize> = (0..outcome.len()).collect();
    let interesting = outcome.iter().filter(|o| **o).count();
    for b in &trajectory {
        let inside = cases.inside(&b.limits, &all);
        let k = inside.iter().filter(|&&c| outcome[c]).count();
        assert_eq!((inside.len(), k), (b.n, b.k));
        assert_eq!(b.coverage, k as f64 / interesting as f64);
        assert_eq!(b.mass, inside.len() as f64 / outcome.len() as f64);
    }
}

const SWEEP: &str = r#"
[sweep]
design = "lhs"
samples = 40
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 16.0
scale = "log"

[[sweep.axis]]
param = "accountability.detection"
from = 0.1
to = 0.9

[[sweep.axis]]
param = "fault_tolerance.enabled"
values = [false, true]
"#;

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn reported_statistics_are_what_the_box_gives_on_the_sweep_tables() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("small.toml"), SMALL).unwrap();
    let file = tmp.path().join("sweep.toml");
    fs::write(&file, format!("base = \"small.toml\"\n{SWEEP}")).unwrap();
    let dir = tmp.path().join("sweep");
    let swept = cadresim()
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(swept.status.success());
    // The sweep's table: one line per point (40) after the header.
    let table = String::from_utf8_lossy(&swept.stdout).to_string();
    assert!(
        table.starts_with("point  accountability.penalty"),
        "{table}"
    );
    assert_eq!(
        table.lines().skip(1).filter(|l| l.contains(" [")).count(),
        40,
        "{table}"
    );
    let output = cadresim()
        .args([
            "discover",
            dir.to_str().unwrap(),
            "--where",
            "mean_innovation < 0.4",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("of this box, which holds"), "{stdout}");
    let out = dir.join("discover-mean_innovation-lt-0.4");
    for name in [
        "trajectory.csv",
        "box.csv",
        "discover.json",
        "manifest.json",
        "charts/discover-tradeoff.png",
        "charts/discover-box.svg",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    let record: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("discover.json")).unwrap()).unwrap();
    // Recompute the box from points.csv, sweep.csv and box.csv.
    let (point_header, points) = csv_rows(&dir.join("points.csv"));
    let labels: HashMap<&str, &Vec<String>> = points.iter().map(|p| (p[0].as_str(), p)).collect();
    let (_, restrictions) = csv_rows(&out.join("box.csv"));
    let (sweep_header, rows) = csv_rows(&dir.join("sweep.csv"));
    let column = |name: &str| sweep_header.iter().position(|h| h == name).unwrap();
    let (level, innovation) = (column("level"), column("mean_innovation"));
    let (mut n, mut k, mut total, mut interesting) = (0, 0, 0, 0);
    for row in rows.iter().filter(|r| r[level] == "all") {
        let point = labels[row[0].as_str()];
        let inside = restrictions.iter().all(|r| {
            let value = &point[point_header.iter().position(|h| *h == r[0]).unwrap()];
            if r[3].is_empty() {
                let x: f64 = value.parse().unwrap();
                r[1].parse::<f64>().unwrap() <= x && x <= r[2].parse::<f64>().unwrap()
            } else {
                r[3].split('|').any(|kept| kept == value)
            }
        });
        let hit = row[innovation].parse::<f64>().unwrap() < 0.4;
        total += 1;
        interesting += usize::from(hit);
        if inside {
            n += 1;
            k += usize::from(hit);
        }
    }
    assert_eq!(record["cases"], total);
    assert_eq!(
        record["coverage"].as_f64().unwrap(),
        k as f64 / interesting as f64
    );
    assert_eq!(record["density"].as_f64().unwrap(), k as f64 / n as f64);
    assert_eq!(record["mass"].as_f64().unwrap(), n as f64 / total as f64);
    // The same again is refused without --force; bad conditions are refused in one line.
    cadresim()
        .args([
            "discover",
            dir.to_str().unwrap(),
            "--where",
            "mean_innovation < 0.4",
        ])
        .assert()
        .code(2);
    for (condition, token) in [
        ("happiness < 1", "`happiness`"),
        ("welfare =< 1", "`=<`"),
        ("class == lazyish", "`lazyish`"),
        ("welfare < 1 or share_idle > 0", "`or`"),
    ] {
        let output = cadresim()
            .args(["discover", dir.to_str().unwrap(), "--where", condition])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(output.status.code(), Some(2), "{condition}: {stderr}");
        assert!(
            stderr.contains(token) && stderr.lines().count() == 1,
            "{stderr}"
        );
    }
}

/// A sweep over the penalty and `work.error_damage`, which enters only damage and welfare,
/// never a payoff: an inert parameter for innovation, planted beside the dummy factor.
const INERT: &str = r#"
[sweep]
design = "lhs"
samples = 60
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 16.0
scale = "log"

[[sweep.axis]]
param = "work.error_damage"
from = 0.5
to = 4.0
"#;

#[test]
fn bagged_prim_keeps_the_penalty_and_never_the_inert_parameter_or_the_dummy() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("small.toml"), SMALL).unwrap();
    let file = tmp.path().join("sweep.toml");
    fs::write(&file, format!("base = \"small.toml\"\n{INERT}")).unwrap();
    let dir = tmp.path().join("sweep");
    cadresim()
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ])
        .assert()
        .success();
    // The condition: below the median of mean innovation (half the cases of interest).
    let (header, rows) = csv_rows(&dir.join("sweep.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut innovation: Vec<f64> = rows
        .iter()
        .filter(|row| row[column("level")] == "all")
        .map(|row| row[column("mean_innovation")].parse().unwrap())
        .collect();
    innovation.sort_by(f64::total_cmp);
    let condition = format!("mean_innovation < {}", innovation[innovation.len() / 2]);
    let out = tmp.path().join("found");
    cadresim()
        .args([
            "discover",
            dir.to_str().unwrap(),
            "--where",
            &condition,
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (box_header, restrictions) = csv_rows(&out.join("box.csv"));
    assert_eq!(box_header.last().map(String::as_str), Some("inclusion"));
    let restricted: Vec<&str> = restrictions.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(restricted, ["accountability.penalty"], "{restrictions:?}");
    let inclusion: f64 = restrictions[0][5].parse().unwrap();
    assert!(inclusion >= 0.8, "{inclusion}");
    let record: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("discover.json")).unwrap()).unwrap();
    assert_eq!(record["spurious"], false);
    assert_eq!(record["resamples"], 100);
    assert_eq!(record["keep"], 0.8);
    // Plain PRIM (no bagging) writes no inclusion.
    let plain = tmp.path().join("plain");
    cadresim()
        .args(["discover", dir.to_str().unwrap(), "--where", &condition])
        .args(["--resamples", "0", "--out"])
        .arg(&plain)
        .assert()
        .success();
    let (_, plain_rows) = csv_rows(&plain.join("box.csv"));
    assert!(plain_rows.iter().all(|r| r[5].is_empty()), "{plain_rows:?}");
}
