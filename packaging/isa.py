"""What instruction set a compiled library needs: its format and CPU from the file header, and, for
x86-64, every instruction above x86-64-v2 found by disassembling it (objdump or llvm-objdump).

x86-64-v2 is the baseline x86-64 (SSE2) plus SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B and
LAHF/SAHF: every x86-64 CPU since about 2009. Anything above it (AVX, AVX2, FMA, F16C, BMI1/2, LZCNT,
MOVBE, AVX-512, AVX-VNNI, AMX, ...) is reported with the function it sits in. Two instructions are let
through on purpose:
- `tzcnt` is `rep bsf`: an older CPU ignores the prefix and runs `bsf`, which gives the same result for
  a non-zero input; GCC emits it for `__builtin_ctz` under generic tuning.
- `xgetbv` is how code asks the OS whether AVX state is enabled; it only runs after CPUID says the CPU
  has it (ggml's CPU-variant scoring does exactly that).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# -- file headers ---------------------------------------------------------------------------------
_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64", 0x03: "x86"}
_PE_MACHINES = {0x8664: "x86_64", 0xAA64: "arm64", 0x14C: "x86"}
_MACHO_CPUS = {0x01000007: "x86_64", 0x0100000C: "arm64", 0x07: "x86"}


@dataclass(frozen=True)
class BinaryKind:
    format: str  # "elf", "pe", "macho", or "unknown"
    archs: tuple[str, ...]  # several for a universal (fat) Mach-O file


def binary_kind(path: Path) -> BinaryKind:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head[:4] == b"\x7fELF" and len(head) >= 20:
        endian = "<" if head[5] == 1 else ">"
        (machine,) = struct.unpack_from(endian + "H", head, 18)
        return BinaryKind("elf", (_ELF_MACHINES.get(machine, f"elf-{machine:#x}"),))
    if head[:2] == b"MZ" and len(head) >= 0x40:
        (offset,) = struct.unpack_from("<I", head, 0x3C)
        if offset + 6 <= len(head) and head[offset:offset + 4] == b"PE\0\0":
            (machine,) = struct.unpack_from("<H", head, offset + 4)
            return BinaryKind("pe", (_PE_MACHINES.get(machine, f"pe-{machine:#x}"),))
    if head[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe") and len(head) >= 8:
        (cpu,) = struct.unpack_from("<I", head, 4)
        return BinaryKind("macho", (_MACHO_CPUS.get(cpu, f"macho-{cpu:#x}"),))
    if head[:4] == b"\xca\xfe\xba\xbe" and len(head) >= 8:  # universal binary: big-endian fat header
        (count,) = struct.unpack_from(">I", head, 4)
        archs = tuple(_MACHO_CPUS.get(struct.unpack_from(">I", head, 8 + 20 * i)[0], "other")
                      for i in range(min(count, 8)))
        return BinaryKind("macho", archs)
    return BinaryKind("unknown", ())


# -- x86-64 instructions above v2 ------------------------------------------------------------------
_WIDE_REGISTERS = re.compile(r"%(?:(ymm)\d+|(zmm)\d+|(k)[0-7]\b|(tmm)\d)")
_VMX = {"verr", "verw", "vmcall", "vmlaunch", "vmresume", "vmxoff", "vmxon", "vmread", "vmwrite", "vmptrld",
        "vmptrst", "vmclear", "vmfunc", "vmrun", "vmload", "vmsave", "vmmcall"}
_NAMED = {
    **dict.fromkeys(("andn", "bextr", "blsi", "blsmsk", "blsr"), "BMI1"),
    **dict.fromkeys(("bzhi", "mulx", "pdep", "pext", "rorx", "sarx", "shlx", "shrx"), "BMI2"),
    "lzcnt": "LZCNT", "movbe": "MOVBE", "adcx": "ADX", "adox": "ADX",
    **dict.fromkeys(("extrq", "insertq", "movntss", "movntsd"), "SSE4a"),
    **dict.fromkeys(("xsave", "xsave64", "xsaveopt", "xsaveopt64", "xsavec", "xsavec64", "xsaves", "xrstor",
                     "xrstor64", "xrstors"), "XSAVE"),
    "rdrand": "RDRAND", "rdseed": "RDSEED", "clflushopt": "CLFLUSHOPT", "clwb": "CLWB",
    "ldtilecfg": "AMX", "sttilecfg": "AMX",
}
_PREFIXED = (("aes", "AES-NI"), ("pclmul", "PCLMULQDQ"), ("sha1", "SHA"), ("sha256", "SHA"), ("gf2p8", "GFNI"),
             ("tile", "AMX"), ("tdp", "AMX"))
_PREFIXES = {"rep", "repz", "repe", "repnz", "repne", "lock", "notrack", "bnd", "data16", "data32", "addr32",
             "cs", "ds", "ss", "es", "fs", "gs", "xacquire", "xrelease", "{vex}", "{vex3}", "{evex}", "rex", "rex.w"}
ALLOWED = {"tzcnt", "xgetbv"}  # see the module docstring


def extension_above_v2(mnemonic: str, operands: str) -> str | None:
    """The extension an instruction needs when it is above x86-64-v2, else None."""
    mnemonic = mnemonic.lower()
    if mnemonic in ALLOWED:
        return None
    wide = _WIDE_REGISTERS.search(operands)
    ymm, zmm, mask, tile = wide.groups() if wide is not None else (None, None, None, None)
    if zmm or mask:
        return "AVX-512"
    if tile:
        return "AMX"
    if mnemonic.startswith("v") and mnemonic not in _VMX:  # VEX or EVEX encoded
        if mnemonic.startswith(("vfmadd", "vfmsub", "vfnmadd", "vfnmsub")):
            return "FMA"
        if mnemonic in ("vcvtph2ps", "vcvtps2ph"):
            return "F16C"
        if mnemonic.startswith(("vpdpbusd", "vpdpwssd")):
            return "AVX-VNNI"
        return "AVX"  # AVX, AVX2, or AVX-512 on xmm registers
    if ymm:
        return "AVX"
    base = mnemonic[:-1] if mnemonic[:-1] in _NAMED and mnemonic[-1] in "bwlq" else mnemonic
    if base in _NAMED:
        return _NAMED[base]
    for start, name in _PREFIXED:
        if mnemonic.startswith(start):
            return name
    return None


@dataclass(frozen=True)
class Instruction:
    symbol: str
    mnemonic: str
    operands: str


_SYMBOL = re.compile(r"^[0-9a-fA-F]+ <(.+)>:\s*$")
_LINE = re.compile(r"^\s*[0-9a-fA-F]+:\s+(.*)$")


def parse_disassembly(lines: Iterator[str]) -> Iterator[Instruction]:
    """Instructions from `objdump -d --no-show-raw-insn` (GNU or LLVM, AT&T syntax)."""
    symbol = "?"
    for line in lines:
        head = _SYMBOL.match(line)
        if head:
            symbol = head[1]
            continue
        body = _LINE.match(line)
        if not body:
            continue
        words = body[1].split("#")[0].split("//")[0].split()
        while words and (words[0].lower() in _PREFIXES or words[0].lower().startswith("rex")):
            words.pop(0)
        if words and not words[0].startswith(("(", ".")):
            yield Instruction(symbol, words[0], " ".join(words[1:]))


def find_objdump() -> str | None:
    """CANDEIA_OBJDUMP, else GNU objdump, else llvm-objdump (Windows and macOS runners have that)."""
    if os.environ.get("CANDEIA_OBJDUMP"):
        return os.environ["CANDEIA_OBJDUMP"]
    for name in ("objdump", "llvm-objdump", "x86_64-w64-mingw32-objdump"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (Path("C:/Program Files/LLVM/bin/llvm-objdump.exe"), Path("/usr/bin/objdump")):
        if candidate.exists():
            return str(candidate)
    return None


def disassemble(path: Path, objdump: str) -> Iterator[str]:
    """The text of `objdump -d`, line by line (a large library gives tens of MB: never held at once)."""
    process = subprocess.Popen([objdump, "-d", "--no-show-raw-insn", str(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, errors="replace")
    assert process.stdout is not None
    try:
        yield from process.stdout
    finally:
        process.stdout.close()
        error = process.stderr.read() if process.stderr else ""
        if process.wait() != 0:
            raise RuntimeError(f"{Path(objdump).name} failed on {path.name}: {error.strip()[:300]}")


@dataclass
class Findings:
    """Instructions above x86-64-v2 in one file, counted by extension, with a few examples."""

    path: Path
    instructions: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.counts

    def add(self, extension: str, instruction: Instruction) -> None:
        self.counts[extension] = self.counts.get(extension, 0) + 1
        shown = self.examples.setdefault(extension, [])
        if len(shown) < 3:
            shown.append(f"{instruction.mnemonic} {instruction.operands} in {instruction.symbol}".strip())

    def summary(self) -> str:
        if self.clean:
            return f"{self.path.name}: {self.instructions} instructions, none above x86-64-v2"
        parts = [f"{name} x{count} (e.g. {self.examples[name][0]})" for name, count in sorted(self.counts.items())]
        return f"{self.path.name}: above x86-64-v2: " + "; ".join(parts)


def scan(path: Path, objdump: str) -> Findings:
    findings = Findings(path)
    for instruction in parse_disassembly(disassemble(path, objdump)):
        findings.instructions += 1
        extension = extension_above_v2(instruction.mnemonic, instruction.operands)
        if extension is not None:
            findings.add(extension, instruction)
    return findings
