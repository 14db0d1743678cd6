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
    let experiments = reproduce::load("scenarios/experiments.toml".as_ref()).unwrap();
    // Claims about the long run are decided by long runs only: quick mode's short runs can
    // decide them otherwise.
    let short_run = |verdicts: Vec<(String, bool)>| -> Vec<(String, bool)> {
        verdicts
            .into_iter()
            .filter(|(id, _)| {
                experiments
                    .claims
                    .iter()
                    .any(|claim| claim.id == *id && !claim.long_run)
            })
            .collect()
    };
    assert_eq!(
        short_run(quick_verdicts),
        short_run(verdicts_of(&committed)),
        "quick and full verdicts differ"
    );
    assert_eq!(verdicts_of(&committed).len(), reproduce::CLAIMS.len());
    // The headline table: type, reason, verdict, effect, welfare and robustness share.
    for (report, share) in [(&quick, "not run"), (&committed, "[")] {
        assert!(report.contains("| claim | type | why | verdict | effect | welfare, favoured minus other | holds in robustness samples |"));
        for claim in &experiments.claims {
            let row = report
                .lines()
                .find(|line| line.starts_with(&format!("| `{}` |", claim.id)))
                .unwrap_or_else(|| panic!("{} has no headline row", claim.id));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 9, "{row}");
            assert!(cells[7].contains(share), "{row}");
            assert!(report.contains(&format!("Claim `{}` ({})", claim.id, claim.kind.name())));
        }
        assert_eq!(
            report.matches("**Long run.**").count(),
            experiments.claims.iter().filter(|c| c.long_run).count()
        );
        assert_eq!(
            report.matches("\n**Welfare.** ").count(),
            experiments.claims.len()
        );
    }
    // Every experiment's run length and settled equilibria are listed: 9 regimes x 3
    // replicates quick; in the committed report 9 x 8, run until settled, of which only
    // lifelong and adaptive-markup (16) satisfy the long-run rule before run.max_steps.
    let regimes = |report: &str| {
        report
            .lines()
            .find(|line| line.starts_with("| run `regimes` |"))
            .map(str::to_string)
    };
    assert!(quick.contains("\n## Run lengths and long-run estimates\n"));
    assert!(
        regimes(&quick).is_some_and(|row| row.ends_with("| 27 |")),
        "{quick}"
    );
    assert_eq!(
        regimes(&committed).as_deref(),
        Some("| run `regimes` | until settled (long-run rule, at most 51,200 steps) | 16 | 72 |")
    );
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
    // Figures drawn for a claim show its metrics, titled by their meanings.
    for (id, text) in [
        ("umbrella", "violations wrongly exempted per step"),
        (
            "umbrella",
            "private gain (self-serving reform, corruption) per step",
        ),
        ("error-correction", "public loss from new errors per step"),
        ("two-factor", "with incentives"),
        ("lifelong", "share of idle cadres"),
    ] {
        let svg = fs::read_to_string(out.join("figures").join(format!("{id}.svg"))).unwrap();
        assert!(svg.contains(text), "{id}: no {text:?}");
    }
    assert!(quick.contains("quick mode"));
    assert!(quick.contains("## Which assumptions matter\n\nNot computed in quick mode"));
    assert!(committed.contains("full mode"));
    assert!(committed.contains("## Which assumptions matter"));
    assert!(committed.contains("matters most for mean_innovation"));
    assert!(committed.contains("(paired, r = "));
    for report in [&quick, &committed] {
        let failing = verdicts_of(report)
            .iter()
            .filter(|(_, holds)| !holds)
            .count();
        assert_eq!(
            report.matches("**What the data show instead.**").count(),
            failing,
            "every claim that does not hold is explained"
        );
        assert!(!report.contains("No explanation of this verdict is recorded"));
    }
    assert!(quick.contains("## Critical penalty (level crossing)\n\nNot computed in quick mode"));
    assert!(committed.contains(
        "## Critical penalty (level crossing)\n\nAt which `accountability.penalty` does `mean_innovation` fall below 0.2?"
    ));
    assert!(committed.contains("![critical penalty](figures/critical.png)"));
    assert!(std::path::Path::new("docs/figures/critical.png").exists());
    assert!(quick.contains("## Mechanisms beyond the first model\n\nNot computed in quick mode"));
    assert!(committed.contains(
        "## Mechanisms beyond the first model\n\nWhat does each mechanism of docs/MODEL.md §7.14 do"
    ));
    assert!(committed.contains("| `forms` |"));
    assert!(committed.contains("## Robustness: do the claims survive other plausible values?"));
    assert!(committed.contains("![robustness](figures/robustness.png)"));
    assert!(std::path::Path::new("docs/figures/robustness.png").exists());
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

/// Load an experiments manifest written to a temporary file; returns the error's text.
/// A claim `id` of the files `files` (a TOML list).
fn claim(id: &str, files: &str) -> String {
    format!("[[claim]]\nid = {id:?}\ntext = \"t\"\nkind = \"accounting\"\nwhy = \"w\"\nfiles = {files}\nregime = []\n")
}

fn refusal(text: &str) -> String {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("experiments.toml");
    fs::write(&path, text).unwrap();
    reproduce::load(&path).unwrap_err().to_string()
}

#[test]
fn experiments_files_refuse_unknown_nested_keys_and_unplain_or_repeated_run_names() {
    let run = "[[run]]\nname = \"regimes\"\nfiles = [\"a.toml\"]\n";
    for (text, expected) in [
        (
            "[quick]\nreplicate = 7\n",
            "quick.replicate` is not a known key (allowed: replicates, steps)",
        ),
        (
            "[robustness]\nstep = 7\n",
            "robustness.step` is not a known key",
        ),
        (
            "[sensitivity]\nfile = \"s.toml\"\nfiles = 2\n",
            "sensitivity.files` is not a known key (allowed: file)",
        ),
        (
            "[mechanisms]\nfile = \"m.toml\"\nnote = 2\n",
            "mechanisms.note` must be a string",
        ),
        (
            "[[sweep]]\nfile = \"s.toml\"\nfiel = \"t.toml\"\n",
            "sweep[0].fiel` is not a known key",
        ),
        (
            "[[run]]\nname = \"a\"\nfiles = []\nfile = \"x\"\n",
            "run[0].file` is not a known key (allowed: name, files)",
        ),
        ("quick = 3\n", "`quick` must be a table"),
        ("run = [1]\n", "`run` must be a list of tables"),
        (
            "[[run]]\nname = \"../../x\"\nfiles = []\n",
            "run[0].name` must be 1-100 characters",
        ),
        (
            "[[run]]\nname = \".hidden\"\nfiles = []\n",
            "run[0].name` must be",
        ),
        (
            &format!("{run}{run}"),
            "run[1].name` `regimes` names an earlier [[run]] too",
        ),
        (
            "[[run]]\nname = \"a\"\nfiles = []\n",
            "run[0].files` must name at least one file",
        ),
        (
            "[[sweep]]\nfile = \"a/s.toml\"\n[[sweep]]\nfile = \"b/s.toml\"\n",
            "sweep[1].file` has the file name of sweep[0].file",
        ),
        (
            &format!("{run}{}", claim("lifelong", "[]")),
            "claim[0].files` must name at least one file",
        ),
        (
            &format!("{run}{}", claim("lifelong", "[\"b.toml\"]")),
            "claim[0].files` names `b.toml`, which no [[run]] or [[sweep]] of this file runs",
        ),
        (
            &format!(
                "{run}{}{}",
                claim("lifelong", "[\"a.toml\"]"),
                claim("lifelong", "[\"a.toml\"]")
            ),
            "claim[1].id` `lifelong` is claim[0]'s id too",
        ),
    ] {
        let message = refusal(text);
        assert!(message.contains(expected), "{text}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    }
}

#[test]
fn every_claim_has_a_type_with_its_reason_and_names_claims_outside_the_paper() {
    let experiments = reproduce::load("scenarios/experiments.toml".as_ref()).unwrap();
    for claim in &experiments.claims {
        assert!(claim.why.len() > 20, "{}: {}", claim.id, claim.why);
    }
    let outside: Vec<&str> = experiments
        .claims
        .iter()
        .filter(|claim| !claim.in_paper)
        .map(|claim| claim.id.as_str())
        .collect();
    assert_eq!(outside, ["rational-threshold"]);
    let claim = "[[claim]]\nid = \"lifelong\"\ntext = \"t\"\nfiles = []\nregime = []\n";
    let refused = refusal(&format!("{claim}why = \"w\"\nkind = \"obvious\"\n"));
    assert!(
        refused.contains("claim[0].kind` must be one of: accounting, by design, behavioural"),
        "{refused}"
    );
    let refused = refusal(&format!("{claim}kind = \"accounting\"\n"));
    assert!(refused.contains("claim[0].why` is required"), "{refused}");
    let refused = refusal(&format!(
        "{claim}kind = \"accounting\"\nwhy = \"w\"\nin_paper = \"no\"\n"
    ));
    assert!(
        refused.contains("claim[0].in_paper` must be true or false"),
        "{refused}"
    );
}

/// A reproduction of one run group (pressure.toml, 2 replicates of 40 steps, no claims).
fn small_experiments(dir: &std::path::Path) -> std::path::PathBuf {
    let pressure = fs::canonicalize("scenarios/pressure.toml").unwrap();
    let path = dir.join("experiments.toml");
    let text = format!(
        "[quick]\nreplicates = 2\nsteps = 40\n\n[[run]]\nname = \"regimes\"\nfiles = [{:?}]\n",
        pressure.display().to_string()
    );
    fs::write(&path, text).unwrap();
    path
}

fn reproduce_small(
    experiments: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    Command::cargo_bin("cadresim")
        .unwrap()
        .args(["reproduce", "--quick", "--experiments"])
        .arg(experiments)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// A temporary folder with a small experiments file and its finished quick reproduction in
/// `out`: (folder, experiments file, out).
fn finished_small_reproduction() -> (TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let experiments = small_experiments(dir.path());
    let out = dir.path().join("out");
    assert!(reproduce_small(&experiments, &out, &[]).status.success());
    (dir, experiments, out)
}

#[test]
fn resume_keeps_finished_run_groups_of_this_build_only() {
    let (_dir, experiments, out) = finished_small_reproduction();
    let manifest = out.join("runs/regimes/manifest.json");
    let first = fs::read_to_string(&manifest).unwrap();
    let report = fs::read_to_string(out.join("RESULTS.md")).unwrap();
    // Resumed: the finished run group is kept (its manifest, with its finishing time, is
    // unchanged) and the report is the same.
    assert!(reproduce_small(&experiments, &out, &["--resume"])
        .status
        .success());
    assert_eq!(fs::read_to_string(&manifest).unwrap(), first);
    assert_eq!(fs::read_to_string(out.join("RESULTS.md")).unwrap(), report);
    // Computed by another build: refused in one line, kept with --mixed-versions.
    let mut other: serde_json::Value = serde_json::from_str(&first).unwrap();
    other["git_commit"] = serde_json::Value::String("0123456789ab".into());
    let other = serde_json::to_string_pretty(&other).unwrap();
    fs::write(&manifest, &other).unwrap();
    let refused = reproduce_small(&experiments, &out, &["--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    // Progress lines come before it; the refusal is one line.
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.starts_with("reproduce: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("0123456789ab") && errors[0].contains("--mixed-versions"),
        "{stderr}"
    );
    let mixed = reproduce_small(&experiments, &out, &["--resume", "--mixed-versions"]);
    assert!(mixed.status.success());
    assert_eq!(fs::read_to_string(&manifest).unwrap(), other);
    // A damaged table is not kept: the group runs again.
    let summary = cadresim_summary(&out.join("runs/regimes"));
    fs::write(&summary, "damaged").unwrap();
    assert!(
        reproduce_small(&experiments, &out, &["--resume", "--mixed-versions"])
            .status
            .success()
    );
    assert_ne!(fs::read_to_string(&manifest).unwrap(), other);
    assert_eq!(fs::read_to_string(out.join("RESULTS.md")).unwrap(), report);
}

#[test]
fn resume_in_the_other_mode_or_of_other_experiments_is_refused_before_anything_changes() {
    let (dir, experiments, out) = finished_small_reproduction();
    let manifest = out.join("runs/regimes/manifest.json");
    let first = fs::read_to_string(&manifest).unwrap();
    let renamed = dir.path().join("renamed.toml");
    fs::copy(&experiments, &renamed).unwrap();
    let full = Command::cargo_bin("cadresim")
        .unwrap()
        .args(["reproduce", "--resume", "--experiments"])
        .arg(&experiments)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    for refused in [full, reproduce_small(&renamed, &out, &["--resume"])] {
        assert_eq!(refused.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("the same experiments file and mode (--quick or not)"),
            "{stderr}"
        );
        assert_eq!(fs::read_to_string(&manifest).unwrap(), first);
    }
}

/// The summary table of a result directory (CSV or Parquet).
fn cadresim_summary(dir: &std::path::Path) -> std::path::PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.file_stem().is_some_and(|stem| stem == "summary"))
        .unwrap()
}
