//! `leakgate baseline`: accept every current finding (in the work tree, or with `--history` in
//! every commit) into `.leakgate-ignore`, so an old repository blocks only new secrets.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{scan_commits_with, Collector, Outcome, UsageError};
use crate::cli::BaselineArgs;
use crate::env::Env;
use crate::git;
use crate::policy::{self, IGNORE_FILE};
use crate::scan::allow::{civil_from_days, days_from_civil, parse_ignore_file, today};
use crate::scan::{Engine, Finding};
use crate::source::{self, Limits};

/// Writes the ignore file.
///
/// # Errors
/// Not in a work tree, an invalid policy or ignore file, or I/O.
pub fn run(args: &BaselineArgs, env: &Env) -> Result<Outcome> {
    let repo = git::Repo::from(git::open_for_hook()?);
    let root = git::workdir(&repo)?.to_path_buf();
    let policy = policy::resolve(env, Some(&root))?;
    let s = &policy.settings;
    if !s.ignore_file.value {
        return Err(UsageError(format!(
            "the ignore file is switched off by {}; a baseline cannot be used",
            s.ignore_file.from
        ))
        .into());
    }
    if s.require_owner.value && args.owner.is_none() {
        return Err(UsageError(format!(
            "{} requires an owner on every exception: pass --owner <team>",
            s.require_owner.from
        ))
        .into());
    }
    let expires = match (&args.expires, s.max_ignore_days.value) {
        (Some(text), _) => {
            let parts: Vec<u32> = text.split('-').filter_map(|p| p.parse().ok()).collect();
            let [y, m, d] = parts[..] else {
                return Err(UsageError(format!("--expires {text:?}: use YYYY-MM-DD")).into());
            };
            Some(civil_from_days(days_from_civil(i64::from(y), m, d)))
        }
        (None, Some(max)) => Some(civil_from_days(today() + i64::from(max))),
        (None, None) => None,
    };
    let findings = if args.history {
        let commits = git::all_commits(repo.git()?)?;
        scan_commits_with(repo.git()?, &commits, &policy, None, &|_| {})?.0.findings
    } else {
        let engine = Engine::new(policy.rules())?;
        let mut collector = Collector::new(&engine);
        source::paths::scan(&[&root], Limits { max_file_bytes: policy.max_file_bytes }, &mut collector)?;
        collector.findings
    };
    let path = root.join(IGNORE_FILE);
    policy::confine(&root, &path).map_err(|problem| policy::PolicyError::file(&path, problem))?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => {
            let entries = parse_ignore_file(&path, &text)?;
            Some((text, entries))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let known: Vec<String> =
        existing.iter().flat_map(|(_, es)| es.iter().filter_map(|e| e.fingerprint.clone())).collect();
    let mut text = existing.as_ref().map_or_else(header, |(t, _)| t.clone());
    let mut seen: Vec<String> = Vec::new();
    let mut added = 0;
    for f in &findings {
        if known.contains(&f.fingerprint) || seen.contains(&f.fingerprint) {
            continue;
        }
        seen.push(f.fingerprint.clone());
        text.push_str(&entry(f, &relative(&root, &f.path), args, expires.as_deref()));
        added += 1;
    }
    if added > 0 {
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "leakgate: baseline: {added} new entr{} written to {IGNORE_FILE} ({} finding{} in total); review and commit it",
        if added == 1 { "y" } else { "ies" },
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    )?;
    Ok(Outcome::Clean)
}

fn header() -> String {
    "# leakgate ignore file: findings accepted as exceptions. Each entry names the finding's\n\
     # fingerprint (a hash of rule and value; it never reveals the value), the rule, the path,\n\
     # why, who owns it, and when it expires. Expired entries stop suppressing.\n"
        .to_string()
}

fn relative(root: &std::path::Path, path: &str) -> String {
    let p = PathBuf::from(path);
    p.strip_prefix(root).map_or_else(|_| path.to_string(), |r| r.to_string_lossy().replace('\\', "/"))
}

fn entry(f: &Finding, path: &str, args: &BaselineArgs, expires: Option<&str>) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut e = format!(
        "\n[[ignore]]\nfingerprint = {}\nrule = {}\npath = {}\nreason = {}\n",
        q(&f.fingerprint),
        q(f.rule.id()),
        q(path),
        q(&args.reason)
    );
    if let Some(owner) = &args.owner {
        e.push_str(&format!("owner = {}\n", q(owner)));
    }
    if let Some(date) = expires {
        e.push_str(&format!("expires = {date}\n"));
    }
    e
}
