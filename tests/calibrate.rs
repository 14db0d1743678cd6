//! `cadresim calibrate` on the planted-truth calibration (scenarios/calibration/tiny.toml):
//! the truth inside the posterior's 90% intervals, the inert control not identified, the
//! planted values reproduced, results identical for any thread count, the method check's
//! tables, and one-line refusals of bad calibration files.

use crate::common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use common::{cadresim, header, index, records, succeeded};

const TINY: &str = "scenarios/calibration/tiny.toml";

fn calibrate(file: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    cadresim()
        .args(["calibrate", file, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// parameters.csv as key -> (post_q05, post_q95, sd_ratio, identified).
fn parameters(dir: &Path) -> HashMap<String, (f64, f64, f64, bool)> {
    records(&dir.join("parameters.csv"))
        .iter()
        .map(|r| {
            let number = |i: usize| r[i].parse::<f64>().unwrap();
            (
                r[0].to_string(),
                (number(5), number(6), number(7), &r[8] == "true"),
            )
        })
        .collect()
}

#[test]
fn the_planted_truth_is_recovered_and_the_inert_control_is_not_identified() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny");
    let output = calibrate(TINY, &out, &[]);
    succeeded(&output);
    let found = parameters(&out);
    for (key, truth) in [
        ("accountability.penalty", 4.0),
        ("accountability.detection", 0.5),
    ] {
        let (low, high, sd_ratio, identified) = found[key];
        assert!(
            (low..=high).contains(&truth),
            "{key}: {truth} outside [{low}, {high}]"
        );
        assert!(identified && sd_ratio <= 0.5, "{key}: sd ratio {sd_ratio}");
    }
    let (_, _, sd_ratio, identified) = found["work.error_damage"];
    assert!(
        !identified && sd_ratio >= 0.9,
        "inert control: sd ratio {sd_ratio}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "calibrate");
    for file in [
        "runs.csv",
        "waves.csv",
        "emulators.csv",
        "generations.csv",
        "parameters.csv",
        "posterior.csv",
        "predictive.csv",
    ] {
        assert!(
            manifest["files"][file].is_string(),
            "{file} not in the manifest"
        );
    }
    // The stochastic acceptor's temperatures fall to exactly 1 at the last generation.
    let generations = records(&out.join("generations.csv"));
    let temperatures: Vec<f64> = generations[1..]
        .iter()
        .map(|r| r[2].parse().unwrap())
        .collect();
    assert_eq!(generations.len(), 11);
    assert_eq!(temperatures.last(), Some(&1.0));
    assert!(temperatures.windows(2).all(|t| t[1] <= t[0]));
    let waves = records(&out.join("waves.csv"));
    let shares: Vec<f64> = waves.iter().map(|r| r[3].parse().unwrap()).collect();
    assert!(shares[0] < 1.0 && shares.windows(2).all(|w| w[1] <= w[0] * 1.05));
    // Every design run has its own seed, seed + 2^33 + run counted over all waves: the last
    // wave's last run, simulated again with the seed and values runs.csv names, gives its
    // mean innovation.
    assert!(waves.len() >= 2, "{waves:?}");
    let runs = records(&out.join("runs.csv"));
    let seeds: std::collections::HashSet<&str> = runs.iter().map(|r| &r[2]).collect();
    assert_eq!(seeds.len(), runs.len());
    let last = runs.last().unwrap();
    let index: u64 = last[1].parse().unwrap();
    assert_eq!(last[2], (1 + (1u64 << 33) + index).to_string());
    let again = mean_innovation_at(dir.path(), last);
    let recorded: f64 = last[6].parse().unwrap();
    assert!((again - recorded).abs() <= 1e-12, "{again} vs {recorded}");
    // A second calibration into the same directory is refused, not merged.
    let again = calibrate(TINY, &out, &[]);
    assert_eq!(again.status.code(), Some(2));
}

/// The base scenario of tiny.toml run at a row of runs.csv (its seed and parameter values):
/// mean innovation over steps 20-39 of the whole hierarchy, averaged over the replicates.
fn mean_innovation_at(dir: &Path, row: &csv::StringRecord) -> f64 {
    let base = fs::read_to_string("scenarios/calibration/tiny-base.toml").unwrap();
    let file = dir.join("again.toml");
    fs::write(
        &file,
        format!(
            "{base}\n[accountability]\npenalty = {}\ndetection = {}\n[work]\nerror_damage = {}\n",
            &row[3], &row[4], &row[5]
        ),
    )
    .unwrap();
    let out = dir.join("again");
    succeeded(
        &cadresim()
            .arg("run")
            .arg(&file)
            .args(["--seed", &row[2], "--out"])
            .arg(&out)
            .output()
            .unwrap(),
    );
    let path = out.join("timeseries.csv");
    let head = header(&path);
    let [replicate, step, level, innovation] =
        ["replicate", "step", "level", "mean_innovation"].map(|name| index(&head, name));
    let mut per_replicate = std::collections::BTreeMap::<String, (f64, f64)>::new();
    for record in records(&path).iter().filter(|r| &r[level] == "all") {
        let at: u64 = record[step].parse().unwrap();
        if (20..=39).contains(&at) {
            let entry = per_replicate
                .entry(record[replicate].to_string())
                .or_default();
            entry.0 += record[innovation].parse::<f64>().unwrap();
            entry.1 += 1.0;
        }
    }
    let means: Vec<f64> = per_replicate.values().map(|(sum, n)| sum / n).collect();
    means.iter().sum::<f64>() / means.len() as f64
}

/// The planted values in tiny.toml are the base scenario's at the truth (seed 99, 32
/// replicates), within 1% (the file gives three digits).
#[test]
fn the_planted_values_are_the_models_at_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string("scenarios/calibration/tiny-base.toml").unwrap();
    let truth = dir.path().join("truth.toml");
    fs::write(
        &truth,
        format!("{base}\n[accountability]\npenalty = 4.0\ndetection = 0.5\n"),
    )
    .unwrap();
    let out = dir.path().join("truth");
    succeeded(
        &cadresim()
            .args([
                "run",
                truth.to_str().unwrap(),
                "--seed",
                "99",
                "--replicates",
                "32",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap(),
    );
    let series = out.join("timeseries.csv");
    let head = header(&series);
    let column = |name: &str| index(&head, name);
    let (step, level) = (column("step"), column("level"));
    let metrics = [
        ("mean_innovation", 1.0, 0.314),
        ("sanctioned", 150.0, 0.0316),
        ("errors", 150.0, 0.063),
    ];
    let columns = metrics.map(|(name, _, _)| column(name));
    let mut sums = [0.0; 3];
    let mut rows = 0.0;
    for record in records(&series) {
        let s: u64 = record[step].parse().unwrap();
        if &record[level] == "all" && (20..=39).contains(&s) {
            rows += 1.0;
            for (sum, &c) in sums.iter_mut().zip(&columns) {
                *sum += record[c].parse::<f64>().unwrap();
            }
        }
    }
    for (i, (name, cadres, planted)) in metrics.iter().enumerate() {
        let value = sums[i] / rows / cadres;
        assert!(
            (value - planted).abs() <= 0.01 * planted,
            "{name}: {value} vs {planted}"
        );
    }
}

#[test]
fn calibration_is_the_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    succeeded(&calibrate(TINY, &one, &["--threads", "1"]));
    succeeded(&calibrate(TINY, &two, &["--threads", "2"]));
    for file in [
        "runs.csv",
        "posterior.csv",
        "parameters.csv",
        "predictive.csv",
    ] {
        assert!(
            fs::read(one.join(file)).unwrap() == fs::read(two.join(file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn validated_emulator_variances_are_scaled_by_their_held_out_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize("scenarios/calibration/tiny-base.toml").unwrap();
    let text = fs::read_to_string(TINY).unwrap().replace(
        "base = \"tiny-base.toml\"",
        &format!("base = {:?}", base.display().to_string()),
    );
    let validated = dir.path().join("validated.toml");
    fs::write(
        &validated,
        text.replace(
            "[calibrate]\n",
            "[calibrate]\nemulator_variance = \"validated\"\n",
        ),
    )
    .unwrap();
    let (fitted_out, validated_out) = (dir.path().join("fitted"), dir.path().join("validated"));
    succeeded(&calibrate(TINY, &fitted_out, &[]));
    succeeded(&calibrate(validated.to_str().unwrap(), &validated_out, &[]));
    let scales: Vec<(String, f64)> = records(&validated_out.join("emulators.csv"))
        .iter()
        .map(|r| (r[0].to_string(), r[5].parse::<f64>().unwrap()))
        .collect();
    assert!(scales.iter().all(|(_, s)| *s >= 1.0), "{scales:?}");
    // The held-out errors, and so the scales, are the same with either setting in wave 1
    // (its emulators are fitted before any is used).
    let fitted = records(&fitted_out.join("emulators.csv"));
    assert_eq!(fitted[0], records(&validated_out.join("emulators.csv"))[0]);
    // Every wave's emulators are scaled: a scaled wave changes the region the next designs
    // and ABC-SMC range over, so the posterior changes exactly when some wave scales.
    let scaled = scales.iter().any(|(_, s)| *s > 1.0);
    let same = fs::read(fitted_out.join("posterior.csv")).unwrap()
        == fs::read(validated_out.join("posterior.csv")).unwrap();
    assert_eq!(
        same, !scaled,
        "the posterior changes exactly when some wave scales: {scales:?}"
    );
}

#[test]
fn the_method_check_writes_ranks_and_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(TINY)
        .unwrap()
        .replace(
            "base = \"tiny-base.toml\"",
            &format!(
                "base = {:?}",
                fs::canonicalize("scenarios/calibration/tiny-base.toml").unwrap()
            ),
        )
        .replace("population = 1000", "population = 200")
        .replace("generations = 10", "generations = 4")
        .replace("budget = 240", "budget = 70");
    let file = dir.path().join("tiny-check.toml");
    fs::write(&file, text).unwrap();
    let out = dir.path().join("check");
    succeeded(&calibrate(file.to_str().unwrap(), &out, &["--check", "8"]));
    let check = records(&out.join("check.csv"));
    assert_eq!(check.len(), 8 * 3);
    let coverage = records(&out.join("coverage.csv"));
    assert_eq!(coverage.len(), 3);
    for row in &coverage {
        let c50: f64 = row[1].parse().unwrap();
        let c90: f64 = row[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&c50) && c50 <= c90, "{row:?}");
        let p: f64 = row[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
    }
    // Killed after its first dataset, the check resumes to the same tables.
    let cut = dir.path().join("cut");
    let file = file.to_str().unwrap();
    interrupt(
        &[file, "--check", "8", "--threads", "1"],
        &cut,
        "dataset-0000.json",
    );
    succeeded(&calibrate(
        file,
        &cut,
        &["--check", "8", "--threads", "1", "--resume"],
    ));
    for table in ["check.csv", "coverage.csv", "runs.csv"] {
        assert!(
            fs::read(out.join(table)).unwrap() == fs::read(cut.join(table)).unwrap(),
            "{table} differs"
        );
    }
}

/// A calibration file with `body` after `base`, in a directory beside the tiny base.
fn refused(body: &str, key: &str) {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize("scenarios/calibration/tiny-base.toml").unwrap();
    let file = dir.path().join("bad.toml");
    fs::write(
        &file,
        format!("base = {:?}\n{body}", base.display().to_string()),
    )
    .unwrap();
    let output = calibrate(file.to_str().unwrap(), &dir.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(2), "{body}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad.toml") && stderr.contains(key),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing written: {body}");
}

const PARAMETER: &str =
    "[[calibrate.parameter]]\nkey = \"accountability.penalty\"\nrange = [1.0, 8.0]\n";
const TARGET: &str = "[[calibrate.target]]\nname = \"innovation\"\nmetric = \"mean_innovation\"\nsteps = [20, 39]\nvalue = 0.3\nsd_obs = 0.01\nsd_discrepancy = 0.01\nsource = \"test\"\n";

#[test]
fn bad_calibration_files_are_refused_in_one_line() {
    refused(
        &format!("[calibrate]\nbudjet = 10\n{PARAMETER}{TARGET}"),
        "calibrate.budjet",
    );
    refused(
        &format!(
            "[calibrate]\n[[calibrate.parameter]]\nkey = \"accountability.penalty\"\n{TARGET}"
        ),
        "calibrate.parameter[0].range",
    );
    refused(
        &format!("[calibrate]\n[[calibrate.parameter]]\nkey = \"accountability.penality\"\nrange = [1.0, 2.0]\n{TARGET}"),
        "calibrate.parameter[0].key",
    );
    refused(
        &format!(
            "[calibrate]\n{PARAMETER}{}",
            TARGET.replace("mean_innovation", "innovation")
        ),
        "calibrate.target[0].metric",
    );
    refused(
        &format!(
            "[calibrate]\n{PARAMETER}{}",
            TARGET.replace("[20, 39]", "[20, 40]")
        ),
        "calibrate.target[0].steps",
    );
    refused(
        &format!(
            "[calibrate]\n{PARAMETER}{}",
            TARGET.replace(
                "sd_obs = 0.01\nsd_discrepancy = 0.01",
                "sd_obs = 0.0\nsd_discrepancy = 0.0"
            )
        ),
        "calibrate.target[0].sd_obs",
    );
    refused(&format!("[calibrate]\n{PARAMETER}"), "calibrate.target");
    refused(
        &format!("calibrat = 1\n[calibrate]\n{PARAMETER}{TARGET}"),
        "`calibrat` is not a known key or section; did you mean `calibrate`? allowed: base, calibrate, name,",
    );
    refused(
        &format!("[calibrate]\nacceptor = \"exact\"\n{PARAMETER}{TARGET}"),
        "calibrate.acceptor",
    );
    refused(
        &format!("[calibrate]\nemulator_variance = \"inflated\"\n{PARAMETER}{TARGET}"),
        "calibrate.emulator_variance",
    );
    refused(
        &format!("[calibrate]\ndesign_seeds = \"common\"\n{PARAMETER}{TARGET}"),
        "calibrate.design_seeds",
    );
    // Run settings are the calibration's: calibrating one, or running until settled, would
    // be silently overridden.
    for key in ["run.seed", "run.steps", "run.burn_in", "run.replicates"] {
        refused(
            &format!(
                "[calibrate]\n{}{TARGET}",
                PARAMETER.replace("accountability.penalty", key)
            ),
            "calibrate.parameter[0].key",
        );
    }
    refused(
        &format!("[run]\nuntil_settled = true\n[calibrate]\n{PARAMETER}{TARGET}"),
        "run.until_settled",
    );
    // Ranges valid alone but not together, or a count's range holding one value.
    refused(
        &format!(
            "[targets]\nmarkup_max = 0.5\n[calibrate]\n{}{TARGET}",
            PARAMETER
                .replace("accountability.penalty", "targets.markup")
                .replace("[1.0, 8.0]", "[0.1, 0.9]")
        ),
        "`targets.markup_max` must be >= every markup (0.9), got 0.5",
    );
    refused(
        &format!(
            "[calibrate]\n{}{TARGET}",
            PARAMETER
                .replace("accountability.penalty", "behaviour.peers_observed")
                .replace("[1.0, 8.0]", "[1.1, 1.4]")
        ),
        "calibrate.parameter[0].range` holds one whole value (1)",
    );
    // A figure the metric can never take: a share above 1, a negative ratio of counts.
    refused(
        &format!(
            "[calibrate]\n{PARAMETER}{}",
            TARGET.replace("value = 0.3", "value = 1.5")
        ),
        "`calibrate.target[0].value` must be in [0, 1], the values this statistic of `mean_innovation` can take; got 1.5",
    );
    refused(
        &format!(
            "[calibrate]\n{PARAMETER}{}",
            TARGET
                .replace(
                    "\"mean_innovation\"",
                    "\"sanctioned\"\nstatistic = \"ratio\"\ndenominator = \"detected\""
                )
                .replace("value = 0.3", "value = -0.2")
        ),
        "calibrate.target[0].value` must be >= 0",
    );
}

#[test]
fn a_check_beyond_the_budget_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = calibrate(
        "scenarios/calibration/tiny.toml",
        &out,
        &["--check", "1000"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("calibrate.budget"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!out.exists());
}

/// Start `calibrate ARGS --out OUT` and kill it once its ledger holds `part`.
fn interrupt(args: &[&str], out: &Path, part: &str) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cadresim"))
        .arg("calibrate")
        .args(args)
        .arg("--out")
        .arg(out)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let first = out.join("calibrate.parts").join(part);
    let started = std::time::Instant::now();
    while !first.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it was interrupted"
        );
        assert!(started.elapsed().as_secs() < 300, "no {part} recorded");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "finished before it was interrupted"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.join("manifest.json").exists());
}

#[test]
fn an_interrupted_calibration_resumes_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    succeeded(&calibrate(TINY, &whole, &[]));
    let cut = dir.path().join("cut");
    interrupt(&[TINY], &cut, "batch-0000.json");
    assert!(!cut.join("manifest.json").exists());
    // Without --resume the unfinished directory is refused, not replaced.
    assert_eq!(calibrate(TINY, &cut, &[]).status.code(), Some(2));
    // The ledger knows the calibration by its content, not by the path it was named by.
    let renamed = format!("./scenarios/calibration/../calibration/{}", "tiny.toml");
    succeeded(&calibrate(&renamed, &cut, &["--resume"]));
    for file in [
        "runs.csv",
        "posterior.csv",
        "parameters.csv",
        "predictive.csv",
    ] {
        assert!(
            fs::read(whole.join(file)).unwrap() == fs::read(cut.join(file)).unwrap(),
            "{file} differs"
        );
    }
    assert!(!cut.join("calibrate.parts").exists());
    assert!(!cut.join("calibrate.lock.json").exists());
    // A finished calibration has nothing to resume.
    let again = calibrate(TINY, &cut, &["--resume"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));
}

#[test]
fn a_ratio_target_and_a_scheduled_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize("scenarios/calibration/tiny-base.toml").unwrap();
    let text = format!(
        "base = {:?}\n[calibrate]\nbudget = 40\nwave_runs = 20\npredictive_runs = 4\npopulation = 100\ngenerations = 2\n{PARAMETER}{}",
        base.display().to_string(),
        TARGET
            .replace("metric = \"mean_innovation\"", "metric = \"detected\"\nstatistic = \"ratio\"\ndenominator = \"errors\"")
            .replace("value = 0.3", "value = 0.5")
    );
    let file = dir.path().join("ratio.toml");
    fs::write(&file, &text).unwrap();
    let out = dir.path().join("out");
    succeeded(&calibrate(file.to_str().unwrap(), &out, &[]));
    // Detected errors among all errors: the detection probability (0.5 by default).
    let runs = records(&out.join("runs.csv"));
    for run in &runs {
        let share: f64 = run[4].parse().unwrap();
        assert!((0.4..0.6).contains(&share), "{run:?}");
    }
    let shared = dir.path().join("shared.toml");
    fs::write(
        &shared,
        text.replace("[calibrate]\n", "[calibrate]\ndesign_seeds = \"shared\"\n"),
    )
    .unwrap();
    let shared_out = dir.path().join("shared");
    succeeded(&calibrate(shared.to_str().unwrap(), &shared_out, &[]));
    let shared_runs = records(&shared_out.join("runs.csv"));
    assert!(
        shared_runs.iter().all(|run| &run[2] == "1"),
        "{shared_runs:?}"
    );
    // The same design (one wave here) at other seeds: the same points, other values.
    assert_eq!(shared_runs.len(), runs.len());
    assert!(shared_runs.iter().zip(&runs).all(|(a, b)| a[3] == b[3]));
    assert_ne!(shared_runs, runs);
    refused(
        &format!("[[schedule]]\nat = 5\nset = {{ \"accountability.penalty\" = 8.0 }}\n[calibrate]\n{PARAMETER}{TARGET}"),
        "calibrate.parameter[0].key",
    );
    refused(
        &format!(
            "[calibrate]\n{PARAMETER}{}",
            TARGET.replace(
                "metric = \"mean_innovation\"",
                "metric = \"detected\"\nstatistic = \"ratio\""
            )
        ),
        "calibrate.target[0].denominator",
    );
}

#[test]
fn the_china_calibration_loads() {
    let spec = cadresim::calibrate::file::load(Path::new("scenarios/calibration/china.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.parameters.len(), 13);
    assert_eq!(spec.targets.len(), 6);
    assert!(spec.parameters.iter().any(|p| p.key == "work.error_damage"));
}
