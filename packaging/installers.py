"""Turn the PyInstaller bundle into what users download, one function per OS (called by build.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
TOOL_TIMEOUT_S = 900


def _linux_extras(target: Path, assets: Path) -> None:
    """The .desktop entry and the icon, beside the executables (an installer script can copy them)."""
    shutil.copy2(PACKAGING / "linux" / "candeia.desktop", target / "candeia.desktop")
    shutil.copy2(assets / "candeia.png", target / "candeia.png")


def package_linux(bundle: Path, dist: Path, assets: Path, stem: str) -> list[Path]:
    """`<stem>.tar.gz` (one top folder), plus `<stem>.AppImage` when appimagetool is installed."""
    _linux_extras(bundle, assets)
    archive = dist / f"{stem}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=stem)
    outputs = [archive]
    for name in ("candeia.desktop", "candeia.png"):  # also published on their own, for distro packagers
        shutil.copy2(bundle / name, dist / name)
    tool = shutil.which("appimagetool")
    if tool:
        outputs.append(_appimage(bundle, dist, assets, stem, tool))
    else:
        print("build: appimagetool not found, no AppImage (the .tar.gz is complete)")
    return outputs


def _appimage(bundle: Path, dist: Path, assets: Path, stem: str, tool: str) -> Path:
    appdir = dist / "Candeia.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(bundle, appdir / "usr" / "lib" / "candeia", symlinks=True)
    shutil.copy2(PACKAGING / "linux" / "candeia.desktop", appdir / "candeia.desktop")
    shutil.copy2(assets / "candeia.png", appdir / "candeia.png")
    icon_dir = appdir / "usr" / "share" / "icons" / "hicolor" / "256x256" / "apps"
    icon_dir.mkdir(parents=True)
    shutil.copy2(assets / "candeia.png", icon_dir / "candeia.png")
    apprun = appdir / "AppRun"
    # `AppRun` starts the GUI; `AppRun cli ...` (or a symlink named candeia-cli) starts the command line.
    apprun.write_text(
        '#!/bin/sh\nHERE="$(dirname "$(readlink -f "$0")")"\n'
        'if [ "$1" = "cli" ]; then shift; exec "$HERE/usr/lib/candeia/candeia-cli" "$@"; fi\n'
        'case "${ARGV0##*/}" in candeia-cli*) exec "$HERE/usr/lib/candeia/candeia-cli" "$@";; esac\n'
        'exec "$HERE/usr/lib/candeia/candeia" "$@"\n',
        encoding="utf-8",
    )
    apprun.chmod(0o755)
    out = dist / f"{stem}.AppImage"
    env = dict(os.environ, ARCH=os.environ.get("ARCH", "x86_64"))
    subprocess.run([tool, "--no-appstream", str(appdir), str(out)], check=True, env=env, timeout=TOOL_TIMEOUT_S)
    return out


def package_macos(app: Path, dist: Path, stem: str) -> list[Path]:
    """`<stem>.dmg` holding Candeia.app and a link to /Applications (drag to install)."""
    staging = dist / "dmg"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    subprocess.run(["ditto", str(app), str(staging / app.name)], check=True, timeout=TOOL_TIMEOUT_S)
    (staging / "Applications").symlink_to("/Applications")
    dmg = dist / f"{stem}.dmg"
    dmg.unlink(missing_ok=True)
    subprocess.run(["hdiutil", "create", "-volname", "Candeia", "-srcfolder", str(staging), "-ov",
                    "-format", "UDZO", str(dmg)], check=True, timeout=TOOL_TIMEOUT_S)
    shutil.rmtree(staging)
    return [dmg]


def _find_iscc() -> str | None:
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base and (Path(base) / "Inno Setup 6" / "ISCC.exe").is_file():
            return str(Path(base) / "Inno Setup 6" / "ISCC.exe")
    return None


def package_windows(bundle: Path, dist: Path, assets: Path, stem: str, version: str, variant: str) -> list[Path]:
    """`<stem>.zip` (portable) and `<stem>-setup.exe` from packaging/windows/candeia.iss when Inno Setup is there."""
    archive = dist / f"{stem}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(bundle.rglob("*")):
            zf.write(path, Path(stem) / path.relative_to(bundle))
    outputs = [archive]
    iscc = _find_iscc()
    if not iscc:
        print("build: Inno Setup (iscc) not found, no setup.exe (the .zip is complete)")
        return outputs
    suffix = "" if variant == "cpu" else f"-{variant}"
    subprocess.run([iscc, f"/DAppVersion={version}", f"/DVariant={suffix}", f"/DSourceDir={bundle}",
                    f"/DAssetsDir={assets}", f"/DOutputDir={dist}", str(PACKAGING / "windows" / "candeia.iss")],
                   check=True, timeout=TOOL_TIMEOUT_S)
    outputs.extend(sorted(dist.glob(f"Candeia-{version}{suffix}-windows-*-setup.exe")))
    return outputs
