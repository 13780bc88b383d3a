#!/bin/sh
# Installs leakgate from this checkout and shows it at work on the built-in default policy.
#   ./install.sh            build + install the binary; run inside a git repository, also install
#                           its pre-commit and pre-push hooks there
#   ./install.sh --global   build + install, and install the hooks for every repository of this user
#   ./install.sh --no-hook  only build + install the binary
# Idempotent: running it again rebuilds the binary and refreshes the hooks it wrote.
set -eu
mode=repo
case "${1-}" in
  "") ;;
  --global) mode=global ;;
  --no-hook) mode=none ;;
  *) echo "usage: ./install.sh [--global | --no-hook]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
root=${LEAKGATE_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}

command -v cargo >/dev/null 2>&1 || { echo "install.sh: cargo is required (https://rustup.rs)" >&2; exit 2; }
echo "install.sh: building and installing leakgate into $root/bin"
# A hook runs on every commit, so on Linux the binary is linked statically, for the CPU it is
# built on (set LEAKGATE_PORTABLE=1 for a binary to copy to other machines):
#  1. against musl, where the musl target and a musl C compiler (musl-gcc, Debian's musl-tools)
#     are at hand: glibc's start-up alone took 0.8 ms on the development VM, musl's 0.1 ms;
#  2. else against glibc (static-pie, still address-randomised), where its static libraries
#     (libc.a: libc6-dev or glibc-static) exist: no shared libraries to load saves 0.5 ms;
#  3. else (and on other systems) the usual dynamic build.
# bench/README.md gives the measurements behind this order.
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
arch=${host%%-*}
cpu_flags=
[ -n "${LEAKGATE_PORTABLE-}" ] || cpu_flags="'-C', 'target-cpu=native', "
musl= glibc_static= musl_target=
case "$host" in
  *-linux-gnu*)
    musl_target="$arch-unknown-linux-musl"
    if command -v musl-gcc >/dev/null 2>&1 || command -v "$arch-linux-musl-gcc" >/dev/null 2>&1; then
      if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed 2>/dev/null | grep -qx "$musl_target"; then
        echo "install.sh: adding the Rust target $musl_target (rustup target add) for a static musl build"
        rustup target add "$musl_target" >/dev/null 2>&1 || echo "install.sh: could not add $musl_target"
      fi
      libdir=$(rustc --print target-libdir --target "$musl_target" 2>/dev/null || true)
      [ -n "$libdir" ] && [ -d "$libdir" ] && musl=yes
    else
      echo "install.sh: tip: with musl-gcc (Debian/Ubuntu: apt install musl-tools) the hook starts faster"
    fi
    libc_a=$(${CC:-cc} -print-file-name=libc.a 2>/dev/null || true)
    [ -f "$libc_a" ] && glibc_static=yes ;;
esac
# zlib-ng in place of zlib (for libgit2 too) where cmake is at hand to build it: a history scan
# spends half its time inflating objects, and took 350 ms instead of 439 ms on the benchmark's
# 3,000 commits (bench/README.md).
features=
if command -v cmake >/dev/null 2>&1; then
  features=zlib-ng
else
  echo "install.sh: tip: with cmake installed, history scans use zlib-ng and run about 20% faster"
fi
install_for() { # target rustflags description [extra cargo --config]
  cargo install --quiet --locked --force --root "$root" --path "$here" --target "$1" ${features:+--features "$features"} \
    --config "target.$1.rustflags = [$2]" ${4:+--config "$4"} && echo "install.sh: installed $3${features:+, with $features}"
}
# mimalloc (the musl build's allocator), tuned for a process that lives a few milliseconds:
#  - SKIP_COLLECT_ON_EXIT: it hands every free page back to the kernel at exit, which the kernel
#    does anyway (10 madvise calls per hook run);
#  - NO_GETENV: it looks up each of its ~40 options in the environment at start-up, 124,000
#    instructions per run; leakgate does not take allocator settings from the environment.
musl_cflags="env.CFLAGS_$(echo "$musl_target" | tr '-' '_') = '-DMI_SKIP_COLLECT_ON_EXIT -DMI_NO_GETENV'"
# A static PIE relocates its own pointers at every start, reading one table entry per pointer.
# Packed relative relocations (RELR) shrink that table from 283 KiB to 3 KiB, which a hook run
# otherwise reads with cold caches: on the development VM the median hook run after a pause went
# from 3.77 to 3.44 ms. Used where the toolchain links such a binary and the binary runs (the
# start-up code of older musl and glibc does not apply them).
relr="'-C', 'link-arg=-Wl,-z,pack-relative-relocs', "
# A hook run executes ~1,500 functions scattered over 4.5 MB of code: build/hot-text.ld (made
# by bench/layout.py) has the linker gather them in 1.1 MB at its front, which saves page faults
# (58 -> 22 for code) and instruction-TLB misses (costly under a VM's nested paging): the median
# hook run right after a busy process went from 3.72 to 3.51 ms on the development VM
# (bench/README.md). Used where the linker takes the script (GNU ld and lld do) and its path has
# no quote or space.
layout=
case "$here" in
  *"'"* | *" "*) ;;
  *) layout="'-C', 'link-arg=-Wl,-T,$here/build/hot-text.ld', " ;;
esac
probe_flags() { # target rustflags-items... -> those of the items the toolchain links and runs
  probe_target=$1; shift
  probe_dir=$(mktemp -d 2>/dev/null) || return 0
  printf '%s\n' 'static WORDS: &[&str] = &["relr", "probe"];' \
    'fn main() { std::process::exit(i32::from(std::hint::black_box(WORDS)[1].as_bytes()[0] != b'"'p'"')) }' \
    >"$probe_dir/probe.rs"
  for item in "$@"; do
    [ -n "$item" ] || continue
    # The item as rustc arguments: '-C', 'X', -> -C X
    args=$(printf '%s' "$item" | sed "s/', '/ /g; s/^'//; s/', *\$//")
    # shellcheck disable=SC2086
    if rustc --target "$probe_target" -C target-feature=+crt-static $args \
        -o "$probe_dir/probe" "$probe_dir/probe.rs" >/dev/null 2>&1 && "$probe_dir/probe" >/dev/null 2>&1; then
      printf '%s' "$item"
    fi
  done
  rm -rf "$probe_dir"
}
if [ -n "$musl" ] && install_for "$musl_target" "${cpu_flags}$(probe_flags "$musl_target" "$relr" "$layout")'-C', 'target-feature=+crt-static'" \
    "a static musl build ($musl_target${cpu_flags:+, for this CPU})" "$musl_cflags"; then :
elif [ -n "$glibc_static" ] && install_for "$host" "${cpu_flags}$(probe_flags "$host" "$relr" "$layout")'-C', 'target-feature=+crt-static'" \
    "a static glibc build ($host${cpu_flags:+, for this CPU})"; then :
else
  [ -n "$musl$glibc_static" ] && echo "install.sh: the static build failed; installing the dynamic build instead"
  cargo install --quiet --locked --force --root "$root" --path "$here" ${features:+--features "$features"} ||
    { [ -n "$features" ] && echo "install.sh: the build with $features failed; building with zlib" &&
      cargo install --quiet --locked --force --root "$root" --path "$here"; }
fi
bin="$root/bin/leakgate"
"$bin" --version

case "$mode" in
  global)
    "$bin" install --global --pre-commit --pre-push ;;
  repo)
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      "$bin" install --pre-commit --pre-push || echo "install.sh: hooks not installed here (see above); the binary is installed"
    else
      echo "install.sh: not inside a git repository; run \`leakgate install\` in one (or ./install.sh --global)"
    fi ;;
esac

# The main job on the built-in policy: a throw-away repository whose commit stages a generated
# fake AWS key is refused, then the same commit without it goes through.
demo=$(mktemp -d "${TMPDIR:-/tmp}/leakgate-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
(
  cd "$demo"
  git init -q .
  git config user.email demo@example.invalid
  git config user.name demo
  "$bin" install >/dev/null 2>&1
  key="AKIA$(LC_ALL=C tr -dc 'A-Z2-7' </dev/urandom | head -c 16)"
  printf 'aws_access_key_id = %s\n' "$key" > settings.ini
  git add settings.ini
  echo "install.sh: demo — committing a file with a generated fake AWS key:"
  if git commit -q -m "add settings" 2>&1; then
    echo "install.sh: the demo commit was NOT blocked; something is wrong" >&2
    exit 1
  fi
  printf 'aws_access_key_id = ${AWS_ACCESS_KEY_ID}\n' > settings.ini
  git add settings.ini
  git commit -q -m "add settings" && echo "install.sh: demo — the same commit with an env reference went through."
)
echo "install.sh: done. In any repository: leakgate install"
