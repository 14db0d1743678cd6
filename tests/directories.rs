//! What commands do to the directories they read and write: no `--out` that eats an input,
//! no directory touched before its input is validated, `--force` removing exactly what
//! cadresim wrote (its leftover temporary files and stale discoveries included), manifests
//! that match their files after every analysis or redraw, and locks on every writer. Each
//! test reproduces the misuse on real files.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

mod common;
use common::{cadresim, SMALL};

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

/// Run cadresim; returns (exit code, stderr).
fn run(args: &[&str]) -> (i32, String) {
    let output = cadresim().args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn succeeds(args: &[&str]) {
    let (code, message) = run(args);
    assert_eq!(code, 0, "{args:?}: {message}");
}

fn one_line_refusal((code, message): (i32, String), needle: &str) {
    assert_eq!(code, 2, "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains(needle), "{message}");
}

/// Every file under `dir` (relative paths, sorted).
fn listing(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn discover_refuses_an_output_that_is_or_contains_its_sweep() {
    let files = Files::new();
    let sweep = files.arg("s");
    succeeds(&["sweep", &files.arg("sweep.toml"), "--out", &sweep]);
    let before = listing(&files.path("s"));
    for out in [sweep.clone(), files.arg(""), format!("{sweep}/parts/..")] {
        let refused = run(&[
            "discover",
            &sweep,
            "--where",
            "mean_innovation < 0.5",
            "--out",
            &out,
            "--force",
        ]);
        one_line_refusal(refused, "is or contains the sweep directory");
    }
    assert_eq!(listing(&files.path("s")), before);
}

#[test]
fn an_experiments_run_name_cannot_reach_outside_the_reproduction() {
    let files = Files::new();
    fs::create_dir(files.path("victim")).unwrap();
    fs::write(files.path("victim/summary.csv"), "theirs").unwrap();
    fs::write(
        files.path("experiments.toml"),
        "[[run]]\nname = \"../../victim\"\nfiles = [\"small.toml\"]\n",
    )
    .unwrap();
    let refused = run(&[
        "reproduce",
        "--quick",
        "--experiments",
        &files.arg("experiments.toml"),
        "--out",
        &files.arg("rep"),
    ]);
    one_line_refusal(refused, "run[0].name` must be 1-100 characters");
    assert_eq!(
        fs::read_to_string(files.path("victim/summary.csv")).unwrap(),
        "theirs"
    );
    assert!(!files.path("rep").exists());
}
