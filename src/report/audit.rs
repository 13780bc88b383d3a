//! Listings of the audit log: recent events, and the places where one secret was seen.

use std::io::{self, Write};
use std::path::Path;

use colored::Colorize;

use crate::audit::Event;

/// Recent events, oldest first, one per line.
///
/// # Errors
/// Writing fails.
pub fn write_events(out: &mut dyn Write, events: &[&Event], total: usize, log: &Path) -> io::Result<()> {
    if events.is_empty() {
        return writeln!(out, "leakgate: no events in {}", log.display());
    }
    for e in events {
        writeln!(
            out,
            "{}  {:<8} {}  {}  {}:{}  {}  {}",
            e.time,
            paint_event(&e.event),
            e.repository,
            e.branch,
            e.file,
            e.line,
            e.rule.yellow(),
            e.fingerprint.dimmed()
        )?;
    }
    writeln!(out, "leakgate: {} of {total} events in {}", events.len(), log.display())
}

/// Every distinct place (repository, file, line) where events with fingerprint `query` were
/// recorded, with how often and when last.
///
/// # Errors
/// Writing fails.
pub fn write_places(out: &mut dyn Write, query: &str, events: &[&Event], log: &Path) -> io::Result<()> {
    if events.is_empty() {
        return writeln!(
            out,
            "leakgate: {query} was never seen on this machine (audit log {})",
            log.display()
        );
    }
    struct PlaceRow<'a> {
        repository: &'a str,
        file: &'a str,
        line: u32,
        branches: Vec<&'a str>,
        rules: Vec<&'a str>,
        count: usize,
        last: &'a str,
        last_event: &'a str,
    }
    let mut rows: Vec<PlaceRow<'_>> = Vec::new();
    for e in events {
        let at =
            rows.iter().position(|r| r.repository == e.repository && r.file == e.file && r.line == e.line);
        let row = match at {
            Some(i) => &mut rows[i],
            None => {
                rows.push(PlaceRow {
                    repository: &e.repository,
                    file: &e.file,
                    line: e.line,
                    branches: Vec::new(),
                    rules: Vec::new(),
                    count: 0,
                    last: &e.time,
                    last_event: &e.event,
                });
                rows.last_mut().expect("just pushed")
            }
        };
        row.count += 1;
        if e.time.as_str() >= row.last {
            row.last = &e.time;
            row.last_event = &e.event;
        }
        if !row.branches.contains(&e.branch.as_str()) {
            row.branches.push(&e.branch);
        }
        if !row.rules.contains(&e.rule.as_str()) {
            row.rules.push(&e.rule);
        }
    }
    let mut repos: Vec<&str> = rows.iter().map(|r| r.repository).collect();
    repos.sort_unstable();
    repos.dedup();
    let mut fingerprints: Vec<&str> = events.iter().map(|e| e.fingerprint.as_str()).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    writeln!(
        out,
        "leakgate: {} seen in {} place{} in {} repositor{} on this machine:",
        fingerprints.join(", ").bold(),
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        repos.len(),
        if repos.len() == 1 { "y" } else { "ies" }
    )?;
    for r in &rows {
        writeln!(
            out,
            "  {}  {}:{}  ({}; {}; {} time{}, last {} {})",
            r.repository.bold(),
            r.file,
            r.line,
            r.branches.join(", "),
            r.rules.join(", ").yellow(),
            r.count,
            if r.count == 1 { "" } else { "s" },
            paint_event(r.last_event),
            r.last
        )?;
    }
    writeln!(
        out,
        "Revoke and rotate the credential once at the provider, then remove every copy listed above."
    )
}

/// The selected events as one JSON array.
///
/// # Errors
/// Writing fails.
pub fn write_json(out: &mut dyn Write, events: &[&Event]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, events).map_err(io::Error::from)?;
    writeln!(out)
}

fn paint_event(event: &str) -> colored::ColoredString {
    match event {
        "blocked" => event.red(),
        "warned" => event.yellow(),
        _ => event.normal(),
    }
}
