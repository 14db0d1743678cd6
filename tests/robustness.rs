//! `cadresim reproduce --robustness N` on a small experiments manifest: the files it writes,
//! shares and intervals in range, the verdicts at the defaults equal to the ordinary
//! reproduction's, resume without redoing finished samples, the same bytes for any thread
//! count, shards whose samples a full run takes to the same bytes, parts of another build
//! resumed only with --mixed-versions, and refusals (a claim that does not name a regime
//! parameter, a changed resume, a shard of other settings).

use std::fs;
use std::path::Path;

use crate::common;

use cadresim::reproduce::verdicts_of;
use common::{as_if_computed_by, cadresim, computed_by, header, records, succeeded};
use tempfile::TempDir;

const MANIFEST: &str = "tests/data/robustness/experiments.toml";

fn reproduce(out: &Path, manifest: &Path, extra: &[&str]) -> std::process::Output {
    cadresim()
        .args(["reproduce", "--quick", "--out"])
        .arg(out)
        .arg("--experiments")
        .arg(manifest)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn robustness_writes_shares_and_agrees_with_the_ordinary_verdicts_at_the_defaults() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("reproduce");
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &["--robustness", "4", "--threads", "1"],
    ));
    let robust = out.join("robustness");
    for file in [
        "samples.csv",
        "verdicts.csv",
        "robustness.csv",
        "failures.csv",
        "manifest.json",
        "charts/robustness.png",
        "charts/robustness.svg",
    ] {
        assert!(robust.join(file).exists(), "{file} missing");
    }
    let samples = records(&robust.join("samples.csv"));
    assert_eq!(samples.len(), 5, "the defaults and 4 samples");
    let header = header(&robust.join("samples.csv"));
    assert!(header.iter().any(|h| h == "behaviour.aspiration_rate"));
    for named in [
        "accountability.lifelong",
        "targets.adaptive_markup",
        "run.steps",
    ] {
        assert!(!header.iter().any(|h| h == named), "{named} varied");
    }
    let verdicts = records(&robust.join("verdicts.csv"));
    assert_eq!(verdicts.len(), 5 * 2);
    let report = fs::read_to_string(out.join("RESULTS.md")).unwrap();
    let at_defaults: Vec<(String, bool)> = verdicts
        .iter()
        .filter(|row| &row[0] == "0")
        .map(|row| (row[1].to_string(), &row[2] == "true"))
        .collect();
    assert_eq!(at_defaults, verdicts_of(&report));
    for row in records(&robust.join("robustness.csv")) {
        let number = |i: usize| row[i].parse::<f64>().unwrap();
        let (share, low, high) = (number(3), number(4), number(5));
        assert!((0.0..=1.0).contains(&share), "{row:?}");
        assert!(low <= share && share <= high && high <= 1.0 && low >= 0.0);
        assert_eq!(&row[1], "4");
        assert!(!row[6].is_empty());
    }
    assert!(report.contains("## Robustness"));
    assert!(report.contains("![robustness](figures/robustness.png)"));
    assert!(out.join("figures/robustness.png").exists());
}

#[test]
fn a_resumed_robustness_run_keeps_finished_samples_and_gives_the_same_bytes() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("reproduce");
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &["--robustness", "3", "--threads", "1"],
    ));
    let robust = out.join("robustness");
    let verdicts = fs::read(robust.join("verdicts.csv")).unwrap();
    let kept = robust.join("parts/sample-000001.csv");
    let modified = fs::metadata(&kept).unwrap().modified().unwrap();
    // As if killed while running sample 2: its part and the manifest are gone.
    fs::remove_file(robust.join("parts/sample-000002.csv")).unwrap();
    fs::remove_file(robust.join("manifest.json")).unwrap();
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &["--robustness", "3", "--resume", "--threads", "2"],
    ));
    assert_eq!(fs::read(robust.join("verdicts.csv")).unwrap(), verdicts);
    assert_eq!(fs::metadata(&kept).unwrap().modified().unwrap(), modified);
    assert!(robust.join("parts/sample-000002.csv").exists());
    assert!(robust.join("manifest.json").exists());

    let changed = reproduce(&out, MANIFEST.as_ref(), &["--robustness", "5", "--resume"]);
    assert_eq!(changed.status.code(), Some(2));
    let message = String::from_utf8_lossy(&changed.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("--resume needs the same"), "{message}");
}

#[test]
fn parts_of_another_build_are_resumed_only_with_mixed_versions_and_recorded() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("reproduce");
    succeeded(&reproduce(&out, MANIFEST.as_ref(), &["--robustness", "2"]));
    let robust = out.join("robustness");
    let lock = robust.join("robustness.lock.json");
    let killed = || {
        let _ = fs::remove_file(robust.join("parts/sample-000002.csv"));
        let _ = fs::remove_file(robust.join("manifest.json"));
    };
    let refused = |needle: &str| {
        let output = reproduce(&out, MANIFEST.as_ref(), &["--robustness", "2", "--resume"]);
        assert_eq!(output.status.code(), Some(2));
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains(needle), "{message}");
        assert!(message.contains("--mixed-versions"), "{message}");
        assert!(!robust.join("parts/sample-000002.csv").exists());
    };
    // Killed under a build that recorded none (which stays on record once continued), then
    // under another build.
    let ours = as_if_computed_by(&lock, None);
    let mixed = ["--robustness", "2", "--resume", "--mixed-versions"];
    for _ in 0..2 {
        killed();
        refused("its parts were computed by an unrecorded cadresim build");
        succeeded(&reproduce(&out, MANIFEST.as_ref(), &mixed));
        assert_eq!(
            computed_by(&robust),
            serde_json::json!(["unrecorded", ours[0]])
        );
    }
    as_if_computed_by(&lock, Some(&["0.0.0-other (abc)"]));
    killed();
    refused("its parts were computed by cadresim 0.0.0-other (abc)");
    succeeded(&reproduce(&out, MANIFEST.as_ref(), &mixed));
    let both = serde_json::json!(["0.0.0-other (abc)", ours[0]]);
    assert_eq!(computed_by(&robust), both);
    // Resumed by this build alone, nothing else is recorded.
    as_if_computed_by(&lock, Some(&[ours[0].as_str().unwrap()]));
    killed();
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &["--robustness", "2", "--resume"],
    ));
    assert_eq!(computed_by(&robust), ours);
}

#[test]
fn shards_run_slices_of_the_samples_that_a_full_run_takes_to_the_same_bytes() {
    let dir = TempDir::new().unwrap();
    let plain = dir.path().join("plain");
    succeeded(&reproduce(
        &plain,
        MANIFEST.as_ref(),
        &["--robustness", "3", "--threads", "2"],
    ));
    let shard = |k: usize| dir.path().join(format!("shard-{k}"));
    for k in 1..=2 {
        let output = reproduce(
            &shard(k),
            MANIFEST.as_ref(),
            &[
                "--robustness",
                "3",
                "--shard",
                &format!("{k}/2"),
                "--threads",
                "1",
            ],
        );
        succeeded(&output);
        assert!(String::from_utf8_lossy(&output.stdout).contains("--from-shard"));
        // Nothing but the shard's samples: no runs, no report, a manifest naming its parts.
        assert!(!shard(k).join("runs").exists() && !shard(k).join("RESULTS.md").exists());
        let manifest = fs::read_to_string(shard(k).join("robustness/manifest.json")).unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(manifest["shard"], serde_json::json!([k, 2]));
        let parts: Vec<String> = manifest["files"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let expected: Vec<String> = (0..=3)
            .filter(|sample| sample % 2 == k - 1)
            .map(|sample| format!("parts/sample-{sample:06}.csv"))
            .collect();
        assert_eq!(parts, expected);
    }
    // A finished shard resumed is kept as it is: nothing runs, and its manifest still names
    // the build that computed it (here written as another build's).
    let manifest = shard(1).join("robustness/manifest.json");
    let original = fs::read_to_string(&manifest).unwrap();
    let mut other: serde_json::Value = serde_json::from_str(&original).unwrap();
    other["cadresim_version"] = serde_json::json!("0.0.0-other");
    let other = serde_json::to_string_pretty(&other).unwrap();
    fs::write(&manifest, &other).unwrap();
    let shard_lock = shard(1).join("robustness/robustness.lock.json");
    let ours = as_if_computed_by(&shard_lock, Some(&["0.0.0-other"]));
    let resumed = reproduce(
        &shard(1),
        MANIFEST.as_ref(),
        &["--robustness", "3", "--shard", "1/2", "--resume"],
    );
    succeeded(&resumed);
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("finished before, kept"));
    assert_eq!(fs::read_to_string(&manifest).unwrap(), other);
    fs::write(&manifest, &original).unwrap();
    // A shard of another build is taken only with --mixed-versions, which records its build.
    let from = |out: &str, mixed: &[&str]| {
        cadresim()
            .args(["reproduce", "--quick", "--robustness", "3", "--out"])
            .arg(dir.path().join(out))
            .arg("--experiments")
            .arg(MANIFEST)
            .args(mixed)
            .arg("--from-shard")
            .args([shard(1), shard(2)])
            .output()
            .unwrap()
    };
    let refused = from("other-build", &[]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("computed by cadresim 0.0.0-other"),
        "{message}"
    );
    succeeded(&from("mixed", &["--mixed-versions"]));
    let both = serde_json::json!([ours[0], "0.0.0-other"]);
    assert_eq!(computed_by(&dir.path().join("mixed/robustness")), both);
    as_if_computed_by(&shard_lock, Some(&[ours[0].as_str().unwrap()]));
    // The full run's dry run leaves out the samples the shards hold.
    let dry = |shards: &[std::path::PathBuf]| {
        let output = cadresim()
            .args([
                "reproduce",
                "--quick",
                "--robustness",
                "3",
                "--dry-run",
                "--out",
            ])
            .arg(dir.path().join("dry"))
            .arg("--experiments")
            .arg(MANIFEST)
            .args(if shards.is_empty() {
                vec![]
            } else {
                vec!["--from-shard"]
            })
            .args(shards)
            .output()
            .unwrap();
        succeeded(&output);
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let runs: u64 = text["dry run: ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        runs
    };
    let (all, some, none) = (dry(&[]), dry(&[shard(1)]), dry(&[shard(1), shard(2)]));
    assert!(all > some && some > none, "{all} {some} {none}");
    let full = dir.path().join("full");
    let output = cadresim()
        .args(["reproduce", "--quick", "--robustness", "3", "--out"])
        .arg(&full)
        .arg("--experiments")
        .arg(MANIFEST)
        .arg("--from-shard")
        .args([shard(1), shard(2)])
        .output()
        .unwrap();
    succeeded(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("4 samples taken from 2 shards"));
    for file in [
        "verdicts.csv",
        "robustness.csv",
        "failures.csv",
        "samples.csv",
    ] {
        assert_eq!(
            fs::read(full.join("robustness").join(file)).unwrap(),
            fs::read(plain.join("robustness").join(file)).unwrap(),
            "{file}"
        );
    }
    // An unfinished shard (no manifest) and a shard of other settings are refused in one
    // line, before anything runs.
    fs::remove_file(shard(2).join("robustness/manifest.json")).unwrap();
    let unfinished = cadresim()
        .args(["reproduce", "--quick", "--robustness", "3", "--out"])
        .arg(dir.path().join("unfinished"))
        .arg("--experiments")
        .arg(MANIFEST)
        .arg("--from-shard")
        .args([shard(1), shard(2)])
        .output()
        .unwrap();
    assert_eq!(unfinished.status.code(), Some(2));
    let message = String::from_utf8_lossy(&unfinished.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("has not finished"), "{message}");
    let other = dir.path().join("other");
    succeeded(&reproduce(
        &other,
        MANIFEST.as_ref(),
        &["--robustness", "2", "--shard", "2/2"],
    ));
    let refused = reproduce(
        &dir.path().join("refused"),
        MANIFEST.as_ref(),
        &["--robustness", "3", "--from-shard", other.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    let errors: Vec<&str> = message
        .lines()
        .filter(|line| !line.starts_with("reproduce: "))
        .collect();
    assert_eq!(errors.len(), 1, "{message}");
    assert!(
        errors[0].contains("not a robustness shard of the same"),
        "{message}"
    );
}

#[test]
fn a_regime_parameter_no_claim_names_is_refused() {
    let dir = TempDir::new().unwrap();
    let text = fs::read_to_string(MANIFEST).unwrap().replace(
        r#"regime = ["targets.adaptive_markup", "targets.markup_max"]"#,
        r#"regime = ["targets.markup_max"]"#,
    );
    let manifest = dir.path().join("unnamed.toml");
    let scenarios = format!("{}/scenarios/", env!("CARGO_MANIFEST_DIR"));
    let text = text.replace("../../../scenarios/", &scenarios);
    fs::write(&manifest, text).unwrap();
    let output = reproduce(&dir.path().join("out"), &manifest, &["--robustness", "2"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("claim.regime"), "{message}");
    assert!(message.contains("targets.adaptive_markup"), "{message}");
    assert!(message.contains("adaptive-markup"), "{message}");
}

/// A calibration directory holding only what `--posterior` reads: a posterior of two
/// particles over one varied key and one the claims name.
fn posterior_dir(dir: &Path, keys: &str) -> std::path::PathBuf {
    let calibration = dir.join("calibration");
    fs::create_dir_all(&calibration).unwrap();
    fs::write(calibration.join("manifest.json"), "{}").unwrap();
    fs::write(
        calibration.join("posterior.csv"),
        format!("weight,{keys}\n0.25,0.1,1\n0.75,0.3,1\n"),
    )
    .unwrap();
    calibration
}

#[test]
fn posterior_draws_replace_the_calibrated_factors_and_results_report_both_checks() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("reproduce");
    let calibration = posterior_dir(
        dir.path(),
        "behaviour.aspiration_rate,accountability.lifelong",
    );
    succeeded(&reproduce(
        &out,
        MANIFEST.as_ref(),
        &[
            "--robustness",
            "4",
            "--threads",
            "1",
            "--posterior",
            calibration.to_str().unwrap(),
        ],
    ));
    let column = |dir: &str| -> Vec<String> {
        let path = out.join(dir).join("samples.csv");
        let mut reader = csv::Reader::from_path(path).unwrap();
        let index = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "behaviour.aspiration_rate")
            .unwrap();
        reader
            .records()
            .skip(1)
            .map(|r| r.unwrap()[index].to_string())
            .collect()
    };
    // Systematic resampling of 4 draws from weights 1/4, 3/4: one 0.1 and three 0.3.
    let mut drawn = column("robustness-posterior");
    drawn.sort();
    assert_eq!(drawn, ["0.1", "0.3", "0.3", "0.3"]);
    assert!(column("robustness")
        .iter()
        .all(|v| v != "0.1" && v != "0.3"));
    let manifest = fs::read_to_string(out.join("robustness-posterior/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"behaviour.aspiration_rate\""),
        "{manifest}"
    );
    let report = fs::read_to_string(out.join("RESULTS.md")).unwrap();
    assert!(report.contains("## Robustness: do the claims"));
    assert!(report.contains("## Robustness on the calibrated posterior"));
    assert!(report.contains("![robustness](figures/robustness-posterior.png)"));
    assert!(out.join("figures/robustness-posterior.png").exists());
}

#[test]
fn a_posterior_that_calibrated_no_varied_factor_is_refused() {
    let dir = TempDir::new().unwrap();
    let calibration = posterior_dir(dir.path(), "accountability.lifelong,run.steps");
    let output = reproduce(
        &dir.path().join("out"),
        MANIFEST.as_ref(),
        &[
            "--robustness",
            "2",
            "--posterior",
            calibration.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("posterior.csv"), "{message}");
    assert!(message.contains("none of its calibrated keys"), "{message}");
    let missing = reproduce(
        &dir.path().join("out2"),
        MANIFEST.as_ref(),
        &["--robustness", "2", "--posterior", "/nonexistent"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no manifest.json"));
    // A calibration that is --out, or lies in it, is never replaced by the reproduction.
    let good = posterior_dir(
        dir.path(),
        "behaviour.aspiration_rate,accountability.lifelong",
    );
    let posterior = fs::read_to_string(good.join("posterior.csv")).unwrap();
    for out in [good.clone(), dir.path().to_path_buf()] {
        let args = ["--robustness", "2", "--force", "--posterior"];
        let refused = reproduce(
            &out,
            MANIFEST.as_ref(),
            &[&args[..], &[good.to_str().unwrap()]].concat(),
        );
        assert_eq!(refused.status.code(), Some(2));
        let message = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains("--posterior lies in --out"), "{message}");
        assert_eq!(
            fs::read_to_string(good.join("posterior.csv")).unwrap(),
            posterior
        );
    }
}

#[test]
fn claims_whose_effects_are_not_clear_are_decided_by_a_second_stage() {
    let dir = TempDir::new().unwrap();
    let scenarios = format!("{}/scenarios/", env!("CARGO_MANIFEST_DIR"));
    let with = |section: &str| {
        fs::read_to_string(MANIFEST)
            .unwrap()
            .replace("../../../scenarios/", &scenarios)
            .replace("[[run]]", &format!("[robustness]\n{section}\n\n[[run]]"))
    };
    let manifest = dir.path().join("two-stage.toml");
    fs::write(&manifest, with("replicates = 2\nconfirm_replicates = 3")).unwrap();
    let one_stage = dir.path().join("one-stage.toml");
    fs::write(&one_stage, with("replicates = 2")).unwrap();
    let out = dir.path().join("out");
    succeeded(&reproduce(&out, &manifest, &["--robustness", "4"]));
    let first = dir.path().join("first");
    succeeded(&reproduce(&first, &one_stage, &["--robustness", "4"]));
    let verdicts = records(&out.join("robustness/verdicts.csv"));
    let first_stage = records(&first.join("robustness/verdicts.csv"));
    let (mut confirmed, mut redecided) = (0, 0);
    for (sample, first_sample) in verdicts.chunks(2).zip(first_stage.chunks(2)) {
        // sample, claim, holds, effect, replicates: a claim decided by the first stage keeps
        // its verdict and effect there; only the unclear ones are decided again.
        for (row, first_row) in sample.iter().zip(first_sample) {
            assert!(["2", "3"].contains(&&row[4]), "{row:?}");
            if &row[4] == "2" {
                assert_eq!(row, first_row);
            }
        }
        let again = sample.iter().filter(|row| &row[4] == "3").count();
        if &sample[0][0] != "0" && again > 0 {
            confirmed += 1;
            redecided += again;
        }
    }
    // With 2 replicates a paired interval has 1 degree of freedom: most effects are unclear.
    assert!(confirmed > 0, "{verdicts:?}");
    let report = fs::read_to_string(out.join("RESULTS.md")).unwrap();
    let expected =
        format!("The second stage decided {redecided} verdicts at {confirmed} of the 4 samples.");
    assert!(report.contains(&expected), "{report}");

    let refused = dir.path().join("refused.toml");
    fs::write(
        &refused,
        fs::read_to_string(&manifest)
            .unwrap()
            .replace("confirm_replicates = 3", "confirm_replicates = 1"),
    )
    .unwrap();
    let output = reproduce(&dir.path().join("out2"), &refused, &["--robustness", "2"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("robustness.confirm_replicates"),
        "{message}"
    );
}
