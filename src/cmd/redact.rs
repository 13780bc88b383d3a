use std::io::BufWriter;

use anyhow::Result;

use super::Outcome;
use crate::scan::Engine;
use crate::{policy, redact, report};

/// `leakgate redact`: standard input to standard output with every secret replaced. Always
/// exits 0 when the stream was copied (it is a filter, not a gate).
pub fn run(env: &crate::env::Env, verbose: bool) -> Result<Outcome> {
    let repo = git2::Repository::open_from_env().ok();
    let root = repo.as_ref().and_then(|r| r.workdir()).map(std::path::Path::to_path_buf);
    let policy = policy::resolve(env, root.as_deref())?;
    let engine = Engine::new(policy.rules())?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = BufWriter::with_capacity(redact::READ_CHUNK, std::io::stdout().lock());
    let stats = redact::filter(&engine, &mut input, &mut output)?;
    drop(output);
    if verbose {
        report::human::write_redact_summary(&mut std::io::stderr().lock(), stats.replaced, stats.bytes).ok();
    }
    Ok(Outcome::Clean)
}
