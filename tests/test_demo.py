"""Slow tier: scripts/demo.sh, as the README's first command, and the MLflow UI
command it prints last, pasted into a new shell."""

from __future__ import annotations

import subprocess

import pytest
from conftest import (
    TEMPLATE_DIR,
    clean_env,
    free_port,
    served,
)

pytestmark = pytest.mark.slow

UI_START_SECONDS = 180


def test_demo_prints_a_ui_command_that_works_in_a_new_shell(tmp_path):
    # Quoting matters: the folder's name has a space.
    demo = tmp_path / "my demo"
    demo_run = subprocess.run(
        ["bash", str(TEMPLATE_DIR / "scripts" / "demo.sh"), str(demo)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert demo_run.returncode == 0, demo_run.stdout + demo_run.stderr
    last = demo_run.stdout.strip().splitlines()[-1].strip()
    assert last.endswith("kedro mlflow ui"), demo_run.stdout

    # A new login shell knows nothing of the demo: no venv on PATH, the
    # user's home. The UI's port is the only thing added to the command.
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    command = ["env", "-i", f"HOME={home}", "PATH=/usr/local/bin:/usr/bin:/bin",
               "bash", "-c", f"{last} --port {port}"]  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    with served(command, url, tmp_path / "ui.log", UI_START_SECONDS) as page:
        assert b"<title>MLflow</title>" in page, page[:500]
