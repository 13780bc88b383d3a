use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::{apply_bypass, record_decision, write_policy_notes, Collector, Decision, Outcome};
use crate::cli::PreCommitArgs;
use crate::env::Env;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Report};
use crate::scan::allow::{parse_ignore_file, Filter};
use crate::scan::Engine;
use crate::source::{self, Limits};
use crate::{git, policy};

/// The hook: scan exactly what the commit will record; report on stderr (git shows it).
pub fn run(args: &PreCommitArgs, env: &Env, color: ColorChoice, verbose: bool) -> Result<Outcome> {
    let repo = git::open_for_hook()?;
    let root = git::workdir(&repo)?;
    let policy = policy::resolve(env, Some(root))?;
    let engine = Engine::new(policy.rules())?;
    let filter = Filter::new(&policy)?;
    let mut collector = Collector::filtered(&engine, &filter);
    let limits = Limits { max_file_bytes: policy.max_file_bytes };
    let stats =
        source::staged::scan(&repo, env.git_index_file.as_deref(), &args.files, limits, &mut collector)?;
    let touched = std::mem::take(&mut collector.policy_files_touched);
    let mut collected = collector.into_collected();
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
        added.extend(config_exceptions_added(&repo, root, env, &touched));
    }
    let mut notes = Vec::new();
    let (findings, bypass) = apply_bypass(env, &policy, std::mem::take(&mut collected.findings), &mut notes);
    collected.findings = findings;

    let report = Report {
        context: report::Context::Commit,
        findings: &collected.findings,
        stats: &stats,
        block_severity: policy.block_severity,
        max_file_bytes: policy.max_file_bytes,
    };
    term::apply(color, env, Stream::Stderr);
    let mut err = std::io::stderr().lock();
    report::human::write(&mut err, &report).context("writing the report")?;
    if !added.is_empty() {
        let n = added.len();
        writeln!(err, "leakgate: this commit adds {n} exception{}:", if n == 1 { "" } else { "s" })
            .context("writing the report")?;
        for a in &added {
            writeln!(err, "    {a}").context("writing the report")?;
        }
    }
    write_policy_notes(&mut err, &policy, &filter, &collected, &notes, verbose)
        .context("writing the report")?;
    if verbose && report.findings.is_empty() {
        report::human::write_summary(&mut err, &report).context("writing the report")?;
    }
    err.flush().ok();
    let blocked = report.blocking() > 0;
    record_decision(&Decision { context: "commit", blocked, bypass, exceptions_added: added });
    Ok(if blocked { Outcome::Blocked } else { Outcome::Clean })
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
