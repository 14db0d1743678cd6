//! Inputs refused before anything runs (axes sharing a key, ambiguous or invalidated
//! `where`, swept trees, control characters) and results checked before they are used
//! (replay of by-unit tables, analyses of edited tables, versions of resumed parts).

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{cadresim, SMALL};
use tempfile::TempDir;

/// Run cadresim; returns (exit code, stderr).
fn run(args: &[&str]) -> (i32, String) {
    let output = cadresim().args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A refusal: exit 2, one line, containing `needle`.
fn refused(args: &[&str], needle: &str) {
    let (code, message) = run(args);
    assert_eq!(code, 2, "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains(needle), "{message} lacks {needle}");
}

/// `small.toml` and a sweep file `sweep.toml` with `body` over it; returns the sweep path.
fn sweep_over_small(dir: &Path, body: &str) -> PathBuf {
    fs::write(dir.join("small.toml"), SMALL).unwrap();
    let path = dir.join("sweep.toml");
    fs::write(&path, format!("base = \"small.toml\"\n{body}")).unwrap();
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn range_axes_whose_values_would_be_dropped_or_repeated_are_refused() {
    let dir = TempDir::new().unwrap();
    let axis = "[[sweep.axis]]\nparam = \"accountability.penalty\"\n";
    for (design, range, needle) in [
        (
            "grid",
            "values = [1.0, 2.0]\nfrom = 1.0\nto = 2.0\nsteps = 2",
            "`sweep.axis[0].from` cannot be combined with `values`",
        ),
        (
            "grid",
            "from = 2.0\nto = 2.0\nsteps = 3",
            "`sweep.axis[0].to` equals `from` (2)",
        ),
        (
            "grid",
            "from = 1.0\nto = 4.0\nsteps = 1",
            "`sweep.axis[0].steps` 1 takes `from` alone",
        ),
        (
            "lhs",
            "from = 4.0\nto = 1.0",
            "`sweep.axis[0].to` (1) must be above `from` (4)",
        ),
        (
            "grid",
            "from = 0.5\nto = 2e6\nsteps = 2",
            "`sweep.axis[0].to` `accountability.penalty` must be",
        ),
        (
            "grid",
            "from = 1\nto = 3\nsteps = 3",
            "`behaviour.peers_observed` is a count; give its values as a list",
        ),
    ] {
        let axis = match needle.contains("peers") {
            true => axis.replace("accountability.penalty", "behaviour.peers_observed"),
            false => axis.to_string(),
        };
        let samples = if design == "lhs" { "samples = 4\n" } else { "" };
        let body = format!("[sweep]\ndesign = \"{design}\"\n{samples}{axis}{range}\n");
        let path = sweep_over_small(dir.path(), &body);
        refused(&["sweep", arg(&path), "--dry-run"], needle);
    }
    // Downwards on a grid (the values in that order) is allowed.
    let path = sweep_over_small(
        dir.path(),
        &format!("[sweep]\n{axis}from = 4.0\nto = 1.0\nsteps = 4\n"),
    );
    assert_eq!(run(&["sweep", arg(&path), "--dry-run"]).0, 0);
}

#[test]
fn two_axes_setting_one_key_are_refused() {
    let dir = TempDir::new().unwrap();
    let both = r#"
[sweep]
[[sweep.axis]]
param = "accountability.penalty"
values = [1.0, 4.0]
[[sweep.axis]]
name = "harsh"
variants = { no = { "fault_tolerance.enabled" = false }, yes = { "accountability.penalty" = 9.0 } }
"#;
    let path = sweep_over_small(dir.path(), both);
    refused(
        &["sweep", arg(&path)],
        "`sweep.axis[1]` sets `accountability.penalty`, which sweep.axis[0] also sets",
    );
}

/// A tree whose two counties share the name "Gulou".
const TWIN_TREE: &str = "code,name,parent,level
1,North,,province
2,South,,province
11,Gulou,1,county
21,Gulou,2,county
22,Taijiang,2,county
";

const TWIN_LEVELS: &str = r#"
[run]
steps = 20
burn_in = 10
replicates = 1

[hierarchy]
tree = "units.csv"

[[hierarchy.levels]]
name = "province"
cadres = 4

[[hierarchy.levels]]
name = "county"
cadres = 4
"#;

fn tree_scenario(dir: &Path, schedule: &str) -> PathBuf {
    fs::write(dir.join("units.csv"), TWIN_TREE).unwrap();
    let path = dir.join("twins.toml");
    fs::write(&path, format!("{TWIN_LEVELS}\n{schedule}")).unwrap();
    path
}

#[test]
fn a_where_naming_several_units_is_refused_with_their_codes() {
    let dir = TempDir::new().unwrap();
    let schedule = "[[schedule]]\nat = 5\nwhere = { county = [\"Gulou\"] }\nset = { \"accountability.penalty\" = 2.0 }\n";
    let path = tree_scenario(dir.path(), schedule);
    let out = dir.path().join("out");
    refused(
        &["run", arg(&path), "--out", arg(&out)],
        "`county` has 2 units matching \"Gulou\" (codes 11, 21)",
    );
    assert!(!out.exists());
    // By code, or by a name only one unit has, it runs.
    let schedule = "[[schedule]]\nat = 5\nwhere = { county = [\"21\", \"Taijiang\"] }\nset = { \"accountability.penalty\" = 2.0 }\n";
    let path = tree_scenario(dir.path(), schedule);
    cadresim::scenario::load(&path).unwrap();
}

#[test]
fn a_point_whose_hierarchy_invalidates_the_base_where_is_refused() {
    let dir = TempDir::new().unwrap();
    let base = format!(
        "{SMALL}\n[[schedule]]\nat = 5\nwhere = {{ township = [\"12\"] }}\nset = {{ \"accountability.penalty\" = 2.0 }}\n"
    );
    fs::write(dir.path().join("small.toml"), base).unwrap();
    let sweep = r#"base = "small.toml"
[sweep]
[[sweep.axis]]
name = "shape"
variants = { wide = { "hierarchy.levels" = [{ name = "county", branching = 3, cadres = 5 }, { name = "township", branching = 5, cadres = 6 }] }, flat = { "hierarchy.levels" = [{ name = "county", branching = 3, cadres = 5 }] }, narrow = { "hierarchy.levels" = [{ name = "county", branching = 3, cadres = 5 }, { name = "township", branching = 2, cadres = 6 }] } }
"#;
    let path = dir.path().join("sweep.toml");
    fs::write(&path, sweep).unwrap();
    let (code, message) = run(&["sweep", arg(&path)]);
    assert_eq!(code, 2, "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("schedule.where"), "{message}");
    assert!(
        message.contains("names the level `township`, which is not one of county")
            || message.contains("`township` has no unit with code or name \"12\""),
        "{message}"
    );
}

#[test]
fn a_sweep_over_the_tree_is_refused() {
    let dir = TempDir::new().unwrap();
    let tree_dir = TempDir::new().unwrap();
    let scenario = tree_scenario(tree_dir.path(), "");
    fs::copy(&scenario, dir.path().join("small.toml")).unwrap();
    fs::copy(
        tree_dir.path().join("units.csv"),
        dir.path().join("units.csv"),
    )
    .unwrap();
    fs::copy(
        tree_dir.path().join("units.csv"),
        dir.path().join("other.csv"),
    )
    .unwrap();
    let path = dir.path().join("sweep.toml");
    fs::write(
        &path,
        "base = \"small.toml\"\n[sweep]\n[[sweep.axis]]\nparam = \"hierarchy.tree\"\nvalues = [\"units.csv\", \"other.csv\"]\n",
    )
    .unwrap();
    refused(&["sweep", arg(&path)], "`hierarchy.tree` cannot be swept");
}

/// The small scenario recording its counties, run into `dir/out`.
fn by_unit_run(dir: &Path) -> PathBuf {
    let path = dir.join("units.toml");
    fs::write(&path, format!("{SMALL}\n[output]\nby_unit = \"county\"\n")).unwrap();
    let out = dir.join("out");
    let output = cadresim()
        .args(["run", arg(&path), "--out", arg(&out)])
        .output()
        .unwrap();
    common::succeeded(&output);
    out
}

/// Replace the hash `manifest.json` records for `name` with that of the file's bytes now.
fn rehash(out: &Path, name: &str) {
    let manifest_path = out.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&manifest_path).unwrap()).unwrap();
    let hash = cadresim::output::manifest::sha256_file(&out.join(name)).unwrap();
    manifest["files"][name] = serde_json::Value::String(hash);
    fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn replay_compares_the_by_unit_tables() {
    let dir = TempDir::new().unwrap();
    let out = by_unit_run(dir.path());
    // A by-unit table altered and its recorded hash forged to match: only the re-run can tell.
    let summary = out.join("summary_by_unit.csv");
    let text = fs::read_to_string(&summary).unwrap();
    let altered = text.replacen(",county,", ",county,0", 1);
    assert_ne!(text, altered);
    fs::write(&summary, altered).unwrap();
    rehash(&out, "summary_by_unit.csv");
    let manifest = out.join("manifest.json");
    let (code, message) = run(&["replay", arg(&manifest)]);
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("the re-run differs: summary_by_unit.csv"),
        "{message}"
    );
}

/// A small Sobol' sweep over the small scenario, finished in `dir/sweep`.
fn sobol_sweep(dir: &Path) -> PathBuf {
    let body = r#"
[sweep]
design = "sobol"
samples = 8
replicates = 1
[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 8.0
[[sweep.axis]]
param = "accountability.detection"
from = 0.1
to = 0.9
"#;
    let path = sweep_over_small(dir, body);
    let out = dir.join("sweep");
    let output = cadresim()
        .args(["sweep", arg(&path), "--out", arg(&out)])
        .output()
        .unwrap();
    common::succeeded(&output);
    out
}

/// `name` in `dir` with its first metric cell of the first data row replaced by `cell`.
fn poison(dir: &Path, name: &str, column: usize, cell: &str) {
    let path = dir.join(name);
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[column] = cell;
    lines[1] = cells.join(",");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn analyses_refuse_tables_that_differ_from_the_manifest_or_are_not_finite() {
    let dir = TempDir::new().unwrap();
    let out = sobol_sweep(dir.path());
    let sweep = arg(&out).to_string();
    // sweep.csv: point, replicate, level, then the metrics.
    poison(&out, "sweep.csv", 3, "NaN");
    let (code, message) = run(&["sensitivity", &sweep]);
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("sweep.csv: differs from the SHA-256 manifest.json records"),
        "{message}"
    );
    let (code, message) = run(&["discover", &sweep, "--where", "mean_innovation < 0.3"]);
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("sweep.csv: differs from the SHA-256"),
        "{message}"
    );
    // With the hash forged to match, the value itself is refused.
    for cell in ["NaN", "inf", "-inf"] {
        poison(&out, "sweep.csv", 3, cell);
        rehash(&out, "sweep.csv");
        for args in [
            vec!["sensitivity", &sweep],
            vec!["discover", &sweep, "--where", "mean_innovation < 0.3"],
        ] {
            let (code, message) = run(&args);
            assert_ne!(code, 0, "{message}");
            assert!(message.contains("a finite number is required"), "{message}");
        }
    }
}

#[test]
fn compare_refuses_tables_that_differ_from_the_manifest_or_are_not_finite() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("small.toml");
    fs::write(&path, SMALL).unwrap();
    let [a, b] = ["a", "b"].map(|name| {
        let out = dir.path().join(name);
        let output = cadresim()
            .args(["run", arg(&path), "--out", arg(&out)])
            .output()
            .unwrap();
        common::succeeded(&output);
        out
    });
    let charts = dir.path().join("charts");
    // summary.csv: scenario, replicate, level, then the metrics.
    poison(&b, "summary.csv", 3, "inf");
    let (code, message) = run(&["compare", arg(&a), arg(&b), "--out", arg(&charts)]);
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("summary.csv: differs from the SHA-256"),
        "{message}"
    );
    rehash(&b, "summary.csv");
    let (code, message) = run(&["compare", arg(&a), arg(&b), "--out", arg(&charts)]);
    assert_ne!(code, 0, "{message}");
    assert!(message.contains("a finite number is required"), "{message}");
}

const GRID: &str = r#"
[sweep]
replicates = 1
[[sweep.axis]]
param = "accountability.penalty"
values = [1.0, 4.0]
"#;

/// Record `builds` as the cadresim builds that computed the parts of sweep directory `dir`.
fn computed_by(dir: &Path, builds: &[&str]) {
    let path = dir.join("sweep.lock.json");
    let mut lock: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    lock["computed_by"] = serde_json::json!(builds);
    fs::write(&path, serde_json::to_string_pretty(&lock).unwrap()).unwrap();
}

fn manifest_builds(dir: &Path) -> Vec<String> {
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    serde_json::from_value(manifest["computed_by"].clone()).unwrap()
}

#[test]
fn resume_and_merge_refuse_parts_of_another_build_unless_told() {
    let dir = TempDir::new().unwrap();
    let path = sweep_over_small(dir.path(), GRID);
    let out = dir.path().join("out");
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", arg(&path), "--out", arg(&out)];
        args.extend(extra);
        run(&args)
    };
    assert_eq!(sweep(&[]).0, 0);
    let current = manifest_builds(&out);
    assert_eq!(current.len(), 1);
    computed_by(&out, &["0.0.1 (an older commit)"]);
    refused(
        &["sweep", arg(&path), "--out", arg(&out), "--resume"],
        "its parts were computed by cadresim 0.0.1 (an older commit), this is cadresim",
    );
    let (code, message) = sweep(&["--resume", "--mixed-versions"]);
    assert_eq!(code, 0, "{message}");
    assert_eq!(
        manifest_builds(&out),
        ["0.0.1 (an older commit)", &current[0]]
    );
    // Shards: one computed elsewhere, one by an unrecorded build.
    let shards: Vec<PathBuf> = (1..=2)
        .map(|k| dir.path().join(format!("shard-{k}")))
        .collect();
    for (k, shard) in shards.iter().enumerate() {
        let part = format!("{}/2", k + 1);
        let (code, message) = run(&["sweep", arg(&path), "--out", arg(shard), "--shard", &part]);
        assert_eq!(code, 0, "{message}");
    }
    computed_by(&shards[0], &["0.0.1 (an older commit)"]);
    let merged = dir.path().join("merged");
    let merge = |extra: &[&str]| {
        let mut args = vec![
            "merge",
            arg(&shards[0]),
            arg(&shards[1]),
            "--out",
            arg(&merged),
        ];
        args.extend(extra);
        run(&args)
    };
    let (code, message) = merge(&[]);
    assert_eq!(code, 2, "{message}");
    assert!(
        message.contains("the shards: its parts were computed by cadresim 0.0.1"),
        "{message}"
    );
    assert!(!merged.exists());
    assert_eq!(merge(&["--mixed-versions"]).0, 0);
    assert_eq!(
        manifest_builds(&merged),
        ["0.0.1 (an older commit)", &current[0]]
    );
    computed_by(&shards[0], &[]);
    let (code, message) = merge(&["--force"]);
    assert_eq!(code, 2, "{message}");
    assert!(
        message.contains("some record no cadresim build"),
        "{message}"
    );
}

#[test]
fn robustness_without_claims_is_refused_before_running() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("small.toml"), SMALL).unwrap();
    let manifest = dir.path().join("experiments.toml");
    fs::write(
        &manifest,
        "seed = 3\n[quick]\nreplicates = 1\nsteps = 30\n\n[[run]]\nname = \"small\"\nfiles = [\"small.toml\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    refused(
        &[
            "reproduce",
            "--quick",
            "--experiments",
            arg(&manifest),
            "--out",
            arg(&out),
            "--robustness",
            "2",
        ],
        "experiments.toml: --robustness checks whether the claims hold",
    );
    assert!(!out.exists());
}

#[test]
fn control_characters_in_names_are_refused_before_running() {
    let dir = TempDir::new().unwrap();
    // A unit name and a unit code in the tree file.
    for (tree, expected) in [
        (
            TWIN_TREE.replace("Taijiang", "Tai\u{7}jiang"),
            "line 6: the name \"Tai\\u{7}jiang\" holds a control character",
        ),
        (
            TWIN_TREE.replace("22,", "2\t2,"),
            "line 6: the code \"2\\t2\" holds a control character",
        ),
    ] {
        let path = tree_scenario(dir.path(), "");
        fs::write(dir.path().join("units.csv"), tree).unwrap();
        refused(
            &["run", arg(&path), "--out", arg(&dir.path().join("out"))],
            expected,
        );
    }
    // A level name.
    let path = dir.path().join("level.toml");
    fs::write(
        &path,
        SMALL.replace("name = \"county\"", "name = \"coun\\nty\""),
    )
    .unwrap();
    refused(
        &["run", arg(&path)],
        "level 0 `name` \"coun\\nty\" must be non-empty, without control characters",
    );
    // An axis name and a variant name.
    let axis = "[sweep]\n[[sweep.axis]]\nname = \"tol\\terance\"\nvariants = { off = { \"fault_tolerance.enabled\" = false } }\n";
    let path = sweep_over_small(dir.path(), axis);
    refused(
        &["sweep", arg(&path)],
        "`sweep.axis[0].name` \"tol\\terance\" must be non-empty",
    );
    let variant = "[sweep]\n[[sweep.axis]]\nname = \"tolerance\"\nvariants = { \"o\\rff\" = { \"fault_tolerance.enabled\" = false } }\n";
    let path = sweep_over_small(dir.path(), variant);
    refused(
        &["sweep", arg(&path)],
        "`sweep.axis[0].variants` \"o\\rff\" must be non-empty",
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn the_memory_check_uses_the_slurm_allocation() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("small.toml");
    fs::write(&path, SMALL).unwrap();
    let out = dir.path().join("out");
    let output = cadresim()
        .args(["run", arg(&path), "--steps", "100000", "--out", arg(&out)])
        .env("SLURM_MEM_PER_NODE", "1")
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(
        message.contains("but SLURM_MEM_PER_NODE allows 0.0 GiB"),
        "{message}"
    );
    assert!(!out.exists());
}

/// An executable shell script at `path`, written by a shell of its own: a file this process
/// held open for writing could be inherited by a process another test starts at that moment,
/// and executing it would then fail ("Text file busy").
fn script(path: &Path, body: &str) {
    let status = std::process::Command::new("sh")
        .args([
            "-c",
            "printf '%s' \"$1\" > \"$2\" && chmod 755 \"$2\"",
            "sh",
            body,
        ])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "could not write {}", path.display());
}

#[test]
fn submit_passes_any_path_to_the_shards_and_the_merge_job() {
    let dir = TempDir::new().unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    // A fake sbatch: records its arguments (one per line) and the paths it was given in the
    // environment, one call per file.
    script(
        &bin.join("sbatch"),
        "#!/bin/sh\nn=$(ls \"$RECORD\" | wc -l)\n{ printf '%s\\n' \"$@\"; printf 'ENV %s\\n' \"$CADRESIM\" \"$SWEEP_FILE\" \"$SWEEP_SHARDS_DIR\"; } > \"$RECORD/call-$n\"\necho 4$n\n",
    );
    // A fake cadresim: prints its arguments, one per line.
    let fake = dir.path().join("fake cadresim");
    script(&fake, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
    let record = dir.path().join("record");
    fs::create_dir(&record).unwrap();
    let odd = dir.path().join("a,b \"c\" 100% 'ü'");
    fs::create_dir(&odd).unwrap();
    let file = odd.join("curve.toml");
    fs::write(&file, "").unwrap();
    let out = odd.join("merged");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let output = std::process::Command::new("contrib/slurm/submit.sh")
        .arg(&file)
        .arg("2")
        .env("PATH", path)
        .env("RECORD", &record)
        .env("CADRESIM", &fake)
        .env("SWEEP_OUT", &out)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    common::succeeded(&output);
    let call = |n: usize| fs::read_to_string(record.join(format!("call-{n}"))).unwrap();
    let (array, merge) = (call(0), call(1));
    let shards = format!("{}.shards", out.display());
    let lines: Vec<&str> = array.lines().collect();
    assert!(
        lines.contains(&format!("ENV {}", fake.display()).as_str()),
        "{array}"
    );
    assert!(
        lines.contains(&format!("ENV {}", file.display()).as_str()),
        "{array}"
    );
    assert!(lines.contains(&format!("ENV {shards}").as_str()), "{array}");
    let logs = format!("--output={}/logs/shard-%a.out", shards.replace('%', "%%"));
    assert!(lines.contains(&logs.as_str()), "{array}");
    assert!(lines.contains(&"--export=ALL"), "{array}");
    // The merge job's command, run by /bin/sh in the C locale, gives cadresim every path whole.
    let wrap = merge
        .lines()
        .find_map(|line| line.strip_prefix("--wrap="))
        .unwrap();
    let ran = std::process::Command::new("/bin/sh")
        .args(["-c", wrap])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let expected = format!(
        "merge\n{shards}/shard-1\n{shards}/shard-2\n--out\n{}\n",
        out.display()
    );
    assert_eq!(String::from_utf8_lossy(&ran.stdout), expected);
    // The printed status command is quoted for the shell too.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let watch = stdout
        .lines()
        .find_map(|l| l.strip_prefix("watch: "))
        .unwrap();
    let ran = std::process::Command::new("/bin/sh")
        .args(["-c", watch])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        format!("status\n{shards}/shard-1\n{shards}/shard-2\n")
    );
}

const BOUNDARY: &str = r#"
[sweep]
design = "boundary"
replicates = 1
[sweep.boundary]
where = "mean_innovation < 0.25"
initial = 3
max_evaluations = 5
[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 32.0
scale = "log"
[[sweep.axis]]
param = "accountability.detection"
values = [0.2, 0.8]
"#;

#[test]
fn status_calls_finished_boundary_shards_mergeable_with_a_quoted_command() {
    let dir = TempDir::new().unwrap();
    let path = sweep_over_small(dir.path(), BOUNDARY);
    let shards: Vec<PathBuf> = (1..=2)
        .map(|k| dir.path().join(format!("shard {k}'s")))
        .collect();
    for (k, shard) in shards.iter().enumerate() {
        let part = format!("{}/2", k + 1);
        let (code, message) = run(&["sweep", arg(&path), "--out", arg(shard), "--shard", &part]);
        assert_eq!(code, 0, "{message}");
    }
    let output = cadresim()
        .args(["status", arg(&shards[0]), arg(&shards[1])])
        .output()
        .unwrap();
    common::succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let command = stdout
        .lines()
        .find_map(|line| line.strip_prefix("mergeable: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    // The shell reads the command back into exactly the directories given.
    let echoed = std::process::Command::new("/bin/sh")
        .args(["-c", &format!("printf '%s\\n' {command}")])
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&echoed.stdout).into_owned();
    let expected = format!(
        "cadresim\nmerge\n{}\n{}\n--out\noutput/sweep\n",
        shards[0].display(),
        shards[1].display()
    );
    assert_eq!(words, expected);
}

/// Run cadresim in `cwd`; returns (exit code, stderr).
fn run_in(cwd: &Path, args: &[&str]) -> (i32, String) {
    let output = cadresim().current_dir(cwd).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn tree_results_replay_resume_and_merge_from_any_directory() {
    let dir = TempDir::new().unwrap();
    let project = dir.path().join("project");
    fs::create_dir(&project).unwrap();
    tree_scenario(&project, "");
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    // A run started in the project directory replays from elsewhere.
    let (code, message) = run_in(&project, &["run", "twins.toml", "--out", "out"]);
    assert_eq!(code, 0, "{message}");
    let manifest = project.join("out/manifest.json");
    let (code, message) = run_in(&elsewhere, &["replay", arg(&manifest)]);
    assert_eq!(code, 0, "{message}");
    // A tree sweep: shards started from two directories, resumed and merged from a third.
    fs::write(
        project.join("sweep.toml"),
        format!("base = \"twins.toml\"\n{GRID}"),
    )
    .unwrap();
    let shard = |k: usize| dir.path().join(format!("shard-{k}"));
    let (code, message) = run_in(
        &project,
        &[
            "sweep",
            "sweep.toml",
            "--shard",
            "1/2",
            "--out",
            arg(&shard(1)),
        ],
    );
    assert_eq!(code, 0, "{message}");
    let (code, message) = run_in(
        dir.path(),
        &[
            "sweep",
            "project/sweep.toml",
            "--shard",
            "2/2",
            "--out",
            arg(&shard(2)),
        ],
    );
    assert_eq!(code, 0, "{message}");
    let sweep = project.join("sweep.toml");
    let first = shard(1);
    let resumed = [
        "sweep",
        arg(&sweep),
        "--shard",
        "1/2",
        "--out",
        arg(&first),
        "--resume",
    ];
    let (code, message) = run_in(&elsewhere, &resumed);
    assert_eq!(code, 0, "{message}");
    let merged = dir.path().join("merged");
    let (code, message) = run_in(
        &elsewhere,
        &[
            "merge",
            arg(&shard(1)),
            arg(&shard(2)),
            "--out",
            arg(&merged),
        ],
    );
    assert_eq!(code, 0, "{message}");
}

#[test]
fn unit_names_that_a_spreadsheet_would_run_are_written_as_text() {
    use cadresim::output::tables::{unit_cell, unit_text};
    let dir = TempDir::new().unwrap();
    let path = tree_scenario(dir.path(), "[output]\nby_unit = \"county\"\n");
    let tree = TWIN_TREE
        .replace("11,Gulou", "11,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        .replace("21,Gulou", "@21,+Gulou")
        .replace("22,Taijiang", "-22,'Taijiang");
    fs::write(dir.path().join("units.csv"), tree).unwrap();
    let out = dir.path().join("out");
    let output = cadresim()
        .args(["run", arg(&path), "--out", arg(&out)])
        .output()
        .unwrap();
    common::succeeded(&output);
    for name in ["summary_by_unit.csv", "timeseries_by_unit.csv"] {
        let mut reader = csv::Reader::from_path(out.join(name)).unwrap();
        let header = reader.headers().unwrap().clone();
        let columns: Vec<usize> = ["unit_code", "unit_name"]
            .map(|c| header.iter().position(|h| h == c).unwrap())
            .to_vec();
        for record in reader.records() {
            let record = record.unwrap();
            for cell in columns.iter().map(|c| &record[*c]) {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{name}: {cell}");
            }
        }
    }
    let summary = fs::read_to_string(out.join("summary_by_unit.csv")).unwrap();
    assert!(summary.contains(",'@21,'+Gulou,"), "{summary}");
    assert!(summary.contains(",'-22,''Taijiang,"), "{summary}");
    for text in ["=1+2", "+x", "-3", "@a", "'=", "'x", "plain", "", "a=b"] {
        assert_eq!(unit_text(&unit_cell(text)), text);
    }
}
