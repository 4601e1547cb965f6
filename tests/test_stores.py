"""Slow tier: the baked project's local store, for real, with `kedro run`: a
store that cannot be written fails fast naming it, a damaged one is restored
with the command its message gives, and an unknown environment is named.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from conftest import Project

pytestmark = pytest.mark.slow

FAIL_FAST_SECONDS = 20  # the bound, MLflow's own retries included


@pytest.fixture
def fresh(project, tmp_path) -> Project:
    """A copy of the baked project with an empty store."""
    return project.fresh_copy(tmp_path / project.path.name)


def output(result: subprocess.CompletedProcess) -> str:
    return f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def without_root_powers(project: Project, *args: str, **env: str):
    """Run a command of the project's virtualenv as a user whom file permissions
    bind: root's power to write anywhere is dropped when the tests run as root."""
    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", "--"]
    command = [str(project.bin / args[0]), *args[1:]]
    return subprocess.run(
        prefix + command if os.geteuid() == 0 else command,
        cwd=project.path,
        env=project.env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_read_only_store_folder_fails_fast_naming_it(fresh, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    database = folder / "mlflow.db"
    try:
        start = time.monotonic()
        result = without_root_powers(
            fresh, "kedro", "run", MLFLOW_TRACKING_URI=f"sqlite:///{database}"
        )
        elapsed = time.monotonic() - start
    finally:
        folder.chmod(0o755)
    assert result.returncode != 0
    assert elapsed < FAIL_FAST_SECONDS
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: Cannot use the MLflow store {database}: cannot write in {folder} "
        "(Permission denied)."
    ), output(result)
    assert "Traceback" not in result.stdout + result.stderr
    assert not database.exists()


def test_a_read_only_store_fails_fast_naming_it(fresh, tmp_path):
    database = tmp_path / "mlflow.db"
    uri = f"sqlite:///{database}"
    fresh.run("kedro", "run", "--pipelines", "preprocessing", MLFLOW_TRACKING_URI=uri)
    database.chmod(0o444)
    start = time.monotonic()
    result = without_root_powers(fresh, "kedro", "run", MLFLOW_TRACKING_URI=uri)
    assert result.returncode != 0
    assert time.monotonic() - start < FAIL_FAST_SECONDS
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: Cannot use the MLflow store {database}: it is read-only."
    ), output(result)


REGISTRY = """
import json, mlflow
client = mlflow.MlflowClient("sqlite:///mlflow.db")
runs = client.search_runs([client.get_experiment_by_name("{package}").experiment_id])
champion = client.get_model_version_by_alias("{package}", "champion")
print(json.dumps({{
    "runs": sorted(run.info.run_id for run in runs),
    "versions": sorted(v.version for v in client.search_model_versions("")),
    "champion": champion.version,
}}))
"""


def registry_of(project: Project) -> dict:
    package = project.path.name.replace("-", "_")
    return json.loads(project.python(REGISTRY.format(package=package)).stdout)


def test_a_damaged_store_is_restored_with_the_command_its_message_gives(fresh):
    fresh.run("kedro", "run")  # records a run, registers a version, copies the store
    fresh.run("python", "scripts/promote.py")  # the champion, copied too
    before = registry_of(fresh)
    database = fresh.path / "mlflow.db"
    os.truncate(database, database.stat().st_size // 2)  # a crash, a full disk

    start = time.monotonic()
    failed = fresh.run("kedro", "run", check=False)
    assert failed.returncode != 0
    assert time.monotonic() - start < FAIL_FAST_SECONDS
    message = failed.stderr[failed.stderr.index("Error: ") :]
    assert message.startswith(f"Error: The MLflow store {database} is damaged "), (
        output(failed)
    )
    assert "Traceback" not in failed.stdout + failed.stderr
    command = message.splitlines()[-1].strip()
    # Pasted into a fresh shell, anywhere.
    subprocess.run(["sh", "-c", command], cwd="/", env={}, check=True)

    assert registry_of(fresh) == before
    scored = fresh.run("kedro", "run", "--pipelines", "inference", check=False)
    assert scored.returncode == 0, output(scored)
    assert len(registry_of(fresh)["runs"]) == len(before["runs"]) + 1


def test_an_unknown_environment_is_named_at_once(project):
    start = time.monotonic()
    result = project.run("kedro", "run", "--env", "nope", check=False)
    assert result.returncode != 0
    assert time.monotonic() - start < FAIL_FAST_SECONDS
    assert result.stderr.strip().splitlines() == [
        "Error: Unknown Kedro environment 'nope' (no folder conf/nope): "
        "the environments are local, server."
    ], output(result)
