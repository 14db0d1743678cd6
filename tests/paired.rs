//! Paired comparisons under common random numbers: `compare --baseline` and `run --baseline`.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::common;
use common::{cadresim, SMALL};

/// Run scenario `body` named `name` into `dir/name`, with 5 replicates.
fn run_into(dir: &Path, name: &str, body: &str, extra: &[&str]) {
    let file = dir.join(format!("{name}.toml"));
    fs::write(&file, format!("name = \"{name}\"\n{body}")).unwrap();
    let out = dir.join(name);
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--replicates", "5"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `differences.csv` as (scenario, level, metric) -> the row's fields by column name.
fn differences(path: &Path) -> HashMap<(String, String, String), HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let fields: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(record.iter().map(String::from))
                .collect();
            let key = (
                fields["scenario"].clone(),
                fields["level"].clone(),
                fields["metric"].clone(),
            );
            (key, fields)
        })
        .collect()
}

fn compare(dir: &Path, names: &[&str], extra: &[&str]) -> std::process::Output {
    cadresim()
        .arg("compare")
        .args(names.iter().map(|name| dir.join(name)))
        .arg("--out")
        .arg(dir.join("cmp"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn an_irrelevant_difference_gives_exactly_zero_with_a_zero_width_interval() {
    let dir = TempDir::new().unwrap();
    run_into(dir.path(), "a", SMALL, &[]);
    // equilibrium.window only moves converged_at, not the simulation.
    run_into(
        dir.path(),
        "b",
        &format!("{SMALL}\n[equilibrium]\nwindow = 5\n"),
        &[],
    );
    let output = compare(dir.path(), &["a", "b"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = differences(&dir.path().join("cmp/differences.csv"));
    assert!(!rows.is_empty());
    for ((scenario, _, _), fields) in &rows {
        assert_eq!(scenario, "b");
        for column in ["difference", "ci95_low", "ci95_high", "sd"] {
            assert_eq!(fields[column].parse::<f64>().unwrap(), 0.0, "{fields:?}");
        }
    }
    assert!(dir.path().join("cmp/differences.png").exists());
}

#[test]
fn differences_equal_a_hand_computation_and_pairing_narrows_the_interval() {
    let dir = TempDir::new().unwrap();
    run_into(dir.path(), "base", SMALL, &[]);
    let variant = format!("{SMALL}\n[accountability]\npenalty = 2.0\n");
    run_into(dir.path(), "lenient", &variant, &[]);
    let output = compare(dir.path(), &["base", "lenient"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = differences(&dir.path().join("cmp/differences.csv"));
    // By hand from the two summary.csv files: welfare at the whole hierarchy, per replicate.
    let (base, lenient) = (
        welfare_of(&dir.path().join("base")),
        welfare_of(&dir.path().join("lenient")),
    );
    let diffs: Vec<f64> = lenient.iter().zip(&base).map(|(l, b)| l - b).collect();
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let row = &rows[&(
        "lenient".to_string(),
        "all".to_string(),
        "welfare".to_string(),
    )];
    let reported: f64 = row["difference"].parse().unwrap();
    assert!(
        (reported - mean).abs() < 1e-9 * mean.abs().max(1.0),
        "{reported} vs {mean}"
    );
    assert_eq!(row["n"], "5");
    // The paired half-width is below the sum of the two scenarios' own half-widths.
    let half = |values: &[f64]| {
        let n = values.len() as f64;
        let m = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        2.776_445 * sd / n.sqrt()
    };
    let paired_half =
        (row["ci95_high"].parse::<f64>().unwrap() - row["ci95_low"].parse::<f64>().unwrap()) / 2.0;
    assert!(paired_half < half(&base) + half(&lenient), "{paired_half}");
}

#[test]
fn a_missing_baseline_is_refused_in_one_line() {
    let dir = TempDir::new().unwrap();
    run_into(dir.path(), "one", SMALL, &[]);
    run_into(dir.path(), "three", SMALL, &[]);
    let output = compare(dir.path(), &["one", "three"], &["--baseline", "nowhere"]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("nowhere"), "{message}");
    let file = dir.path().join("one.toml");
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .args(["--baseline", "other", "--out"])
        .arg(dir.path().join("never"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !dir.path().join("never").exists(),
        "refused before anything is written"
    );
}

/// Whole-hierarchy welfare of every replicate of a result directory.
fn welfare_of(dir: &Path) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let (level, value) = (
        header.iter().position(|h| h == "level").unwrap(),
        header.iter().position(|h| h == "welfare").unwrap(),
    );
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[level] == "all")
        .map(|r| r[value].parse().unwrap())
        .collect()
}

#[test]
fn runs_that_cannot_be_paired_are_compared_by_welch_intervals_with_a_note() {
    let dir = TempDir::new().unwrap();
    run_into(dir.path(), "one", SMALL, &[]);
    run_into(dir.path(), "two", SMALL, &["--seed", "7"]);
    let output = compare(dir.path(), &["one", "two"], &["--overlay"]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{message}");
    assert!(
        message.contains(
            "note: `two` is compared with `one` unpaired (Welch intervals): seeds 7 and 1 differ"
        ),
        "{message}"
    );
    assert!(dir.path().join("cmp/overlay.svg").exists());
    let rows = differences(&dir.path().join("cmp/differences.csv"));
    let row = &rows[&("two".to_string(), "all".to_string(), "welfare".to_string())];
    assert_eq!(row["method"], "welch");
    assert_eq!((row["n"].as_str(), row["n_baseline"].as_str()), ("5", "5"));
    assert_eq!((row["sd"].as_str(), row["correlation"].as_str()), ("", ""));
    // By hand: the difference of means, and a half-width of t × se with Welch's 4..8 degrees
    // of freedom (t between 2.306 and 2.776).
    let (one, two) = (
        welfare_of(&dir.path().join("one")),
        welfare_of(&dir.path().join("two")),
    );
    let moments = |v: &[f64]| {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        (
            m,
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n,
        )
    };
    let ((m1, a), (m0, b)) = (moments(&two), moments(&one));
    let reported: f64 = row["difference"].parse().unwrap();
    assert!((reported - (m1 - m0)).abs() < 1e-9 * (m1 - m0).abs().max(1.0));
    let half =
        (row["ci95_high"].parse::<f64>().unwrap() - row["ci95_low"].parse::<f64>().unwrap()) / 2.0;
    let t = half / (a + b).sqrt();
    assert!((2.306..2.777).contains(&t), "{t}");
}

#[test]
fn one_directory_compares_its_own_scenarios() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    fs::write(&a, format!("name = \"a\"\n{SMALL}")).unwrap();
    fs::write(
        &b,
        format!("name = \"b\"\n{SMALL}\n[accountability]\npenalty = 2.0\n"),
    )
    .unwrap();
    let ran = cadresim()
        .arg("run")
        .args([&a, &b])
        .arg("--out")
        .arg(dir.path().join("both"))
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let output = compare(dir.path(), &["both"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = differences(&dir.path().join("cmp/differences.csv"));
    let row = &rows[&("b".to_string(), "all".to_string(), "welfare".to_string())];
    assert_eq!(row["method"], "paired");
    // The comparison has its manifest, and replays.
    let manifest = dir.path().join("cmp/manifest.json");
    let recorded: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(recorded["command"], "compare");
    assert!(recorded["files"]["differences.csv"].is_string());
    let replayed = cadresim().arg("replay").arg(&manifest).output().unwrap();
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert!(String::from_utf8_lossy(&replayed.stdout).contains("differences.csv identical"));
    // A directory with one scenario has nothing to compare: refused in one line.
    run_into(dir.path(), "alone", SMALL, &[]);
    let output = compare(dir.path(), &["alone"], &["--force"]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("holds one scenario, `alone`"), "{message}");
}
