//! `run.until_settled`: replicates that run together until the long-run rule holds, the cap
//! `run.max_steps`, the columns that record the span, the thinned time series of long runs,
//! determinism across threads, sweeps (shards merged equal one run) and the refusals.

use crate::common;

use std::path::Path;

use common::{cadresim, header, index as column, records, succeeded, SMALL};

/// SMALL with a short settling test (W = 5) and a tolerance its small corps can meet.
fn settling_scenario(extra: &str) -> String {
    format!("{SMALL}\n[equilibrium]\nwindow = 5\ntolerance = 0.05\n{extra}")
}

/// Write `settling_scenario` as `name` with `run` added to its `[run]` section and
/// `replicates` replicates.
fn write_small(dir: &Path, name: &str, replicates: usize, run: &str) -> std::path::PathBuf {
    let text = settling_scenario("").replace(
        "replicates = 2",
        &format!("replicates = {replicates}\n{run}"),
    );
    write(dir, name, &text)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_replicates_run_together_until_the_long_run_rule_holds() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "small.toml",
        &settling_scenario("[[schedule]]\nat = 20\nset = { \"accountability.penalty\" = 4.0 }\n"),
    );
    let out = dir.path().join("out");
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .arg("--until-settled")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    let summary = out.join("summary.csv");
    let head = header(&summary);
    let names: Vec<&str> = head.iter().collect();
    assert_eq!(
        names[names.len() - 5..],
        ["converged_at", "settled", "class", "burn_in", "steps"]
    );
    let (level, settled) = (column(&head, "level"), column(&head, "settled"));
    let (burn_in, steps) = (column(&head, "burn_in"), column(&head, "steps"));
    let innovation = column(&head, "mean_innovation");
    let series = records(&out.join("timeseries.csv"));
    let series_head = header(&out.join("timeseries.csv"));
    let (replicate_col, level_col) = (
        column(&series_head, "replicate"),
        column(&series_head, "level"),
    );
    let series_innovation = column(&series_head, "mean_innovation");
    let whole: Vec<csv::StringRecord> = records(&summary)
        .into_iter()
        .filter(|row| &row[level] == "all")
        .collect();
    assert_eq!(whole.len(), 2);
    // Both replicates stop together at a checkpoint: 20 + 200·2^j or 20 + 300·2^j steps.
    assert_eq!(whole[0][steps], whole[1][steps]);
    assert_eq!(whole[0][burn_in], whole[1][burn_in]);
    for row in &whole {
        let (start, end): (usize, usize) =
            (row[burn_in].parse().unwrap(), row[steps].parse().unwrap());
        let length = end - 20;
        let hundreds = length / 100;
        assert!(
            length % 100 == 0
                && hundreds >= 2
                && (hundreds.is_power_of_two()
                    || (hundreds % 3 == 0 && (hundreds / 3).is_power_of_two())),
            "{row:?}"
        );
        // The warm-up starts at the schedule's last entry and lies in the first half.
        assert!(start >= 20 && start - 20 <= length / 2, "{row:?}");
        assert_eq!(&row[settled], "true");
        // The time series holds every step of a run this short; the equilibrium is the
        // mean over the retained steps.
        let replicate = &row[column(&head, "replicate")];
        let values: Vec<f64> = series
            .iter()
            .filter(|r| &r[replicate_col] == replicate && &r[level_col] == "all")
            .map(|r| r[series_innovation].parse().unwrap())
            .collect();
        assert_eq!(values.len(), end);
        let mean = values[start..].iter().sum::<f64>() / (end - start) as f64;
        let recorded: f64 = row[innovation].parse().unwrap();
        assert!((mean - recorded).abs() < 1e-12, "{mean} {recorded}");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "small: ran {} steps per replicate; long-run means over steps {}..",
            &whole[0][steps], &whole[0][burn_in]
        )) && stdout.contains("relaxation time"),
        "{stdout}"
    );
    let equilibrium = std::fs::read_to_string(out.join("equilibrium.csv")).unwrap();
    assert!(
        equilibrium.contains("small,all,relaxation_steps,"),
        "{equilibrium}"
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("warning"));
}

#[test]
fn replicates_stopped_by_max_steps_are_reported_as_not_settled() {
    let dir = tempfile::tempdir().unwrap();
    // Precision 0 asks for an exact mean, which no noisy series gives.
    let text = settling_scenario("").replace(
        "replicates = 2",
        "replicates = 2\nuntil_settled = true\nmax_steps = 300\nprecision = 0.0",
    );
    let file = write(dir.path(), "capped.toml", &text);
    let out = dir.path().join("out");
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    let summary = out.join("summary.csv");
    let head = header(&summary);
    for row in records(&summary) {
        assert_eq!(&row[column(&head, "settled")], "false");
        assert_eq!(&row[column(&head, "steps")], "300");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2 of 2 replicates did not satisfy the long-run rule by run.max_steps")
            && stderr.contains("raise run.max_steps"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("not settled by run.max_steps: "),
        "{stdout}"
    );
    let equilibrium = std::fs::read_to_string(out.join("equilibrium.csv")).unwrap();
    assert!(
        equilibrium.contains("capped,all,settled,0.0,0.0,"),
        "{equilibrium}"
    );
}

#[test]
fn runs_until_settled_are_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_small(dir.path(), "small.toml", 4, "until_settled = true");
    let run = |threads: &str| {
        let out = dir.path().join(format!("out-{threads}"));
        let output = cadresim()
            .arg("run")
            .arg(&file)
            .args(["--threads", threads, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        succeeded(&output);
        out
    };
    let (one, two) = (run("1"), run("2"));
    for name in ["timeseries.csv", "summary.csv", "equilibrium.csv"] {
        let a = std::fs::read(one.join(name)).unwrap();
        let b = std::fs::read(two.join(name)).unwrap();
        assert!(a == b, "{name} differs between 1 and 2 threads");
    }
    // Every replicate ran the same steps, and the charts show all of them.
    let head = header(&one.join("summary.csv"));
    let steps: std::collections::BTreeSet<String> = records(&one.join("summary.csv"))
        .iter()
        .map(|row| row[column(&head, "steps")].to_string())
        .collect();
    assert_eq!(steps.len(), 1, "{steps:?}");
    let length: usize = steps.iter().next().unwrap().parse().unwrap();
    let read = cadresim::output::series::read_result(&one).unwrap();
    let stride = read.series[0].stride;
    assert_eq!(read.series[0].steps, length.div_ceil(stride));
    let band = read.series[0].band("all", "mean_innovation").unwrap();
    assert_eq!(band.mean.len(), length.div_ceil(stride));
}

#[test]
fn long_runs_record_every_few_steps_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    // 4,000 steps (precision 0 is never met): timeseries.csv keeps every second step.
    let run = |name: &str, extra: &str| {
        let text = settling_scenario(extra).replace(
            "replicates = 2",
            "replicates = 1\nuntil_settled = true\nmax_steps = 4000\nprecision = 0.0",
        );
        let file = write(dir.path(), &format!("{name}.toml"), &text);
        let out = dir.path().join(name);
        succeeded(
            &cadresim()
                .arg("run")
                .arg(&file)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap(),
        );
        let series = records(&out.join("timeseries.csv"));
        let steps: Vec<usize> = series
            .iter()
            .filter(|row| &row[3] == "all")
            .map(|row| row[2].parse().unwrap())
            .collect();
        (out, steps)
    };
    let (out, steps) = run("automatic", "");
    assert_eq!(steps.len(), 2000);
    assert_eq!(steps[..3], [0, 2, 4]);
    let read = cadresim::output::series::read_result(&out).unwrap();
    assert_eq!((read.series[0].steps, read.series[0].stride), (2000, 2));
    let (_, steps) = run("every", "[output]\nseries_every = 1000\n");
    assert_eq!(steps, [0, 1000, 2000, 3000]);
}

#[test]
fn a_sweep_until_settled_merges_from_shards_to_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", &settling_scenario(""));
    let sweep = write(
        dir.path(),
        "sweep.toml",
        "base = \"base.toml\"\n[run]\nuntil_settled = true\n[sweep]\ndesign = \"grid\"\nreplicates = 2\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nvalues = [1.0, 8.0]\n",
    );
    let whole = dir.path().join("whole");
    succeeded(
        &cadresim()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&whole)
            .output()
            .unwrap(),
    );
    let head = header(&whole.join("sweep.csv"));
    assert!(head.iter().any(|h| h == "burn_in") && head.iter().any(|h| h == "steps"));
    let mut shards = Vec::new();
    for shard in ["1/2", "2/2"] {
        let out = dir.path().join(format!("shard-{}", &shard[..1]));
        succeeded(
            &cadresim()
                .arg("sweep")
                .arg(&sweep)
                .args(["--shard", shard, "--out"])
                .arg(&out)
                .output()
                .unwrap(),
        );
        shards.push(out);
    }
    let merged = dir.path().join("merged");
    succeeded(
        &cadresim()
            .arg("merge")
            .args(&shards)
            .arg("--out")
            .arg(&merged)
            .output()
            .unwrap(),
    );
    for name in ["sweep.csv", "sweep_summary.csv"] {
        assert_eq!(
            std::fs::read(whole.join(name)).unwrap(),
            std::fs::read(merged.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn settings_that_cannot_settle_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_small(
        dir.path(),
        "short.toml",
        2,
        "until_settled = true\nmax_steps = 199",
    );
    let output = cadresim().arg("run").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("short.toml")
            && stderr.contains("run.max_steps")
            && stderr.contains("at least 200"),
        "{stderr}"
    );

    // A path design holds each value for a fixed number of steps.
    write(dir.path(), "base.toml", &settling_scenario(""));
    let path_sweep = "base = \"base.toml\"\n[sweep]\ndesign = \"path\"\nsteps_per_point = 20\nreplicates = 2\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nvalues = [1.0, 8.0]\n";
    let sweep = write(dir.path(), "path.toml", path_sweep);
    let output = cadresim()
        .arg("sweep")
        .arg(&sweep)
        .arg("--until-settled")
        .arg("--out")
        .arg(dir.path().join("never"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--until-settled") && stderr.contains("path design"),
        "{stderr}"
    );
    assert!(!dir.path().join("never").exists());
    // --steps sets the steps at each value, held to what the file may say.
    for steps in ["1", "10000000"] {
        let output = cadresim()
            .arg("sweep")
            .arg(&sweep)
            .args(["--steps", steps, "--out"])
            .arg(dir.path().join("never"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("--steps: a path design") && stderr.contains(&format!("got {steps}")),
            "{stderr}"
        );
        assert!(!dir.path().join("never").exists());
    }
    // Run as a path, its points (second halves of 20 steps, W = 5) have not settled, and the
    // warning says what helps a path.
    let output = cadresim()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("path"))
        .output()
        .unwrap();
    succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("had not settled") && stderr.contains("raise sweep.steps_per_point"),
        "{stderr}"
    );
    let in_file = path_sweep.replace("[sweep]", "[run]\nuntil_settled = true\n[sweep]");
    let sweep = write(dir.path(), "path-file.toml", &in_file);
    let output = cadresim().arg("sweep").arg(&sweep).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("path-file.toml") && stderr.contains("run.until_settled"),
        "{stderr}"
    );
}

#[test]
fn an_explicit_length_wins_over_running_until_settled() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_small(dir.path(), "small.toml", 2, "until_settled = true");
    let out = dir.path().join("out");
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .args(["--steps", "25", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    succeeded(&output);
    assert!(!header(&out.join("summary.csv"))
        .iter()
        .any(|h| h == "steps"));
    assert_eq!(records(&out.join("timeseries.csv")).len(), 2 * 25 * 3);
    let both = cadresim()
        .arg("run")
        .arg(&file)
        .args(["--steps", "25", "--until-settled", "--out"])
        .arg(dir.path().join("never"))
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("--until-settled"));
    // The fixed length must still hold every schedule entry.
    let text =
        settling_scenario("[[schedule]]\nat = 40\nset = { \"accountability.penalty\" = 4.0 }\n")
            .replace("replicates = 2", "replicates = 2\nuntil_settled = true");
    let scheduled = write(dir.path(), "scheduled.toml", &text);
    let short = cadresim()
        .arg("run")
        .arg(&scheduled)
        .args(["--steps", "25", "--out"])
        .arg(dir.path().join("short"))
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(
        stderr.contains("--steps") && stderr.contains("step 40"),
        "{stderr}"
    );
}

#[test]
fn a_run_cut_short_by_steps_is_told_to_lengthen_steps_not_to_set_what_the_scenario_sets() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_small(dir.path(), "small.toml", 2, "until_settled = true");
    let output = cadresim()
        .arg("run")
        .arg(&file)
        .args(["--steps", "12", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("had not settled")
            && stderr.contains("give more --steps, or --until-settled instead of --steps"),
        "{stderr}"
    );
    assert!(!stderr.contains("set run.until_settled"), "{stderr}");
}
