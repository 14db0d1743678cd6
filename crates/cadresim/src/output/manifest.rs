//! The manifest written beside every result: what was run, with which parameters and seed,
//! when, by which version, and the SHA-256 of every output file.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

/// The layout of `manifest.json`: raised when a field changes meaning or goes. Manifests
/// written before the field existed read as 1.
pub const FORMAT_VERSION: u32 = 2;

fn first_format() -> u32 {
    1
}

/// The manifest of any result directory (run, sweep, discovery, robustness, calibration,
/// did, compare): who wrote it and when, what that kind of result records (`R`), and the
/// SHA-256 of every file. Written last, so that its presence marks the directory complete.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest<R = RunRecord> {
    #[serde(flatten)]
    pub stamp: Stamp,
    #[serde(flatten)]
    pub record: R,
    /// Output file name -> SHA-256 (hex).
    pub files: BTreeMap<String, String>,
}

/// The fields every manifest starts with.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Stamp {
    #[serde(default = "first_format")]
    pub format_version: u32,
    pub cadresim_version: String,
    /// Git commit the binary was built from, when known.
    pub git_commit: Option<String>,
    /// What produced the directory ("run", "sweep", "discover", ...).
    pub command: String,
    /// Worker threads (none where nothing was simulated in parallel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default)]
    pub finished: String,
}

impl Stamp {
    /// This cadresim's stamp on a result of `command`, finished now.
    pub fn now(command: &str, threads: Option<usize>, started: Option<String>) -> Stamp {
        Stamp {
            format_version: FORMAT_VERSION,
            cadresim_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit(),
            command: command.to_string(),
            threads,
            started,
            finished: now_utc(),
        }
    }
}

/// What a result of simulated scenarios records (run, did, compare, calibrate, replay).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    /// Master seed, replicates and steps as given on the command line (None: per scenario).
    pub seed: Option<u64>,
    pub replicates: Option<u64>,
    pub steps: Option<u64>,
    /// Every resolved parameter of every scenario, schedule included.
    pub scenarios: Vec<Scenario>,
    /// What else the command was given, so that `replay` can run it again (`did`: outcomes,
    /// observation, leads and lags); absent for `run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<serde_json::Value>,
}

/// The commit the binary was built from, with `-dirty` when its sources differed from it (set
/// by build.rs when git is available).
pub fn git_commit() -> Option<String> {
    option_env!("CADRESIM_GIT_COMMIT")
        .filter(|commit| !commit.is_empty())
        .map(str::to_string)
}

/// This cadresim: its version and, when known, the commit it was built from. Parts of a
/// sweep record it, so a resume or merge knows which cadresim computed them.
pub fn cadresim_build() -> String {
    build_name(env!("CARGO_PKG_VERSION"), git_commit().as_deref())
}

/// A cadresim build as `cadresim_build` names it: the version and, when known, the commit.
pub fn build_name(version: &str, commit: Option<&str>) -> String {
    match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_string(),
    }
}

/// The one-line refusal to keep results another build computed: "{what} computed by {theirs},
/// this is cadresim {this build}; results may differ between builds: {redo}, or pass
/// --mixed-versions to {keep}" (`theirs` names the builds, e.g. "cadresim 0.1.0 (abc)").
pub fn other_build_refusal(what: &str, theirs: &str, redo: &str, keep: &str) -> String {
    format!(
        "{what} computed by {theirs}, this is cadresim {}; results may differ between builds: {redo}, or pass --mixed-versions to {keep}",
        cadresim_build()
    )
}

/// A commit as `git_commit` records it, shortened to 12 hex digits (`-dirty` kept).
pub fn short_commit(commit: &str) -> String {
    let (hash, dirty) = match commit.strip_suffix("-dirty") {
        Some(hash) => (hash, "-dirty"),
        None => (commit, ""),
    };
    format!("{}{dirty}", &hash[..hash.len().min(12)])
}

/// SHA-256 of a file, hex-encoded.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(sha256_hex(&bytes))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Now, as an RFC 3339 UTC timestamp.
pub fn now_utc() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(seconds)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_manifest_starts_with_its_stamp_and_ends_with_its_files() {
        let manifest = Manifest {
            stamp: Stamp::now("discover", None, None),
            record: (),
            files: BTreeMap::from([("box.csv".to_string(), "00".to_string())]),
        };
        let text = serde_json::to_string(&manifest).unwrap();
        let keys = [
            "format_version",
            "cadresim_version",
            "git_commit",
            "command",
            "finished",
            "files",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|key| text.find(&format!("\"{key}\":")).expect(key))
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{text}");
        assert!(
            !text.contains("threads") && !text.contains("started"),
            "{text}"
        );
        assert!(text.starts_with(&format!("{{\"format_version\":{FORMAT_VERSION},")));
    }

    #[test]
    fn a_manifest_from_before_the_format_version_reads_as_version_1() {
        let old = r#"{"cadresim_version": "0.1.0", "git_commit": null, "command": "run",
            "seed": 3, "replicates": null, "steps": null, "threads": 2,
            "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:00:01Z",
            "scenarios": [], "files": {}}"#;
        let manifest: Manifest = serde_json::from_str(old).unwrap();
        assert_eq!(manifest.stamp.format_version, 1);
        assert_eq!(manifest.stamp.threads, Some(2));
        assert_eq!(manifest.record.seed, Some(3));
    }

    #[test]
    fn short_commits_keep_the_dirty_mark() {
        let hash = "ae5ef3f1e6de0123456789abcdef0123456789ab";
        assert_eq!(short_commit(hash), "ae5ef3f1e6de");
        assert_eq!(short_commit(&format!("{hash}-dirty")), "ae5ef3f1e6de-dirty");
        assert_eq!(short_commit("abc"), "abc");
    }

    #[test]
    fn known_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_795_787_457), "2026-11-27T13:50:57Z");
    }
}
