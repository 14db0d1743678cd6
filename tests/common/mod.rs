//! What several test files share: the binary under test and a small, fast scenario.

use assert_cmd::Command;

/// The `cadresim` binary built for the tests.
pub fn cadresim() -> Command {
    Command::cargo_bin("cadresim").expect("binary builds")
}

/// A small, fast scenario body (two levels, few steps).
#[allow(dead_code)]
pub const SMALL: &str = r#"
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

/// Every record of a CSV file (header aside).
#[allow(dead_code)]
pub fn records(path: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .expect("a CSV file")
        .records()
        .map(|record| record.expect("a CSV record"))
        .collect()
}

/// A CSV file's header.
#[allow(dead_code)]
pub fn header(path: &std::path::Path) -> csv::StringRecord {
    csv::Reader::from_path(path)
        .expect("a CSV file")
        .headers()
        .expect("a CSV header")
        .clone()
}

/// The index of a CSV file's column `name`; fails naming the file if it has none.
#[allow(dead_code)]
pub fn column(path: &std::path::Path, name: &str) -> usize {
    header(path)
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
}

/// The index of column `name` in a header already read; fails naming the column.
#[allow(dead_code)]
pub fn index(header: &csv::StringRecord, name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Rewrite a ledger header as if `builds` had computed its parts (None: as a header written
/// before builds were recorded); return the builds it recorded (null: none).
#[allow(dead_code)]
pub fn as_if_computed_by(lock: &std::path::Path, builds: Option<&[&str]>) -> serde_json::Value {
    let text = std::fs::read_to_string(lock).unwrap();
    let mut header: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = header.as_object_mut().unwrap();
    let ours = match builds {
        Some(builds) => object.insert("computed_by".into(), serde_json::json!(builds)),
        None => object.remove("computed_by"),
    };
    std::fs::write(lock, serde_json::to_string_pretty(&header).unwrap()).unwrap();
    ours.unwrap_or_default()
}

/// The builds a result directory's manifest names in `computed_by`.
#[allow(dead_code)]
pub fn computed_by(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["computed_by"].clone()
}

/// Fail with the command's stderr unless it succeeded.
#[allow(dead_code)]
pub fn succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[allow(dead_code)]
/// A small sweep over the small scenario: 3 penalties x 2 tolerance variants.
pub const SWEEP: &str = r#"
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

#[allow(dead_code)]
pub struct Files {
    pub dir: tempfile::TempDir,
}

#[allow(dead_code, clippy::new_without_default)]
impl Files {
    pub fn new() -> Self {
        let files = Files {
            dir: tempfile::TempDir::new().unwrap(),
        };
        std::fs::write(files.path("small.toml"), SMALL).unwrap();
        std::fs::write(files.path("sweep.toml"), SWEEP).unwrap();
        files
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    pub fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}
