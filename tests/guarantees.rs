//! What a complete directory promises and what no command destroys: refusals under misuse,
//! damaged parts, locking, `--force` replacing exactly what cadresim wrote, merges that
//! cannot eat their inputs. Each test reproduces the misuse on real files.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

fn cadresim() -> Command {
    Command::cargo_bin("cadresim").expect("binary builds")
}

/// A small, fast scenario (two levels, few steps).
const SMALL: &str = r#"
[run]
steps = 30
burn_in = 10
replicates = 2

[[hierarchy.levels]]
name = "county"
branching = 3
cadres = 5

[[hierarchy.levels]]
name = "township"
branching = 4
cadres = 6
"#;

/// A small sweep over the small scenario: 3 penalties x 2 tolerance variants.
const SWEEP: &str = r#"
base = "small.toml"

[sweep]
design = "grid"
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
values = [1.0, 4.0, 16.0]

[[sweep.axis]]
name = "tolerance"
variants = { off = { "fault_tolerance.enabled" = false }, on = { "fault_tolerance.enabled" = true } }
"#;

struct Files {
    dir: TempDir,
}

impl Files {
    fn new() -> Self {
        let files = Files {
            dir: TempDir::new().unwrap(),
        };
        fs::write(files.path("small.toml"), SMALL).unwrap();
        fs::write(files.path("sweep.toml"), SWEEP).unwrap();
        files
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Run cadresim; returns (exit code, stderr).
fn run(args: &[&str]) -> (i32, String) {
    let output = cadresim().args(args).output().unwrap();
    (output.status.code().unwrap_or(-1), stderr(&output))
}

fn one_line_refusal((code, message): (i32, String), needle: &str) {
    assert_eq!(code, 2, "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains(needle), "{message}");
}

#[test]
fn resume_refuses_a_directory_that_is_not_the_same_sweep() {
    let files = Files::new();
    let out = files.arg("d");
    assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
    let refused = run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]);
    one_line_refusal(refused, "no sweep of");
    // Nothing was lost.
    assert!(files.path("d/manifest.json").exists());
    assert!(files.path("d/charts").is_dir());
    // An empty or missing directory simply starts the sweep.
    fs::create_dir(files.path("empty")).unwrap();
    for dir in ["empty", "missing"] {
        let out = files.arg(dir);
        let (code, message) = run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]);
        assert_eq!(code, 0, "{message}");
        assert!(files.path(dir).join("manifest.json").exists());
    }
    // A finished sweep of the same file resumes as a no-op with identical tables.
    let before = fs::read(files.path("missing/sweep.csv")).unwrap();
    let out = files.arg("missing");
    assert_eq!(
        run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]).0,
        0
    );
    assert_eq!(fs::read(files.path("missing/sweep.csv")).unwrap(), before);
}

/// A finished sweep in `out`; returns its sweep.csv.
fn finished_sweep(files: &Files, out: &str) -> Vec<u8> {
    let (code, message) = run(&["sweep", &files.arg("sweep.toml"), "--out", out]);
    assert_eq!(code, 0, "{message}");
    fs::read(Path::new(out).join("sweep.csv")).unwrap()
}

#[test]
fn damaged_parts_are_run_again_on_resume_and_refused_by_merge() {
    let files = Files::new();
    let out = files.arg("s");
    let complete = finished_sweep(&files, &out);
    let part = |id: usize| files.path(&format!("s/parts/point-{id:06}.csv"));
    // Truncate one part at a row boundary, empty another, copy a third over a fourth.
    let text = fs::read_to_string(part(0)).unwrap();
    let kept: Vec<&str> = text.lines().take(3).collect();
    fs::write(part(0), kept.join("\n") + "\n").unwrap();
    fs::write(part(1), "").unwrap();
    fs::copy(part(2), part(3)).unwrap();
    let output = cadresim()
        .args(["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warnings = stderr(&output);
    for id in [0, 1, 3] {
        assert!(
            warnings.contains(&format!("point-{id:06}.csv")),
            "no warning for point {id}: {warnings}"
        );
    }
    assert!(!warnings.contains("point-000002.csv"), "{warnings}");
    assert_eq!(fs::read(files.path("s/sweep.csv")).unwrap(), complete);

    // The same damage in a shard makes merge refuse, naming the file.
    let shard = |k: usize| files.arg(&format!("shard-{k}"));
    for k in 1..=2 {
        let shard_arg = format!("{k}/2");
        let (code, message) = run(&[
            "sweep",
            &files.arg("sweep.toml"),
            "--out",
            &shard(k),
            "--shard",
            &shard_arg,
        ]);
        assert_eq!(code, 0, "{message}");
    }
    let damaged = files.path("shard-1/parts/point-000000.csv");
    let text = fs::read_to_string(&damaged).unwrap();
    let kept: Vec<&str> = text.lines().take(2).collect();
    fs::write(&damaged, kept.join("\n") + "\n").unwrap();
    let (code, message) = run(&["merge", &shard(1), &shard(2), "--out", &files.arg("merged")]);
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("shard-1/parts/point-000000.csv"),
        "{message}"
    );
    assert!(!files.path("merged/manifest.json").exists());
}

#[test]
fn merge_refuses_an_output_that_is_or_contains_an_input() {
    let files = Files::new();
    let shard = |k: usize| files.arg(&format!("shards/{k}"));
    for k in 1..=2 {
        let shard_arg = format!("{k}/2");
        let (code, message) = run(&[
            "sweep",
            &files.arg("sweep.toml"),
            "--out",
            &shard(k),
            "--shard",
            &shard_arg,
        ]);
        assert_eq!(code, 0, "{message}");
    }
    let parts_before = fs::read_dir(files.path("shards/1/parts")).unwrap().count();
    for out in [shard(1), files.arg("shards"), format!("{}/../1", shard(2))] {
        let refused = run(&["merge", &shard(1), &shard(2), "--out", &out, "--force"]);
        one_line_refusal(refused, "merge into a new directory");
    }
    assert_eq!(
        fs::read_dir(files.path("shards/1/parts")).unwrap().count(),
        parts_before
    );
}

#[test]
fn a_second_writer_is_refused_while_a_directory_is_locked() {
    let files = Files::new();
    let out = files.path("locked");
    fs::create_dir(&out).unwrap();
    let handle = fs::File::open(&out).unwrap();
    handle.lock().unwrap();
    let out = out.display().to_string();
    let refused = run(&["run", &files.arg("small.toml"), "--out", &out, "--force"]);
    one_line_refusal(refused, "another cadresim command is writing");
    let refused = run(&["sweep", &files.arg("sweep.toml"), "--out", &out, "--resume"]);
    one_line_refusal(refused, "another cadresim command is writing");
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        0,
        "nothing was written"
    );
    handle.unlock().unwrap();
    assert_eq!(run(&["run", &files.arg("small.toml"), "--out", &out]).0, 0);
}

#[test]
fn force_replaces_what_cadresim_wrote_and_the_manifest_lists_every_chart() {
    let files = Files::new();
    let out = files.arg("r");
    fs::write(
        files.path("other.toml"),
        format!("name = \"other\"\n{SMALL}"),
    )
    .unwrap();
    assert_eq!(run(&["run", &files.arg("other.toml"), "--out", &out]).0, 0);
    fs::create_dir_all(files.path("r/notes")).unwrap();
    fs::write(files.path("r/notes/mine.txt"), "kept").unwrap();
    assert_eq!(
        run(&["run", &files.arg("small.toml"), "--out", &out, "--force"]).0,
        0
    );
    let charts: Vec<String> = fs::read_dir(files.path("r/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        charts.iter().all(|name| !name.contains("other")),
        "old charts left: {charts:?}"
    );
    assert_eq!(
        fs::read_to_string(files.path("r/notes/mine.txt")).unwrap(),
        "kept"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(files.path("r/manifest.json")).unwrap()).unwrap();
    let listed = manifest["files"].as_object().unwrap();
    for chart in &charts {
        assert!(
            listed.contains_key(&format!("charts/{chart}")),
            "{chart} not in the manifest"
        );
    }
    let leftovers: Vec<_> = fs::read_dir(files.path("r"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_output_that_names_a_file_is_refused_with_exit_2() {
    let files = Files::new();
    one_line_refusal(
        run(&[
            "run",
            &files.arg("small.toml"),
            "--out",
            &files.arg("small.toml"),
        ]),
        "is not a directory",
    );
}
