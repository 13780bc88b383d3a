#!/usr/bin/env bash
# Bounded fuzzing of every cargo-fuzz target in fuzz/ (see fuzz/Cargo.toml), for CI.
#
#   FUZZ_SECONDS   seconds per target (default 30: five targets, 2.5 CPU-minutes of fuzzing)
#   FUZZ_TARGETS   space-separated subset of targets (default: all)
#   FUZZ_JOBS      targets fuzzed at once (default: the number of cores)
#
# Needs the nightly toolchain; installs cargo-fuzz when it is missing. Each target starts from
# its committed seed corpus (fuzz/corpus/<target>), which is passed read-only: new inputs go to
# a temp dir, so the tree stays clean. A crash, a panic, a failed property or a hang (-timeout)
# fails the script; libFuzzer writes the input to fuzz/artifacts/<target>/ (git-ignored), and
# `cargo +nightly fuzz run <target> <artifact>` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
targets="${FUZZ_TARGETS:-policy pre_push fragments engine redact}"
# No sanitizer: the crate forbids unsafe code, and the targets look for panics, hangs and broken
# properties; without ASan the build is quicker and each target runs several times more inputs.
# 16 codegen units (cargo-fuzz defaults to 1 in release): a shorter build, slightly slower runs.
flags=(--sanitizer none --codegen-units 16)
# In CI, optimisation level 1 for the fuzz build: it builds in about half the time, and runs the
# targets about as fast as level 3 (measured). Local `cargo fuzz run` keeps the default.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-1}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "error: fuzzing needs the nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    # A debug build of the tool: it only drives cargo, and builds in a fraction of the time.
    cargo install cargo-fuzz --locked --debug
fi

# cargo-fuzz has no `--locked`: check here that fuzz/Cargo.lock still matches the manifests, so
# that CI fuzzes the dependency versions the lock file records (and a stale lock is noticed).
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
if ! cargo +nightly fetch --locked --quiet --manifest-path fuzz/Cargo.toml --target "$host"; then
    echo "error: fuzz/Cargo.lock is out of date: run \`cargo +nightly tree --manifest-path fuzz/Cargo.toml\` and commit it" >&2
    exit 1
fi

echo "== cargo +nightly fuzz build"
cargo +nightly fuzz build "${flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One target: fuzz from the committed corpus (read-only) into a temp corpus; print the counts.
fuzz_one() {
    local target="$1" log="$work/$1.log"
    mkdir -p "$work/$target"
    if ! cargo +nightly fuzz run "${flags[@]}" "$target" "$work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "error: fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        return 1
    fi
}

# libFuzzer runs on one core: run as many targets at once as there are cores.
jobs="${FUZZ_JOBS:-$(nproc)}"
echo "== fuzz each target for ${seconds}s, $jobs at a time: $targets"
pids=()
failed=0
for target in $targets; do
    fuzz_one "$target" &
    pids+=("$!")
    if ((${#pids[@]} >= jobs)); then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
done
for target in $targets; do
    echo "-- $target"
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units' "$work/$target.log" || true
done
exit "$failed"
