//! `cadresim reproduce --quick` decides every claim the same way as the committed full run
//! (docs/RESULTS.md), and writes a figure and the numbers for each.

use std::fs;

use assert_cmd::Command;
use cadresim::reproduce::{self, verdicts_of};
use tempfile::TempDir;

#[test]
fn quick_reproduction_agrees_with_the_committed_results() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("reproduce");
    let output = Command::cargo_bin("cadresim")
        .unwrap()
        .args(["reproduce", "--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let quick = fs::read_to_string(out.join("RESULTS.md")).unwrap();
    let committed = fs::read_to_string("docs/RESULTS.md").unwrap();
    let quick_verdicts = verdicts_of(&quick);
    assert_eq!(quick_verdicts.len(), reproduce::CLAIMS.len());
    assert_eq!(
        quick_verdicts,
        verdicts_of(&committed),
        "quick and full verdicts differ"
    );
    let experiments = reproduce::load("scenarios/experiments.toml".as_ref()).unwrap();
    for claim in &experiments.claims {
        assert!(quick.contains(&claim.text), "{} missing", claim.id);
        assert!(
            committed.contains(&claim.text),
            "{} missing from docs",
            claim.id
        );
        let figure = out.join("figures").join(format!("{}.png", claim.id));
        assert!(
            fs::metadata(&figure).unwrap().len() > 10_000,
            "{}",
            figure.display()
        );
        assert!(std::path::Path::new("docs/figures")
            .join(format!("{}.png", claim.id))
            .exists());
    }
    assert!(quick.contains("quick mode"));
    assert!(quick.contains("## Which assumptions matter\n\nNot computed in quick mode"));
    assert!(committed.contains("full mode"));
    assert!(committed.contains("## Which assumptions matter"));
    assert!(committed.contains("matters most for mean_innovation"));
    assert!(committed.contains("(paired, r = "));
}

#[test]
fn the_experiments_manifest_names_existing_files() {
    let experiments = reproduce::load("scenarios/experiments.toml".as_ref()).unwrap();
    for group in &experiments.runs {
        for file in &group.files {
            assert!(file.exists(), "{}", file.display());
        }
    }
    for file in &experiments.sweeps {
        assert!(file.exists(), "{}", file.display());
    }
    for claim in &experiments.claims {
        for file in &claim.files {
            assert!(
                std::path::Path::new("scenarios").join(file).exists(),
                "{file}"
            );
        }
    }
}
