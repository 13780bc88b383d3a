//! `leakgate policy show | check | explain RULE | update`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Collected, Outcome, UsageError};
use crate::cli::{PolicyAction, PolicyArgs};
use crate::env::Env;
use crate::policy::merge::ValueText;
use crate::policy::{self, Fetch, Loaded, PolicyError, ResolvedPolicy, Setting, Source};
use crate::scan::allow::{parse_ignore_file, Filter};
use crate::scan::Finding;

/// Runs a `policy` subcommand.
///
/// # Errors
/// The policy is invalid (exit 2), or writing fails.
pub fn run(args: &PolicyArgs, env: &Env) -> Result<Outcome> {
    let root: Option<PathBuf> =
        git2::Repository::open_from_env().ok().and_then(|r| r.workdir().map(PathBuf::from));
    let fetch = match args.action {
        PolicyAction::Update => Fetch::Update,
        PolicyAction::Check => Fetch::Never,
        _ => Fetch::OnMiss,
    };
    let policy = policy::resolve_with(env, root.as_deref(), fetch)?;
    let mut out = std::io::stdout().lock();
    match &args.action {
        PolicyAction::Show => show(&mut out, &policy).context("writing the policy")?,
        PolicyAction::Check => check(&mut out, &policy)?,
        PolicyAction::Explain { rule } => explain(&mut out, &policy, rule)?,
        PolicyAction::Update => {
            if policy.git_sources.is_empty() {
                writeln!(out, "no pinned git policy is in use; nothing to fetch")?;
            }
            for (name, loaded) in &policy.git_sources {
                let what = match loaded {
                    Loaded::Cached => "already cached",
                    Loaded::Fetched => "fetched",
                };
                writeln!(out, "{name}: {what}")?;
            }
        }
    }
    Ok(Outcome::Clean)
}

fn line<T: ValueText>(out: &mut dyn Write, key: &str, s: &Setting<T>) -> std::io::Result<()> {
    let floor = match &s.floor {
        Some((v, by)) if by != &s.from => format!("  [organisation floor {} from {by}]", v.text()),
        Some(_) => "  [organisation floor]".to_string(),
        None => String::new(),
    };
    writeln!(out, "{key:<24} = {:<12} # {}{floor}", s.value.text(), s.from)
}

fn show(out: &mut dyn Write, p: &ResolvedPolicy) -> std::io::Result<()> {
    writeln!(out, "# layers, lowest precedence first")?;
    writeln!(out, "#   built-in: {} rules", crate::rules::BUILTIN.len())?;
    for layer in &p.layers {
        writeln!(out, "#   {}: {}", layer.kind.as_str(), layer.name)?;
    }
    for ignored in &p.ignored_sources {
        writeln!(out, "#   ignored: {ignored}")?;
    }
    let s = &p.settings;
    line(out, "min-severity-to-block", &s.block_severity)?;
    line(out, "max-file-bytes", &s.max_file_bytes)?;
    line(out, "max-push-commits", &s.max_push_commits)?;
    line(out, "inline-ignores", &s.inline_ignores)?;
    line(out, "foreign-markers", &s.foreign_markers)?;
    line(out, "ignore-file", &s.ignore_file)?;
    line(out, "allow-bypass", &s.allow_bypass)?;
    line(out, "require-reason", &s.require_reason)?;
    line(out, "require-owner", &s.require_owner)?;
    line(out, "max-ignore-days", &s.max_ignore_days)?;
    line(out, "fetch-on-miss", &s.fetch_on_miss)?;
    writeln!(out, "\n# rules ({} active)", p.active.len())?;
    for r in &p.active {
        let mut notes = Vec::new();
        if r.from.kind != policy::LayerKind::Builtin {
            notes.push(format!("defined by {}", r.from));
        }
        if r.severity_from.kind != policy::LayerKind::Builtin && r.severity_from != r.from {
            notes.push(format!("severity from {}", r.severity_from));
        }
        if r.entropy_from.kind != policy::LayerKind::Builtin && r.entropy_from != r.from {
            notes.push(format!("entropy from {}", r.entropy_from));
        }
        if let Some(by) = &r.enforced {
            notes.push(format!("ENFORCED by {by}"));
        }
        let notes = if notes.is_empty() { String::new() } else { format!("  # {}", notes.join("; ")) };
        writeln!(out, "{:<30} {:<8}{notes}", r.def.id(), r.def.severity().as_str())?;
    }
    for d in &p.disabled {
        writeln!(out, "{:<30} disabled  # by {}", d.id, d.from)?;
    }
    if !p.allow.is_empty() {
        writeln!(out, "\n# allowlists")?;
        for a in &p.allow {
            writeln!(out, "{}", a.from)?;
        }
    }
    if !p.enforced_exceptions.is_empty() {
        writeln!(out, "\n# exceptions honoured for enforced rules")?;
        for (k, by) in &p.enforced_exceptions {
            writeln!(out, "{:<12} # {by}", k.as_str())?;
        }
    }
    if !p.violations.is_empty() {
        writeln!(out, "\n# ignored because they would weaken the organisation policy")?;
        for v in &p.violations {
            writeln!(out, "{v}")?;
        }
    }
    Ok(())
}

fn check(out: &mut dyn Write, p: &ResolvedPolicy) -> Result<()> {
    let filter = Filter::new(p)?;
    let mut err = std::io::stderr().lock();
    for problem in &filter.problems {
        writeln!(err, "leakgate: warning: {problem}")?;
    }
    if let Some(first) = p.violations.first() {
        for v in p.violations.iter().skip(1) {
            writeln!(err, "leakgate: error: {}: {}", place(&v.attempted_by), sentence(v))?;
        }
        return Err(PolicyError {
            file: PathBuf::from(&*first.attempted_by.file),
            position: first.attempted_by.position,
            message: sentence(first),
        }
        .into());
    }
    writeln!(
        out,
        "policy ok: built-in + {} file{}",
        p.layers.len(),
        if p.layers.len() == 1 { "" } else { "s" }
    )?;
    for layer in &p.layers {
        writeln!(out, "  {}: {}", layer.kind.as_str(), layer.name)?;
    }
    Ok(())
}

fn place(s: &Source) -> String {
    match s.position {
        Some((l, c)) => format!("{}:{l}:{c}", s.file),
        None => s.file.to_string(),
    }
}

fn sentence(v: &policy::Violation) -> String {
    format!(
        "`{}` tries to {}, but the organisation policy forbids it ({}); remove this setting",
        v.attempted_by.key, v.what, v.enforced_by
    )
}

fn explain(out: &mut dyn Write, p: &ResolvedPolicy, id: &str) -> Result<()> {
    let Some(rule) = p.rule(id) else {
        if let Some(d) = p.disabled.iter().find(|d| d.id == id) {
            writeln!(out, "{id}: disabled by {}", d.from)?;
            return Ok(());
        }
        return Err(UsageError(format!("{id:?} is not a rule; `leakgate rules` lists them")).into());
    };
    let d = rule.def;
    writeln!(out, "{}  ({})", d.id(), d.name())?;
    writeln!(out, "  defined by:  {}", rule.from)?;
    if !d.description().is_empty() {
        writeln!(out, "  why:         {}", d.description())?;
    }
    writeln!(out, "  severity:    {}  # {}", d.severity(), rule.severity_from)?;
    match d.entropy() {
        Some(e) => writeln!(out, "  entropy:     >= {e}  # {}", rule.entropy_from)?,
        None => writeln!(out, "  entropy:     (no minimum)")?,
    }
    writeln!(out, "  keywords:    {}", d.keywords().join(", "))?;
    if let Some(r) = d.regex() {
        writeln!(out, "  regex:       {r}")?;
    }
    if let Some(r) = d.path() {
        writeln!(out, "  path:        {r}")?;
    }
    let blocks = d.severity() >= p.block_severity;
    writeln!(
        out,
        "  blocks:      {}  # min-severity-to-block = {} ({})",
        if blocks { "yes" } else { "no (warning only)" },
        p.block_severity,
        p.settings.block_severity.from
    )?;
    match &rule.enforced {
        Some(by) => {
            writeln!(out, "  enforced:    yes, by {by}")?;
            let kinds: Vec<&str> = p
                .enforced_exceptions
                .iter()
                .filter(|(_, src)| src.file == by.file)
                .map(|(k, _)| k.as_str())
                .collect();
            writeln!(
                out,
                "               exceptions honoured for it: {}",
                if kinds.is_empty() { "organisation allowlists only".to_string() } else { kinds.join(", ") }
            )?;
        }
        None => writeln!(out, "  enforced:    no")?,
    }
    for v in p.violations_for(id) {
        writeln!(out, "  ignored:     {} tried to {}", v.attempted_by, v.what)?;
    }
    let allows: Vec<_> = p.allow.iter().filter(|a| a.covers(id)).collect();
    if allows.is_empty() {
        writeln!(out, "  allowlists:  none")?;
    } else {
        writeln!(out, "  allowlists:")?;
        for a in allows {
            let applies = rule.enforced.is_none()
                || a.from.kind.is_org()
                || p.exception_allowed(rule.def, policy::ExceptionKind::Allowlist);
            writeln!(
                out,
                "    {}{}",
                a.from,
                if applies { "" } else { "  (not applied: the rule is enforced)" }
            )?;
        }
    }
    let s = &p.settings;
    writeln!(
        out,
        "  inline:      leakgate:allow {} ({}); other scanners' markers {} ({})",
        if s.inline_ignores.value { "honoured" } else { "off" },
        s.inline_ignores.from,
        if s.foreign_markers.value && s.inline_ignores.value { "honoured" } else { "off" },
        s.foreign_markers.from
    )?;
    let filter = Filter::new(p)?;
    let entries: Vec<_> = filter
        .ignore_entries()
        .iter()
        .filter(|e| e.rule.as_deref().is_none_or(|r| policy::merge::id_glob_match(r, id)))
        .collect();
    writeln!(
        out,
        "  ignore file: {} entr{} may apply",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" }
    )?;
    if !d.examples().is_empty() {
        writeln!(out, "  examples (templates; {{{{gen:...}}}} is filled with random characters by tests):")?;
        for e in d.examples() {
            writeln!(out, "    {e}")?;
        }
    }
    if !d.revoke().is_empty() {
        writeln!(out, "  revoke:      {}", d.revoke())?;
    }
    if !d.url().is_empty() {
        writeln!(out, "  url:         {}", d.url())?;
    }
    Ok(())
}

// ---- The policy's part of the hooks: exceptions a change adds, bypass, notes, audit hook point.

/// Every exception the staged change adds: inline markers on added lines, and (when the change
/// touches them) new entries in `.leakgate.toml` and `.leakgate-ignore` compared with `HEAD`.
pub(super) fn exceptions_added(
    repo: &crate::git::Repo,
    root: &std::path::Path,
    env: &Env,
    collected: &Collected,
    touched: &[String],
) -> Vec<String> {
    let mut added: Vec<String> = collected
        .markers
        .iter()
        .map(|m| {
            let reason =
                m.reason.as_ref().map_or_else(|| "no reason given".to_string(), |r| format!("reason: {r:?}"));
            format!("{}:{}: inline `{}` ({reason})", m.path, m.line, m.marker)
        })
        .collect();
    if !touched.is_empty() {
        match repo.git() {
            Ok(repo) => added.extend(config_exceptions_added(repo, root, env, touched)),
            Err(e) => added.push(format!(
                "the policy files changed, and their new exceptions could not be listed: {e:#}"
            )),
        }
    }
    added
}

/// A `LEAKGATE_BYPASS` that the policy allowed.
#[derive(Debug, Clone)]
pub struct Bypass {
    /// The reason given.
    pub reason: String,
    /// The findings let through.
    pub findings: Vec<Finding>,
}

/// Applies `LEAKGATE_BYPASS`: when the policy allows bypasses, blocking findings of rules that
/// are not enforced are let through (and said so loudly); the rest are returned.
pub(super) fn apply_bypass(
    env: &Env,
    policy: &crate::policy::ResolvedPolicy,
    findings: Vec<Finding>,
    notes: &mut Vec<String>,
) -> (Vec<Finding>, Option<Bypass>) {
    let Some(reason) = &env.bypass else {
        return (findings, None);
    };
    let block = policy.block_severity;
    if !findings.iter().any(|f| f.severity >= block) {
        return (findings, None);
    }
    let allow = &policy.settings.allow_bypass;
    if !allow.value {
        notes.push(format!(
            "LEAKGATE_BYPASS is set, but bypasses are not allowed (allow-bypass = false, {}); nothing is let through",
            allow.from
        ));
        return (findings, None);
    }
    let (mut kept, mut passed) = (Vec::new(), Vec::new());
    for finding in findings {
        let enforced = policy.enforced_by(finding.rule);
        match enforced {
            _ if finding.severity < block => kept.push(finding),
            Some(by) if !policy.exception_allowed(finding.rule, crate::policy::ExceptionKind::Bypass) => {
                notes.push(format!(
                    "{}:{} {} is enforced by {by}; LEAKGATE_BYPASS does not apply to it",
                    finding.path,
                    finding.line,
                    finding.rule.id()
                ));
                kept.push(finding);
            }
            _ => passed.push(finding),
        }
    }
    if passed.is_empty() {
        return (kept, None);
    }
    let mut text = format!(
        "BYPASS: LEAKGATE_BYPASS={reason:?} lets {} finding{} through (allowed by {}); this is recorded:",
        passed.len(),
        if passed.len() == 1 { "" } else { "s" },
        allow.from
    );
    for f in &passed {
        text.push_str(&format!(
            "\n    {}:{}  {}  {}  {}",
            f.path,
            f.line,
            f.rule.id(),
            f.secret,
            f.fingerprint
        ));
    }
    notes.push(text);
    let bypass = Bypass { reason: reason.clone(), findings: passed };
    (kept, Some(bypass))
}

/// The policy's part of a hook report: the exceptions the change adds, ignore-file problems,
/// findings that still block although an exception or a weaker repository setting tried to let
/// them through, and `notes` (bypass).
pub(super) fn write_hook_notes(
    out: &mut dyn std::io::Write,
    policy: &crate::policy::ResolvedPolicy,
    filter: &Filter<'_>,
    collected: &Collected,
    added: &[String],
    notes: &[String],
    verbose: bool,
) -> std::io::Result<()> {
    if !added.is_empty() {
        let n = added.len();
        writeln!(out, "leakgate: this commit adds {n} exception{}:", if n == 1 { "" } else { "s" })?;
        for a in added {
            writeln!(out, "    {a}")?;
        }
    }
    for problem in &filter.problems {
        writeln!(out, "leakgate: warning: {problem}")?;
    }
    let mut named: Vec<&str> = Vec::new();
    for finding in &collected.findings {
        let id = finding.rule.id();
        if let Some(by) = policy.enforced_by(finding.rule) {
            let refused = collected
                .refused
                .iter()
                .filter(|(f, _)| f.fingerprint == finding.fingerprint && f.line == finding.line);
            for (_, list) in refused {
                for (exception, why) in list {
                    writeln!(
                        out,
                        "leakgate: {}:{} {id} still blocks: {exception} does not apply — {why}",
                        finding.path, finding.line
                    )?;
                }
            }
            if !named.contains(&id) {
                named.push(id);
                for v in policy.violations_for(id) {
                    writeln!(
                        out,
                        "leakgate: {id} is enforced by {by}: {} tried to {}; ignored",
                        v.attempted_by, v.what
                    )?;
                }
            }
        } else {
            for (f, list) in &collected.refused {
                if f.fingerprint == finding.fingerprint && f.line == finding.line {
                    for (exception, why) in list {
                        writeln!(
                            out,
                            "leakgate: {}:{} {id}: {exception} is not honoured: {why}",
                            finding.path, finding.line
                        )?;
                    }
                }
            }
        }
    }
    if !collected.findings.is_empty() {
        for v in policy.violations.iter().filter(|v| v.rule.is_none()) {
            writeln!(
                out,
                "leakgate: {} tried to {}; ignored ({} is a floor)",
                v.attempted_by, v.what, v.enforced_by
            )?;
        }
    }
    for note in notes {
        writeln!(out, "leakgate: {note}")?;
    }
    if verbose && !collected.allowed.is_empty() {
        writeln!(out, "leakgate: {} finding(s) allowed by exceptions:", collected.allowed.len())?;
        for (f, e) in &collected.allowed {
            writeln!(out, "    {}:{}  {}  {}  allowed by {e}", f.path, f.line, f.rule.id(), f.fingerprint)?;
        }
    }
    Ok(())
}

/// New `[[allow]]` entries and `rules.disable` globs in the staged `.leakgate.toml`, and new
/// `.leakgate-ignore` entries, compared with `HEAD`.
fn config_exceptions_added(
    repo: &git2::Repository,
    root: &Path,
    env: &Env,
    touched: &[String],
) -> Vec<String> {
    let index_path = match env.git_index_file.as_deref().map(Path::new) {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => root.join(p),
        None => repo.path().join("index"),
    };
    let Ok(index) = git2::Index::open(&index_path) else {
        return Vec::new();
    };
    let staged = |name: &str| -> Option<String> {
        let entry = index.get_path(Path::new(name), 0)?;
        let blob = repo.find_blob(entry.id).ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    };
    let head = |name: &str| -> Option<String> {
        let tree = repo.head().ok()?.peel_to_tree().ok()?;
        let blob = tree.get_path(Path::new(name)).ok()?.to_object(repo).ok()?.peel_to_blob().ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    };
    let mut out = Vec::new();
    if touched.iter().any(|t| t == policy::REPO_POLICY_FILE) {
        let name = policy::REPO_POLICY_FILE;
        let parse = |t: Option<String>| {
            t.and_then(|t| policy::PolicyFile::parse(Path::new(name), &t).ok()).unwrap_or_default()
        };
        let (new, old) = (parse(staged(name)), parse(head(name)));
        let old_allow: Vec<String> = old.allow.iter().map(|a| a.get_ref().canonical()).collect();
        for entry in &new.allow {
            let c = entry.get_ref().canonical();
            if !old_allow.contains(&c) {
                out.push(format!("{name}: new [[allow]] {c}"));
            }
        }
        let old_rules = old.rules.as_ref();
        for (glob, sev) in new.rules.iter().flat_map(|r| r.severity.iter()) {
            let before = old_rules.and_then(|r| r.severity.get(glob)).map(|v| v.get_ref().as_str());
            if before != Some(sev.get_ref().as_str()) {
                out.push(format!("{name}: sets the severity of {glob:?} to {:?}", sev.get_ref()));
            }
        }
        for (glob, e) in new.rules.iter().flat_map(|r| r.entropy.iter()) {
            let before = old_rules.and_then(|r| r.entropy.get(glob)).map(|v| *v.get_ref());
            if before != Some(*e.get_ref()) {
                out.push(format!("{name}: sets the minimum entropy of {glob:?} to {}", e.get_ref()));
            }
        }
        for (key, now, was) in [
            ("inline-ignores", &new.inline_ignores, &old.inline_ignores),
            ("foreign-markers", &new.foreign_markers, &old.foreign_markers),
            ("ignore-file", &new.ignore_file, &old.ignore_file),
            ("allow-bypass", &new.allow_bypass, &old.allow_bypass),
        ] {
            if now.as_ref().is_some_and(|v| *v.get_ref()) && !was.as_ref().is_some_and(|v| *v.get_ref()) {
                out.push(format!("{name}: sets {key} = true"));
            }
        }
        let old_disable: Vec<&str> =
            old.rules.iter().flat_map(|r| r.disable.iter().map(|d| d.get_ref().as_str())).collect();
        for d in new.rules.iter().flat_map(|r| r.disable.iter()) {
            if !old_disable.contains(&d.get_ref().as_str()) {
                out.push(format!("{name}: disables rule {:?}", d.get_ref()));
            }
        }
    }
    if touched.iter().any(|t| t == policy::IGNORE_FILE) {
        let name = policy::IGNORE_FILE;
        let parse = |t: Option<String>| {
            t.and_then(|t| parse_ignore_file(Path::new(name), &t).ok()).unwrap_or_default()
        };
        let (new, old) = (parse(staged(name)), parse(head(name)));
        let key =
            |e: &crate::scan::allow::IgnoreEntry| (e.fingerprint.clone(), e.rule.clone(), e.path.clone());
        let old_keys: Vec<_> = old.iter().map(key).collect();
        for e in new.iter().filter(|e| !old_keys.contains(&key(e))) {
            out.push(format!(
                "{name}:{}: ignores {} {} in {} (reason: {}, owner: {}, expires: {})",
                e.line,
                e.fingerprint.as_deref().unwrap_or("any fingerprint"),
                e.rule.as_deref().unwrap_or("(any rule)"),
                e.path.as_deref().unwrap_or("any path"),
                e.reason.as_deref().unwrap_or("none"),
                e.owner.as_deref().unwrap_or("none"),
                e.expires_text.as_deref().unwrap_or("never")
            ));
        }
    }
    out
}
