//! Policy files: TOML text → `PolicyFile::parse` → `merge` → engine and exception filter. Never
//! panics; a repository layer never weakens what an organisation layer set. The input is one
//! file, or an organisation file and a repository file separated by a `#--repo--` line.
#![no_main]

use std::path::Path;

use leakgate::policy::discover::LoadedFile;
use leakgate::policy::merge::merge;
use leakgate::policy::{LayerKind, PolicyFile};
use leakgate::scan::allow::{lines_at, Filter};
use leakgate::scan::Engine;
use leakgate::source::{Fragment, Origin};
use libfuzzer_sys::fuzz_target;

const SAMPLE: &[u8] = b"password = \"changeme-not-real\"\nnote = \"token: sample\" # leakgate:allow\n";

fn load(kind: LayerKind, name: &str, text: &str) -> Option<LoadedFile> {
    let file = PolicyFile::parse(Path::new(name), text).ok()?;
    Some(LoadedFile { kind, name: name.to_string(), text: text.to_string(), file })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (org_text, repo_text) = match text.split_once("#--repo--\n") {
        Some((org, repo)) => (Some(org), repo),
        None => (None, text),
    };
    let Some(repo) = load(LayerKind::Repo, ".leakgate.toml", repo_text) else {
        return;
    };
    let org = org_text.and_then(|t| load(LayerKind::Org, "org.toml", t));
    let floor = org.as_ref().and_then(|o| merge(std::slice::from_ref(o)).ok());
    let files: Vec<LoadedFile> = org.into_iter().chain(Some(repo)).collect();
    let Ok(policy) = merge(&files) else {
        return;
    };

    if let Some(floor) = &floor {
        if floor.settings.block_severity.floor.is_some() {
            assert!(
                policy.block_severity <= floor.block_severity,
                "the repository raised the block threshold"
            );
        }
        for rule in floor.active.iter().filter(|r| r.enforced.is_some()) {
            let now = policy.rule(rule.def.id()).expect("an enforced rule was switched off");
            assert!(now.enforced.is_some(), "{} is no longer enforced", rule.def.id());
        }
    }

    // The resolved policy drives the engine and the exception filter.
    let Ok(engine) = Engine::new(policy.rules()) else {
        return;
    };
    let origin = Origin::File;
    let fragment = Fragment { origin: &origin, path: "app/settings.py", first_line: 1, text: SAMPLE };
    let mut findings = Vec::new();
    if engine.scan(&fragment, &mut findings).is_err() {
        return; // a custom rule's pattern that the engine cannot compile: an error, not a panic
    }
    let Ok(filter) = Filter::with_ignore_file(&policy, None, 20_000) else {
        return;
    };
    for f in &findings {
        let (line, previous) = lines_at(&fragment, f.line);
        let _ = filter.judge(f, line, previous);
    }
    let _ = filter.markers_in(&fragment);
});
