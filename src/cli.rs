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
    /// A policy setting for this run, as TOML (`--config 'min-severity-to-block = "low"'`),
    /// applied after every file as the command-line layer; it cannot weaken what the
    /// organisation enforces. Repeatable.
    #[arg(long = "config", value_name = "KEY=VALUE", global = true)]
    pub config: Vec<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments. The hooks run `leakgate pre-commit` with nothing else on
    /// every commit: that invocation is recognised without building clap's command tree (every
    /// subcommand and argument: 0.2 ms of a hook run back to back, 0.5 ms of a cold one on the
    /// development VM) and gives exactly what clap gives for it.
    ///
    /// # Errors
    /// The arguments do not parse (clap's error, which prints usage or help).
    pub fn from_process() -> Result<Cli, clap::Error> {
        Cli::from_args(std::env::args_os().collect())
    }

    /// [`Cli::from_process`] on `args` (the program name first).
    fn from_args(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
        match args.as_slice() {
            [_, only] if only == "pre-commit" => Ok(Cli::plain_pre_commit()),
            _ => Cli::try_parse_from(args),
        }
    }

    /// What `leakgate pre-commit` parses to: every option at its default.
    fn plain_pre_commit() -> Cli {
        Cli {
            color: Color::Auto,
            verbose: false,
            config: Vec::new(),
            command: Command::PreCommit(PreCommitArgs {
                files: Vec::new(),
                format: Format::Human,
                output: None,
            }),
        }
    }
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
    PreCommit(PreCommitArgs),
    /// The git hook: read git's pre-push lines on stdin and block the push if any outgoing
    /// commit adds a secret.
    PrePush(PrePushArgs),
    /// Scan the staged change, commits, files and directories, or standard input (`-`).
    Scan(ScanArgs),
    /// Copy standard input to standard output with every secret replaced by
    /// `[REDACTED:<rule>:<fingerprint prefix>]` (streaming, constant memory).
    Redact,
    /// List recent hook decisions from the local audit log, or every place a secret was seen.
    Audit(AuditArgs),
    /// Install the hooks into the hooks directory git uses for this repository (or for every
    /// repository with --global).
    Install(InstallArgs),
    /// Remove the hooks leakgate installed, restoring any hook it replaced.
    Uninstall(UninstallArgs),
    /// Report which hooks git will really run for this repository, and whether leakgate is
    /// among them.
    Doctor,
    /// List the rules of the policy in force.
    Rules {
        /// Output format: an aligned table, or a JSON array (id, name, family, severity,
        /// keywords, validator, remediation url).
        #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
        format: RulesFormat,
    },
    /// Show, check, explain or update the policy in force (built-in < organisation < repository).
    Policy(PolicyArgs),
    /// Accept every current finding into `.leakgate-ignore`, so that only new secrets block.
    Baseline(BaselineArgs),
}

/// `leakgate policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PolicyAction,
}

/// `leakgate policy <action>`.
#[derive(Debug, Subcommand)]
pub enum PolicyAction {
    /// The effective policy, each value with the layer that set it.
    Show,
    /// Validate every layer (and the ignore file); exit 2 with file:line:column on a problem.
    Check,
    /// A rule: definition, examples, tuning, enforcement and allowlists, and where each came from.
    Explain {
        /// The rule id (`leakgate rules` lists them).
        rule: String,
    },
    /// Fetch the pinned git policies that are not cached yet (the hooks never need the network
    /// afterwards).
    Update,
}

/// `leakgate baseline`.
#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    /// Accept findings in every commit of the history, not only the files of the work tree.
    #[arg(long)]
    pub history: bool,
    /// The reason written on each entry.
    #[arg(long, default_value = "baseline: present before leakgate was adopted")]
    pub reason: String,
    /// The owner written on each entry (required when the policy says require-owner).
    #[arg(long)]
    pub owner: Option<String>,
    /// Expiry date (YYYY-MM-DD) written on each entry; default: none, or the longest the policy
    /// allows (max-ignore-days).
    #[arg(long)]
    pub expires: Option<String>,
}

/// `leakgate pre-commit`.
#[derive(Debug, clap::Args)]
pub struct PreCommitArgs {
    /// Only these paths (the pre-commit framework passes them): their staged lines, or their
    /// whole staged content when they have no staged change (`pre-commit run --all-files`).
    pub files: Vec<String>,
    /// Format of the report written with `-o` (the human report always goes to standard error;
    /// machine formats need `-o`, since git shows a hook's output as text).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write the report to this file (created fresh, readable by its owner only).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `leakgate pre-push`.
#[derive(Debug, clap::Args)]
pub struct PrePushArgs {
    /// The remote name (or URL when pushing to a URL), as git passes it.
    pub remote: Option<String>,
    /// The remote URL, as git passes it.
    pub url: Option<String>,
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
    #[arg(long, conflicts_with_all = ["paths", "range", "history"])]
    pub staged: bool,
    /// Scan each commit of a range (`A..B`, or everything reachable from one revision), as a CI
    /// gate does: `leakgate scan --range origin/main..HEAD`.
    #[arg(long, value_name = "A..B", conflicts_with_all = ["paths", "history"])]
    pub range: Option<String>,
    /// Scan every commit reachable from any ref: an inventory of what already leaked.
    #[arg(long, conflicts_with = "paths")]
    pub history: bool,
    /// Files or directories to scan (`-` for standard input); default: the current directory.
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to this file (created fresh, readable by its owner only) instead of
    /// standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print full secret values in the human report (never in JSON, SARIF or hooks). The output
    /// then contains live credentials: do not share or log it.
    #[arg(long)]
    pub show_secrets: bool,
}

/// `leakgate audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// List every place on this machine where the secret with this fingerprint (or fingerprint
    /// prefix, as shown by `leakgate redact`) was seen.
    #[arg(long, value_name = "FP")]
    pub fingerprint: Option<String>,
    /// How many recent events to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Output format (`json`: one JSON array of events).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: grouped by file, with what to do.
    Human,
    /// A versioned JSON document (docs/json-schema.md).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

/// `leakgate install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Install the pre-commit hook (the default when no hook is named).
    #[arg(long)]
    pub pre_commit: bool,
    /// Install the pre-push hook.
    #[arg(long)]
    pub pre_push: bool,
    /// For every repository of this user: git config-based hooks where git >= 2.54, else a
    /// global `core.hooksPath` whose shims also run each repository's own hooks.
    #[arg(long)]
    pub global: bool,
    /// Keep a hook leakgate did not write and run it before leakgate (its failure still fails).
    #[arg(long, conflicts_with = "force")]
    pub chain: bool,
    /// Replace a hook leakgate did not write (it is kept as `<hook>.leakgate-backup` and
    /// restored by `uninstall`).
    #[arg(long)]
    pub force: bool,
}

/// `leakgate uninstall`.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Remove the global install instead of this repository's hooks.
    #[arg(long)]
    pub global: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both_ways(args: &[&str]) -> (String, String) {
        let ours = Cli::from_args(args.iter().map(Into::into).collect()).expect("parses");
        let clap = Cli::try_parse_from(args).expect("parses");
        (format!("{ours:?}"), format!("{clap:?}"))
    }

    #[test]
    fn the_hook_invocation_parses_as_clap_parses_it() {
        let (ours, clap) = both_ways(&["leakgate", "pre-commit"]);
        assert_eq!(ours, clap);
    }

    #[test]
    fn any_other_invocation_is_parsed_by_clap() {
        for args in [
            &["leakgate", "pre-commit", "a.txt"][..],
            &["leakgate", "pre-commit", "--verbose"],
            &["leakgate", "--color", "never", "pre-commit"],
            &["leakgate", "scan", "--staged"],
        ] {
            let (ours, clap) = both_ways(args);
            assert_eq!(ours, clap, "{args:?}");
            assert_ne!(ours, format!("{:?}", Cli::plain_pre_commit()), "{args:?}");
        }
    }
}
