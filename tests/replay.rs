//! `cadresim replay` on every kind of manifest: sweeps (grid, Sobol' with its sensitivity
//! tables, boundary), a discovery and a DiD study re-run and match; an edited table is
//! named; a manifest of a kind that cannot be replayed is refused in one line.

use std::fs;
use std::path::Path;

use crate::common;
use common::{cadresim, succeeded, Files};

fn run(args: &[&str]) -> std::process::Output {
    cadresim().args(args).output().unwrap()
}

fn replay(manifest: &Path) -> std::process::Output {
    cadresim().arg("replay").arg(manifest).output().unwrap()
}

/// Replay `manifest`: it must match, naming `tables` among the tables it compared.
fn matches(manifest: &Path, tables: &[&str]) {
    let output = replay(manifest);
    succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("replay matches: "), "{stdout}");
    for table in tables {
        assert!(stdout.contains(table), "{table} not compared: {stdout}");
    }
}

const SOBOL: &str = r#"
base = "small.toml"

[sweep]
design = "sobol"
samples = 8
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 12.0

[[sweep.axis]]
param = "targets.markup_max"
from = 0.1
to = 0.6
"#;

const BOUNDARY: &str = r#"
base = "small.toml"

[sweep]
design = "boundary"
replicates = 2

[sweep.boundary]
where = "mean_innovation < 0.3"
precision = 0.1

[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 32.0
scale = "log"
"#;

#[test]
fn sweeps_of_every_kind_and_their_discoveries_replay_and_an_edited_table_is_named() {
    let files = Files::new();
    fs::write(files.path("sobol.toml"), SOBOL).unwrap();
    fs::write(files.path("boundary.toml"), BOUNDARY).unwrap();
    for (file, out) in [
        ("sweep.toml", "grid"),
        ("sobol.toml", "sobol"),
        ("boundary.toml", "boundary"),
    ] {
        let output = run(&["sweep", &files.arg(file), "--out", &files.arg(out)]);
        succeeded(&output);
        // A boundary sweep prints its critical values with their intervals at the end.
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            stdout.contains(
                "critical values (boundary.csv):\ncrossing of accountability.penalty [95% CI]"
            ),
            out == "boundary",
            "{stdout}"
        );
    }
    matches(
        &files.path("grid/manifest.json"),
        &["sweep.csv", "points.csv"],
    );
    matches(
        &files.path("sobol/manifest.json"),
        &["sensitivity.csv", "sensitivity_convergence.csv"],
    );
    matches(&files.path("boundary/manifest.json"), &["boundary.csv"]);

    succeeded(&run(&[
        "discover",
        &files.arg("grid"),
        "--where",
        "mean_innovation < 0.4",
    ]));
    let discovery = files.path("grid/discover-mean_innovation-lt-0.4/manifest.json");
    matches(&discovery, &["box.csv", "trajectory.csv"]);

    // An edited table: the replay fails and names it (exit 1, one line).
    let table = files.path("grid/sweep_summary.csv");
    let text = fs::read_to_string(&table).unwrap();
    fs::write(&table, text.replacen("0.", "1.", 1)).unwrap();
    let output = replay(&files.path("grid/manifest.json"));
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{message}");
    let errors: Vec<&str> = message
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{message}");
    assert!(errors[0].contains("sweep_summary.csv"), "{message}");
}

#[test]
fn a_did_study_replays_from_its_recorded_scenario_and_settings() {
    let files = Files::new();
    let out = files.path("did");
    succeeded(&run(&[
        "did",
        "scenarios/staggered-adoption.toml",
        "--replicates",
        "2",
        "--leads",
        "3",
        "--lags",
        "4",
        "--out",
        &files.arg("did"),
    ]));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["settings"]["leads"], 3);
    assert_eq!(manifest["settings"]["observe"], "exact");
    matches(
        &out.join("manifest.json"),
        &["att.csv", "panel.csv", "did_summary.csv"],
    );
}

#[test]
fn replay_refuses_in_one_line_what_it_cannot_replay() {
    let files = Files::new();
    fs::write(
        files.path("manifest.json"),
        r#"{"command": "reproduce --robustness", "files": {}}"#,
    )
    .unwrap();
    fs::write(files.path("broken.json"), "{ not json").unwrap();
    for (name, needle) in [
        (
            "manifest.json",
            "a `reproduce --robustness` manifest cannot be replayed",
        ),
        ("broken.json", "not a cadresim manifest"),
    ] {
        let output = replay(&files.path(name));
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
        assert!(message.contains(needle), "{message}");
    }
}

#[test]
fn a_replay_into_an_occupied_out_is_refused_without_force() {
    let files = Files::new();
    succeeded(&run(&[
        "sweep",
        &files.arg("sweep.toml"),
        "--out",
        &files.arg("grid"),
    ]));
    fs::create_dir(files.path("kept")).unwrap();
    fs::write(files.path("kept/notes.txt"), "mine").unwrap();
    let output = cadresim()
        .arg("replay")
        .arg(files.path("grid/manifest.json"))
        .arg("--out")
        .arg(files.path("kept"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(files.path("kept/notes.txt")).unwrap(),
        "mine"
    );
}
