//! The ledger of a resumable command, one protocol for all of them (sweep, robustness,
//! structure, reproduce, did, calibrate): a header `<command>.lock.json` in the result
//! directory names what is being computed (the command's settings, or their hash); a folder
//! of parts holds one file per finished unit of work, each written atomically and trusted
//! only when it names its unit (the folder is made before the header, so a header never
//! stands without it); the manifest is written last. A kill at any moment leaves a directory that `--resume`
//! continues without loss or duplication, and never one that looks complete.
//!
//! Owns the file names of every command's ledger, how headers and parts are written and read,
//! and the refusals of `--resume`, each one line. `did` and `calibrate` follow `survey`:
//! continue only an unfinished run whose header matches; refuse a finished result, another
//! command's directory or other settings; their ledger is closed (removed) once the manifest
//! is written. A sweep's header stays (merge reads the shards'), and `--resume` on a finished
//! sweep re-assembles it; a robustness check's and a reproduction's headers stay too, and a
//! finished one resumes by summarising again (a finished robustness shard is kept as it is).
//! Robustness and structure headers record the builds that computed their parts (`Builds`):
//! `--resume` continues another build's parts only with --mixed-versions.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::manifest::{cadresim_build, other_build_refusal};
use super::{create_dir, io_error, write_atomically, OutputError};

/// The files of one command's ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The command, as the researcher types it.
    pub command: &'static str,
    /// The header's file name in the result directory.
    pub header: &'static str,
    /// The folder of parts in the result directory (None for a command without parts).
    pub parts: Option<&'static str>,
}

/// A sweep: one part per point (`parts/point-<id>.csv`); its header stays after the sweep
/// finishes, so shards can be merged.
pub const SWEEP: Kind = Kind {
    command: "sweep",
    header: "sweep.lock.json",
    parts: Some("parts"),
};

/// A robustness check: one part per sample of the factors (`parts/sample-<n>.csv`).
pub const ROBUSTNESS: Kind = Kind {
    command: "reproduce --robustness",
    header: "robustness.lock.json",
    parts: Some("parts"),
};

/// A structural robustness check: one part per cell of the factorial (`parts/cell-<n>.csv`).
pub const STRUCTURE: Kind = Kind {
    command: "reproduce --structure",
    header: "structure.lock.json",
    parts: Some("parts"),
};

/// A reproduction: its experiments write their own directories (each with its own ledger).
pub const REPRODUCE: Kind = Kind {
    command: "reproduce",
    header: "reproduce.lock.json",
    parts: None,
};

/// A difference-in-differences study: its tables grow replicate by replicate, and the header
/// records their lengths after the last finished batch.
pub const DID: Kind = Kind {
    command: "did",
    header: "did.lock.json",
    parts: None,
};

/// A calibration: one part per batch of simulator runs, one per dataset of a method check.
pub const CALIBRATE: Kind = Kind {
    command: "calibrate",
    header: "calibrate.lock.json",
    parts: Some("calibrate.parts"),
};

/// Every command's ledger (the names `clear_written` may remove).
pub const KINDS: [Kind; 6] = [SWEEP, ROBUSTNESS, STRUCTURE, REPRODUCE, DID, CALIBRATE];

/// The cadresim builds (`manifest::cadresim_build`) that computed a directory's parts, in
/// the order they did: a record in a ledger's header, not a setting, so headers that differ
/// only in it describe the same run (every two compare equal; compare `.0` for the builds).
/// Empty in headers written before builds were recorded; once parts of such a directory are
/// continued, `UNRECORDED` stands for the builds it did not record.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Builds(pub Vec<String>);

impl PartialEq for Builds {
    fn eq(&self, _: &Builds) -> bool {
        true
    }
}

/// In a record of builds: parts computed by builds that were not recorded.
pub const UNRECORDED: &str = "unrecorded";

impl Builds {
    /// This build alone.
    pub fn current() -> Builds {
        Builds(vec![cadresim_build()])
    }

    /// These builds (`UNRECORDED` when there are none), then those of `others` not among
    /// them.
    pub fn and(&self, others: &Builds) -> Builds {
        let mut all = if self.0.is_empty() {
            vec![UNRECORDED.to_string()]
        } else {
            self.0.clone()
        };
        for build in &others.0 {
            if !all.contains(build) {
                all.push(build.clone());
            }
        }
        Builds(all)
    }

    /// The one-line refusal to continue parts these builds computed unless `mixed`, with
    /// them and this build added: `what` names the directory, `redo` the other way out.
    pub fn resume(&self, what: &str, redo: &str, mixed: bool) -> Result<Builds, String> {
        match self.others() {
            Some(theirs) if !mixed => Err(other_build_refusal(
                &format!("{what}: its parts were"),
                &theirs,
                redo,
                "combine them (the manifest then names every build)",
            )),
            _ => Ok(self.and(&Builds::current())),
        }
    }

    /// The builds other than this one, named for a refusal; None when every build is known
    /// and this one.
    pub fn others(&self) -> Option<String> {
        let current = cadresim_build();
        let known: Vec<String> = self
            .0
            .iter()
            .filter(|build| **build != current && *build != UNRECORDED)
            .map(|build| format!("cadresim {build}"))
            .collect();
        let unrecorded = self.0.is_empty() || self.0.iter().any(|build| build == UNRECORDED);
        let named: Vec<String> = known
            .into_iter()
            .chain(unrecorded.then(|| "an unrecorded cadresim build".to_string()))
            .collect();
        (!named.is_empty()).then(|| named.join(", "))
    }
}

/// One result directory's ledger.
#[derive(Clone, Copy, Debug)]
pub struct Ledger<'a> {
    dir: &'a Path,
    kind: Kind,
}

/// What `--resume` found in a result directory.
#[derive(Debug, PartialEq)]
pub enum Found<T> {
    /// Nothing at all: the command starts.
    Empty,
    /// An unfinished run of this command, with its header.
    Unfinished(T),
    /// A finished result (`manifest.json`, whether or not a header remains).
    Finished,
    /// Files, but no header of this command.
    Foreign,
}

impl<'a> Ledger<'a> {
    pub fn new(dir: &'a Path, kind: Kind) -> Self {
        Ledger { dir, kind }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The header's path.
    pub fn header_path(&self) -> PathBuf {
        self.dir.join(self.kind.header)
    }

    /// The header, None when there is none; an unreadable one is an error naming the file.
    pub fn header<T: DeserializeOwned>(&self) -> Result<Option<T>, OutputError> {
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(OutputError::NotADirectory(self.dir.to_path_buf()));
        }
        let path = self.header_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(&path)(error)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|error| OutputError::BadLedger {
                path,
                message: error.to_string(),
            })
    }

    /// Record the header (atomically).
    pub fn write_header<T: Serialize>(&self, header: &T) -> Result<(), OutputError> {
        let text = serde_json::to_string_pretty(header).expect("a ledger header serializes");
        write_atomically(self.dir, self.kind.header, |out| {
            out.write_all(text.as_bytes())
        })?;
        Ok(())
    }

    /// What the directory holds, for `--resume`. A manifest makes it finished even beside a
    /// header (a kill between writing the manifest and closing the ledger).
    pub fn survey<T: DeserializeOwned>(&self) -> Result<Found<T>, OutputError> {
        if self.dir.join("manifest.json").exists() {
            return Ok(Found::Finished);
        }
        if let Some(header) = self.header()? {
            return Ok(Found::Unfinished(header));
        }
        Ok(match super::holds_work(self.dir)? {
            true => Found::Foreign,
            false => Found::Empty,
        })
    }

    /// The one-line refusal of `--resume` on a directory that holds no run of this command
    /// (`Finished` or `Foreign`), or one started with other settings (`Unfinished`): what
    /// is there and what to do.
    pub fn refusal<T>(&self, found: &Found<T>, settings: &str) -> String {
        let what = match found {
            Found::Finished => "holds a finished result (manifest.json): nothing to resume; --force replaces it".to_string(),
            Found::Unfinished(_) => format!(
                "--resume needs the same {settings} as the interrupted run; resume it with those, or --force to start again"
            ),
            Found::Empty | Found::Foreign => format!(
                "holds no unfinished `{}` run (no {}): nothing to resume; --force replaces what cadresim wrote there, or choose another --out",
                self.kind.command, self.kind.header
            ),
        };
        format!("{}: {what}", self.dir.display())
    }

    /// For `--resume`: the header this directory records (None when it has none), refused
    /// in one line when it differs from `header` (its run was started with other `settings`).
    pub fn resumed_header<T>(&self, header: &T, settings: &str) -> Result<Option<T>, OutputError>
    where
        T: DeserializeOwned + PartialEq,
    {
        match self.header::<T>()? {
            Some(found) if &found != header => Err(OutputError::Unresumable(
                self.refusal(&Found::Unfinished(()), settings),
            )),
            found => Ok(found),
        }
    }

    /// Begin a run whose parts stay until the next start (robustness, structure): continue
    /// when resuming a run with the same `header` (removing a manifest, so the directory
    /// never looks complete while parts are added, and recording `header` again: what it
    /// records besides the settings, such as `Builds`, may have grown); otherwise remove what
    /// an earlier run wrote, open the folder of parts, then record `header` (so a header never
    /// stands without its folder). An unreadable header is an error only when resuming.
    pub fn begin<T>(&self, header: &T, resume: bool) -> Result<(), OutputError>
    where
        T: Serialize + DeserializeOwned + PartialEq,
    {
        let same = resume && self.header::<T>()?.is_some_and(|found| &found == header);
        if same {
            let manifest = self.dir.join("manifest.json");
            if manifest.exists() {
                fs::remove_file(&manifest).map_err(io_error(&manifest))?;
            }
            self.open_parts()?;
            return self.write_header(header);
        }
        super::clear_written(self.dir)?;
        self.open_parts()?;
        self.write_header(header)
    }

    /// For `--resume` of a run whose header (recording the builds `recorded`) matches: the
    /// builds with this one added. Parts computed by another build, or by one the header did
    /// not record, are refused unless `mixed`; a directory without parts has only this build.
    pub fn builds_on_resume(&self, recorded: &Builds, mixed: bool) -> Result<Builds, OutputError> {
        if !self.has_parts()? {
            return Ok(Builds::current());
        }
        let what = self.dir.display().to_string();
        let redo = "finish it with that build, or remove this directory to start it again";
        recorded
            .resume(&what, redo, mixed)
            .map_err(OutputError::Unresumable)
    }

    /// Whether the folder of parts holds a finished part (not a file being written).
    fn has_parts(&self) -> Result<bool, OutputError> {
        let dir = self.parts_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(io_error(&dir)(error)),
        };
        for entry in entries {
            let entry = entry.map_err(io_error(&dir))?;
            if !entry.file_name().to_string_lossy().starts_with('.') {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The folder of parts (a command whose ledger has none never asks).
    pub fn parts_dir(&self) -> PathBuf {
        let parts = self.kind.parts.expect("this command's ledger has parts");
        self.dir.join(parts)
    }

    /// Create the folder of parts.
    pub fn open_parts(&self) -> Result<(), OutputError> {
        create_dir(&self.parts_dir())
    }

    /// The path of part `name`.
    pub fn part_path(&self, name: &str) -> PathBuf {
        self.parts_dir().join(name)
    }

    /// Record part `name`, atomically.
    pub fn write_part(
        &self,
        name: &str,
        write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
    ) -> Result<PathBuf, OutputError> {
        write_atomically(&self.parts_dir(), name, write)
    }

    /// Record part `name` as JSON, atomically.
    pub fn write_json<T: Serialize>(&self, name: &str, part: &T) -> Result<(), OutputError> {
        let text = serde_json::to_string(part).expect("a ledger part serializes");
        self.write_part(name, |out| out.write_all(text.as_bytes()))?;
        Ok(())
    }

    /// Part `name` read as JSON; a missing or unreadable part counts as unfinished.
    pub fn read_json<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let text = fs::read_to_string(self.part_path(name)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Remove the ledger of a finished run (after its manifest is written): the parts, then
    /// the header, the directory synced.
    pub fn close(&self) -> Result<(), OutputError> {
        if self.kind.parts.is_some() {
            let parts = self.parts_dir();
            if parts.exists() {
                fs::remove_dir_all(&parts).map_err(io_error(&parts))?;
            }
        }
        let header = self.header_path();
        if header.exists() {
            fs::remove_file(&header).map_err(io_error(&header))?;
        }
        fs::File::open(self.dir)
            .and_then(|handle| handle.sync_all())
            .map_err(io_error(self.dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Header {
        settings: String,
    }

    fn header(settings: &str) -> Header {
        Header {
            settings: settings.to_string(),
        }
    }

    #[test]
    fn a_run_is_found_unfinished_until_its_ledger_is_closed() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger = Ledger::new(dir.path(), CALIBRATE);
        assert_eq!(ledger.survey::<Header>().expect("surveyed"), Found::Empty);
        // A header whose write was killed leaves a temporary file: still nothing recorded.
        let killed = dir.path().join(".calibrate.lock.json.abcdef.partial");
        fs::write(&killed, "{").expect("written");
        assert_eq!(ledger.survey::<Header>().expect("surveyed"), Found::Empty);
        fs::remove_file(&killed).expect("removed");
        ledger.write_header(&header("a")).expect("header written");
        ledger.open_parts().expect("parts opened");
        ledger
            .write_json("batch-0000.json", &[1u64, 2])
            .expect("part written");
        assert_eq!(
            ledger.survey().expect("surveyed"),
            Found::Unfinished(header("a"))
        );
        assert_eq!(
            ledger.read_json::<Vec<u64>>("batch-0000.json"),
            Some(vec![1, 2])
        );
        assert_eq!(ledger.read_json::<Vec<u64>>("batch-0001.json"), None);
        fs::write(dir.path().join("manifest.json"), "{}").expect("manifest");
        assert_eq!(
            ledger.survey::<Header>().expect("surveyed"),
            Found::Finished
        );
        ledger.close().expect("closed");
        assert!(!ledger.parts_dir().exists() && !ledger.header_path().exists());
        assert_eq!(
            ledger.survey::<Header>().expect("surveyed"),
            Found::Finished
        );
        fs::remove_file(dir.path().join("manifest.json")).expect("removed");
        fs::write(dir.path().join("notes.txt"), "mine").expect("written");
        assert_eq!(ledger.survey::<Header>().expect("surveyed"), Found::Foreign);
    }

    #[test]
    fn builds_are_a_record_and_parts_of_another_are_resumed_only_when_mixed() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger = Ledger::new(dir.path(), ROBUSTNESS);
        let other = Builds(vec!["0.0.0-other".into()]);
        assert_eq!(other, Builds::current());
        let unrecorded = Builds::default();
        // Without parts (none yet, or one being written), only this build computed any.
        ledger.open_parts().expect("parts opened");
        fs::write(ledger.part_path(".sample-000001.csv.x.partial"), "").expect("written");
        for recorded in [&other, &unrecorded] {
            let builds = ledger.builds_on_resume(recorded, false).expect("no parts");
            assert_eq!(builds.0, Builds::current().0);
        }
        fs::write(ledger.part_path("sample-000001.csv"), "").expect("written");
        let current = Builds::current();
        let kept = ledger
            .builds_on_resume(&current, false)
            .expect("this build's");
        assert_eq!(kept.0, current.0);
        for (recorded, theirs) in [
            (&other, "cadresim 0.0.0-other"),
            (&unrecorded, "an unrecorded"),
        ] {
            let error = ledger
                .builds_on_resume(recorded, false)
                .expect_err("refused");
            assert!(error.is_usage());
            let message = error.to_string();
            assert!(
                message.contains(&format!("its parts were computed by {theirs}")),
                "{message}"
            );
            assert!(message.contains("--mixed-versions"), "{message}");
        }
        let mixed = ledger.builds_on_resume(&other, true).expect("mixed");
        assert_eq!(mixed.0, [other.0.clone(), current.0.clone()].concat());
        assert_eq!(
            ledger.builds_on_resume(&mixed, true).expect("again").0,
            mixed.0
        );
        // Builds that were not recorded stay on record, and keep needing --mixed-versions.
        let continued = ledger.builds_on_resume(&unrecorded, true).expect("mixed");
        assert_eq!(
            continued.0,
            [vec![UNRECORDED.to_string()], current.0].concat()
        );
        let error = ledger
            .builds_on_resume(&continued, false)
            .expect_err("refused");
        assert!(error.to_string().contains("an unrecorded cadresim build"));
    }

    #[test]
    fn a_damaged_header_is_an_error_naming_it_and_a_damaged_part_is_unfinished() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger = Ledger::new(dir.path(), SWEEP);
        fs::write(ledger.header_path(), "{not json").expect("written");
        let error = ledger.header::<Header>().expect_err("damaged");
        assert!(error.to_string().contains("sweep.lock.json"), "{error}");
        ledger.open_parts().expect("parts opened");
        fs::write(ledger.part_path("point-000001.csv"), "{").expect("written");
        assert_eq!(ledger.read_json::<Header>("point-000001.csv"), None);
    }

    #[test]
    fn begin_continues_only_a_resumed_run_with_the_same_header() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger = Ledger::new(dir.path(), STRUCTURE);
        ledger.begin(&header("a"), false).expect("begun");
        ledger
            .write_part("cell-000000.csv", |out| out.write_all(b"x"))
            .expect("part written");
        let manifest = dir.path().join("manifest.json");
        fs::write(&manifest, "{}").expect("manifest written");
        ledger.begin(&header("a"), true).expect("resumed");
        assert!(ledger.part_path("cell-000000.csv").exists());
        assert!(!manifest.exists(), "a resumed run never looks complete");
        for (settings, resume) in [("b", true), ("a", false)] {
            ledger
                .write_part("cell-000000.csv", |out| out.write_all(b"x"))
                .expect("part written");
            ledger.begin(&header(settings), resume).expect("begun anew");
            assert!(!ledger.part_path("cell-000000.csv").exists(), "{settings}");
            assert_eq!(ledger.header().expect("read"), Some(header(settings)));
        }
        fs::write(ledger.header_path(), "not json").expect("garbled");
        assert!(ledger.begin(&header("b"), true).is_err());
        ledger
            .begin(&header("b"), false)
            .expect("a new start needs no header");
    }

    #[test]
    fn a_resumed_header_is_read_once_and_refused_when_it_differs() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger = Ledger::new(dir.path(), ROBUSTNESS);
        let none = ledger.resumed_header(&header("a"), "factors");
        assert_eq!(none.expect("no header"), None);
        ledger.write_header(&header("a")).expect("header written");
        let same = ledger.resumed_header(&header("a"), "factors");
        assert_eq!(same.expect("the same"), Some(header("a")));
        let other = ledger
            .resumed_header(&header("b"), "factors")
            .expect_err("other settings");
        assert!(other.is_usage(), "{other}");
        assert_eq!(
            other.to_string(),
            ledger.refusal(&Found::Unfinished(()), "factors")
        );
        fs::write(ledger.header_path(), "not json").expect("garbled");
        assert!(ledger.resumed_header(&header("a"), "factors").is_err());
    }

    #[test]
    fn refusals_name_the_directory_the_command_and_what_to_do() {
        let dir = Path::new("out/x");
        let ledger = Ledger::new(dir, DID);
        assert_eq!(
            ledger.refusal::<()>(&Found::Foreign, "settings"),
            "out/x: holds no unfinished `did` run (no did.lock.json): nothing to resume; --force replaces what cadresim wrote there, or choose another --out"
        );
        assert!(ledger
            .refusal::<()>(&Found::Finished, "settings")
            .starts_with("out/x: holds a finished result"));
        assert!(ledger
            .refusal(&Found::Unfinished(()), "scenario and window")
            .contains("the same scenario and window"));
    }

    #[test]
    fn every_ledger_file_is_one_clear_written_removes() {
        for kind in KINDS {
            assert!(super::super::WRITTEN.contains(&kind.header), "{kind:?}");
            assert!(
                kind.parts
                    .is_none_or(|parts| super::super::WRITTEN.contains(&parts)),
                "{kind:?}"
            );
        }
    }
}
