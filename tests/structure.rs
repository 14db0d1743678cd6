//! `cadresim reproduce --structure` on a small experiments manifest (two claims, two switches,
//! four cells): the files it writes, a cell that sets a claim's regime parameter not counted
//! for it, the reference cell agreeing with the ordinary verdicts, resume without redoing
//! finished cells and with the same bytes on another thread count, and one-line refusals.

use std::fs;
use std::path::Path;

use crate::common;

use cadresim::reproduce::verdicts_of;
use common::{as_if_computed_by, cadresim, computed_by, records, succeeded};
use tempfile::TempDir;

const MANIFEST: &str = "tests/data/structure/experiments.toml";

fn reproduce(out: &Path, manifest: &Path, extra: &[&str]) -> std::process::Output {
    cadresim()
        .args(["reproduce", "--quick", "--structure", "--out"])
        .arg(out)
        .arg("--experiments")
        .arg(manifest)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn the_factorial_decides_each_claim_where_it_can_and_resumes() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("reproduce");
    succeeded(&reproduce(&out, MANIFEST.as_ref(), &["--threads", "1"]));
    let structure = out.join("structure");
    for file in [
        "cells.csv",
        "verdicts.csv",
        "structure.csv",
        "manifest.json",
        "charts/structure.png",
        "charts/structure.svg",
    ] {
        assert!(structure.join(file).exists(), "{file} missing");
    }
    let cells: Vec<Vec<String>> = records(&structure.join("cells.csv"))
        .iter()
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        cells,
        [
            ["0", "off", "on"],
            ["1", "off", "off"],
            ["2", "on", "on"],
            ["3", "on", "off"]
        ]
    );
    // cell, claim, applicable, holds, effect: lifelong cannot be decided where every
    // scenario is lifelong.
    let verdicts = records(&structure.join("verdicts.csv"));
    assert_eq!(verdicts.len(), 4 * 2);
    for row in &verdicts {
        let applicable = !(&row[1] == "lifelong" && (&row[0] == "2" || &row[0] == "3"));
        assert_eq!(
            &row[2],
            if applicable { "true" } else { "false" },
            "{row:?}"
        );
        assert_eq!(row[4].is_empty(), !applicable, "{row:?}");
    }
    let report = fs::read_to_string(out.join("RESULTS.md")).unwrap();
    let reference: Vec<(String, bool)> = verdicts
        .iter()
        .filter(|row| &row[0] == "0")
        .map(|row| (row[1].to_string(), &row[3] == "true"))
        .collect();
    assert_eq!(reference, verdicts_of(&report));
    let shares = records(&structure.join("structure.csv"));
    assert_eq!(shares.len(), 2 * 4);
    let lifelong_on = shares
        .iter()
        .find(|r| &r[0] == "lifelong" && &r[1] == "lifelong" && &r[2] == "on")
        .unwrap();
    assert_eq!((&lifelong_on[3], &lifelong_on[5]), ("0", ""));
    assert!(report.contains("## Structural robustness: which claims need which switch?"));
    assert!(report
        .contains("| claim | holds in | lifelong: off | lifelong: on | veto: on | veto: off |"));
    assert!(report.contains("![structural robustness](figures/structure.png)"));
    assert!(out.join("figures/structure.png").exists());

    let bytes = fs::read(structure.join("verdicts.csv")).unwrap();
    let kept = structure.join("parts/cell-000001.csv");
    let modified = fs::metadata(&kept).unwrap().modified().unwrap();
    // As if killed while running cell 3: its part and the manifest are gone.
    fs::remove_file(structure.join("parts/cell-000003.csv")).unwrap();
    fs::remove_file(structure.join("manifest.json")).unwrap();
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &["--resume", "--threads", "2"],
    ));
    assert_eq!(fs::read(structure.join("verdicts.csv")).unwrap(), bytes);
    assert_eq!(fs::metadata(&kept).unwrap().modified().unwrap(), modified);
    assert!(structure.join("manifest.json").exists());

    // Cells of another build are resumed only with --mixed-versions, which records both.
    let ours = as_if_computed_by(
        &structure.join("structure.lock.json"),
        Some(&["0.0.0-other (abc)"]),
    );
    fs::remove_file(structure.join("parts/cell-000003.csv")).unwrap();
    fs::remove_file(structure.join("manifest.json")).unwrap();
    let refused = reproduce(&out, MANIFEST.as_ref(), &["--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("computed by cadresim 0.0.0-other (abc)"));
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &["--resume", "--mixed-versions"],
    ));
    let both = serde_json::json!(["0.0.0-other (abc)", ours[0]]);
    assert_eq!(computed_by(&structure), both);
    assert_eq!(fs::read(structure.join("verdicts.csv")).unwrap(), bytes);

    // Resuming with other settings is refused in one line, and nothing is removed.
    let scenarios = format!("{}/scenarios/", env!("CARGO_MANIFEST_DIR"));
    let other = dir.path().join("other.toml");
    let text = fs::read_to_string(MANIFEST)
        .unwrap()
        .replace("../../../scenarios/", &scenarios)
        .replacen("replicates = 2", "replicates = 3", 1);
    fs::write(&other, text).unwrap();
    let refused = reproduce(&out, &other, &["--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("--resume needs the same"), "{message}");
    assert_eq!(fs::read(structure.join("verdicts.csv")).unwrap(), bytes);
}

#[test]
fn structure_without_switches_or_with_a_scheduled_switch_is_refused_in_one_line() {
    let dir = TempDir::new().unwrap();
    let scenarios = format!("{}/scenarios/", env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(MANIFEST)
        .unwrap()
        .replace("../../../scenarios/", &scenarios);
    let start = text.find("[structure]").unwrap();
    let end = text.find("[[claim]]").unwrap();
    let without = dir.path().join("without.toml");
    fs::write(&without, format!("{}{}", &text[..start], &text[end..])).unwrap();
    // history.toml schedules accountability.lifelong: the lifelong switch would hold only
    // until the scheduled step (quick's steps must reach the schedule, or loading refuses
    // first).
    let scheduled = dir.path().join("scheduled.toml");
    fs::write(
        &scheduled,
        text.replacen("steps = 30", "steps = 150", 1).replace(
            "ft-no-correction.toml\"]",
            &format!("ft-no-correction.toml\", \"{scenarios}history.toml\"]"),
        ),
    )
    .unwrap();
    for (manifest, expected) in [
        (&without, "--structure needs a [structure] section"),
        (&scheduled, "changes in its schedule"),
    ] {
        let output = reproduce(&dir.path().join("out"), manifest, &[]);
        assert_eq!(output.status.code(), Some(2), "{}", manifest.display());
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains(expected), "{message}");
    }
}
