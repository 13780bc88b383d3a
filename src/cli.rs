//! The command-line surface (clap derive types only).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Blocks secrets at the commit: scans what is about to leave against a local policy.
#[derive(Debug, Parser)]
#[command(name = "leakgate", version, about, long_about = None)]
pub struct Cli {
    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    /// Say more: also print the summary when nothing was found.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when the report goes to a terminal and the environment allows it.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The git hook: scan the staged change and block the commit if it adds a secret.
    PreCommit,
    /// Scan the staged change, files and directories, or standard input (`-`).
    Scan(ScanArgs),
    /// Install the pre-commit hook into the hooks directory git uses for this repository.
    Install(InstallArgs),
    /// Remove the hook leakgate installed, restoring any hook it replaced.
    Uninstall,
    /// List the rules of the policy in force.
    Rules {
        /// Output format: an aligned table, or a JSON array (id, name, family, severity,
        /// keywords, validator, remediation url).
        #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
        format: RulesFormat,
    },
}

/// `leakgate rules --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// One rule a line.
    Human,
    /// A JSON array of rule objects.
    Json,
}

/// `leakgate scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Scan the staged change (what `git commit` would record), as the hook does.
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,
    /// Files or directories to scan (`-` for standard input); default: the current directory.
    pub paths: Vec<PathBuf>,
}

/// `leakgate install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Replace a pre-commit hook that leakgate did not write (it is kept as
    /// `pre-commit.leakgate-backup`).
    #[arg(long)]
    pub force: bool,
}
