#!/usr/bin/env python3
"""Prove that a llama.cpp build runs on every CPU of its platform (docs/packaging.md, "Portable llama.cpp").

    python packaging/check_portable.py --lib-dir DIR [--cmake-cache FILE] [--if-portable]
    python packaging/check_portable.py FILE...        # any library or object file: instructions above v2

With --lib-dir (llama_cpp/lib of an install, or of a frozen bundle):
- x86-64 (Linux, Windows): the build must be portable, its CPU code in one module per instruction-set
  level (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS), and what every CPU loads must hold no instruction
  above x86-64-v2: libggml-base, libggml, libllama, libmtmd and the two baseline CPU variants (x64,
  sse42). The other variants (haswell, skylakex, ...) are only loaded where ggml's CPUID score says the
  CPU has their instructions.
- arm64 (macOS): every library is arm64.
--cmake-cache checks the build's CMakeCache.txt too: GGML_NATIVE off (no -march/-mcpu=native) and, on
x86-64, backend modules with every CPU variant. --if-portable passes, saying so, when the folder holds a
native build (the README's source install, which scripts/check-frozen bundles).
Exit codes: 0 passed, 1 failed, 2 usage error or no disassembler.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from isa import binary_kind, find_objdump, scan

ALWAYS_LOADED = ("ggml-base", "ggml", "llama", "mtmd")
BASELINE_VARIANTS = ("x64", "sse42")
# Instructions above v2 that a library only runs after CPUID says the CPU has them, one by one, with where
# the check is: anything else above v2 in these libraries still fails.
RUNTIME_CHECKED = {
    "mtmd": {"LZCNT": "miniaudio's FLAC decoder (audio input) runs lzcnt only when CPUID reports it "
                      "(ma_dr_flac__gIsLZCNTSupported in vendor/miniaudio/miniaudio.h)"},
}
LIBRARY_SUFFIXES = (".so", ".dll", ".dylib")


def _stem(path: Path) -> str:
    """'libggml-cpu-x64.so' and 'ggml-cpu-x64.dll' are both 'ggml-cpu-x64'."""
    name = path.name.split(".")[0]
    return name.removeprefix("lib")


def libraries(folder: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in LIBRARY_SUFFIXES and not path.is_symlink():
            found.setdefault(_stem(path), path)
    return found


def cpu_variants(found: dict[str, Path]) -> list[str]:
    return sorted(stem.removeprefix("ggml-cpu-") for stem in found if stem.startswith("ggml-cpu-"))


def check_cache(cache: Path, x86: bool) -> list[str]:
    """Problems in a CMakeCache.txt: a native build, or (x86-64) no backend modules / CPU variants."""
    text = cache.read_text(encoding="utf-8", errors="replace")
    values = dict(re.findall(r"^([A-Za-z0-9_]+):[A-Z]+=(.*)$", text, re.MULTILINE))
    problems = []
    if values.get("GGML_NATIVE", "ON").upper() not in ("OFF", "0", "FALSE", "NO"):
        problems.append("GGML_NATIVE is not OFF: the build targets the build machine's CPU")
    flags = " ".join(v for k, v in values.items() if k.startswith(("CMAKE_C_FLAGS", "CMAKE_CXX_FLAGS")))
    if re.search(r"-m(arch|cpu|tune)=native", flags):
        problems.append("the compiler flags ask for the build machine's CPU (-march/-mcpu=native)")
    if x86:
        for option in ("GGML_BACKEND_DL", "GGML_CPU_ALL_VARIANTS"):
            if values.get(option, "OFF").upper() not in ("ON", "1", "TRUE", "YES"):
                problems.append(f"{option} is not ON")
    return problems


def check_folder(folder: Path, cache: Path | None, if_portable: bool) -> int:
    found = libraries(folder)
    base = [found[name] for name in ALWAYS_LOADED if name in found]
    if not base:
        print(f"check-portable: no llama.cpp libraries in {folder}", file=sys.stderr)
        return 2
    archs = {arch for path in found.values() for arch in binary_kind(path).archs}
    x86 = archs == {"x86_64"}
    failures = check_cache(cache, x86) if cache is not None else []
    if not x86:
        wrong = [p.name for p in found.values() if "arm64" not in binary_kind(p).archs]
        failures += [f"{name} is not an arm64 library" for name in wrong]
        print(f"arm64: {len(found) - len(wrong)} of {len(found)} libraries are arm64")
        return _verdict(failures)
    variants = cpu_variants(found)
    if not variants:
        message = "native build: one CPU backend, built for the build machine's CPU (no ggml-cpu-* variants)"
        if if_portable:
            print(f"skipped: {message}")
            return 0
        failures.append(message)
        return _verdict(failures)
    print(f"CPU variants: {', '.join(variants)}")
    missing = [v for v in BASELINE_VARIANTS if v not in variants]
    failures += [f"no ggml-cpu-{v} variant: a CPU without AVX has nothing to run on" for v in missing]
    objdump = find_objdump()
    if objdump is None:
        print("check-portable: no objdump or llvm-objdump on PATH (set CANDEIA_OBJDUMP)", file=sys.stderr)
        return 2
    for path in base + [found[f"ggml-cpu-{v}"] for v in BASELINE_VARIANTS if v not in missing]:
        findings = scan(path, objdump)
        for extension, where in RUNTIME_CHECKED.get(_stem(path), {}).items():
            count = findings.counts.pop(extension, 0)
            if count:
                print(f"{path.name}: {extension} x{count} allowed: {where}")
        print(findings.summary())
        if not findings.clean:
            failures.append(f"{path.name} holds instructions above x86-64-v2")
    return _verdict(failures)


def check_files(paths: list[Path]) -> int:
    objdump = find_objdump()
    if objdump is None:
        print("check-portable: no objdump or llvm-objdump on PATH (set CANDEIA_OBJDUMP)", file=sys.stderr)
        return 2
    failures = []
    for path in paths:
        findings = scan(path, objdump)
        print(findings.summary())
        if not findings.clean:
            failures.append(f"{path.name} holds instructions above x86-64-v2")
    return _verdict(failures)


def _verdict(failures: list[str]) -> int:
    for failure in failures:
        print(f"FAIL: {failure}")
    print("portable: " + ("no" if failures else "yes"))
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("files", nargs="*", type=Path, help="libraries or object files to disassemble")
    parser.add_argument("--lib-dir", type=Path, help="llama_cpp/lib of an install or a bundle")
    parser.add_argument("--cmake-cache", type=Path, help="the llama.cpp build's CMakeCache.txt")
    parser.add_argument("--if-portable", action="store_true", help="pass (saying so) on a native build")
    args = parser.parse_args(argv)
    if args.lib_dir is not None:
        if not args.lib_dir.is_dir():
            parser.error(f"{args.lib_dir} is not a folder")
        return check_folder(args.lib_dir, args.cmake_cache, args.if_portable)
    if not args.files:
        parser.error("give --lib-dir or files to check")
    return check_files(args.files)


if __name__ == "__main__":
    sys.exit(main())
