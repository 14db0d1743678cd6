//! `cadresim did`: difference-in-differences on a staggered-adoption scenario. Known truths:
//! the factual and counterfactual panels agree before every unit's adoption (so the true
//! pre-adoption effects are exactly 0); a design whose adoptions change nothing has true
//! effects 0 everywhere; the design and cohorts come from the `where` entries. Then the
//! files (panel, estimates, summary, charts, manifest), their independence of the thread
//! count, and the one-line refusals of designs the estimators cannot use.

use std::fs;
use std::path::{Path, PathBuf};

use cadresim::did::{self, Design};
use cadresim::scenario;
use tempfile::TempDir;

use crate::common;
use common::{cadresim, column, records, succeeded};

/// Sixteen counties of two townships each: counties 1-4 adopt scoped tolerance at step 15,
/// 5-8 at step 25, 9-16 never.
const STAGGERED: &str = r#"
[run]
steps = 40
burn_in = 20
replicates = 3

[[hierarchy.levels]]
name = "county"
branching = 16
cadres = 4

[[hierarchy.levels]]
name = "township"
branching = 2
cadres = 3

[accountability]
penalty = 6.0

[[schedule]]
at = 15
where = { county = ["1", "2", "3", "4"] }
set = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] }

[[schedule]]
at = 25
where = { county = ["5", "6", "7", "county 8"] }
set = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] }
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// Run `cadresim did FILE --out OUT EXTRA...`.
fn did(file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    cadresim()
        .arg("did")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn the_design_has_one_cohort_per_adoption_step_and_never_treated_units() {
    let scenario = scenario::parse(STAGGERED, "staggered.toml", "staggered").unwrap();
    let design: Design = did::design(&scenario).unwrap();
    assert_eq!(design.level, "county");
    let expected: Vec<Option<i64>> = (1..=16)
        .map(|k| match k {
            1..=4 => Some(15),
            5..=8 => Some(25),
            _ => None,
        })
        .collect();
    assert_eq!(design.cohorts, expected);
    assert_eq!(design.cohort_steps(), vec![15, 25]);
    assert_eq!(design.never_treated(), 8);
    let counterfactual = did::counterfactual(&scenario);
    assert!(counterfactual.schedule.is_empty());
    assert_eq!(counterfactual.name, "staggered-counterfactual");
}

#[test]
fn a_study_writes_its_panel_estimates_summary_charts_and_manifest() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "staggered.toml", STAGGERED);
    let out = dir.path().join("did");
    let output = did(
        &file,
        &out,
        &[
            "--outcome",
            "mean_innovation",
            "--leads",
            "3",
            "--lags",
            "6",
        ],
    );
    succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("design: 16 units of `county`, cohorts at steps 15, 25, 8 never treated"),
        "{stdout}"
    );
    for name in [
        "panel.csv",
        "att.csv",
        "pretrend.csv",
        "spillover.csv",
        "did_summary.csv",
        "manifest.json",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    for chart in ["did-event-mean_innovation", "did-bias"] {
        for ext in ["png", "svg"] {
            assert!(
                out.join("charts").join(format!("{chart}.{ext}")).is_file(),
                "{chart}.{ext}"
            );
        }
    }
    let panel = out.join("panel.csv");
    let rows = records(&panel);
    assert_eq!(rows.len(), 3 * 16 * 40);
    // Before the first adoption the factual and counterfactual outcomes are identical.
    let (step, cohort) = (column(&panel, "step"), column(&panel, "cohort"));
    let (y, y0) = (
        column(&panel, "mean_innovation"),
        column(&panel, "mean_innovation_counterfactual"),
    );
    let mut differs_after = false;
    for row in &rows {
        let step: i64 = row[step].parse().unwrap();
        let adopted = row[cohort].parse::<i64>().ok();
        if step < 15 {
            assert_eq!(row[y], row[y0], "{row:?}");
        }
        if adopted.is_some_and(|g| step >= g) && row[y] != row[y0] {
            differs_after = true;
        }
    }
    assert!(differs_after, "the adoptions change the adopters' outcomes");
    // Every estimator reports; true effects before the first adoption (step 15) are exactly
    // 0 (later, a cohort not yet treated may feel the earlier adopters through its peers).
    let att = out.join("att.csv");
    let estimator = column(&att, "estimator");
    let (cohort, event_time, truth) = (
        column(&att, "cohort"),
        column(&att, "event_time"),
        column(&att, "truth"),
    );
    let rows = records(&att);
    for name in ["twfe", "twfe-event", "callaway-santanna", "sun-abraham"] {
        assert!(rows.iter().any(|r| &r[estimator] == name), "{name}");
    }
    let control = column(&att, "control");
    for name in ["never-treated", "not-yet-treated"] {
        assert!(rows.iter().any(|r| &r[control] == name), "{name}");
    }
    let step = |r: &csv::StringRecord| -> Option<i64> {
        Some(r[cohort].parse::<i64>().ok()? + r[event_time].parse::<i64>().ok()?)
    };
    let early: Vec<_> = rows
        .iter()
        .filter(|r| step(r).is_some_and(|s| s < 15))
        .collect();
    assert!(!early.is_empty());
    for row in early {
        assert_eq!(row[truth].parse::<f64>().unwrap(), 0.0, "{row:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "did");
    assert_eq!(manifest["scenarios"][1]["name"], "staggered-counterfactual");
    assert!(manifest["files"]["att.csv"].is_string());
}

#[test]
fn the_study_does_not_depend_on_the_thread_count() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "staggered.toml", STAGGERED);
    let run = |threads: &str| {
        let out = dir.path().join(format!("did-{threads}"));
        let output = did(&file, &out, &["--threads", threads, "--replicates", "2"]);
        succeeded(&output);
        [
            "panel.csv",
            "att.csv",
            "did_summary.csv",
            "pretrend.csv",
            "spillover.csv",
        ]
        .map(|name| fs::read(out.join(name)).unwrap())
    };
    assert!(run("1") == run("2"));
}

#[test]
fn event_times_the_run_does_not_reach_are_named_in_a_warning() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "staggered.toml", STAGGERED);
    let out = dir.path().join("did");
    let extra = ["--replicates", "1", "--leads", "30", "--lags", "30"];
    let output = did(&file, &out, &extra);
    succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Cohorts at steps 15 and 25 of 40: event times -25 (the later cohort at step 0) to 24.
    assert!(
        stderr.contains("--leads 30 --lags 30: the run reaches event times -25 to 24 only"),
        "{stderr}"
    );
    let att = out.join("att.csv");
    let index = column(&att, "event_time");
    let times: Vec<i64> = records(&att)
        .iter()
        .filter_map(|row| row[index].parse().ok())
        .collect();
    assert_eq!(times.iter().min(), Some(&-25));
    assert_eq!(times.iter().max(), Some(&24));
}

#[test]
fn designs_the_estimators_cannot_use_are_refused_in_one_line() {
    let dir = TempDir::new().unwrap();
    let single = STAGGERED
        .replace(
            "[\"1\", \"2\", \"3\", \"4\"]",
            "[\"1\", \"2\", \"3\", \"4\", \"9\", \"10\", \"11\", \"12\", \"13\", \"14\", \"15\", \"16\"]",
        )
        .replace("at = 25", "at = 15");
    let cases = [
        (
            "no-where.toml",
            STAGGERED.split("[[schedule]]").next().unwrap().to_string(),
            vec![],
            "has no schedule entry with `where`",
        ),
        (
            "single.toml",
            single,
            vec![],
            "with a single cohort the design needs never-treated units",
        ),
        (
            "late.toml",
            STAGGERED.replace("at = 25", "at = 60"),
            vec![],
            "must be an integer step in 0..40",
        ),
        (
            "outcome.toml",
            STAGGERED.to_string(),
            vec!["--outcome", "innovation"],
            "--outcome `innovation` is not a metric",
        ),
    ];
    for (name, text, extra, expected) in cases {
        let file = write(dir.path(), name, &text);
        let out = dir.path().join(format!("out-{name}"));
        let output = did(&file, &out, &extra);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: nothing is written");
    }
}

#[test]
fn an_existing_study_is_not_replaced_without_force() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "staggered.toml", STAGGERED);
    let out = dir.path().join("did");
    let args = [
        "did",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--replicates",
        "1",
        "--outcome",
        "share_idle",
    ];
    succeeded(&cadresim().args(args).output().unwrap());
    let before = fs::read(out.join("att.csv")).unwrap();
    let again = cadresim().args(args).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(fs::read(out.join("att.csv")).unwrap(), before);
    succeeded(&cadresim().args(args).arg("--force").output().unwrap());
}

#[test]
fn adoptions_that_change_nothing_have_true_effects_of_zero() {
    let dir = TempDir::new().unwrap();
    let idle = STAGGERED.replace(
        "set = { \"fault_tolerance.enabled\" = true, \"fault_tolerance.scope\" = [\"exploratory\"] }",
        "set = { \"accountability.penalty\" = 6.0 }",
    );
    let file = write(dir.path(), "idle.toml", &idle);
    let out = dir.path().join("did");
    let output = did(
        &file,
        &out,
        &["--replicates", "2", "--outcome", "share_idle"],
    );
    succeeded(&output);
    let att = out.join("att.csv");
    let truth = column(&att, "truth");
    let rows = records(&att);
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row[truth].parse::<f64>().unwrap(), 0.0, "{row:?}");
    }
    let spillover = out.join("spillover.csv");
    let effect = column(&spillover, "effect");
    for row in records(&spillover) {
        assert_eq!(row[effect].parse::<f64>().unwrap(), 0.0);
    }
}

#[test]
fn successes_are_counted_per_unit_and_never_exceed_the_innovators() {
    let mut scenario = scenario::parse(STAGGERED, "staggered.toml", "staggered").unwrap();
    scenario.params.output.by_unit = Some("county".into());
    let result = &cadresim::runner::run(&[scenario.plan().unwrap()], &|_| {})[0];
    let innovating = cadresim::metrics::metric_index("share_innovating").unwrap();
    let all = result.levels.len() - 1;
    let cadres = 16.0 * 4.0 + 32.0 * 3.0;
    let mut total = 0.0;
    for (r, replicate) in result.replicates.iter().enumerate() {
        for step in 0..40 {
            let counted: f64 = replicate.unit_successes[step * 16..(step + 1) * 16]
                .iter()
                .sum();
            let innovators = result.record(r, step, all)[innovating] * cadres;
            assert!(
                counted <= innovators + 1e-9,
                "step {step}: {counted} > {innovators}"
            );
            assert_eq!(counted, counted.round());
            total += counted;
        }
    }
    assert!(total > 0.0);
}

#[test]
fn a_poisson_observation_counts_successes_and_keeps_the_exact_truth() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "staggered.toml", STAGGERED);
    let out = dir.path().join("did");
    let output = did(
        &file,
        &out,
        &[
            "--replicates",
            "2",
            "--outcome",
            "successes",
            "--observe",
            "poisson",
        ],
    );
    succeeded(&output);
    let panel = out.join("panel.csv");
    let (step, exact, counterfactual, observed) = (
        column(&panel, "step"),
        column(&panel, "successes"),
        column(&panel, "successes_counterfactual"),
        column(&panel, "successes_observed"),
    );
    let rows = records(&panel);
    let mut differ = 0;
    for row in &rows {
        let count: f64 = row[observed].parse().unwrap();
        assert!(count >= 0.0 && count == count.round(), "{row:?}");
        if row[step].parse::<i64>().unwrap() < 15 {
            assert_eq!(row[exact], row[counterfactual]);
        }
        differ += (row[observed] != row[exact]) as usize;
    }
    assert!(differ > 0, "the counts are drawn, not copied");
    // The mean count is the mean of the exact outcome, up to Poisson noise.
    let mean = |c: usize| {
        rows.iter()
            .map(|r| r[c].parse::<f64>().unwrap())
            .sum::<f64>()
            / rows.len() as f64
    };
    let (m_exact, m_observed) = (mean(exact), mean(observed));
    let se = (m_exact / rows.len() as f64).sqrt();
    assert!(
        (m_observed - m_exact).abs() < 5.0 * se,
        "{m_observed} vs {m_exact}"
    );
    let refused = did(
        &file,
        &dir.path().join("x"),
        &["--outcome", "mean_innovation", "--observe", "poisson"],
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("is not a count"), "{stderr}");
}

/// The replicates a study's ledger records as done (0 without a ledger).
fn replicates_done(dir: &Path) -> usize {
    fs::read_to_string(dir.join("did.lock.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|ledger| ledger["replicates_done"].as_u64())
        .unwrap_or(0) as usize
}

#[test]
fn a_killed_study_resumes_to_exactly_the_uninterrupted_result() {
    let dir = TempDir::new().unwrap();
    let longer = STAGGERED.replace("steps = 40", "steps = 400");
    let file = write(dir.path(), "staggered.toml", &longer);
    let args = |out: &Path| -> Vec<String> {
        let mut args = vec!["did".to_string(), file.display().to_string()];
        args.extend(["--out".into(), out.display().to_string()]);
        args.extend(
            [
                "--replicates",
                "24",
                "--threads",
                "1",
                "--outcome",
                "successes",
            ]
            .map(String::from),
        );
        args.extend(["--observe", "poisson"].map(String::from));
        args
    };
    let whole = dir.path().join("whole");
    succeeded(&cadresim().args(args(&whole)).output().unwrap());

    let killed = dir.path().join("killed");
    let binary = assert_cmd::cargo::cargo_bin("cadresim");
    let mut child = std::process::Command::new(binary)
        .args(args(&killed))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // A generous limit: the test binary runs other tests beside this one.
    while replicates_done(&killed) < 4 && started.elapsed().as_secs() < 300 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !killed.join("manifest.json").exists(),
        "a killed study must not look complete"
    );
    let done = replicates_done(&killed);
    assert!(
        (4..24).contains(&done),
        "killed after {done} of 24 replicates"
    );

    // Without --resume the directory is refused; with other settings too; with the same
    // settings the study goes on and ends with the same bytes.
    let refused = cadresim().args(args(&killed)).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let mut other = args(&killed);
    other.extend(["--resume", "--leads", "4"].map(String::from));
    let refused = cadresim().args(other).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--resume needs the same settings"),
        "{stderr}"
    );
    let mut resume = args(&killed);
    resume.push("--resume".into());
    succeeded(&cadresim().args(resume.clone()).output().unwrap());
    assert!(!killed.join("did.lock.json").exists());
    for name in [
        "panel.csv",
        "att.csv",
        "pretrend.csv",
        "spillover.csv",
        "did_summary.csv",
    ] {
        assert!(
            fs::read(whole.join(name)).unwrap() == fs::read(killed.join(name)).unwrap(),
            "{name}"
        );
    }
    // A finished study has nothing to resume.
    let again = cadresim().args(resume).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));
}
