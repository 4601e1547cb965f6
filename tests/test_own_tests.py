"""Slow tier: the baked project's own test suite, run where a user runs it, in a
project that already has runs of its own."""

from __future__ import annotations

import hashlib
import re

import pytest
from conftest import Project

pytestmark = pytest.mark.slow


def store_digest(project: Project) -> dict[str, str]:
    """A hash of every file of the project's MLflow store and artifacts."""
    files = [project.path / "mlflow.db"]
    files += sorted(p for p in (project.path / "mlartifacts").rglob("*") if p.is_file())
    return {
        path.relative_to(project.path).as_posix(): hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
        for path in files
    }


def test_project_tests_pass_after_a_run_and_leave_its_store_alone(project, tmp_path):
    used = project.fresh_copy(tmp_path / project.path.name)
    used.run("kedro", "run")
    before = store_digest(used)
    assert "mlflow.db" in before
    assert any(name.startswith("mlartifacts/") for name in before)

    result = used.run("pytest", "-q", "-p", "no:cacheprovider", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ passed", result.stdout), result.stdout
    # Known notices of libraries are filtered in pyproject.toml: a warning
    # here would be the user's own.
    assert "warning" not in result.stdout.splitlines()[-1], result.stdout
    assert store_digest(used) == before
