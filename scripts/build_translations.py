#!/usr/bin/env python3
"""Update the .ts files from the source (pyside6-lupdate) and compile them to .qm (pyside6-lrelease).

    .venv/bin/python scripts/build_translations.py            # update .ts, then compile .qm
    .venv/bin/python scripts/build_translations.py --compile  # only compile (what a packaged build runs)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "desktop" / "resources" / "i18n"
LANGUAGES = ("en", "pt_BR")


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found:
        return found
    import PySide6  # the binaries also ship inside the package

    candidate = Path(PySide6.__file__).parent / name.removeprefix("pyside6-")
    if candidate.exists():
        return str(candidate)
    raise SystemExit(f"{name} not found; install PySide6-Essentials")


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "desktop").rglob("*.py"))


def update() -> None:
    for language in LANGUAGES:
        ts = I18N / f"candeia_{language}.ts"
        extra = ["-pluralonly"] if language == "en" else []
        subprocess.run([tool("pyside6-lupdate"), "-no-obsolete", *extra, "-target-language", language, *sources(),
                        "-ts", str(ts.relative_to(ROOT))], cwd=ROOT, check=True)


def compile_all(out_dir: Path = I18N) -> list[Path]:
    written = []
    for language in LANGUAGES:
        ts = I18N / f"candeia_{language}.ts"
        qm = out_dir / f"candeia_{language}.qm"
        subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        written.append(qm)
    return written


if __name__ == "__main__":
    if "--compile" not in sys.argv:
        update()
    for path in compile_all():
        print(path.relative_to(ROOT))
