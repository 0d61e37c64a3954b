"""packaging/check_portable.py finds every instruction above x86-64-v2 in a library, and tells a portable
llama.cpp build (CPU variants as modules, baseline libraries on v2) from a native one.

Tiny C files are compiled here with and without -mavx2, -mavx512f, -mfma, -mbmi2, -mamx-tile and
disassembled with the machine's objdump: the check must catch each of those, and let through what
x86-64-v2 has (SSE4.2, POPCNT, CRC32) and the `tzcnt` GCC emits for `__builtin_ctz` on any CPU."""

from __future__ import annotations

import platform
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

import check_portable  # noqa: E402
from isa import binary_kind, extension_above_v2, find_objdump, parse_disassembly, scan  # noqa: E402

pytestmark = pytest.mark.timeout(120)

X86 = platform.machine().lower() in ("x86_64", "amd64")
COMPILER = shutil.which("gcc") or shutil.which("cc")
needs_toolchain = pytest.mark.skipif(not (X86 and COMPILER and find_objdump()),
                                     reason="needs an x86-64 machine with gcc and objdump")

PLAIN = """
float sum(const float *a, int n) { float s = 0; for (int i = 0; i < n; i++) s += a[i] * 2.0f; return s; }
int low_bit(unsigned x) { return x ? __builtin_ctz(x) : -1; }
"""
V2 = """
#include <nmmintrin.h>
unsigned crc(unsigned c, unsigned v) { return _mm_crc32_u32(c, v); }
int bits(unsigned long long v) { return __builtin_popcountll(v); }
"""
AVX2 = """
void add(float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) a[i] += b[i]; }
"""
AVX512 = """
#include <immintrin.h>
__m512 add512(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
"""
FMA = """
#include <immintrin.h>
__m128 fma128(__m128 a, __m128 b, __m128 c) { return _mm_fmadd_ps(a, b, c); }
"""
BMI2 = """
#include <immintrin.h>
unsigned long long deposit(unsigned long long v, unsigned long long m) { return _pdep_u64(v, m); }
"""
AMX = """
#include <immintrin.h>
void tiles(void) { _tile_zero(0); _tile_release(); }
"""


def compile_c(folder: Path, name: str, source: str, *flags: str, shared: bool = False) -> Path:
    c_file = folder / f"{name}.c"
    c_file.write_text(source, encoding="utf-8")
    out = folder / (name if shared else f"{name}.o")
    mode = ["-shared", "-fPIC"] if shared else ["-c"]
    assert COMPILER is not None
    subprocess.run([COMPILER, "-O3", *flags, *mode, str(c_file), "-o", str(out)], check=True, timeout=60)
    return out


def extensions(path: Path) -> set[str]:
    objdump = find_objdump()
    assert objdump is not None
    return set(scan(path, objdump).counts)


@needs_toolchain
@pytest.mark.parametrize(("source", "flags", "expected"), [
    (PLAIN, [], set()),
    (V2, ["-msse4.2", "-mpopcnt"], set()),  # what x86-64-v2 has
    (PLAIN, ["-march=x86-64-v2"], set()),
    (AVX2, ["-mavx2"], {"AVX"}),
    (AVX2, ["-march=x86-64-v3"], {"AVX"}),
    (AVX512, ["-mavx512f"], {"AVX-512"}),
    (FMA, ["-mfma"], {"FMA"}),
    (BMI2, ["-mbmi2"], {"BMI2"}),
    (AMX, ["-mamx-tile"], {"AMX"}),
])
def test_objects_compiled_here(tmp_path: Path, source: str, flags: list[str], expected: set[str]) -> None:
    assert extensions(compile_c(tmp_path, "probe", source, *flags)) == expected


def test_disassembly_lines_gnu_and_llvm() -> None:
    text = [
        "libx.so:     file format elf64-x86-64",
        "0000000000001120 <ggml_vec_dot>:",
        "    1120:\tendbr64",
        "    1124:\trep stos %rax,%es:(%rdi)",
        "    1128:\tnotrack jmp *%rax",
        "    112c:\t{vex} vpdpbusd %ymm1,%ymm2,%ymm3",
        "    1130:\tvfmadd231ps %xmm1,%xmm2,%xmm3",
        "    1134:\tkmovw %k1,%eax",
        "    1138:\ttzcnt %eax,%eax",
        "    113c:\txgetbv",
        "    1140:\tshlxq %rax,%rbx,%rcx",
        "    1144:\t(bad)",
        "0000000000002000 <other>:",
        "    2000: \tvmovaps\t%zmm0, (%rdi)",  # llvm-objdump: a tab between mnemonic and operands
        "    2004: \tpopcntq\t%rax, %rax",
    ]
    found = [(i.symbol, i.mnemonic, extension_above_v2(i.mnemonic, i.operands)) for i in parse_disassembly(iter(text))]
    assert found == [
        ("ggml_vec_dot", "endbr64", None), ("ggml_vec_dot", "stos", None), ("ggml_vec_dot", "jmp", None),
        ("ggml_vec_dot", "vpdpbusd", "AVX-VNNI"), ("ggml_vec_dot", "vfmadd231ps", "FMA"),
        ("ggml_vec_dot", "kmovw", "AVX-512"), ("ggml_vec_dot", "tzcnt", None), ("ggml_vec_dot", "xgetbv", None),
        ("ggml_vec_dot", "shlxq", "BMI2"), ("other", "vmovaps", "AVX-512"), ("other", "popcntq", None),
    ]


def _macho(path: Path, cpu: int) -> Path:
    path.write_bytes(b"\xcf\xfa\xed\xfe" + struct.pack("<I", cpu) + bytes(24))
    return path


def test_headers(tmp_path: Path) -> None:
    assert binary_kind(_macho(tmp_path / "a.dylib", 0x0100000C)).archs == ("arm64",)
    assert binary_kind(_macho(tmp_path / "b.dylib", 0x01000007)).archs == ("x86_64",)
    fat = tmp_path / "fat.dylib"
    fat.write_bytes(b"\xca\xfe\xba\xbe" + struct.pack(">I", 2) + struct.pack(">5I", 0x01000007, 3, 0, 0, 0)
                    + struct.pack(">5I", 0x0100000C, 0, 0, 0, 0))
    assert binary_kind(fat).archs == ("x86_64", "arm64")
    pe = bytearray(0x200)
    pe[:2] = b"MZ"
    pe[0x3C:0x40] = struct.pack("<I", 0x80)
    pe[0x80:0x86] = b"PE\0\0" + struct.pack("<H", 0x8664)
    (tmp_path / "ggml.dll").write_bytes(bytes(pe))
    assert binary_kind(tmp_path / "ggml.dll") == binary_kind(tmp_path / "ggml.dll").__class__("pe", ("x86_64",))
    (tmp_path / "text.so").write_text("not a library")
    assert binary_kind(tmp_path / "text.so").format == "unknown"


@pytest.fixture
def portable_dir(tmp_path: Path) -> Path:
    """A folder shaped like a portable build: baseline libraries on v2, a haswell variant with AVX2."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("libggml-base.so", "libggml.so", "libllama.so", "libggml-cpu-x64.so", "libggml-cpu-sse42.so"):
        compile_c(lib, name, PLAIN if "sse42" not in name else V2, *(["-msse4.2", "-mpopcnt"] * ("sse42" in name)),
                  shared=True)
    compile_c(lib, "libggml-cpu-haswell.so", AVX2, "-mavx2", shared=True)  # loaded only where the CPU has AVX2
    return lib


@needs_toolchain
def test_a_portable_folder_passes(portable_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_portable.main(["--lib-dir", str(portable_dir)]) == 0
    out = capsys.readouterr().out
    assert "CPU variants: haswell, sse42, x64" in out and out.rstrip().endswith("portable: yes")
    assert "libggml-cpu-haswell.so" not in out.replace("CPU variants", "")  # never disassembled


@needs_toolchain
def test_avx2_in_a_baseline_variant_fails(portable_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compile_c(portable_dir, "libggml-cpu-sse42.so", AVX2, "-march=x86-64-v3", shared=True)
    assert check_portable.main(["--lib-dir", str(portable_dir)]) == 1
    out = capsys.readouterr().out
    assert "FAIL: libggml-cpu-sse42.so holds instructions above x86-64-v2" in out and "AVX x" in out


@needs_toolchain
def test_a_native_build_fails_unless_told_to_skip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("libggml-base.so", "libggml.so", "libllama.so"):
        compile_c(lib, name, PLAIN, shared=True)
    compile_c(lib, "libggml-cpu.so", AVX512, "-march=native", "-mavx512f", shared=True)
    assert check_portable.main(["--lib-dir", str(lib)]) == 1
    assert "native build" in capsys.readouterr().out
    assert check_portable.main(["--lib-dir", str(lib), "--if-portable"]) == 0
    assert capsys.readouterr().out.startswith("skipped: native build")


def test_arm64_folder_and_cmake_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("libggml-base.dylib", "libggml.dylib", "libllama.dylib", "libggml-metal.dylib"):
        _macho(lib / name, 0x0100000C)
    cache = tmp_path / "CMakeCache.txt"
    cache.write_text("GGML_NATIVE:BOOL=OFF\nCMAKE_C_FLAGS:STRING=\nGGML_METAL:BOOL=ON\n")
    assert check_portable.main(["--lib-dir", str(lib), "--cmake-cache", str(cache)]) == 0
    assert "arm64: 4 of 4 libraries are arm64" in capsys.readouterr().out
    cache.write_text("GGML_NATIVE:BOOL=ON\nCMAKE_C_FLAGS:STRING=-mcpu=native\n")
    _macho(lib / "libmtmd.dylib", 0x01000007)
    assert check_portable.main(["--lib-dir", str(lib), "--cmake-cache", str(cache)]) == 1
    out = capsys.readouterr().out
    assert "FAIL: GGML_NATIVE is not OFF" in out and "-march/-mcpu=native" in out
    assert "FAIL: libmtmd.dylib is not an arm64 library" in out


def test_x86_cache_needs_the_cpu_variants(tmp_path: Path) -> None:
    cache = tmp_path / "CMakeCache.txt"
    cache.write_text("GGML_NATIVE:BOOL=OFF\nGGML_BACKEND_DL:BOOL=ON\nGGML_CPU_ALL_VARIANTS:BOOL=ON\n")
    assert check_portable.check_cache(cache, x86=True) == []
    cache.write_text("GGML_NATIVE:BOOL=OFF\n")
    assert check_portable.check_cache(cache, x86=True) == ["GGML_BACKEND_DL is not ON",
                                                           "GGML_CPU_ALL_VARIANTS is not ON"]


LZCNT = "int leading(unsigned long long v) { return v ? __builtin_clzll(v) : 64; }\n"


@needs_toolchain
def test_only_the_runtime_checked_lzcnt_of_mtmd_is_let_through(portable_dir: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """libmtmd links miniaudio, whose FLAC decoder runs lzcnt after a CPUID check: that one extension in that
    one library is reported and allowed; anything else above v2 there still fails."""
    compile_c(portable_dir, "libmtmd.so", LZCNT, "-mlzcnt", shared=True)
    assert check_portable.main(["--lib-dir", str(portable_dir)]) == 0
    assert "libmtmd.so: LZCNT x1 allowed: miniaudio's FLAC decoder" in capsys.readouterr().out
    compile_c(portable_dir, "libllama.so", LZCNT, "-mlzcnt", shared=True)  # not allowed in libllama
    compile_c(portable_dir, "libmtmd.so", BMI2, "-mbmi2", shared=True)
    assert check_portable.main(["--lib-dir", str(portable_dir)]) == 1
    out = capsys.readouterr().out
    assert "FAIL: libllama.so holds" in out and "FAIL: libmtmd.so holds" in out and "BMI2 x" in out
