#!/usr/bin/env bash
# Bounded fuzzing of every cargo-fuzz target in fuzz/ (see fuzz/Cargo.toml), for CI.
#
#   FUZZ_SECONDS   seconds per target (default 30; five targets, so 2.5 minutes of fuzzing)
#   FUZZ_TARGETS   space-separated subset of targets (default: all)
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
# 16 codegen units (cargo-fuzz defaults to 1 in release) roughly halve the build on two cores.
flags=(--sanitizer none --codegen-units 16)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "error: fuzzing needs the nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "== cargo +nightly fuzz build"
cargo +nightly fuzz build "${flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in $targets; do
    echo "== fuzz $target for ${seconds}s"
    mkdir -p "$work/$target"
    log="$work/$target.log"
    if ! cargo +nightly fuzz run "${flags[@]}" "$target" "$work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "error: fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$log" || tail -n 5 "$log"
done
