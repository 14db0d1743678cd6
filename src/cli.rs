//! Command-line definitions (clap). Parsing only: `commands` carries them out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// cadresim: which regimes of punishment, tolerance and incentives put boundedly rational
/// cadres into the lazy equilibrium, and which bring them out?
#[derive(Debug, Parser)]
#[command(name = "cadresim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (or the built-in default set) and write a result directory.
    Run(RunArgs),
    /// Re-run what a manifest describes and check that every output file is identical.
    Replay(ReplayArgs),
    /// List every scenario parameter: key, default, allowed values and meaning.
    Params(ParamsArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML). Without any, the built-in default set of five regimes runs.
    pub scenarios: Vec<PathBuf>,
    /// Result directory [default: output/<scenario names joined by +>, or output/default].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed for every scenario (overrides run.seed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Replicates per scenario (overrides run.replicates).
    #[arg(long, value_name = "N")]
    pub replicates: Option<u64>,
    /// Steps per replicate (overrides run.steps; burn_in becomes steps/2 if it no longer fits).
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite an existing result directory.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The manifest.json of a result directory.
    pub manifest: PathBuf,
    /// Where to write the re-run [default: a temporary directory, removed afterwards].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite DIR if it holds a result.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// Print a Markdown table instead of plain text.
    #[arg(long)]
    pub markdown: bool,
}
