"""The layer rule: engines/ never imports Qt or desktop (also enforced by import-linter in CI)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests_support import PROJECT_ROOT

FORBIDDEN = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "desktop", "torch", "transformers", "optimum")
# The `convert` command (an optional extra) may import optimum, lazily, inside the function that runs it.
CONVERTER = PROJECT_ROOT / "engines" / "convert" / "checkpoint.py"


def test_engines_source_has_no_forbidden_imports() -> None:
    offenders = []
    for file in (PROJECT_ROOT / "engines").rglob("*.py"):
        tree = ast.parse(file.read_text(), str(file))
        nodes = tree.body if file == CONVERTER else list(ast.walk(tree))
        for node in nodes:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{file}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_cli_start_loads_no_heavy_modules() -> None:
    code = (
        "import sys, engines.cli.main as m\n"
        "heavy = [n for n in ('PySide6', 'llama_cpp', 'onnxruntime', 'torch') if n in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
