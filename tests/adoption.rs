//! Adoption dates from a CSV (`[[schedule]] adopt = { LEVEL = "FILE.csv" }`): the file's rows
//! become the entries a researcher would write by hand (same schedule, same bytes), and a bad
//! file is refused in one line naming the file, the line and what is wrong.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::cadresim;
use tempfile::TempDir;

const BASE: &str = r#"
[run]
steps = 40
burn_in = 20
replicates = 2

[[hierarchy.levels]]
name = "county"
branching = 6
cadres = 3

[[hierarchy.levels]]
name = "township"
branching = 2
cadres = 2
"#;

const SET: &str =
    r#"set = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] }"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn run(dir: &Path, scenario: &Path, out: &str) -> PathBuf {
    let out = dir.join(out);
    let output = cadresim()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    out
}

#[test]
fn adoption_dates_from_a_csv_are_the_entries_written_by_hand() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "dates.csv",
        "unit,step,source\n3,25,b\n1,10,a\ncounty 2,10,a\n",
    );
    let from_file = write(
        dir.path(),
        "staggered.toml",
        &format!("{BASE}\n[[schedule]]\nadopt = {{ county = \"dates.csv\" }}\n{SET}\n"),
    );
    let by_hand = write(
        dir.path(),
        "staggered-by-hand.toml",
        &format!(
            "name = \"staggered\"\n{BASE}\n[[schedule]]\nat = 10\nwhere = {{ county = [\"1\", \"county 2\"] }}\n{SET}\n\n[[schedule]]\nat = 25\nwhere = {{ county = [\"3\"] }}\n{SET}\n"
        ),
    );
    let a = run(dir.path(), &from_file, "a");
    let b = run(dir.path(), &by_hand, "b");
    for name in [
        "timeseries.csv",
        "summary.csv",
        "equilibrium.csv",
        "effects.csv",
    ] {
        assert_eq!(
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
    let manifest = fs::read_to_string(a.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"county 2\""),
        "the manifest records the units"
    );
    assert!(
        !manifest.contains("dates.csv"),
        "and needs no file to replay"
    );
}

fn refused(dir: &Path, dates: &str, entry: &str) -> String {
    write(dir, "dates.csv", dates);
    let scenario = write(
        dir,
        "bad.toml",
        &format!("{BASE}\n[[schedule]]\n{entry}\n{SET}\n"),
    );
    let output = cadresim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(!dir.join("out").exists(), "nothing is written");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.toml"), "{stderr}");
    stderr
}

#[test]
fn a_bad_adoption_file_is_refused_naming_the_file_and_line() {
    let dir = TempDir::new().unwrap();
    let adopt = "adopt = { county = \"dates.csv\" }";
    let cases = [
        (
            "unit,step\n1,x\n",
            adopt,
            "dates.csv: line 2: step `x` is not a whole number",
        ),
        (
            "unit,step\n1,400\n",
            adopt,
            "line 2: step 400 is beyond the run",
        ),
        ("unit,step\n99,5\n", adopt, "schedule[0].adopt"),
        ("unit,when\n1,5\n", adopt, "no column `step`"),
        (
            "unit,step\n1,5\n",
            "adopt = { county = \"missing.csv\" }",
            "missing.csv",
        ),
        (
            "unit,step\n1,5\n",
            "at = 3\nadopt = { county = \"dates.csv\" }",
            "cannot also have `at`",
        ),
        (
            "unit,step\n1,5\n",
            "adopt = \"dates.csv\"",
            "must be { LEVEL = \"FILE.csv\" }",
        ),
    ];
    for (dates, entry, expected) in cases {
        let stderr = refused(dir.path(), dates, entry);
        assert!(
            stderr.contains(expected),
            "{entry} with {dates:?}: {stderr}"
        );
    }
}
