//! `leakgate policy show | check | explain RULE | update`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{Outcome, UsageError};
use crate::cli::{PolicyAction, PolicyArgs};
use crate::env::Env;
use crate::policy::merge::ValueText;
use crate::policy::{self, Fetch, Loaded, PolicyError, ResolvedPolicy, Setting, Source};
use crate::scan::allow::Filter;

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
        writeln!(out, "{:<30} {:<8}{notes}", r.def.id, r.def.severity.as_str())?;
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
    writeln!(out, "{}  ({})", d.id, d.name)?;
    writeln!(out, "  defined by:  {}", rule.from)?;
    if !d.description.is_empty() {
        writeln!(out, "  why:         {}", d.description)?;
    }
    writeln!(out, "  severity:    {}  # {}", d.severity, rule.severity_from)?;
    match d.entropy {
        Some(e) => writeln!(out, "  entropy:     >= {e}  # {}", rule.entropy_from)?,
        None => writeln!(out, "  entropy:     (no minimum)")?,
    }
    writeln!(out, "  keywords:    {}", d.keywords.join(", "))?;
    if let Some(r) = d.regex {
        writeln!(out, "  regex:       {r}")?;
    }
    if let Some(r) = d.path {
        writeln!(out, "  path:        {r}")?;
    }
    let blocks = d.severity >= p.block_severity;
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
                || p.exception_allowed(id, policy::ExceptionKind::Allowlist);
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
    if !d.examples.is_empty() {
        writeln!(out, "  examples (templates; {{{{gen:...}}}} is filled with random characters by tests):")?;
        for e in d.examples {
            writeln!(out, "    {e}")?;
        }
    }
    if !d.revoke.is_empty() {
        writeln!(out, "  revoke:      {}", d.revoke)?;
    }
    if !d.url.is_empty() {
        writeln!(out, "  url:         {}", d.url)?;
    }
    Ok(())
}
