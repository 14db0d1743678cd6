//! The command line of cadresim: its arguments (`cli`, parsed by clap) and one function per
//! subcommand (`commands`), which turns arguments into a study's typed request, shows its
//! progress and prints its results. The `cadresim` binary (`main.rs`) and the Python package's
//! `cadresim` command both start at [`commands::execute`]; everything else is in the
//! `cadresim` library.

pub mod cli;
pub mod commands;
