"""Benchmarks behind `minga bench NAME`.

Every module in this folder with a top-level `run(argv: list[str]) -> int` is a benchmark; its name is
the module name with dashes (`group_directory.py` → `group-directory`) and its summary is the first line
of the module docstring. Discovery reads the source (it imports nothing), because each benchmark
configures Django and its database itself when it runs. Modules starting with `_` are helpers.

A benchmark prints one JSON line per figure on stdout — what it measured, the baseline measured in the
same run (a raw SQL or driver-level equivalent) and the ratio between them — and returns an exit code.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def bench_name(module: str) -> str:
    return module.replace("_", "-")


def module_name(name: str) -> str:
    return name.replace("-", "_")


def available() -> dict[str, str]:
    """Benchmark name → one-line summary, sorted by name."""
    found: dict[str, str] = {}
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        has_run = any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body)
        if has_run:
            summary = (ast.get_docstring(tree) or "").strip().splitlines()
            found[bench_name(path.stem)] = summary[0] if summary else ""
    return found


def run(name: str, argv: list[str]) -> int:
    """Run the benchmark `name` with `argv`; returns its exit code."""
    if name not in available():
        raise KeyError(name)
    module = importlib.import_module(f"bench.{module_name(name)}")
    return int(module.run(argv) or 0)
