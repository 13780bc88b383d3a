use std::io::Write;

use anyhow::{Context, Result};

use super::{Outcome, UsageError};
use crate::audit::{self, Log};
use crate::cli::AuditArgs;
use crate::env::Env;
use crate::report::term::{self, ColorChoice, Stream};
use crate::report::{self, Format};

/// `leakgate audit`: recent events, or every place one fingerprint was seen on this machine.
pub fn run(args: &AuditArgs, env: &Env, color: ColorChoice) -> Result<Outcome> {
    let format = Format::from(args.format);
    if format == Format::Sarif {
        return Err(UsageError("leakgate audit writes human or json, not sarif".to_string()).into());
    }
    let log = Log::locate(env).ok_or_else(|| {
        UsageError("no data directory is known (HOME unset?): set LEAKGATE_DATA_DIR".to_string())
    })?;
    let (events, unreadable) =
        log.read().with_context(|| format!("reading the audit log {}", log.path().display()))?;
    let selected: Vec<&audit::Event> = match &args.fingerprint {
        Some(fp) => {
            let hex = fp.trim().trim_start_matches("lg1:");
            if hex.len() < 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(UsageError(format!(
                    "{fp:?} is not a fingerprint: give at least 6 hex digits, as in lg1:0123abcd"
                ))
                .into());
            }
            events.iter().filter(|e| audit::fingerprint_matches(&e.fingerprint, fp)).collect()
        }
        None => events.iter().rev().take(args.limit).rev().collect(),
    };
    term::apply(if format == Format::Human { color } else { ColorChoice::Never }, env, Stream::Stdout);
    let mut out = std::io::stdout().lock();
    let path = log.path();
    match (format, &args.fingerprint) {
        (Format::Human, Some(fp)) => report::audit::write_places(&mut out, fp, &selected, &path),
        (Format::Human, None) => report::audit::write_events(&mut out, &selected, events.len(), &path),
        _ => report::audit::write_json(&mut out, &selected),
    }
    .context("writing the audit listing")?;
    if unreadable > 0 {
        let what = format!("{unreadable} line(s) of {} could not be read and were skipped", path.display());
        report::human::write_warning(&mut std::io::stderr().lock(), &what).ok();
    }
    out.flush().context("writing the audit listing")?;
    Ok(Outcome::Clean)
}
