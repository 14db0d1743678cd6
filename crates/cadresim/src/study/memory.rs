//! The memory check before a run or sweep: what its replicates and time series need, plus
//! what drawing the by-unit charts reads back, against the smallest limit that applies (the
//! machine's memory, the cgroup's, SLURM's allocation).

use std::path::Path;

use super::StudyError as CommandError;
use crate::hierarchy::Size;
use crate::output::tables;
use crate::params::Params;
use crate::runner;
use crate::scenario::{Scenario, ScenarioError};

/// The memory a process may use, and where that limit comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    pub bytes: u128,
    pub source: String,
}

/// Bytes a scenario needs at most: its replicates and series (`runner::memory_needed`) and,
/// with `output.by_unit`, the value per row of the by-unit tables that the charts keep when
/// they read them back.
pub fn memory_needed(params: &Params, threads: usize) -> u128 {
    let simulation = runner::memory_needed(params, threads);
    let (Ok(size), Some(level)) = (Size::of(&params.hierarchy), params.by_unit_level()) else {
        return simulation;
    };
    let units = size.level_units[level] as u128;
    let rows = (params.run.most_steps() as u128 + 1) * units * params.run.replicates as u128;
    simulation.saturating_add(tables::unit_rows_memory(rows))
}

/// The smallest of the limits found: `/proc/meminfo`'s MemTotal, the cgroup's (v2
/// `memory.max`, v1 `memory.limit_in_bytes`) and SLURM's (`SLURM_MEM_PER_NODE`, or
/// `SLURM_MEM_PER_CPU` times the task's CPUs).
pub fn memory_limit() -> MemoryLimit {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    memory_limit_from(meminfo.as_deref(), cgroup_limit(), &|name| {
        std::env::var(name).ok()
    })
}

/// `memory_limit` from its sources: the text of /proc/meminfo, the cgroup's limit, and the
/// environment.
pub fn memory_limit_from(
    meminfo: Option<&str>,
    cgroup: Option<u128>,
    env: &dyn Fn(&str) -> Option<String>,
) -> MemoryLimit {
    let total = meminfo.and_then(|text| {
        let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
        let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    });
    let mut limits = vec![MemoryLimit {
        bytes: total.unwrap_or(16 << 30),
        source: "this machine".into(),
    }];
    if let Some(bytes) = cgroup {
        limits.push(MemoryLimit {
            bytes,
            source: "this process's cgroup".into(),
        });
    }
    let mebibytes = |name: &str| {
        env(name)
            .and_then(|text| text.trim().parse::<u128>().ok())
            .filter(|mb| *mb > 0)
    };
    if let Some(mb) = mebibytes("SLURM_MEM_PER_NODE") {
        limits.push(MemoryLimit {
            bytes: mb << 20,
            source: "SLURM_MEM_PER_NODE".into(),
        });
    } else if let Some(mb) = mebibytes("SLURM_MEM_PER_CPU") {
        let cpus = mebibytes("SLURM_CPUS_ON_NODE")
            .or_else(|| mebibytes("SLURM_CPUS_PER_TASK"))
            .unwrap_or(1);
        limits.push(MemoryLimit {
            bytes: (mb << 20) * cpus,
            source: format!("SLURM_MEM_PER_CPU x {cpus} CPUs"),
        });
    }
    limits
        .into_iter()
        .min_by_key(|limit| limit.bytes)
        .expect("the machine's limit is always there")
}

/// The tightest memory limit of this process's cgroup and its ancestors (v2 `memory.max`,
/// v1 `memory.limit_in_bytes`), None when unlimited or unknown.
fn cgroup_limit() -> Option<u128> {
    let membership = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut limits = Vec::new();
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let (root, file) = match controllers {
            "" => ("/sys/fs/cgroup".to_string(), "memory.max"),
            c if c.split(',').any(|c| c == "memory") => {
                ("/sys/fs/cgroup/memory".to_string(), "memory.limit_in_bytes")
            }
            _ => continue,
        };
        let mut dir = Path::new(&root).join(path.trim_start_matches('/'));
        loop {
            let limit = std::fs::read_to_string(dir.join(file)).ok();
            if let Some(bytes) = limit.and_then(|text| text.trim().parse::<u128>().ok()) {
                // v1 writes "unlimited" as a number near 2^63.
                if bytes < 1 << 60 {
                    limits.push(bytes);
                }
            }
            if dir.as_os_str().len() <= root.len() || !dir.pop() {
                break;
            }
        }
    }
    limits.into_iter().min()
}

fn gib(bytes: u128) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u128 << 30) as f64)
}

/// Refuse experiments whose state would not fit in memory, naming the file and key.
pub fn check_memory(
    scenarios: &[Scenario],
    files: &[String],
    threads: usize,
) -> Result<(), CommandError> {
    let limit = memory_limit();
    let budget = limit.bytes * 4 / 5;
    for (scenario, file) in scenarios.iter().zip(files) {
        let cadres = Size::of(&scenario.params.hierarchy)
            .map_err(|why| ScenarioError::Invalid {
                file: file.clone(),
                key: "hierarchy.levels".into(),
                message: why.to_string(),
            })?
            .cadres;
        let need = memory_needed(&scenario.params, threads);
        if need > budget {
            return Err(ScenarioError::Invalid {
                file: file.clone(),
                key: "hierarchy.levels".into(),
                message: format!(
                    "describes {cadres} cadres; with run.steps = {} and run.replicates = {} the run would need about {} of memory, but {} allows {} (four fifths of {})",
                    scenario.params.run.steps,
                    scenario.params.run.replicates,
                    gib(need),
                    limit.source,
                    gib(budget),
                    gib(limit.bytes)
                ),
            }
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:       16384000 kB\nMemFree: 1 kB\n";

    #[test]
    fn the_smallest_limit_applies() {
        let none = |_: &str| None;
        let machine = memory_limit_from(Some(MEMINFO), None, &none);
        assert_eq!(machine.bytes, 16_384_000 * 1024);
        let cgroup = memory_limit_from(Some(MEMINFO), Some(2 << 30), &none);
        assert_eq!(cgroup.bytes, 2 << 30);
        assert_eq!(cgroup.source, "this process's cgroup");
        let slurm = |name: &str| match name {
            "SLURM_MEM_PER_CPU" => Some("1000".to_string()),
            "SLURM_CPUS_ON_NODE" => Some("3".to_string()),
            _ => None,
        };
        let per_cpu = memory_limit_from(Some(MEMINFO), Some(8 << 30), &slurm);
        assert_eq!(per_cpu.bytes, 3000 << 20);
        let node = |name: &str| (name == "SLURM_MEM_PER_NODE").then(|| "512".to_string());
        assert_eq!(memory_limit_from(None, None, &node).bytes, 512 << 20);
    }

    #[test]
    fn by_unit_runs_count_the_tables_the_charts_read_back() {
        let mut params = Params::default();
        params.run.steps = 1000;
        params.run.replicates = 4;
        let levels_only = memory_needed(&params, 2);
        params.output.by_unit = Some("township".into());
        let recorded = runner::memory_needed(&params, 2);
        let units = Size::of(&params.hierarchy).unwrap().level_units[3] as u128;
        let rows = 1000 * units * 4;
        // The series in memory, then one value per row of the table read back (its
        // scenario, level, code and name as strings, 200 bytes).
        assert!(recorded >= levels_only + rows * crate::metrics::METRIC_COUNT as u128 * 8);
        assert_eq!(
            memory_needed(&params, 2),
            recorded + (rows + units * 4) * 200
        );
    }
}
