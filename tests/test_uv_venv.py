"""Slow tier: the first `kedro run` is as quiet in a virtualenv made by
`uv venv` (which has no pip) as in one made by `python -m venv` (which the
rest of the slow tier uses)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Project, commit_to_git, warning_lines

pytestmark = pytest.mark.slow


def test_first_kedro_run_in_a_uv_venv_prints_no_warnings(bake, tmp_path):
    path = commit_to_git(bake())
    venv = tmp_path / "venv"
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    # As a uv user makes it: `uv venv`, no --seed, so no pip.
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    assert not list(venv.glob("lib/python*/site-packages/pip"))
    subprocess.run(
        [uv, "pip", "install", "-q", "-p", str(venv / "bin" / "python"),
         "-r", str(path / "requirements.txt")],
        check=True,
    )  # fmt: skip

    result = Project(path=path, venv=venv).run("kedro", "run")

    assert not warning_lines(result)
