#!/usr/bin/env python3
"""One-command set-up for farwatch: ``python3 tasks.py demo`` or ``python3 tasks.py test``.

Creates ``.venv`` beside this file on first use (and again whenever
pyproject.toml changes), installs farwatch into it in editable mode with the
extras the task needs, then runs the task inside it. Needs only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FARWATCH_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"

PACKAGE_FOLDERS = ("farwatch", "tui", "actions", "sources", "state", "themes")

TASKS = {
    "demo": ("farwatch demo on the bundled, live-simulated team", ""),
    "test": ("the whole test suite", "test"),
    "lint": ("ruff, vulture, mypy and the layering contracts", "test,dev"),
    "bench": ("every benchmark in bench/", "test"),
}


def ensure_env(extras: str) -> None:
    """Create the venv and (re)install when pyproject.toml or the extras changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may run on an older python3
        sys.exit(f"farwatch needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".farwatch-installed-{extras.replace(',', '-') or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    print(f"installing farwatch{f'[{extras}]' if extras else ''} into {VENV} ...", flush=True)
    log = VENV / "install.log"
    with log.open("w", encoding="utf-8") as sink:
        for cmd in (
            [str(PY), "-m", "pip", "install", "--upgrade", "pip"],
            [str(PY), "-m", "pip", "install", "-e", target],
        ):
            if subprocess.call(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT):
                sys.stderr.write(log.read_text(encoding="utf-8", errors="replace"))
                sys.exit(f"installing farwatch failed; the full log is in {log}")
    stamp.write_text(digest)


def package_tree(dest: Path) -> None:
    """Lay the source folders out as the installed ``farwatch`` package.

    mypy and import-linter walk directories, and the editable install maps
    ``state/`` to ``farwatch.state`` through an import hook they cannot see.
    """
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "farwatch", dest / "farwatch", ignore=ignore)
    for folder in PACKAGE_FOLDERS[1:]:
        shutil.copytree(ROOT / folder, dest / "farwatch" / folder, ignore=ignore)


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
    code = subprocess.call(cmd, cwd=cwd, env=env)
    if code:
        sys.exit(code)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in TASKS:
        width = max(map(len, TASKS))
        lines = "\n".join(f"  {name:<{width}}  {text}" for name, (text, _) in TASKS.items())
        sys.exit(f"usage: python3 tasks.py TASK [ARGS...]\n\ntasks:\n{lines}")
    task, rest = argv[0], argv[1:]
    ensure_env(TASKS[task][1])
    if task == "demo":
        os.execv(str(BIN / "farwatch"), [str(BIN / "farwatch"), "demo", *rest])
    elif task == "test":
        run([str(PY), "-m", "pytest", *rest])
    elif task == "lint":
        run([str(BIN / "ruff"), "check", "."])
        run([str(BIN / "ruff"), "format", "--check", "."])
        run([str(BIN / "vulture"), *PACKAGE_FOLDERS])  # allow-list: [tool.vulture]
        with tempfile.TemporaryDirectory(prefix="farwatch-lint-") as tree:
            package_tree(Path(tree))
            env = {**os.environ, "MYPYPATH": tree, "PYTHONPATH": tree}
            cache = str(Path(tree) / ".mypy_cache")
            run([str(BIN / "mypy"), "--cache-dir", cache, "-p", "farwatch"], env=env)
            config = str(ROOT / "pyproject.toml")
            run([str(BIN / "lint-imports"), "--config", config], env=env, cwd=Path(tree))
    elif task == "bench":
        run([str(PY), str(ROOT / "bench" / "run_all.py"), *rest])


if __name__ == "__main__":
    main(sys.argv[1:])
