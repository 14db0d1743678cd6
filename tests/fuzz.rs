//! Mutated input files never crash cadresim: every bundled scenario and sweep file is mutated
//! (lines deleted or duplicated, extreme numbers, wrong types, unicode, garbage) with a fixed
//! seed, and each mutant is run. Each must exit 0 or 2 (never a panic, a signal or 1), say
//! why in one line when it exits 2, and leave a `manifest.json` only when it exits 0.
//!
//! The normal test run tries 300 mutants; `CADRESIM_FUZZ_CASES=10000 cargo test --release
//! --test fuzz` tries more (and `CADRESIM_FUZZ_SEED=N` another sequence).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const NUMBERS: [&str; 14] = [
    "-1",
    "0",
    "1e308",
    "-1e308",
    "9223372036854775807",
    "5e-324",
    "nan",
    "inf",
    "-inf",
    "1.5",
    "17",
    "100",
    "0.0",
    "2",
];
const VALUES: [&str; 10] = [
    "\"text\"",
    "true",
    "[]",
    "[1, \"a\"]",
    "{ a = 1 }",
    "1979-05-27",
    "\"县级市\"",
    "\"\"",
    "[[1]]",
    "\"../../etc\"",
];
const GARBAGE: [&str; 10] = [
    "[[",
    "]]",
    "= =",
    "\"unterminated",
    "[run",
    "a.b.c = 1",
    "\u{0}",
    "\u{1b}[31m",
    "😀 = 1",
    "[sweep.axis]",
];

/// The bundled input files: scenarios (run) and sweeps (sweep).
fn inputs() -> Vec<(PathBuf, &'static str)> {
    let mut files = Vec::new();
    for (dir, command) in [("scenarios", "run"), ("scenarios/sweeps", "sweep")] {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .filter(|p| !p.ends_with("experiments.toml"))
            .collect();
        paths.sort();
        files.extend(paths.into_iter().map(|p| (p, command)));
    }
    files
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// One mutation of `text`.
fn mutate(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..rng.random_range(1..=3) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let at = rng.random_range(0..lines.len());
        let line = lines[at].clone();
        match rng.random_range(0..7) {
            0 => {
                lines.remove(at);
            }
            1 => lines.insert(at, line),
            2 | 3 => {
                if let Some((key, _)) = line.split_once('=') {
                    let value = if rng.random_bool(0.6) {
                        pick(rng, &NUMBERS)
                    } else {
                        pick(rng, &VALUES)
                    };
                    lines[at] = format!("{key}= {value}");
                }
            }
            4 => lines.insert(at, pick(rng, &GARBAGE).to_string()),
            5 => {
                let cut = rng.random_range(0..=line.len());
                let cut = (0..=cut)
                    .rev()
                    .find(|c| line.is_char_boundary(*c))
                    .unwrap_or(0);
                lines[at] = line[..cut].to_string();
            }
            _ => {
                let a = rng.random_range(0..lines.len());
                lines.swap(at, a);
            }
        }
    }
    lines.join("\n")
}

/// Run one mutant in `dir`; returns a description of what went wrong, if anything.
fn check(dir: &Path, case: usize, source: &Path, command: &str, text: &str) -> Option<String> {
    // The mutant sits beside its original so that relative `base` paths resolve.
    let file = source.with_file_name(format!("fuzz-case-{case}.toml"));
    fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_cadresim"))
        .arg(command)
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--replicates", "1", "--steps", "2", "--threads", "1"])
        .output()
        .unwrap();
    fs::remove_file(&file).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let manifest = out.join("manifest.json").exists();
    let problem = match output.status.code() {
        Some(0) if manifest => None,
        Some(0) => Some("exit 0 without a manifest".to_string()),
        Some(2) if manifest => Some("exit 2 but a manifest was written".to_string()),
        Some(2) if stderr.trim_end().lines().count() != 1 => {
            Some("exit 2 without a one-line error".to_string())
        }
        Some(2) => None,
        Some(code) => Some(format!("exit {code}")),
        None => Some("killed by a signal".to_string()),
    };
    let _ = fs::remove_dir_all(&out);
    problem.map(|p| format!("{p}: {stderr}\n--- {} mutant:\n{text}", source.display()))
}

#[test]
fn mutated_inputs_exit_0_or_2_with_one_line_and_no_false_manifest() {
    let cases: usize = std::env::var("CADRESIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("CADRESIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261128);
    let inputs = inputs();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mutants: Vec<(usize, String)> = (0..cases)
        .map(|case| {
            let index = case % inputs.len();
            let text = fs::read_to_string(&inputs[index].0).unwrap();
            (index, mutate(&text, &mut rng))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let dir = tempfile::TempDir::new().unwrap();
                loop {
                    let case = next.fetch_add(1, Ordering::Relaxed);
                    let Some((index, text)) = mutants.get(case) else {
                        break;
                    };
                    let (source, command) = &inputs[*index];
                    if let Some(problem) = check(dir.path(), case, source, command, text) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("case {case}: {problem}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {cases} mutants misbehaved:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
