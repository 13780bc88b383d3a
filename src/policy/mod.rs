//! The policy in force: built-in defaults < organisation (system, then user-level) < repository
//! `.leakgate.toml`, each possibly extending other files or pinned git sources.
//!
//! - [`file`]: the exact TOML shape (`deny_unknown_fields`, errors with file:line:column).
//! - [`layer`]: layer kinds and the provenance of every value.
//! - [`discover`]: which files exist, in trust order; `extends` chains, cycle-checked.
//! - [`remote`]: pinned git sources, fetched into the cache dir, used offline.
//! - [`merge`]: combine layers, enforce the organisation floor, record violations.
//! - [`error`]: [`PolicyError`] → exit code 2.
//!
//! Resolving reads only the files that exist; regexes of rules run lazily in the engine.

pub mod discover;
mod error;
pub mod file;
pub mod layer;
pub mod merge;
pub mod remote;

use std::path::{Path, PathBuf};

use globset::GlobSet;
use regex::bytes::{Regex, RegexBuilder};

use crate::env::Env;
use crate::rules::{RuleDef, Severity, BUILTIN};

pub use discover::REPO_POLICY_FILE;
pub use error::{line_col, PolicyError};
pub use file::PolicyFile;
pub use layer::{LayerInfo, LayerKind, Place, Source};
pub use remote::{Fetch, Loaded};

/// The ignore file's name, at the work-tree root.
pub const IGNORE_FILE: &str = ".leakgate-ignore";

/// Default size limit for a scanned file: larger files are skipped and reported.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Default limit on the commits one push may carry.
pub const DEFAULT_MAX_PUSH_COMMITS: usize = 10_000;

/// A value with the layer that set it and, once an organisation layer set it, the floor.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Who set it.
    pub from: Source,
    /// The organisation's value (later layers may only be stricter) and where it was set.
    pub floor: Option<(T, Source)>,
}

impl<T> Setting<T> {
    fn builtin(value: T) -> Setting<T> {
        Setting { value, from: Source::builtin(), floor: None }
    }
}

/// Every scalar setting.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `min-severity-to-block`.
    pub block_severity: Setting<Severity>,
    /// `max-file-bytes`.
    pub max_file_bytes: Setting<u64>,
    /// `max-push-commits`.
    pub max_push_commits: Setting<usize>,
    /// `inline-ignores`.
    pub inline_ignores: Setting<bool>,
    /// `foreign-markers`.
    pub foreign_markers: Setting<bool>,
    /// `ignore-file`.
    pub ignore_file: Setting<bool>,
    /// `allow-bypass`.
    pub allow_bypass: Setting<bool>,
    /// `require-reason`.
    pub require_reason: Setting<bool>,
    /// `require-owner`.
    pub require_owner: Setting<bool>,
    /// `max-ignore-days`.
    pub max_ignore_days: Setting<Option<u32>>,
    /// `fetch-on-miss`.
    pub fetch_on_miss: Setting<bool>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            block_severity: Setting::builtin(Severity::Medium),
            max_file_bytes: Setting::builtin(DEFAULT_MAX_FILE_BYTES),
            max_push_commits: Setting::builtin(DEFAULT_MAX_PUSH_COMMITS),
            inline_ignores: Setting::builtin(true),
            foreign_markers: Setting::builtin(true),
            ignore_file: Setting::builtin(true),
            allow_bypass: Setting::builtin(false),
            require_reason: Setting::builtin(false),
            require_owner: Setting::builtin(false),
            max_ignore_days: Setting::builtin(None),
            fetch_on_miss: Setting::builtin(true),
        }
    }
}

/// A rule that runs, with where it and its tuning came from.
#[derive(Debug, Clone)]
pub struct ActiveRule {
    /// The definition (severity and entropy as tuned).
    pub def: &'static RuleDef,
    /// Who defined it.
    pub from: Source,
    /// Who set its severity.
    pub severity_from: Source,
    /// Who set its entropy.
    pub entropy_from: Source,
    /// The organisation setting that enforces it.
    pub enforced: Option<Source>,
}

/// A rule switched off.
#[derive(Debug, Clone)]
pub struct DisabledRule {
    /// Its id.
    pub id: String,
    /// Who switched it off.
    pub from: Source,
}

/// A kind of exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExceptionKind {
    /// `[[allow]]` entries.
    Allowlist,
    /// Inline markers.
    Inline,
    /// `.leakgate-ignore` entries.
    IgnoreFile,
    /// `LEAKGATE_BYPASS`.
    Bypass,
}

impl ExceptionKind {
    /// Parses the TOML name.
    pub fn parse(s: &str) -> Option<ExceptionKind> {
        match s {
            "allowlist" => Some(ExceptionKind::Allowlist),
            "inline" => Some(ExceptionKind::Inline),
            "ignore-file" => Some(ExceptionKind::IgnoreFile),
            "bypass" => Some(ExceptionKind::Bypass),
            _ => None,
        }
    }

    /// The TOML name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::Allowlist => "allowlist",
            ExceptionKind::Inline => "inline",
            ExceptionKind::IgnoreFile => "ignore-file",
            ExceptionKind::Bypass => "bypass",
        }
    }
}

/// One compiled `[[allow]]` entry.
#[derive(Debug, Clone)]
pub struct AllowEntry {
    /// Rule globs; empty: every rule.
    pub rules: Vec<String>,
    /// The path globs as written.
    pub path_patterns: Vec<String>,
    /// The path globs, compiled.
    pub paths: GlobSet,
    /// Regexes on the secret.
    pub secrets: Vec<Regex>,
    /// Regexes on the line.
    pub lines: Vec<Regex>,
    /// Lower-case stopwords.
    pub stopwords: Vec<String>,
    /// Why.
    pub reason: Option<String>,
    /// Where it was declared.
    pub from: Source,
}

impl AllowEntry {
    /// Whether the entry covers `rule_id`.
    pub fn covers(&self, rule_id: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|g| merge::id_glob_match(g, rule_id))
    }
}

/// A later layer's attempt to weaken what the organisation set or enforced; not applied.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule concerned (`None` for a setting).
    pub rule: Option<String>,
    /// The organisation setting that forbids it.
    pub enforced_by: Source,
    /// The setting that tried.
    pub attempted_by: Source,
    /// What it tried to do.
    pub what: String,
}

/// The policy after every layer has been applied.
#[derive(Debug, Clone)]
pub struct ResolvedPolicy {
    /// Findings at or above this severity block; lower ones are reported as warnings.
    pub block_severity: Severity,
    /// Files larger than this are skipped (and said so).
    pub max_file_bytes: u64,
    /// A push or range with more commits than this is refused whole, never scanned in part.
    pub max_push_commits: usize,
    /// Every setting with its provenance and floor.
    pub settings: Settings,
    /// Rules that run.
    pub active: Vec<ActiveRule>,
    /// Rules switched off.
    pub disabled: Vec<DisabledRule>,
    /// Allowlists.
    pub allow: Vec<AllowEntry>,
    /// Exception kinds the organisation still honours for enforced rules.
    pub enforced_exceptions: Vec<(ExceptionKind, Source)>,
    /// Weakenings that were not applied.
    pub violations: Vec<Violation>,
    /// The files applied, lowest precedence first.
    pub layers: Vec<LayerInfo>,
    /// Pinned git sources and whether each was cached or fetched.
    pub git_sources: Vec<(String, Loaded)>,
    /// The work-tree root (where `.leakgate-ignore` lives), if any.
    pub root: Option<PathBuf>,
    /// Policy files found but not used (see [`discover::Discovered::ignored`]).
    pub ignored_sources: Vec<String>,
    /// The repository policy file that was applied, if any.
    pub repo_file: Option<PathBuf>,
    /// Set when an organisation layer says `enforce.on-violation = "error"`.
    pub violation_is_error: Option<Source>,
}

impl Default for ResolvedPolicy {
    fn default() -> Self {
        let builtin = Source::builtin();
        ResolvedPolicy {
            block_severity: Severity::Medium,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_push_commits: DEFAULT_MAX_PUSH_COMMITS,
            settings: Settings::default(),
            active: BUILTIN
                .iter()
                .map(|def| ActiveRule {
                    def,
                    from: builtin.clone(),
                    severity_from: builtin.clone(),
                    entropy_from: builtin.clone(),
                    enforced: None,
                })
                .collect(),
            disabled: Vec::new(),
            allow: Vec::new(),
            enforced_exceptions: Vec::new(),
            violations: Vec::new(),
            layers: Vec::new(),
            git_sources: Vec::new(),
            root: None,
            ignored_sources: Vec::new(),
            repo_file: None,
            violation_is_error: None,
        }
    }
}

impl ResolvedPolicy {
    /// The rules to run.
    pub fn rules(&self) -> Vec<&'static RuleDef> {
        self.active.iter().map(|r| r.def).collect()
    }

    /// The active rule with this id.
    pub fn rule(&self, id: &str) -> Option<&ActiveRule> {
        self.active.iter().find(|r| r.def.id() == id)
    }

    /// The active form of `rule` (as tuned), found by identity: a built-in rule by its index in
    /// the catalog, which reads none of the rules' packed data (the hook asks this of every
    /// finding), a custom rule by its id.
    pub fn rule_of(&self, rule: &RuleDef) -> Option<&ActiveRule> {
        match rule.builtin_index() {
            Some(index) => self.active.iter().find(|r| r.def.builtin_index() == Some(index)),
            None => self.rule(rule.id()),
        }
    }

    /// The organisation setting enforcing `rule`, if any.
    pub fn enforced_by(&self, rule: &RuleDef) -> Option<&Source> {
        self.rule_of(rule).and_then(|r| r.enforced.as_ref())
    }

    /// Whether the organisation layer that enforces `rule` still honours this kind of
    /// exception for it (`enforce.exceptions` of that same file: a later layer cannot open
    /// exceptions to a rule an earlier one enforces).
    pub fn exception_allowed(&self, rule: &RuleDef, kind: ExceptionKind) -> bool {
        let Some(by) = self.enforced_by(rule) else {
            return true;
        };
        self.enforced_exceptions.iter().any(|(k, src)| *k == kind && src.file == by.file)
    }

    /// Violations concerning `rule_id`.
    pub fn violations_for<'a>(&'a self, rule_id: &'a str) -> impl Iterator<Item = &'a Violation> + 'a {
        self.violations.iter().filter(move |v| v.rule.as_deref() == Some(rule_id))
    }

    /// The ignore file's path, when there is a work tree.
    pub fn ignore_file_path(&self) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join(IGNORE_FILE))
    }

    fn sync_plain_fields(&mut self) {
        self.block_severity = self.settings.block_severity.value;
        self.max_file_bytes = self.settings.max_file_bytes.value;
        self.max_push_commits = self.settings.max_push_commits.value;
    }
}

/// Checks that `path` (which may not exist yet) stays inside the work tree `root` once `..`
/// and symbolic links are resolved. A repository's own files (its policy, what that extends, the
/// ignore file) are content anyone can commit, so they must not make leakgate read or write
/// outside the repository.
///
/// # Errors
/// A sentence saying where the path really leads.
pub fn confine(root: &Path, path: &Path) -> Result<(), String> {
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let real = match std::fs::canonicalize(path) {
        Ok(real) => real,
        // A dangling link, or a path that does not exist: judge the deepest existing ancestor
        // (and the link's target, if it is one).
        Err(_) => match std::fs::read_link(path) {
            Ok(target) => {
                let base = path.parent().unwrap_or(root);
                let target = if target.is_absolute() { target } else { base.join(target) };
                lexical_real(&target)
            }
            Err(_) => lexical_real(path),
        },
    };
    if real.starts_with(&real_root) {
        Ok(())
    } else {
        Err(format!(
            "{} leads to {}, which is outside the repository; a repository policy may only use files \
             inside the repository (an organisation policy may name any path)",
            path.display(),
            real.display()
        ))
    }
}

/// The canonical form of the deepest existing ancestor of `path`, with the rest appended after
/// removing `.` and `..` lexically.
fn lexical_real(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let mut base = clean.clone();
    let mut rest = Vec::new();
    while !base.as_os_str().is_empty() {
        if let Ok(real) = std::fs::canonicalize(&base) {
            return rest.iter().rev().fold(real, |acc: PathBuf, part| acc.join(part));
        }
        match (base.file_name().map(std::ffi::OsStr::to_os_string), base.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                base = parent.to_path_buf();
            }
            _ => break,
        }
    }
    clean
}

/// Resolves the policy for a repository whose work tree is `root` (or none, for scans outside
/// a repository); a pinned git source that is not cached is fetched once (unless a layer says
/// `fetch-on-miss = false`).
///
/// # Errors
/// A policy file exists but cannot be read or is invalid, or a pinned source is unavailable.
pub fn resolve(env: &Env, root: Option<&Path>) -> Result<ResolvedPolicy, PolicyError> {
    let policy = resolve_with(env, root, Fetch::OnMiss)?;
    if let (Some(by), Some(v)) = (&policy.violation_is_error, policy.violations.first()) {
        return Err(PolicyError {
            file: PathBuf::from(&*v.attempted_by.file),
            position: v.attempted_by.position,
            message: format!(
                "`{}` tries to {}, which {} enforces; {by} makes this an error: remove the setting \
                 (`leakgate policy check` lists every such setting)",
                v.attempted_by.key, v.what, v.enforced_by
            ),
        });
    }
    Ok(policy)
}

/// [`resolve`] with an explicit fetch mode (`policy check` never fetches, `policy update` does).
///
/// # Errors
/// As [`resolve`].
pub fn resolve_with(env: &Env, root: Option<&Path>, fetch: Fetch) -> Result<ResolvedPolicy, PolicyError> {
    let found = discover::discover(env, root, fetch)?;
    let mut policy = merge::merge(&found.files)?;
    policy.git_sources = found.git_sources;
    policy.ignored_sources = found.ignored;
    policy.root = root.map(Path::to_path_buf);
    policy.repo_file = found.repo_file;
    Ok(policy)
}

/// Compiles a policy regex (an allowlist entry, a custom rule's content or path pattern) in
/// leakgate's pattern syntax (see [`crate::rules::syntax`]): bytes, ASCII classes. A pattern
/// using a Unicode class is refused with a sentence saying so.
///
/// # Errors
/// The pattern does not compile.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).unicode(false).build().map_err(|e| {
        let message = e.to_string();
        if message.contains("Unicode") {
            format!(
                "{} (leakgate patterns are ASCII: \\w, \\d, \\s, \\b and (?i) match ASCII only, and Unicode \
                 classes such as \\p{{L}} are not supported)",
                message.trim_end()
            )
        } else {
            message
        }
    })
}
