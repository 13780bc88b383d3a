#!/usr/bin/env python3
"""Writes build/hot-text.ld: the functions a hook run executes, for the linker to put side by side.

A hook run executes about 1,500 functions scattered over 4.5 MB of machine code. Each 64 KiB
window of it the run touches costs a page fault, and each 4 KiB page an instruction-TLB miss,
which a virtual machine's nested page tables make expensive. Gathered at the front of the code,
the same functions take about 1.1 MB (a pattern without the symbol's hash takes every instance
of a generic function).

The profile: the benchmark's typical commit (bench.py's generator, seed 1) under
`valgrind --tool=callgrind`, as `leakgate pre-commit` (blocked), then a clean commit's
pre-commit, then the pre-push of a commit to a local bare remote. The binary is the one
install.sh builds (static musl, zlib-ng where cmake is at hand) without `target-cpu=native`,
which valgrind cannot run; the AVX-512 twins of the AVX2 functions it picks are added by name.

Each function is written as a linker-script pattern on its symbol without the hash Rust appends
(`_ZN...17h<16 hex>E`), so the script stays valid while the code changes: a function that is no
longer there matches nothing, a new one is laid out with the rest, and regenerating the script
only refreshes the list. Needs valgrind, git and the musl target (install.sh's requirements).

    python3 bench/layout.py            # rebuild the profile binary, profile, write the script
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the corpus generator)

SCRIPT = ROOT / "build" / "hot-text.ld"
SEED = 1


def build() -> Path:
    """The profile binary: install.sh's musl build, for any x86-64 CPU."""
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    arch = re.search(r"^host: (\w+)-", host, re.M).group(1)
    target = f"{arch}-unknown-linux-musl"
    flags = "['-C', 'target-feature=+crt-static', '-C', 'link-arg=-Wl,-z,pack-relative-relocs']"
    cflags = f"env.CFLAGS_{target.replace('-', '_')} = '-DMI_SKIP_COLLECT_ON_EXIT -DMI_NO_GETENV'"
    features = ["--features", "zlib-ng"] if shutil.which("cmake") else []
    target_dir = ROOT / "target" / "layout"
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--locked", "--target", target, *features,
         "--target-dir", str(target_dir), "--bin", "leakgate",
         "--config", f"target.{target}.rustflags = {flags}", "--config", cflags],
        cwd=ROOT, check=True,
    )
    return target_dir / target / "release" / "leakgate"


def profile(binary: Path, cwd: Path, env: dict[str, str], args: list[str], stdin: bytes = b"") -> Counter:
    """Instructions per function (mangled names) of one run."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out.name}",
             str(binary), *args],
            cwd=cwd, env=env, input=stdin, capture_output=True, check=False,
        )
        return self_costs(Path(out.name).read_text(errors="replace"))


def self_costs(text: str) -> Counter:
    """Each function's own instructions, from a callgrind output file (compressed names)."""
    names: dict[str, str] = {}
    costs: Counter = Counter()
    current = None
    in_call = False
    for line in text.splitlines():
        m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                names[m.group(2)] = m.group(3)
            if not m.group(1):
                current = names[m.group(2)]
                costs[current] += 0
            continue
        if line.startswith("calls="):
            in_call = True  # the next cost line is the call's inclusive cost, not own cost
            continue
        parts = line.split()
        if current and len(parts) >= 2 and line[:1] in "0123456789+-*":
            if not in_call:
                costs[current] += int(parts[1])
            in_call = False
    return costs


def scenarios(binary: Path, work: Path) -> list[Counter]:
    """The profiles, the benchmark's typical commit first."""
    env = bench.clean_env(work)
    runs: list[Counter] = []
    typical = bench.staged_workload("typical", SEED, work, env)
    runs.append(profile(binary, typical.cwd, env, ["pre-commit"]))

    clean = work / "clean"
    clean.mkdir()
    bench.git(clean, env, "init", "-q", "-b", "main")
    for k, v in [("user.name", "Layout"), ("user.email", "layout@localhost"), ("commit.gpgsign", "false")]:
        bench.git(clean, env, "config", k, v)
    (clean / "app.py").write_text("import os\n\nTOKEN = os.environ['TOKEN']\n")
    bench.git(clean, env, "add", "app.py")
    bench.git(clean, env, "commit", "-q", "-m", "base")
    (clean / "app.py").write_text("import os\n\nTOKEN = os.environ['TOKEN']\nprint('ready')\n")
    (clean / "notes.md").write_text("# Notes\n\nNothing secret here.\n")
    bench.git(clean, env, "add", "app.py", "notes.md")
    bench.git(clean, env, "write-tree")
    runs.append(profile(binary, clean, env, ["pre-commit"]))

    bench.git(clean, env, "commit", "-q", "-m", "change")
    remote = work / "remote.git"
    bench.git(work, env, "init", "-q", "--bare", str(remote))
    head = bench.git(clean, env, "rev-parse", "HEAD").strip()
    base = bench.git(clean, env, "rev-parse", "HEAD~1").strip()
    bench.git(clean, env, "push", "-q", str(remote), f"{base}:refs/heads/main")
    line = f"refs/heads/main {head} refs/heads/main {base}\n".encode()
    runs.append(profile(binary, clean, env, ["pre-push", "origin", str(remote)], stdin=line))
    return runs


def aliases(binary: Path) -> dict[str, list[str]]:
    """For each function symbol of `binary`, every symbol at its address: valgrind names a
    function by one of them (`free`), its section by another (`.text.mi_free`)."""
    listing = subprocess.run(["nm", "--defined-only", str(binary)], capture_output=True, text=True, check=True)
    at: dict[str, list[str]] = {}
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWw":
            at.setdefault(parts[0], []).append(parts[2])
    return {name: names for names in at.values() for name in names}


def pattern(name: str) -> str:
    """The input-section pattern of function `name`, without what changes from build to build:
    the hash of a legacy Rust symbol, the crate disambiguators of a v0 one, and the suffix
    ThinLTO gives the local symbols it promotes."""
    name = re.sub(r"\.llvm\.\d+$", "*", name)
    legacy = re.fullmatch(r"(_ZN.*)17h[0-9a-f]{16}E\*?", name)
    if legacy:
        return f".text.{legacy.group(1)}*"
    if name.startswith("_R"):
        name = re.sub(r"Cs[0-9A-Za-z]*_(?=\d)", "Cs*_", name)
    return f".text.{name}"


def twins(name: str) -> list[str]:
    """Functions the native build runs where the profile binary, under valgrind, ran `name`:
    AVX-512 variants of AVX2 ones, and SHA-extension hashing where valgrind hashed in software."""
    if name.endswith("_avx2"):
        return [name[: -len("_avx2")] + twin for twin in ("_avx512", "_avx512_vnni")]
    if "4soft8compress" in name:
        return [name.replace("4soft8compress", "3x868compress")]
    return []


def patterns(runs: list[Counter], same: dict[str, list[str]]) -> list[str]:
    """Linker-script input patterns: the functions of the first run, hottest first, then those
    the next run adds, and so on (what the typical commit touches stays together)."""
    out: list[str] = []
    seen: set[str] = set()
    ranked = [name for costs in runs for name, _ in sorted(costs.items(), key=lambda kv: (-kv[1], kv[0]))]
    for name in ranked:
        if not re.fullmatch(r"[A-Za-z_$.][A-Za-z0-9_$.]*", name):
            continue  # addresses without a symbol, valgrind's "(below main)"
        for alias in same.get(name, [name]):
            for function in [alias, *twins(alias)]:
                p = pattern(function)
                if p not in seen:
                    seen.add(p)
                    out.append(p)
    return out


def main() -> None:
    for tool in ("valgrind", "git", "cargo"):
        if not shutil.which(tool):
            sys.exit(f"layout: {tool} is required")
    binary = build()
    with tempfile.TemporaryDirectory(prefix="leakgate-layout-") as work:
        runs = scenarios(binary, Path(work))
    lines = patterns(runs, aliases(binary))
    if len(lines) < 200:
        sys.exit(f"layout: only {len(lines)} functions profiled; is valgrind working?")
    header = [
        "/* The functions a leakgate hook run executes, hottest first, gathered at the front of",
        "   the code (install.sh links with -T build/hot-text.ld where the linker takes it).",
        "   Generated by bench/layout.py from a profile of the hook on the benchmark's typical",
        "   commit; regenerate it after large changes. Patterns omit the hash of Rust symbols. */",
        "SECTIONS",
        "{",
        "  .text.hot_path : {",
    ]
    body = [f"    *({p})" for p in lines]
    footer = ["  }", "}", "INSERT BEFORE .text;"]
    SCRIPT.write_text("\n".join(header + body + footer) + "\n")
    print(f"layout: wrote {SCRIPT.relative_to(ROOT)} ({len(lines)} patterns)")


if __name__ == "__main__":
    main()
