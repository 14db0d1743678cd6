//! The `cadresim` command line on real files: runs, refusals, input errors, replay, params.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::common;
use common::{cadresim, SMALL};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Run a scenario expected to be rejected: exit 2, a short message naming file and key,
/// no result directory.
fn rejected(text: &str, key: &str, also: &str) {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "bad.toml", text);
    let out = dir.path().join("result");
    let output = cadresim()
        .args(["run", &file, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "exit code for: {message}");
    assert!(message.contains("bad.toml"), "names the file: {message}");
    assert!(message.contains(key), "names `{key}`: {message}");
    assert!(message.contains(also), "says `{also}`: {message}");
    assert!(message.lines().count() <= 3, "short: {message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(!out.exists(), "no result directory for rejected input");
}

#[test]
fn run_writes_a_complete_result_directory() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("result");
    let output = cadresim()
        .args(["run", &file, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("small"), "{stdout}");
    assert!(stdout.contains("mean_innovation"), "{stdout}");

    let timeseries = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = timeseries.lines();
    let header = lines.next().unwrap();
    let metrics = cadresim::metrics::METRICS.join(",");
    assert_eq!(header, format!("scenario,replicate,step,level,{metrics}"));
    assert!(header.starts_with("scenario,replicate,step,level,share_idle,"));
    // 2 replicates x 30 steps x (2 levels + all).
    assert_eq!(lines.count(), 2 * 30 * 3);
    assert!(timeseries.contains("small,1,29,all,"));

    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary
        .lines()
        .next()
        .unwrap()
        .ends_with(",converged_at,settled,class"));
    assert_eq!(summary.lines().count(), 1 + 2 * 3);
    // 30 steps cannot converge (the first possible step is 2W - 1 = 39): never settled, and
    // the terminal says so.
    assert!(
        summary.lines().skip(1).all(|l| l.contains(",,false,")),
        "{summary}"
    );
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("warning: small: 2 of 2 replicates had not settled")
            && stderr.contains("2 never converged"),
        "{stderr}"
    );

    let equilibrium = fs::read_to_string(out.join("equilibrium.csv")).unwrap();
    assert!(equilibrium.starts_with("scenario,level,metric,mean,sd,ci95_low,ci95_high,n\n"));
    assert!(equilibrium.contains("small,all,mean_innovation,"));
    assert!(equilibrium.contains("small,all,class_lazy-routine,"));
    assert!(equilibrium.contains("small,all,settled,0.0,0.0,"));

    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenarios"][0]["name"], "small");
    assert_eq!(
        manifest["scenarios"][0]["params"]["accountability"]["penalty"],
        8.0
    );
    assert_eq!(manifest["scenarios"][0]["params"]["run"]["steps"], 30);
    for name in ["timeseries.csv", "summary.csv", "equilibrium.csv"] {
        let hash = manifest["files"][name].as_str().unwrap();
        assert_eq!(hash.len(), 64);
    }
    // No temporary files are left behind.
    for entry in fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".partial"), "{name}");
    }
}

#[test]
fn existing_results_are_not_overwritten_without_force() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("result");
    cadresim()
        .args(["run", &file, "--out"])
        .arg(&out)
        .assert()
        .success();
    let output = cadresim()
        .args(["run", &file, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--force"));
    cadresim()
        .args(["run", &file, "--force", "--seed", "9", "--out"])
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn replay_reproduces_and_detects_differences() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("result");
    cadresim()
        .args(["run", &file, "--seed", "5", "--out"])
        .arg(&out)
        .assert()
        .success();
    let manifest = out.join("manifest.json");
    let again = dir.path().join("again");
    let output = cadresim()
        .args(["replay"])
        .arg(&manifest)
        .args(["--threads", "1", "--out"])
        .arg(&again)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        fs::read(out.join("timeseries.csv")).unwrap(),
        fs::read(again.join("timeseries.csv")).unwrap()
    );
    // Tamper with one recorded hash: the replay names that file and fails.
    let text = fs::read_to_string(&manifest).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hash = value["files"]["summary.csv"].as_str().unwrap();
    fs::write(&manifest, text.replace(hash, &"0".repeat(64))).unwrap();
    let output = cadresim().arg("replay").arg(&manifest).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr_of(&output);
    assert!(message.contains("summary.csv"), "{message}");
    assert!(!message.contains("timeseries.csv"), "{message}");
}

#[test]
fn params_lists_every_key_with_default_and_range() {
    let output = cadresim().arg("params").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for key in [
        "run.steps",
        "hierarchy.levels",
        "targets.markup",
        "accountability.penalty",
        "fault_tolerance.scope",
        "behaviour.rule",
        "equilibrium.tolerance",
    ] {
        assert!(text.contains(key), "{key} missing");
    }
    assert!(text.contains("accountability.penalty") && text.contains("= 8.0"));
    assert!(text.contains("a number in [0, 1]"));
}

#[test]
fn params_shows_what_the_built_in_regimes_set() {
    let output = cadresim().arg("params").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let enabled = text
        .split("\nfault_tolerance.enabled")
        .nth(1)
        .and_then(|rest| rest.split("\nfault_tolerance.scope").next())
        .expect("fault_tolerance.enabled is listed");
    assert!(
        enabled.contains("built-in regimes set: ft-scoped = true, ft-blanket = true"),
        "{enabled}"
    );
    assert!(!enabled.contains("pressure ="), "{enabled}");
    assert!(
        text.contains("Built-in regimes: pressure, ft-scoped,"),
        "{text}"
    );
}

#[test]
fn docs_parameters_md_is_what_params_markdown_prints() {
    let output = cadresim().args(["params", "--markdown"]).output().unwrap();
    assert!(output.status.success());
    let written = std::fs::read_to_string("docs/PARAMETERS.md").unwrap();
    assert!(
        written == String::from_utf8_lossy(&output.stdout),
        "docs/PARAMETERS.md is out of date: cadresim params --markdown > docs/PARAMETERS.md"
    );
}

#[test]
fn toml_syntax_errors_give_the_line() {
    rejected(
        "[accountability]\npenalty = = 3\n",
        "bad.toml:2:",
        "TOML syntax error",
    );
}

#[test]
fn settings_that_contradict_each_other_are_refused() {
    rejected(
        "[equilibrium]\nlazy_innovation = 0.5\ninnovative_innovation = 0.1\n",
        "equilibrium.lazy_innovation",
        "must be at most equilibrium.innovative_innovation (0.1)",
    );
    rejected(
        "[run]\nsteps = 10\nburn_in = 5\n[[schedule]]\nat = 3\nset = { \"accountability.penalty\" = 3.0 }\n[[schedule]]\nat = 3\nset = { \"accountability.penalty\" = 4.0 }\n",
        "schedule[1].set.accountability.penalty",
        "is set by schedule[0] too, at the same step (3)",
    );
    rejected(
        "[accountability.forms]\nveto = [0.5, 0.5, 0.5, 0.5]\n",
        "accountability.forms.veto",
        "got [0.5, 0.5, 0.5, 0.5] (sum 2.0)",
    );
    rejected(
        "[accountability.forms]\nveto = [0.5, 0.5]\n",
        "accountability.forms.veto",
        "summing to 1 (talk, light, heavy, prosecution), got [0.5, 0.5]\n",
    );
    rejected(
        "[run]\nsteps = 10\nburn_in = 5\nuntil_settled = false\n[output]\nseries_every = 10\n",
        "output.series_every",
        "must be below run.steps (10)",
    );
}

#[test]
fn unknown_keys_suggest_the_closest() {
    rejected(
        "[accountability]\npenalti = 3\n",
        "accountability.penalti",
        "did you mean `accountability.penalty`",
    );
    rejected(
        "[acountability]\npenalty = 3\n",
        "acountability",
        "did you mean `accountability`",
    );
    rejected("penalty = 3\n", "penalty", "accountability.penalty");
}

#[test]
fn wrong_types_and_ranges_are_rejected() {
    rejected(
        "[accountability]\npenalty = \"high\"\n",
        "accountability.penalty",
        "a number in [0, 1e6]",
    );
    rejected(
        "[accountability]\ndetection = 1.5\n",
        "accountability.detection",
        "[0, 1]",
    );
    rejected(
        "[accountability]\npenalty = nan\n",
        "accountability.penalty",
        "nan",
    );
    rejected(
        "[targets]\ncentral = inf\n",
        "targets.central",
        "[1e-6, 1e6]",
    );
    rejected(
        "[work]\ninnovation_levels = 40\n",
        "work.innovation_levels",
        "1..=16",
    );
    rejected(
        "[run]\nsteps = 10\nburn_in = 10\n",
        "run.burn_in",
        "< run.steps",
    );
    rejected(
        "[fault_tolerance]\nscope = [\"mistakes\"]\n",
        "fault_tolerance.scope",
        "exploratory",
    );
    rejected(
        "[behaviour]\nrule = \"greedy\"\n",
        "behaviour.rule",
        "satisficing",
    );
}

#[test]
fn markup_lists_must_match_the_levels() {
    rejected(
        "[targets]\nmarkup = [0.1, 0.1]\n",
        "targets.markup",
        "one value per level (4)",
    );
    rejected(
        "[targets]\nmarkup = 0.6\n",
        "targets.markup_max",
        "must be >= every markup",
    );
}

#[test]
fn schedule_entries_are_validated() {
    rejected(
        "[[schedule]]\nat = 5\nsett = {}\n",
        "schedule[0].sett",
        "did you mean `set`",
    );
    rejected(
        "[[schedule]]\nat = 5\nset = { \"accountability.penalti\" = 3 }\n",
        "schedule[0].set.accountability.penalti",
        "did you mean",
    );
    rejected(
        "[[schedule]]\nat = 5\nset = { \"accountability.lifelong\" = 3 }\n",
        "schedule[0].set.accountability.lifelong",
        "true or false",
    );
    rejected(
        "[[schedule]]\nat = 200\nset = { \"accountability.penalty\" = 3 }\n",
        "schedule[0].at",
        "0..200",
    );
    rejected(
        "[[schedule]]\nat = 5\nset = { \"run.steps\" = 3 }\n",
        "schedule[0].set.run.steps",
        "cannot change during a run",
    );
}

#[test]
fn unreadable_and_non_utf8_files_are_rejected() {
    let dir = TempDir::new().unwrap();
    let output = cadresim()
        .args(["run", "does-not-exist.toml", "--out"])
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("does-not-exist.toml"));
    let path = dir.path().join("latin1.toml");
    fs::write(&path, b"description = \"caf\xe9\"\n").unwrap();
    let output = cadresim().arg("run").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("UTF-8"));
}

#[test]
fn hierarchies_too_large_for_memory_are_rejected_with_the_need() {
    rejected(
        "[[hierarchy.levels]]\nname = \"a\"\nbranching = 100000\ncadres = 40000\n",
        "hierarchy.levels",
        "GiB",
    );
    rejected(
        "[[hierarchy.levels]]\nname = \"a\"\nbranching = 4000000000\ncadres = 4000000000\n",
        "hierarchy.levels",
        "cadres",
    );
}

#[test]
fn bad_flags_name_the_flag() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let output = cadresim()
        .args(["run", &file, "--replicates", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--replicates"));
    let output = cadresim()
        .args(["run", &file, "--threads", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--threads"));
}

#[test]
fn bundled_scenarios_and_sweeps_all_load() {
    let mut scenarios = 0;
    for entry in fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        if is_toml && !path.ends_with("experiments.toml") {
            cadresim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            scenarios += 1;
        }
    }
    assert!(scenarios >= 8);
    for entry in fs::read_dir("scenarios/sweeps").unwrap() {
        let path = entry.unwrap().path();
        let spec = cadresim::sweep::file::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!spec.points().is_empty());
    }
}

#[test]
fn the_old_class_keys_name_their_replacements() {
    rejected(
        "[equilibrium]\npassive_not_innovating = 0.7\n",
        "equilibrium.passive_not_innovating",
        "was replaced by `equilibrium.lazy_innovation`",
    );
    rejected(
        "[[schedule]]\nat = 1\nset = { \"equilibrium.innovative_share\" = 0.3 }\n",
        "equilibrium.innovative_share",
        "was replaced by `equilibrium.innovative_innovation`",
    );
}

/// Run cadresim with `args`; returns (exit code, stderr) and checks the refusal is one line.
fn usage_error(args: &[&str]) -> String {
    let output = cadresim().args(args).output().unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert_eq!(message.lines().count(), 1, "{args:?}: {message}");
    assert!(message.starts_with("error: "), "{message}");
    message
}

#[test]
fn parser_errors_take_one_line_and_exit_2() {
    for (args, expected) in [
        (&["run", "--bogus"][..], "unexpected argument '--bogus'"),
        (
            &["merge"][..],
            "--out <DIR>, <DIRS>...; usage: cadresim merge",
        ),
        (
            &["run", "--steps", "3", "--until-settled"][..],
            "cannot be used with",
        ),
        (&["run", "--size", "3"][..], "--size"),
        (&["frob"][..], "unrecognized subcommand 'frob'"),
        (&[][..], "a command is required: one of run, replay"),
    ] {
        let message = usage_error(args);
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    let help = cadresim().args(["run", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--seed"));
}

#[test]
fn seeds_a_scenario_file_cannot_hold_are_refused() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("r").display().to_string();
    for command in ["run", "sweep"] {
        let message = usage_error(&[command, &file, "--seed", "9223372036854775808"]);
        assert!(
            message.contains("from 0 to 9223372036854775807"),
            "{message}"
        );
    }
    let largest = i64::MAX.to_string();
    let output = cadresim()
        .args(["run", &file, "--out", &out, "--seed", &largest])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let manifest = format!("{out}/manifest.json");
    let replay = cadresim().args(["replay", &manifest]).output().unwrap();
    assert!(replay.status.success(), "{}", stderr_of(&replay));
}

#[cfg(unix)]
#[test]
fn commands_end_quietly_when_their_output_closes() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("r").display().to_string();
    for args in [&["params"][..], &["run", &file, "--out", &out][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("cadresim"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let message = stderr_of(&output);
        assert!(!message.contains("panicked"), "{args:?}: {message}");
        assert_ne!(output.status.code(), Some(101), "{args:?}: {message}");
    }
    assert!(dir.path().join("r/manifest.json").exists());
}

#[test]
fn sweep_files_whose_names_cannot_name_a_sweep_are_refused_with_a_name_that_can() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "small.toml", SMALL);
    let body = "base = \"small.toml\"\n\n[sweep]\ndesign = \"grid\"\n\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nvalues = [1.0, 4.0]\n";
    for (name, suggestion) in [
        ("my sweep.toml", "my-sweep.toml"),
        ("ü.toml", "sweep.toml"),
        (".x.toml", "x.toml"),
    ] {
        let file = write(dir.path(), name, body);
        let out = dir.path().join("out").display().to_string();
        let message = usage_error(&["sweep", &file, "--out", &out]);
        assert!(
            message.contains(&format!("rename the file, e.g. to {suggestion}")),
            "{message}"
        );
        // The advice can be followed.
        let renamed = write(dir.path(), suggestion, body);
        let output = cadresim()
            .args(["sweep", &renamed, "--out", &out, "--force"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
}

#[test]
fn dry_runs_print_the_cost_and_write_nothing() {
    let files = common::Files::new();
    let staggered = "scenarios/staggered-adoption.toml".to_string();
    for args in [
        vec!["run".to_string(), files.arg("small.toml")],
        vec!["sweep".to_string(), files.arg("sweep.toml")],
        vec!["did".to_string(), staggered],
        vec!["reproduce".to_string(), "--quick".to_string()],
    ] {
        let out = files.path(&format!("out-{}", args[0]));
        let output = cadresim()
            .args(&args)
            .arg("--out")
            .arg(&out)
            .arg("--dry-run")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with("dry run: "), "{stdout}");
        assert!(stdout.contains("cadre-steps; about "), "{stdout}");
        assert!(
            stdout.trim_end().ends_with("Nothing was run or written."),
            "{stdout}"
        );
        assert!(!out.exists(), "{} wrote {}", args[0], out.display());
    }
    // A path runs each replicate once through its values: lazy-trap's 2 paths of 9 values,
    // 8 replicates, 16,000 steps at each value (or --steps at each).
    for (steps, counted) in [(None, "144000"), (Some("100"), "900")] {
        let output = cadresim()
            .args(["sweep", "scenarios/sweeps/lazy-trap.toml", "--dry-run"])
            .args(steps.iter().flat_map(|s| ["--steps", s]))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.starts_with(&format!(
                "dry run: 18 points, 16 replicate runs x {counted} steps"
            )),
            "{stdout}"
        );
    }
    // The small scenario: 2 replicates x 30 steps of 3 x 5 + 12 x 6 cadres.
    let output = cadresim()
        .args(["run", &files.arg("small.toml"), "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("dry run: 2 replicate runs x 30 steps = 5.22e3 cadre-steps"),
        "{stdout}"
    );
    // A robustness check runs the experiments again at the defaults and at every sample: 4
    // samples add 5 times the replicate runs of the quick experiments.
    let runs = |extra: &[&str]| {
        let output = cadresim()
            .args(["reproduce", "--quick", "--dry-run"])
            .args(extra)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let count = stdout
            .trim_start_matches("dry run: ")
            .split(' ')
            .next()
            .unwrap();
        count.parse::<u64>().unwrap_or_else(|_| panic!("{stdout}"))
    };
    assert_eq!(runs(&["--robustness", "4"]), 6 * runs(&[]));
}

#[test]
fn a_value_given_twice_mixed_versions_without_resume_and_a_file_as_out_are_refused() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out").display().to_string();
    let file = write(dir.path(), "a-file", "x");
    for (args, needle) in [
        (
            vec![
                "did",
                "scenarios/staggered-adoption.toml",
                "--out",
                &file,
                "--resume",
            ],
            "exists and is not a directory",
        ),
        (
            vec![
                "did",
                "scenarios/staggered-adoption.toml",
                "--outcome",
                "output",
                "--outcome",
                "output",
                "--dry-run",
            ],
            "--outcome `output` is given twice",
        ),
        (
            vec![
                "sensitivity",
                &out,
                "--metric",
                "welfare",
                "--metric",
                "welfare",
            ],
            "--metric `welfare` is given twice",
        ),
        (
            vec![
                "sweep",
                "scenarios/sweeps/penalty-curve.toml",
                "--mixed-versions",
                "--dry-run",
            ],
            "--resume",
        ),
    ] {
        let output = cadresim().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = stderr_of(&output);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}
