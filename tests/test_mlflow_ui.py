"""Slow tier: the MLflow UI address the baked README gives opens the project's
training runs in a real browser (Chromium, headless, with no saved state).

MLflow 3.17's UI opens an experiment on an empty GenAI "Overview" unless the
address says otherwise; the `mlflow.experimentKind` experiment tag no longer
changes that (its sidebar's GenAI / Model training switch, kept in the URL or
the browser's storage, decides)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import (
    DEFAULT_PACKAGE,
    Project,
    free_port,
    served,
)
from test_project import runs_in

pytestmark = pytest.mark.slow

README_ADDRESS = re.compile(r"<(http://127\.0\.0\.1:5000/#/experiments/[^>]+)>")


def chromium_dom(url: str, profile: Path) -> str:
    """The page's DOM once its scripts have run, in a fresh headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is needed: apt-get install chromium (.ci/run does)"
    profile.mkdir()
    result = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--window-size=1400,900",
            "--virtual-time-budget=20000", "--dump-dom", url,
        ],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    return result.stdout


@pytest.fixture
def tracked(project, tmp_path) -> Project:
    """A copy of the baked project with a store of its own and one `kedro run`."""
    tracked = project.fresh_copy(tmp_path / project.path.name)
    tracked.run("kedro", "run")
    return tracked


def test_the_readme_address_opens_the_training_runs(tracked, tmp_path):
    readme = (tracked.path / "README.md").read_text()
    (address,) = set(README_ADDRESS.findall(readme))
    (run,) = runs_in(tracked.path / "mlflow.db")
    assert f"/experiments/{run.info.experiment_id}/" in address

    port = free_port()
    with served(
        [str(tracked.bin / "kedro"), "mlflow", "ui", "--port", str(port)],
        f"http://127.0.0.1:{port}/health",
        tmp_path / "ui.log",
        cwd=tracked.path,
        env=tracked.env(),
    ):
        dom = chromium_dom(address.replace(":5000/", f":{port}/"), tmp_path / "p")
    assert f"<title>Runs - Experiment {run.info.experiment_id} - MLflow</title>" in dom
    assert f">{run.info.run_name}<" in dom
    assert f">{DEFAULT_PACKAGE}<" in dom
