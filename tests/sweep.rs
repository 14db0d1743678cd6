//! Sweeps: designs, validation, resume after a killed run, shards and merge, and the
//! innovation-versus-penalty ordering through the whole sweep pipeline.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use cadresim::sweep::file;
use tempfile::TempDir;

fn cadresim() -> Command {
    Command::cargo_bin("cadresim").unwrap()
}

/// A sweep file beside a copy of the pressure scenario, run for the sweep's fixed number of
/// steps (the bundled regime runs until settled, for thousands of steps).
fn sweep_file(dir: &Path, body: &str) -> PathBuf {
    let pressure = fs::read_to_string("scenarios/pressure.toml").unwrap();
    assert!(pressure.contains("until_settled = true"));
    fs::write(
        dir.join("pressure.toml"),
        pressure.replace("until_settled = true", "until_settled = false"),
    )
    .unwrap();
    let path = dir.join("test-sweep.toml");
    fs::write(&path, format!("base = \"pressure.toml\"\n{body}")).unwrap();
    path
}

const GRID: &str = r#"
[run]
steps = 60
burn_in = 30

[sweep]
design = "grid"
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
values = [1.0, 4.0, 16.0]

[[sweep.axis]]
name = "tolerance"
variants = { off = { "fault_tolerance.enabled" = false }, scoped = { "fault_tolerance.enabled" = true } }
"#;

#[test]
fn grid_is_the_cartesian_product_first_axis_slowest() {
    let dir = TempDir::new().unwrap();
    let path = sweep_file(dir.path(), GRID);
    let spec = file::load(&path).unwrap();
    let points = spec.points();
    let labels: Vec<Vec<String>> = points.iter().map(|p| p.labels.clone()).collect();
    let expected = [
        ["1.0", "off"],
        ["1.0", "scoped"],
        ["4.0", "off"],
        ["4.0", "scoped"],
        ["16.0", "off"],
        ["16.0", "scoped"],
    ];
    assert_eq!(labels.len(), 6);
    for (got, want) in labels.iter().zip(expected) {
        assert_eq!(got, &want.map(String::from).to_vec());
    }
    let scenario = spec.scenario_for(&points[3]).unwrap();
    assert_eq!(scenario.params.accountability.penalty, 4.0);
    assert!(scenario.params.fault_tolerance.enabled);
    assert_eq!(scenario.params.run.replicates, 2);
}

#[test]
fn latin_hypercube_uses_every_stratum_once_on_every_axis() {
    let dir = TempDir::new().unwrap();
    let body = r#"
[sweep]
design = "lhs"
samples = 10

[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 16.0
steps = 10
scale = "log"

[[sweep.axis]]
param = "accountability.detection"
from = 0.2
to = 0.7
steps = 10

[[sweep.axis]]
param = "fault_tolerance.enabled"
values = [false, true]
"#;
    let spec = file::load(&sweep_file(dir.path(), body)).unwrap();
    let points = spec.points();
    assert_eq!(points.len(), 10);
    let strata = |axis: usize, position: &dyn Fn(f64) -> f64| -> Vec<usize> {
        let mut strata: Vec<usize> = points
            .iter()
            .map(|p| (position(p.labels[axis].parse::<f64>().unwrap()) * 10.0).floor() as usize)
            .collect();
        strata.sort();
        strata
    };
    let all: Vec<usize> = (0..10).collect();
    assert_eq!(
        strata(0, &|v| (v.ln() - 1f64.ln()) / (16f64.ln() - 1f64.ln())),
        all
    );
    assert_eq!(strata(1, &|v| (v - 0.2) / 0.5), all);
    let enabled = points.iter().filter(|p| p.labels[2] == "true").count();
    assert_eq!(enabled, 5, "a two-value axis splits the strata evenly");
    // The design is a function of the seed.
    assert_eq!(points, spec.points());
}

#[test]
fn sweep_files_are_validated_like_scenarios() {
    let cases = [
        ("[sweep]\n[[sweep.axis]]\nparam = \"accountability.penalti\"\nvalues = [1.0]\n", "did you mean `accountability.penalty`"),
        ("[sweep]\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nvalus = [1.0]\n", "sweep.axis[0].valus"),
        ("[sweep]\ndesign = \"lhs\"\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nvalues = [1.0]\n", "sweep.samples"),
        ("[sweep]\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nfrom = 0.0\nto = 4.0\nsteps = 3\nscale = \"log\"\n", "log-scaled"),
        ("[sweep]\n[[sweep.axis]]\nparam = \"accountability.detection\"\nvalues = [0.5, 1.5]\n", "[0, 1]"),
        ("[sweep]\n", "sweep.axis"),
        ("bases = \"b.toml\"\n[sweep]\n", "`bases` is not a known key or section; did you mean `base`? allowed: base, sweep, name,"),
    ];
    for (body, expected) in cases {
        let dir = TempDir::new().unwrap();
        let path = sweep_file(dir.path(), body);
        let output = cadresim()
            .arg("sweep")
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join("o"))
            .output()
            .unwrap();
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains("test-sweep.toml"), "{message}");
        assert!(
            message.contains(expected),
            "expected `{expected}` in: {message}"
        );
        assert!(!dir.path().join("o").exists());
    }
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

const RESUMABLE: &str = r#"
[run]
steps = 120
burn_in = 60

[sweep]
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 12.0
steps = 12

[[sweep.axis]]
param = "fault_tolerance.enabled"
values = [false, true]
"#;

#[test]
fn a_killed_sweep_resumes_to_exactly_the_uninterrupted_result() {
    let dir = TempDir::new().unwrap();
    let path = sweep_file(dir.path(), RESUMABLE);
    let whole = dir.path().join("whole");
    cadresim()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();

    let killed = dir.path().join("killed");
    let binary = assert_cmd::cargo::cargo_bin("cadresim");
    let mut child = std::process::Command::new(binary)
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&killed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let parts = killed.join("parts");
    loop {
        let done = fs::read_dir(&parts)
            .map(|entries| {
                entries
                    .filter(|e| {
                        e.as_ref()
                            .unwrap()
                            .file_name()
                            .to_string_lossy()
                            .ends_with(".csv")
                    })
                    .count()
            })
            .unwrap_or(0);
        if done >= 2 || started.elapsed() > Duration::from_secs(300) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !killed.join("manifest.json").exists(),
        "the killed sweep must not look complete"
    );
    let finished_before = fs::read_dir(&parts).unwrap().count();
    assert!(
        finished_before < 24,
        "the sweep ended before it could be killed"
    );

    // Without --resume the directory is refused; with it only missing points run.
    let output = cadresim()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&killed)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = cadresim()
        .arg("sweep")
        .arg(&path)
        .arg("--resume")
        .arg("--out")
        .arg(&killed)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("already done"), "{stdout}");
    for name in ["points.csv", "sweep.csv", "sweep_summary.csv"] {
        assert!(
            read(&whole, name) == read(&killed, name),
            "{name} differs after resume"
        );
    }
}

#[test]
fn shards_merge_into_the_unsharded_result() {
    let dir = TempDir::new().unwrap();
    let path = sweep_file(dir.path(), GRID);
    let whole = dir.path().join("whole");
    cadresim()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    let mut shards = Vec::new();
    for k in 1..=3 {
        let out = dir.path().join(format!("shard{k}"));
        cadresim()
            .arg("sweep")
            .arg(&path)
            .args(["--shard", &format!("{k}/3"), "--threads", "1", "--out"])
            .arg(&out)
            .assert()
            .success();
        shards.push(out);
    }
    // Incomplete or mixed shard sets are refused.
    let merged = dir.path().join("merged");
    let output = cadresim()
        .arg("merge")
        .arg(&shards[0])
        .arg(&shards[1])
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("shard 3/3 is missing"));
    cadresim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    for name in ["points.csv", "sweep.csv", "sweep_summary.csv"] {
        assert!(
            read(&whole, name) == read(&merged, name),
            "{name} differs after merge"
        );
    }
    assert!(merged.join("charts/curve-mean_innovation.png").exists());
}

#[test]
fn innovation_falls_with_penalty_and_scoped_tolerance_lies_above_from_penalty_two() {
    let dir = TempDir::new().unwrap();
    let body = r#"
[sweep]
replicates = 4

[[sweep.axis]]
param = "accountability.penalty"
values = [0.5, 2.0, 8.0, 16.0]

[[sweep.axis]]
name = "tolerance"
variants = { off = { "fault_tolerance.enabled" = false }, scoped = { "fault_tolerance.enabled" = true } }
"#;
    let path = sweep_file(dir.path(), body);
    let out = dir.path().join("out");
    cadresim()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    // The curve's title says in words what is plotted against what.
    let svg = fs::read_to_string(out.join("charts/curve-mean_innovation.svg")).unwrap();
    assert!(svg.contains(
        "Mean innovation intensity (0-1) against the sanction of a detected, unexempted error"
    ));
    // (mean, ci low, ci high) of mean_innovation at level "all", by point.
    let summary = fs::read_to_string(out.join("sweep_summary.csv")).unwrap();
    let innovation: Vec<(f64, f64, f64)> = summary
        .lines()
        .filter(|l| l.contains(",all,mean_innovation,"))
        .map(|l| {
            let f: Vec<f64> = l
                .split(',')
                .skip(3)
                .take(4)
                .map(|v| v.parse().unwrap())
                .collect();
            (f[0], f[2], f[3])
        })
        .collect();
    assert_eq!(innovation.len(), 8);
    let off: Vec<_> = innovation.iter().step_by(2).collect();
    let scoped: Vec<_> = innovation.iter().skip(1).step_by(2).collect();
    for pair in off.windows(2) {
        assert!(
            pair[0].1 > pair[1].2,
            "no tolerance: innovation does not fall: {pair:?}"
        );
    }
    for (s, o) in scoped.iter().zip(&off).skip(1) {
        assert!(s.1 > o.2, "scoped {s:?} not above none {o:?}");
    }
}
