"""Build Candeia's installers for the OS this runs on: `python packaging/build.py [--onefile] [--variant cuda]`.

1. icons (from resources/candeia.svg) and the Windows version resource, under build/assets/;
2. PyInstaller with packaging/candeia.spec: dist/candeia/ holding `candeia` and `candeia-cli`;
3. checks on the bundle (no torch/transformers/optimum, size), then the OS's packages:
   Linux: a .tar.gz (+ .desktop and icon), and an AppImage when `appimagetool` is on PATH;
   macOS: Candeia.app and a .dmg (hdiutil); Windows: the zipped bundle and a setup .exe (Inno Setup's iscc).

Run it with the Python environment whose packages should ship (`pip install -e '.[cpu,package]'`).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "packaging")]

from bundle_check import bundle_size, forbidden_files  # noqa: E402
from icons import make_icons  # noqa: E402
from installers import package_linux, package_macos, package_windows  # noqa: E402
from windows.version_info import version_file_text  # noqa: E402

from engines import __version__  # noqa: E402

PYINSTALLER_TIMEOUT_S = 1800


def make_assets(assets: Path) -> None:
    make_icons(assets)
    (assets / "version_info.txt").write_text(version_file_text(__version__), encoding="utf-8")


def run_pyinstaller(dist: Path, work: Path, assets: Path, *, onefile: bool) -> None:
    env = dict(os.environ, CANDEIA_BUILD_ASSETS=str(assets), CANDEIA_VERSION=__version__,
               CANDEIA_ONEFILE="1" if onefile else "0")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work), str(ROOT / "packaging" / "candeia.spec")]
    subprocess.run(command, check=True, env=env, cwd=ROOT, timeout=PYINSTALLER_TIMEOUT_S)


def artifact_stem(variant: str) -> str:
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower().replace("amd64", "x86_64")
    suffix = "" if variant == "cpu" else f"-{variant}"
    return f"Candeia-{__version__}{suffix}-{system}-{machine}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onefile", action="store_true", help="two self-contained executables instead of a folder")
    parser.add_argument("--variant", choices=["cpu", "cuda"], default="cpu",
                        help="label for the artifacts; the environment decides what ships (see docs/packaging.md)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    parser.add_argument("--no-installer", action="store_true", help="stop after the bundle and its checks")
    parser.add_argument("--icons-only", action="store_true", help="only write build/assets (icons, version file)")
    args = parser.parse_args(argv)

    assets = args.build / "assets"
    make_assets(assets)
    if args.icons_only:
        return 0
    started = time.monotonic()
    run_pyinstaller(args.dist, args.build / "pyinstaller", assets, onefile=args.onefile)
    print(f"build: PyInstaller took {time.monotonic() - started:.0f} s")

    if args.onefile:  # the spec already checked what went into the two archives
        for exe in sorted(p for p in args.dist.iterdir() if p.name.startswith("candeia")):
            print(f"build: {exe} is {exe.stat().st_size / 1e6:.0f} MB")
        return 0
    bundle = args.dist / ("Candeia.app" if sys.platform == "darwin" else "candeia")
    found = forbidden_files(bundle)
    if found:
        print(f"build: forbidden packages in the bundle: {', '.join(found[:10])}", file=sys.stderr)
        return 1
    print(f"build: {bundle} is {bundle_size(bundle) / 1e6:.0f} MB unpacked")
    if args.no_installer:
        return 0

    stem = artifact_stem(args.variant)
    if sys.platform.startswith("linux"):
        outputs = package_linux(bundle, args.dist, assets, stem)
    elif sys.platform == "darwin":
        outputs = package_macos(bundle, args.dist, stem)
    elif sys.platform == "win32":
        outputs = package_windows(bundle, args.dist, assets, stem, __version__, args.variant)
    else:
        print(f"build: no installer format for {sys.platform}; the bundle is in {bundle}")
        return 0
    for path in outputs:
        print(f"build: wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
