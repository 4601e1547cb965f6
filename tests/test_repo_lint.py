"""The template repository's own code (tests, scripts, hooks, benchmarks)
passes its own ruff configuration, and that configuration keeps ruff out of
the Jinja template folder (linted once baked, in test_bake.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import TEMPLATE_DIR

RUFF = str(Path(sys.executable).parent / "ruff")


def test_template_repository_passes_ruff():
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [RUFF, *args, "--no-cache", "."],
            cwd=TEMPLATE_DIR,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_does_not_read_the_jinja_template_folder():
    listed = subprocess.run(
        [RUFF, "check", "--no-cache", "--show-files", "."],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "{{ cookiecutter.repo_name }}" not in listed
    assert "conftest.py" in listed
