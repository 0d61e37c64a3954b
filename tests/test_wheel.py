"""A wheel (pip install) carries the curated model catalog and finds it: built offline from a copy of the sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 240

pytest.importorskip("setuptools")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel` of a copy of the project (setuptools builds in the source folder: not in the checkout)."""
    source = tmp_path_factory.mktemp("wheel-source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("engines", "desktop", "model_cards"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, env=dict(os.environ, PIP_NO_INDEX="1"))
    if result.returncode != 0 and "No module named" in result.stderr:
        pytest.skip(f"cannot build a wheel here: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("candeia-*.whl")
    return built


def test_the_wheel_carries_every_card(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {f"engines/model_cards/{p.name}" for p in (ROOT / "model_cards").iterdir()}
    assert any(name.endswith(".toml") for name in shipped) and "engines/model_cards/schema.json" in shipped
    assert shipped <= names
    assert not any(name.startswith("model_cards/") for name in names)  # nothing at the top of site-packages


def test_an_installed_wheel_finds_its_catalog(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = ("import engines\nfrom engines.cards import builtin_cards_dir, load_catalog\n"
            "print(engines.__file__)\nprint(builtin_cards_dir())\nprint(len(load_catalog()))\n")
    # the unpacked wheel first on the path, run from elsewhere: the checkout is not importable
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(site)))
    assert result.returncode == 0, result.stderr
    package, cards_dir, count = result.stdout.splitlines()
    assert Path(package).is_relative_to(site)
    assert Path(cards_dir) == site / "engines" / "model_cards"
    assert int(count) == len(list((ROOT / "model_cards").glob("*.toml")))


def test_the_wheel_carries_every_package(wheel: Path) -> None:
    """pyproject.toml lists the packages (to map model_cards/ into engines/): a new one must be added there."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    packages = {p.parent.relative_to(ROOT).as_posix() for top in ("engines", "desktop")
                for p in (ROOT / top).rglob("__init__.py") if "__pycache__" not in p.parts}
    missing = sorted(package for package in packages if f"{package}/__init__.py" not in names)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    modules = {p.relative_to(ROOT).as_posix() for top in ("engines", "desktop") for p in (ROOT / top).rglob("*.py")
               if "__pycache__" not in p.parts}
    assert modules <= names
