"""Installer building blocks: what the bundle keeps, icons, version resource, Linux packages, and the frozen-app
fixes (resources, standard streams, crash log, engine hosts) exercised without building a bundle.

The bundle itself is built and run by scripts/check-frozen (packaging/check_frozen.py), called from .ci/run.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from engines.cards.catalog import builtin_cards_dir
from engines.host import launch, wire
from engines.system.resources import bundle_root, bundled_executable, resource_path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))

import bundle_rules  # noqa: E402
from bundle_check import bundle_size, dangling_links, forbidden_files  # noqa: E402

RUN_TIMEOUT_S = 60


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


# -- what goes into the bundle -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("dest", "kept"), [
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6\\Qt\\plugins\\platforms\\qwindows.dll", True),  # Windows paths
    ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),  # would pull in QtPdf
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),  # the app does no Qt networking
    ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
    ("PySide6/Qt/plugins/platforms", False),  # a folder entry, not a plugin
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),  # links QtNetwork
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6/Qt/lib/libQt6Network.so.6", False),
    ("libQt6Network.so.6", False),
    ("PySide6\\Qt6Network.dll", False),
    ("PySide6/Qt/lib/libQt6Gui.so.6", True),
    ("PySide6/Qt/lib/libQt6OpenGL.so.6", True),  # the Wayland EGL client plugins need it
    ("llama_cpp/lib/libllama.so", True),
    ("onnxruntime/capi/libonnxruntime_providers_shared.so", True),
    ("libQt6Core.so.6", True),
])
def test_qt_plugins_are_pruned_to_what_the_app_uses(dest: str, kept: bool) -> None:
    assert bundle_rules.keep_binary(dest) is kept


def test_qt_translations_only_for_shipped_languages() -> None:
    assert bundle_rules.keep_data("PySide6/Qt/translations/qtbase_pt_BR.qm")
    assert not bundle_rules.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not bundle_rules.keep_data("PySide6/Qt/translations/qtwebengine_pt_BR.qm")
    assert bundle_rules.keep_data("desktop/resources/i18n/candeia_pt_BR.qm")  # ours are always kept
    assert bundle_rules.keep_data("model_cards/opus-mt-en-de.toml")
    assert not bundle_rules.keep_data("libQt6Network.so.6")  # the link beside a pruned library goes too


def test_forbidden_packages_are_detected_and_excluded() -> None:
    names = ["torch", "torch.nn.functional", "transformers.models.marian", "optimum/exporters/x.py",
             "torch-2.13.0.dist-info/METADATA", "onnxruntime.capi", "numpy", "tokenizers"]
    assert bundle_rules.forbidden_names(names) == sorted(names[:5])
    with pytest.raises(SystemExit, match="torch"):
        bundle_rules.check_no_forbidden([("numpy", "", "PYMODULE")], [("torch/lib/libc10.so", "", "BINARY")])
    bundle_rules.check_no_forbidden([("numpy", "", "PYMODULE")])  # a clean bundle passes
    assert {"torch", "transformers", "optimum", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore",
            "PySide6.QtMultimedia", "PySide6.QtQml"} <= set(bundle_rules.EXCLUDED_MODULES)


def test_bundle_scan_finds_forbidden_files_and_sizes(tmp_path: Path) -> None:
    (tmp_path / "_internal" / "numpy").mkdir(parents=True)
    (tmp_path / "_internal" / "numpy" / "core.so").write_bytes(b"x" * 1000)
    (tmp_path / "candeia").write_bytes(b"y" * 500)
    assert forbidden_files(tmp_path) == []
    assert bundle_size(tmp_path) == 1500
    (tmp_path / "_internal" / "torch" / "lib").mkdir(parents=True)
    (tmp_path / "_internal" / "transformers-4.50.dist-info").mkdir()
    assert forbidden_files(tmp_path) == [os.path.join("_internal", "torch"),
                                         os.path.join("_internal", "transformers-4.50.dist-info")]
    if sys.platform != "win32":
        (tmp_path / "ok-link").symlink_to("candeia")
        (tmp_path / "dangling").symlink_to("_internal/libQt6Network.so.6")
        assert dangling_links(tmp_path) == ["dangling"]


def test_spec_builds_both_executables_in_one_bundle() -> None:
    spec = (PACKAGING / "candeia.spec").read_text(encoding="utf-8")
    assert 'collect_dynamic_libs("llama_cpp")' in spec and 'collect_dynamic_libs("onnxruntime")' in spec
    assert '"candeia", console=False' in spec and '"candeia-cli", console=True' in spec
    assert "COLLECT(gui_exe, cli_exe" in spec and "check_no_forbidden(" in spec
    for launcher in ("candeia.py", "candeia-cli.py"):
        assert (PACKAGING / "launchers" / launcher).is_file()


# -- assets ----------------------------------------------------------------------------------------------------------

def test_icons_are_made_from_the_one_svg(tmp_path: Path) -> None:
    from icons import ICO_SIZES, SOURCE, make_icons
    from PIL import Image

    assert SOURCE == ROOT / "resources" / "candeia.svg"
    made = make_icons(tmp_path)
    with Image.open(made["png"]) as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
        assert png.getpixel((128, 128))[3] == 255 and png.getpixel((0, 0))[3] == 0  # drawn, rounded corners
    with Image.open(made["ico"]) as ico:
        assert {(s, s) for s in ICO_SIZES} <= set(ico.info["sizes"])
    with Image.open(made["icns"]) as icns:
        assert icns.format == "ICNS" and icns.size == (1024, 1024)


def test_windows_version_resource() -> None:
    from windows.version_info import version_file_text, version_tuple

    assert version_tuple("0.1.0") == (0, 1, 0, 0)
    assert version_tuple("1.2.3rc1+local") == (1, 2, 3, 1)
    text = version_file_text("1.2.3")
    calls: dict[str, Any] = {}

    def recorder(name: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
            calls.setdefault(name, []).append((args, kwargs))
            return name, args, kwargs
        return make

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    # the text is a Python expression: PyInstaller's load_version_info_from_text_file evaluates it the same way
    eval(text, {name: recorder(name) for name in names})
    assert calls["FixedFileInfo"][0][1]["filevers"] == (1, 2, 3, 0)
    strings = {args[0]: args[1] for args, _ in calls["StringStruct"]}
    assert strings["ProductName"] == "Candeia" and strings["ProductVersion"] == "1.2.3"


def test_linux_desktop_entry_and_inno_setup_script() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(PACKAGING / "linux" / "candeia.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Exec"].split()[0] == "candeia"
    assert section["Icon"] == "candeia" and section["Categories"].endswith(";") and section["Terminal"] == "false"
    iss = (PACKAGING / "windows" / "candeia.iss").read_text(encoding="utf-8")
    for needle in ("AppName=Candeia", "{app}\\candeia.exe", "SetupIconFile={#AssetsDir}\\candeia.ico",
                   'Source: "{#SourceDir}\\*"', "PrivilegesRequired=lowest", "BrazilianPortuguese.isl"):
        assert needle in iss


def test_linux_tarball_has_one_folder_with_the_desktop_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import installers
    from icons import make_icons

    bundle = tmp_path / "dist" / "candeia"
    (bundle / "_internal").mkdir(parents=True)
    for exe in ("candeia", "candeia-cli"):
        (bundle / exe).write_text("#!/bin/sh\n", encoding="utf-8")
        (bundle / exe).chmod(0o755)
    assets = tmp_path / "assets"
    make_icons(assets)
    monkeypatch.setattr(installers.shutil, "which", lambda _name: None)  # no appimagetool here
    outputs = installers.package_linux(bundle, tmp_path / "dist", assets, "Candeia-9.9.9-linux-x86_64")
    assert [p.name for p in outputs] == ["Candeia-9.9.9-linux-x86_64.tar.gz"]
    with tarfile.open(outputs[0]) as tar:
        names = set(tar.getnames())
        assert {n.split("/")[0] for n in names} == {"Candeia-9.9.9-linux-x86_64"}
        for name in ("candeia", "candeia-cli", "candeia.desktop", "candeia.png"):
            assert f"Candeia-9.9.9-linux-x86_64/{name}" in names
        assert tar.getmember("Candeia-9.9.9-linux-x86_64/candeia").mode & 0o111
    assert (tmp_path / "dist" / "candeia.desktop").is_file()


# -- frozen-app fixes ------------------------------------------------------------------------------------------------

def test_resources_from_source_and_from_a_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert bundle_root() == ROOT
    assert resource_path("desktop", "resources", "style.qss").is_file()
    assert any(builtin_cards_dir().glob("*.toml"))
    assert bundled_executable("candeia-cli") is None  # not frozen
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert bundle_root() == tmp_path
    assert builtin_cards_dir() == tmp_path / "model_cards"


def test_frozen_engine_host_runs_in_the_console_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    suffix = ".exe" if sys.platform == "win32" else ""
    gui = tmp_path / f"candeia{suffix}"
    gui.write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "executable", str(gui))
    assert launch.host_command() == [str(gui), "--engine-host"]  # no console exe: itself
    cli = tmp_path / f"candeia-cli{suffix}"
    cli.write_bytes(b"")
    assert launch.host_command() == [str(cli.resolve()), "--engine-host"]


@pytest.mark.parametrize("entry", ["desktop.app", "engines.cli.main"])
def test_entry_points_serve_as_engine_hosts(entry: str, tiny_gguf: Path) -> None:
    """What a frozen build runs as an engine host: either executable with --engine-host, speaking the channel."""
    options = {"context_size": 256, "threads": 1, "gpu_layers": 0, "batch_size": 2048, "micro_batch_size": 512,
               "flash_attention": True, "extra_buffers": True}
    requests = wire.encode({"op": "load", "id": 1, "kind": "chat", "path": str(tiny_gguf), "options": options,
                            "probe": True}) + wire.encode({"op": "exit", "id": 0})
    result = subprocess.run([sys.executable, "-m", entry, "--engine-host"], input=requests, capture_output=True,
                            timeout=RUN_TIMEOUT_S, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    import io

    reply = wire.receive(io.BytesIO(result.stdout))
    assert reply is not None and reply["id"] == 1 and reply["ok"]["context_size"] == 256, reply


def test_launchers_run_with_no_standard_streams() -> None:
    # What a windowed build starts with: no stdout/stderr. The launcher must replace them before any import.
    code = ("import runpy, sys; sys.stdout = sys.stderr = None; sys.argv = ['candeia-cli', '--version']\n"
            "try:\n    runpy.run_path('packaging/launchers/candeia-cli.py', run_name='__main__')\n"
            "except SystemExit as exc:\n    sys.__stdout__.write(f'exit={exc.code} streams={sys.stdout is not None}')")
    result = _run(code)
    assert result.stdout == "exit=0 streams=True", result.stderr


def test_crash_log_records_uncaught_exceptions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code = ("import threading\nfrom engines.system import crashlog\nprint(crashlog.install('candeia'))\n"
            "t = threading.Thread(target=lambda: 1 / 0, name='worker'); t.start(); t.join()\n"
            "raise RuntimeError('boom from the self-check')")
    result = _run(code, {"CANDEIA_HOME": str(home)})
    assert result.returncode == 1
    log = home / "logs" / "crash.log"
    assert result.stdout.strip() == str(log)
    text = log.read_text(encoding="utf-8")
    assert "candeia: uncaught exception\n" in text and "RuntimeError: boom from the self-check" in text
    assert "uncaught exception in thread worker" in text and "ZeroDivisionError" in text
    assert "RuntimeError: boom" in result.stderr  # still shown where there is a console


def test_crash_log_never_blocks_start_up(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = _run("from engines.system import crashlog; print(crashlog.install('candeia'))",
                  {"CANDEIA_HOME": str(blocker / "home")})
    assert result.returncode == 0 and result.stdout.strip() == "None", result.stderr


def _fake_bundle(root: Path) -> Path:
    bundle = root / "dist" / "candeia"
    (bundle / "_internal").mkdir(parents=True)
    for exe in ("candeia", "candeia-cli"):
        (bundle / exe).write_text("#!/bin/sh\n", encoding="utf-8")
        (bundle / exe).chmod(0o755)
    return bundle


@pytest.mark.skipif(sys.platform == "win32", reason="AppImages are built on Linux")
def test_appimage_is_made_from_an_appdir(tmp_path: Path) -> None:
    import installers
    from icons import make_icons

    bundle = _fake_bundle(tmp_path)
    assets = make_icons(tmp_path / "assets")["png"].parent
    tool = tmp_path / "appimagetool"  # stands in for the real tool: records the AppDir it was given
    tool.write_text('#!/bin/sh\nls -R "$2" > "$3.listing"; cp "$2/AppRun" "$3"\n', encoding="utf-8")
    tool.chmod(0o755)
    out = installers._appimage(bundle, tmp_path / "dist", assets, "Candeia-9.9.9-linux-x86_64", str(tool))
    assert out.name == "Candeia-9.9.9-linux-x86_64.AppImage"
    appdir = tmp_path / "dist" / "Candeia.AppDir"
    for name in ("AppRun", "candeia.desktop", "candeia.png", "usr/lib/candeia/candeia", "usr/lib/candeia/candeia-cli",
                 "usr/share/icons/hicolor/256x256/apps/candeia.png"):
        assert (appdir / name).exists(), name
    apprun = (appdir / "AppRun").read_text(encoding="utf-8")
    assert os.access(appdir / "AppRun", os.X_OK) and "usr/lib/candeia/candeia-cli" in apprun
    result = subprocess.run(["sh", "-n", str(appdir / "AppRun")], capture_output=True, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 0


def test_windows_zip_and_macos_dmg_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import installers

    bundle = _fake_bundle(tmp_path)
    monkeypatch.setattr(installers.shutil, "which", lambda _name: None)  # no Inno Setup here
    monkeypatch.delenv("PROGRAMFILES", raising=False)
    monkeypatch.delenv("PROGRAMFILES(X86)", raising=False)
    outputs = installers.package_windows(bundle, tmp_path / "dist", tmp_path, "Candeia-9.9.9-windows-x86_64",
                                         "9.9.9", "cpu")
    with zipfile.ZipFile(outputs[0]) as zf:
        assert "Candeia-9.9.9-windows-x86_64/candeia-cli" in zf.namelist()

    commands: list[list[str]] = []

    def fake_run(command: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        if command[0] == "ditto":
            Path(command[2]).mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(installers.subprocess, "run", fake_run)
    app = tmp_path / "dist" / "Candeia.app"
    app.mkdir()
    [dmg] = installers.package_macos(app, tmp_path / "dist", "Candeia-9.9.9-macos-arm64")
    assert dmg.name == "Candeia-9.9.9-macos-arm64.dmg"
    hdiutil = commands[-1]
    assert hdiutil[:2] == ["hdiutil", "create"] and hdiutil[-1] == str(dmg) and "UDZO" in hdiutil
