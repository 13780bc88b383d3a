//! One module per subcommand; each returns an [`Outcome`] and leaves exit codes to `main`.

mod install;
mod pre_commit;
mod rules;
mod scan;

use std::fmt;

use anyhow::Result;

use crate::cli::{Cli, Color, Command};
use crate::env::Env;
use crate::report::term::ColorChoice;
use crate::scan::{Engine, Finding};
use crate::source::{Fragment, Origin, Sink};

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing blocks.
    Clean,
    /// Findings block (the commit is refused).
    Blocked,
}

/// The user asked for something that cannot be done as asked (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs the parsed command line.
///
/// # Errors
/// Whatever the command fails with; `main` maps [`UsageError`] and policy errors to exit 2 and
/// anything else to 3.
pub fn run(cli: &Cli, env: &Env) -> Result<Outcome> {
    let color = match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    match &cli.command {
        Command::PreCommit => pre_commit::run(env, color, cli.verbose),
        Command::Scan(args) => scan::run(args, env, color, cli.verbose),
        Command::Install(args) => install::install(args),
        Command::Uninstall => install::uninstall(),
        Command::Rules { format } => rules::run(*format),
    }
}

/// Feeds a source's output to the engine and keeps the findings.
struct Collector<'e> {
    engine: &'e Engine,
    findings: Vec<Finding>,
}

impl<'e> Collector<'e> {
    fn new(engine: &'e Engine) -> Self {
        Collector { engine, findings: Vec::new() }
    }
}

impl Sink for Collector<'_> {
    fn file(&mut self, path: &str, origin: &Origin) -> Result<()> {
        self.engine.scan_path(path, origin, &mut self.findings)
    }

    fn fragment(&mut self, fragment: &Fragment<'_>) -> Result<()> {
        self.engine.scan(fragment, &mut self.findings)
    }
}
