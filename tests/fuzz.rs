//! Mutated input files never crash cadresim: every bundled scenario and sweep file is mutated
//! (lines deleted or duplicated, extreme numbers, wrong types, unicode, garbage) with a fixed
//! seed, and each mutant is run. Each must exit 0 or 2 (never a panic, a signal or 1), say
//! why in one line when it exits 2, and leave a `manifest.json` only when it exits 0.
//!
//! The newer inputs (tree files, schedules with `where`, `--where` conditions, experiments
//! files) are generated, 10,000 in every run, and validated by the library directly.
//!
//! The normal test run tries 300 mutants; `CADRESIM_FUZZ_CASES=10000 cargo test --release
//! --test integration fuzz::` tries more (and `CADRESIM_FUZZ_SEED=N` another sequence).

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

/// Copy the folder `from` with its files and folders to `to` (symbolic links are not
/// followed, and a mutant an interrupted older run left behind is not copied).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (path, kind) = (entry.path(), entry.file_type().unwrap());
        let name = entry.file_name();
        let target = to.join(&name);
        if kind.is_dir() {
            copy_tree(&path, &target);
        } else if kind.is_file() && !name.to_string_lossy().starts_with("fuzz-case-") {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// The bundled input files in `root` (a copy of `scenarios/`): scenarios (run) and sweeps
/// (sweep).
fn inputs(root: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut files = Vec::new();
    for (dir, command) in [(root.to_path_buf(), "run"), (root.join("sweeps"), "sweep")] {
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
    // The mutant sits beside its original (in the copy of `scenarios/`) so that relative
    // `base` paths resolve; the checkout itself is never written to.
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
    let copy = tempfile::TempDir::new().unwrap();
    let root = copy.path().join("scenarios");
    copy_tree(Path::new("scenarios"), &root);
    let inputs = inputs(&root);
    assert!(inputs.len() > 10, "the bundled scenarios were not found");
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

/// Cases per kind of newer input in `generated_newer_inputs_are_accepted_or_refused_in_one_line`
/// (four kinds: at least 10,000 inputs in all).
const NEWER_CASES: usize = 2_500;

const TREE: &str = "code,name,parent,level\n1,North,,province\n2,South,,province\n11,Gulou,1,county\n21,Gulou,2,county\n22,Taijiang,2,county\n";
const TREE_LEVELS: &str = "[run]\nsteps = 20\nburn_in = 10\nreplicates = 1\n[hierarchy]\ntree = \"units.csv\"\n[[hierarchy.levels]]\nname = \"province\"\ncadres = 3\n[[hierarchy.levels]]\nname = \"county\"\ncadres = 2\n";
const CELLS: [&str; 16] = [
    "",
    "1",
    "2",
    "11",
    "99",
    "North",
    "Gulou",
    "province",
    "county",
    "town",
    "=1+2",
    "\"",
    "a,b",
    "\u{7}",
    "鼓楼区",
    "-",
];
const UNITS: [&str; 12] = [
    "\"1\"",
    "\"2\"",
    "\"11\"",
    "\"Gulou\"",
    "\"Taijiang\"",
    "\"North\"",
    "\"nowhere\"",
    "\"\"",
    "1",
    "\"鼓楼区\"",
    "\"a\\nb\"",
    "[]",
];
const CONDITION_WORDS: [&str; 24] = [
    "mean_innovation",
    "share_idle",
    "welfare",
    "class",
    "abuse_rate",
    "<",
    ">",
    "<=",
    ">=",
    "==",
    "in",
    "and",
    "or",
    "[",
    "]",
    ",",
    "0.2",
    "-1",
    "nan",
    "1e999",
    "lazy-idle",
    "\"x\"",
    "\u{0}",
    "(",
];

/// One of the newer inputs, accepted or refused: a refusal must be one line that the binary
/// exits 2 with; nothing may panic.
fn judge(
    what: &str,
    text: &str,
    result: std::thread::Result<Result<(), cadresim_cli::commands::CommandError>>,
) -> Option<String> {
    match result {
        Err(_) => Some(format!("{what} panicked on:\n{text}")),
        Ok(Ok(())) => None,
        Ok(Err(error)) if error.exit_code() != 2 => Some(format!(
            "{what}: exit {} ({error}) on:\n{text}",
            error.exit_code()
        )),
        Ok(Err(error)) if error.one_line().contains('\n') || error.one_line().is_empty() => {
            Some(format!("{what}: not one line ({error:?}) on:\n{text}"))
        }
        Ok(Err(_)) => None,
    }
}

/// A tree file of random rows.
fn random_tree(rng: &mut ChaCha8Rng) -> String {
    let mut text = mutate(TREE, rng);
    for _ in 0..rng.random_range(0..3) {
        let row: Vec<&str> = (0..4).map(|_| pick(rng, &CELLS)).collect();
        text.push('\n');
        text.push_str(&row.join(","));
    }
    text
}

/// A tree scenario with a random schedule entry using `where`.
fn random_where(rng: &mut ChaCha8Rng) -> String {
    let level = pick(rng, &["province", "county", "town", "\"\"", "province.x"]);
    let units: Vec<&str> = (0..rng.random_range(0..3))
        .map(|_| pick(rng, &UNITS))
        .collect();
    let key = pick(
        rng,
        &[
            "accountability.penalty",
            "targets.miss_penalty",
            "cadres.turnover",
            "fault_tolerance.enabled",
            "nothing",
        ],
    );
    let value = pick(rng, &NUMBERS);
    let at = pick(rng, &["0", "5", "19", "20", "-1"]);
    let entry = format!(
        "[[schedule]]\nat = {at}\nwhere = {{ {level} = [{}] }}\nset = {{ \"{key}\" = {value} }}\n",
        units.join(", ")
    );
    mutate(&format!("{TREE_LEVELS}\n{entry}"), rng)
}

fn random_condition(rng: &mut ChaCha8Rng) -> String {
    let words: Vec<&str> = (0..rng.random_range(0..8))
        .map(|_| pick(rng, &CONDITION_WORDS))
        .collect();
    words.join(if rng.random_bool(0.7) { " " } else { "" })
}

#[test]
fn generated_newer_inputs_are_accepted_or_refused_in_one_line() {
    use cadresim_cli::commands::CommandError;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let dir = tempfile::TempDir::new().unwrap();
    let scenario = dir.path().join("tree.toml");
    let experiments = dir.path().join("experiments.toml");
    let scenarios = format!("{}/scenarios/", env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string("tests/data/robustness/experiments.toml")
        .unwrap()
        .replace("../../../scenarios/", &scenarios);
    let mut rng = ChaCha8Rng::seed_from_u64(20261203);
    let mut failures = Vec::new();
    let mut tried = 0;
    let scenario_of = |text: &str| -> Result<(), CommandError> {
        fs::write(&scenario, text).unwrap();
        let loaded = cadresim::scenario::load(&scenario)?;
        loaded.plan()?;
        Ok(())
    };
    for _ in 0..NEWER_CASES {
        let tree = random_tree(&mut rng);
        fs::write(dir.path().join("units.csv"), &tree).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| scenario_of(TREE_LEVELS)));
        failures.extend(judge("a tree file", &tree, result));
        fs::write(dir.path().join("units.csv"), TREE).unwrap();
        let text = random_where(&mut rng);
        let result = catch_unwind(AssertUnwindSafe(|| scenario_of(&text)));
        failures.extend(judge("a schedule with where", &text, result));
        let condition = random_condition(&mut rng);
        let result = catch_unwind(|| {
            cadresim::discovery::condition::parse(&condition)
                .map(|_| ())
                .map_err(|error| CommandError::Usage(format!("--where: {error}")))
        });
        failures.extend(judge("a condition", &condition, result));
        let text = mutate(&manifest, &mut rng);
        fs::write(&experiments, &text).unwrap();
        let result = catch_unwind(|| {
            cadresim::reproduce::load(&experiments)
                .map(|_| ())
                .map_err(CommandError::from)
        });
        failures.extend(judge("an experiments file", &text, result));
        tried += 4;
    }
    assert!(tried >= 10_000);
    assert!(
        failures.is_empty(),
        "{} of {tried} inputs misbehaved:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
}
