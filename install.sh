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
# On glibc Linux the hook is linked statically (static-pie, so still address-randomised): no
# shared libraries to load and no symbols to bind saves about half a millisecond on every
# commit. That needs glibc's static libraries (libc.a, in libc6-dev or glibc-static); without
# them, or on other systems, the usual dynamic build is installed.
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
static=
case "$host" in
  *-linux-gnu*)
    libc_a=$(${CC:-cc} -print-file-name=libc.a 2>/dev/null || true)
    [ -f "$libc_a" ] && static=yes ;;
esac
if [ -n "$static" ] && cargo install --quiet --locked --force --root "$root" --path "$here" --target "$host" \
    --config "target.$host.rustflags = ['-C', 'target-feature=+crt-static']"; then
  echo "install.sh: installed a static build for $host"
else
  [ -n "$static" ] && echo "install.sh: the static build failed; installing the dynamic build instead"
  cargo install --quiet --locked --force --root "$root" --path "$here"
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
