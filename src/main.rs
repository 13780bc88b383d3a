//! The `leakgate` binary: parse, run, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use leakgate::cli::{Cli, Command};
use leakgate::cmd::{self, Outcome, UsageError};
use leakgate::env::Env;
use leakgate::git::MalformedPushLine;
use leakgate::hook::ForeignHooks;
use leakgate::policy::PolicyError;

// The main thread's small blocks come from one arena with reuse (leakgate-heap): a hook run
// touches about 60 fewer pages than with mimalloc alone, each a page fault. Behind it, for the
// bulk scans' worker threads and large blocks: on musl, mimalloc (musl's allocator maps and
// unmaps memory for every group of blocks it frees, ~360 calls a hook run; mimalloc keeps what it
// mapped, as ripgrep does with jemalloc on musl), elsewhere the system's.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: leakgate_heap::OwnerArena<mimalloc::MiMalloc> =
    leakgate_heap::OwnerArena::new(mimalloc::MiMalloc);
#[cfg(not(target_env = "musl"))]
#[global_allocator]
static ALLOCATOR: leakgate_heap::OwnerArena<std::alloc::System> =
    leakgate_heap::OwnerArena::new(std::alloc::System);

fn main() -> ExitCode {
    let cli = match Cli::from_process() {
        Ok(cli) => cli,
        Err(e) => {
            e.print().ok();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        writeln!(
            std::io::stderr(),
            "leakgate: internal error (a bug{at}); blocked to be safe. Please report it."
        )
        .ok();
    }));
    let env = Env::from_process();
    match std::panic::catch_unwind(|| {
        test_panic_trigger();
        cmd::run(&cli, &env)
    }) {
        Ok(Ok(Outcome::Clean)) => ExitCode::SUCCESS,
        Ok(Ok(Outcome::Blocked)) => ExitCode::from(1),
        Ok(Err(e)) => report_error(&cli, &e),
        Err(_) => ExitCode::from(3),
    }
}

/// Prints the error chain once and picks the exit code: 2 for usage and policy errors, 3 for
/// everything else (which still blocks the commit: fail closed).
fn report_error(cli: &Cli, e: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(e) {
        return ExitCode::SUCCESS;
    }
    let usage = e.downcast_ref::<UsageError>().is_some()
        || e.downcast_ref::<PolicyError>().is_some()
        || e.downcast_ref::<ForeignHooks>().is_some()
        || e.downcast_ref::<MalformedPushLine>().is_some();
    let mut err = std::io::stderr().lock();
    writeln!(err, "leakgate: error: {e}").ok();
    for cause in e.chain().skip(1) {
        writeln!(err, "  cause: {cause}").ok();
    }
    let what = match cli.command {
        Command::PreCommit(_) => Some("commit"),
        Command::PrePush(_) => Some("push"),
        _ => None,
    };
    if let Some(what) = what {
        let why = if usage { "fix the problem above" } else { "leakgate could not check it" };
        writeln!(err, "leakgate: the {what} is blocked to be safe ({why}).").ok();
    }
    ExitCode::from(if usage { 2 } else { 3 })
}

/// Debug builds only (release builds exclude it): `LEAKGATE_TEST_PANIC` makes the command panic,
/// so that the integration tests can check what a panic turns into (exit 3, one line).
#[cfg(debug_assertions)]
fn test_panic_trigger() {
    assert!(std::env::var_os("LEAKGATE_TEST_PANIC").is_none(), "LEAKGATE_TEST_PANIC is set");
}

#[cfg(not(debug_assertions))]
fn test_panic_trigger() {}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
