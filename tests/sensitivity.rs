//! Sensitivity analysis: the estimators against SALib's own numbers and against functions
//! with known indices, the designs' row layout, exact zeros for a parameter without effect,
//! and identical results after resume and after shard + merge.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use cadresim::rng::{Phase, ReplicateKey};
use cadresim::sensitivity::estimators::{self, Z_975};
use cadresim::sweep::sampling::{morris_delta, morris_rows, saltelli_rows};
use common::{cadresim, SMALL};
use tempfile::TempDir;

fn stream(seed: u64) -> cadresim::rng::Stream {
    ReplicateKey::new(seed, 0).stream(0, 0, Phase::Init)
}

fn reference(name: &str) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/salib")
        .join(name);
    let mut reader = csv::Reader::from_path(&path).expect("reference file");
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The output make_reference.py feeds SALib: exact in binary floating point.
fn integer_formula(rows: usize) -> Vec<f64> {
    (0..rows)
        .map(|i| ((i * 7919 + 13) % 1009) as f64 / 1009.0 + if i % 3 == 1 { 0.5 } else { 0.0 })
        .collect()
}

#[test]
fn sobol_indices_equal_salib_on_the_same_outputs() {
    let expected = reference("sobol.csv");
    for second_order in [false, true] {
        let block = if second_order { 10 } else { 6 };
        let y = integer_formula(64 * block);
        let indices = estimators::sobol(&y, 4, second_order, 0, &mut stream(1));
        let flag = if second_order { "True" } else { "False" };
        let mut checked = 0;
        for row in expected.iter().filter(|row| row[1] == flag) {
            let salib: f64 = row[4].parse().unwrap();
            let mine = match row[3].as_str() {
                "S1" => indices.first[row[2][1..].parse::<usize>().unwrap()].mean,
                "ST" => indices.total[row[2][1..].parse::<usize>().unwrap()].mean,
                _ => {
                    let (j, k) = row[2].split_once('|').unwrap();
                    let pair = (j[1..].parse().unwrap(), k[1..].parse().unwrap());
                    indices
                        .second
                        .iter()
                        .find(|(p, _)| *p == pair)
                        .unwrap()
                        .1
                        .mean
                }
            };
            assert!(
                (mine - salib).abs() < 1e-9,
                "{row:?}: cadresim {mine}, SALib {salib}"
            );
            checked += 1;
        }
        assert_eq!(checked, if second_order { 14 } else { 8 });
    }
}

#[test]
fn morris_statistics_equal_salib_on_its_own_sample() {
    let sample = reference("morris_sample.csv");
    let units: Vec<Vec<f64>> = sample
        .iter()
        .map(|row| row[..3].iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    let y: Vec<f64> = sample.iter().map(|row| row[3].parse().unwrap()).collect();
    let effects = estimators::elementary_effects(&units, &y, 3, morris_delta(4));
    let statistics = estimators::morris(&effects, 10, &mut stream(1));
    for (row, mine) in reference("morris.csv").iter().zip(&statistics) {
        let salib: Vec<f64> = row[1..].iter().map(|v| v.parse().unwrap()).collect();
        assert!((mine.mu - salib[0]).abs() < 1e-9, "{row:?}");
        assert!((mine.mu_star.mean - salib[1]).abs() < 1e-9, "{row:?}");
        assert!((mine.sigma - salib[2]).abs() < 1e-9, "{row:?}");
    }
}

/// Evaluate `f` on a Saltelli sample (unit hypercube) and return the estimated indices.
fn sobol_of(
    f: impl Fn(&[f64]) -> f64,
    factors: usize,
    base_rows: usize,
) -> estimators::SobolIndices {
    let rows = saltelli_rows(base_rows, factors, false, 11);
    let y: Vec<f64> = rows.iter().map(|x| f(x)).collect();
    estimators::sobol(&y, factors, false, 200, &mut stream(2))
}

/// The estimate lies within 4 bootstrap standard deviations of the truth, and the bootstrap
/// sd is small enough for that to be a real test.
fn assert_near(estimate: cadresim::stats::Estimate, truth: f64, what: &str) {
    let sd = (estimate.high - estimate.low) / (2.0 * Z_975);
    assert!(sd < 0.03, "{what}: bootstrap sd {sd} too wide to test");
    assert!(
        (estimate.mean - truth).abs() <= 4.0 * sd + 1e-12,
        "{what}: estimate {} vs known {truth} (sd {sd})",
        estimate.mean
    );
}

#[test]
fn ishigami_indices_are_recovered() {
    let (a, b) = (7.0, 0.1);
    let pi = std::f64::consts::PI;
    let ishigami = |x: &[f64]| {
        let x: Vec<f64> = x.iter().map(|u| -pi + 2.0 * pi * u).collect();
        x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
    };
    let v1 = 0.5 * (1.0 + b * pi.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = 8.0 * b * b * pi.powi(8) / 225.0;
    let v = v1 + v2 + v13;
    let first = [v1 / v, v2 / v, 0.0];
    let total = [(v1 + v13) / v, v2 / v, v13 / v];
    assert!((first[0] - 0.3139).abs() < 1e-4 && (total[2] - 0.2437).abs() < 1e-4);
    let indices = sobol_of(ishigami, 3, 1 << 14);
    for j in 0..3 {
        assert_near(indices.first[j], first[j], &format!("S1 x{j}"));
        assert_near(indices.total[j], total[j], &format!("ST x{j}"));
    }
}

#[test]
fn sobol_g_function_indices_are_recovered() {
    let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
    let g = |x: &[f64]| {
        x.iter()
            .zip(a)
            .map(|(u, a)| ((4.0 * u - 2.0).abs() + a) / (1.0 + a))
            .product::<f64>()
    };
    let partial: Vec<f64> = a
        .iter()
        .map(|a| 1.0 / (3.0 * (1.0 + a) * (1.0 + a)))
        .collect();
    let v = partial.iter().map(|p| 1.0 + p).product::<f64>() - 1.0;
    let indices = sobol_of(g, a.len(), 1 << 13);
    for j in 0..a.len() {
        let others: f64 = (0..a.len())
            .filter(|k| *k != j)
            .map(|k| 1.0 + partial[k])
            .product();
        assert_near(indices.first[j], partial[j] / v, &format!("S1 x{j}"));
        assert_near(
            indices.total[j],
            partial[j] * others / v,
            &format!("ST x{j}"),
        );
    }
}

#[test]
fn morris_recovers_the_effects_of_a_linear_function_exactly() {
    let effects = [3.0, -1.5, 0.0, 0.25];
    let rows = morris_rows(10, 4, 4, &mut stream(5));
    let y: Vec<f64> = rows
        .iter()
        .map(|x| x.iter().zip(effects).map(|(u, c)| u * c).sum())
        .collect();
    let ee = estimators::elementary_effects(&rows, &y, 4, morris_delta(4));
    let statistics = estimators::morris(&ee, 100, &mut stream(6));
    for (s, c) in statistics.iter().zip(effects) {
        assert!((s.mu - c).abs() < 1e-12, "mu {} vs {c}", s.mu);
        assert!((s.mu_star.mean - c.abs()).abs() < 1e-12);
        assert!(s.sigma < 1e-12);
    }
}

#[test]
fn noise_share_is_within_point_variance_of_the_mean_over_total_variance() {
    // Two points, replicates 1,3 and 5,7: variance of each mean 2/2 = 1, of the means 8.
    let share = estimators::noise_share(&[vec![1.0, 3.0], vec![5.0, 7.0]]).unwrap();
    assert!((share - 1.0 / 8.0).abs() < 1e-12);
    assert_eq!(estimators::noise_share(&[vec![1.0], vec![2.0]]), None);
}

fn write_sweep(dir: &Path, sweep: &str) -> PathBuf {
    fs::write(dir.join("small.toml"), SMALL).unwrap();
    let path = dir.join("sa.toml");
    fs::write(&path, format!("base = \"small.toml\"\n{sweep}")).unwrap();
    path
}

const SOBOL: &str = r#"
[targets]
adaptive_markup = 0.0

[sweep]
design = "sobol"
samples = 8
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 12.0
scale = "log"

[[sweep.axis]]
param = "targets.markup_max"
from = 0.1
to = 0.6

[[sweep.axis]]
param = "fault_tolerance.enabled"
values = [false, true]
"#;

/// Run `cadresim sweep FILE --out OUT` with extra arguments; it must succeed.
fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    cadresim()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

fn points(dir: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(dir.join("points.csv")).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().skip(1).map(str::to_string).collect())
        .collect()
}

#[test]
fn sobol_sweep_points_follow_salib_row_order_and_a_parameter_without_effect_scores_zero() {
    let tmp = TempDir::new().unwrap();
    let file = write_sweep(tmp.path(), SOBOL);
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]);
    let points = points(&out);
    assert_eq!(points.len(), 8 * 5);
    for block in points.chunks(5) {
        let (a, b) = (&block[0], &block[4]);
        for j in 0..3 {
            let mut ab = a.clone();
            ab[j] = b[j].clone();
            assert_eq!(block[1 + j], ab, "AB_{j} is A with factor {j} from B");
        }
    }
    let table = fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    assert!(table.starts_with("method,metric,level,parameter,index,estimate,ci95_low,ci95_high\n"));
    for index in ["S1", "ST"] {
        for metric in ["mean_innovation", "share_idle", "welfare", "abuse_rate"] {
            let row = format!("sobol,{metric},all,targets.markup_max,{index},0.0,0.0,0.0\n");
            assert!(table.contains(&row), "missing {row} in\n{table}");
        }
    }
    assert!(table.contains(",noise_share,"));
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    for file in [
        "sensitivity.csv",
        "sensitivity_convergence.csv",
        "charts/sensitivity-welfare.png",
    ] {
        assert!(
            manifest.contains(&format!("\"{file}\"")),
            "manifest lacks {file}"
        );
    }
}

#[test]
fn morris_sweep_points_move_one_factor_at_a_time() {
    let tmp = TempDir::new().unwrap();
    let body = SOBOL.replace(
        "design = \"sobol\"\nsamples = 8",
        "design = \"morris\"\ntrajectories = 4",
    );
    let file = write_sweep(tmp.path(), &body);
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]);
    let points = points(&out);
    assert_eq!(points.len(), 4 * 4);
    for trajectory in points.chunks(4) {
        let mut moved = [false; 3];
        for pair in trajectory.windows(2) {
            let changed: Vec<usize> = (0..3).filter(|&f| pair[0][f] != pair[1][f]).collect();
            assert_eq!(changed.len(), 1, "{pair:?}");
            assert!(!std::mem::replace(&mut moved[changed[0]], true));
        }
    }
    let table = fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    assert!(table.contains("morris,welfare,all,targets.markup_max,mu_star,0.0,0.0,0.0\n"));
}

fn read(path: PathBuf) -> Vec<u8> {
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn resume_and_shard_merge_give_identical_sensitivity_tables() {
    let tmp = TempDir::new().unwrap();
    let file = write_sweep(tmp.path(), SOBOL);
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]);
    // An interrupted sweep: half of its parts and everything after them are gone.
    let resumed = tmp.path().join("resumed");
    sweep(&file, &resumed, &[]);
    for name in [
        "manifest.json",
        "sensitivity.csv",
        "sensitivity_convergence.csv",
        "sweep.csv",
    ] {
        fs::remove_file(resumed.join(name)).unwrap();
    }
    for id in (0..40).step_by(2) {
        fs::remove_file(resumed.join(format!("parts/point-{id:06}.csv"))).unwrap();
    }
    sweep(&file, &resumed, &["--resume"]);
    let mut shards = Vec::new();
    for k in 1..=2 {
        let dir = tmp.path().join(format!("shard{k}"));
        sweep(&file, &dir, &["--shard", &format!("{k}/2")]);
        assert!(
            !dir.join("sensitivity.csv").exists(),
            "a shard is not analysed alone"
        );
        shards.push(dir.to_str().unwrap().to_string());
    }
    let merged = tmp.path().join("merged");
    cadresim()
        .args([
            "merge",
            &shards[0],
            &shards[1],
            "--out",
            merged.to_str().unwrap(),
        ])
        .assert()
        .success();
    for name in ["sensitivity.csv", "sensitivity_convergence.csv"] {
        let expected = read(whole.join(name));
        assert_eq!(read(resumed.join(name)), expected, "{name} after resume");
        assert_eq!(read(merged.join(name)), expected, "{name} after merge");
    }
}

#[test]
fn the_sensitivity_command_reanalyses_and_records_its_files_in_the_manifest() {
    let tmp = TempDir::new().unwrap();
    let file = write_sweep(tmp.path(), SOBOL);
    let out = tmp.path().join("out");
    let out_text = out.to_str().unwrap();
    cadresim()
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out_text,
            "--threads",
            "1",
        ])
        .assert()
        .success();
    let first = read(out.join("sensitivity.csv"));
    cadresim()
        .args(["sensitivity", out_text])
        .assert()
        .success();
    assert_eq!(
        read(out.join("sensitivity.csv")),
        first,
        "same options, same bytes"
    );
    cadresim()
        .args([
            "sensitivity",
            out_text,
            "--metric",
            "welfare",
            "--level",
            "township",
            "--bootstrap",
            "50",
        ])
        .assert()
        .success();
    let table = fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    assert!(table
        .lines()
        .skip(1)
        .all(|l| l.starts_with("sobol,welfare,township,")));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let hash = manifest["files"]["sensitivity.csv"].as_str().unwrap();
    assert_eq!(
        hash,
        cadresim::output::manifest::sha256_hex(table.as_bytes())
    );
    assert_eq!(manifest["sensitivity"]["level"], "township");
    // Resuming the finished sweep, and replaying it, repeat the re-analysis, not the default.
    sweep(&file, &out, &["--resume"]);
    assert_eq!(
        fs::read_to_string(out.join("sensitivity.csv")).unwrap(),
        table
    );
    let replayed = tmp.path().join("replayed");
    cadresim()
        .args(["replay", &format!("{out_text}/manifest.json"), "--out"])
        .arg(&replayed)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(replayed.join("sensitivity.csv")).unwrap(),
        table
    );
    // A charts folder that links elsewhere: refused before anything changes there or here.
    let charts = out.join("charts");
    let elsewhere = tmp.path().join("elsewhere");
    fs::rename(&charts, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &charts).unwrap();
    let before = fs::read_dir(&elsewhere).unwrap().count();
    let manifest_text = fs::read_to_string(out.join("manifest.json")).unwrap();
    let assert = cadresim().args(["sensitivity", out_text]).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), before);
    assert_eq!(
        fs::read_to_string(out.join("manifest.json")).unwrap(),
        manifest_text
    );
    fs::remove_file(&charts).unwrap();
    fs::rename(&elsewhere, &charts).unwrap();
    for (args, needle) in [
        (vec!["--metric", "happiness"], "--metric `happiness`"),
        (vec!["--level", "village"], "--level `village`"),
    ] {
        let assert = cadresim()
            .args(["sensitivity", out_text])
            .args(args)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(
            stderr.contains(needle) && stderr.lines().count() == 1,
            "{stderr}"
        );
    }
}

#[test]
fn a_grid_sweep_is_not_analysed() {
    let tmp = TempDir::new().unwrap();
    let body = "[sweep]\nreplicates = 2\n[[sweep.axis]]\nparam = \"accountability.penalty\"\nvalues = [1.0, 2.0]\n";
    let file = write_sweep(tmp.path(), body);
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]);
    let assert = cadresim()
        .args(["sensitivity", out.to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("design = \"sobol\" or \"morris\""),
        "{stderr}"
    );
}

#[test]
fn sensitivity_designs_refuse_what_cannot_work() {
    let tmp = TempDir::new().unwrap();
    let cases = [
        (
            SOBOL.replace("values = [false, true]", "values = [true]"),
            "sweep.axis[2]",
        ),
        (
            SOBOL.replace("scale = \"log\"", "scale = \"log\"\nsteps = 4"),
            "sweep.axis[0].steps",
        ),
        (SOBOL.replace("samples = 8", "samples = 4"), "sweep.samples"),
        (
            SOBOL.replace("samples = 8", "samples = 8\ntrajectories = 3"),
            "sweep.trajectories",
        ),
        (
            SOBOL.replace("design = \"sobol\"\nsamples = 8", "design = \"morris\""),
            "sweep.trajectories",
        ),
        (
            SOBOL.replace(
                "design = \"sobol\"\nsamples = 8",
                "design = \"morris\"\ntrajectories = 4\nlevels = 5",
            ),
            "sweep.levels",
        ),
        (
            SOBOL.replace(
                "design = \"sobol\"",
                "design = \"lhs\"\nsecond_order = true",
            ),
            "sweep.second_order",
        ),
        (SOBOL.replace("to = 12.0", "to = 1.0"), "sweep.axis[0]"),
    ];
    for (body, key) in cases {
        let file = write_sweep(tmp.path(), &body);
        let assert = cadresim()
            .args(["sweep", file.to_str().unwrap(), "--out"])
            .arg(tmp.path().join("never"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(
            stderr.contains(key) && stderr.lines().count() == 1,
            "{key}: {stderr}"
        );
        assert!(!tmp.path().join("never").exists());
    }
}

#[test]
fn lhs_ranges_need_no_steps_and_a_non_power_of_two_sobol_sample_warns() {
    let tmp = TempDir::new().unwrap();
    let lhs = SOBOL.replace(
        "design = \"sobol\"\nsamples = 8",
        "design = \"lhs\"\nsamples = 3",
    );
    let file = write_sweep(tmp.path(), &lhs);
    cadresim()
        .args(["sweep", file.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("lhs"))
        .assert()
        .success();
    let file = write_sweep(tmp.path(), &SOBOL.replace("samples = 8", "samples = 9"));
    let assert = cadresim()
        .args(["sweep", file.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("sobol"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("samples = 9 is not a power of two"),
        "{stderr}"
    );
}
