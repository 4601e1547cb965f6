"""Tests of mlflow_wiring/run.py: however a pipeline run ends, its MLflow run
gets one true status and the project's lock is free afterwards.

Each test plays kedro-mlflow's part with ``mlflow.start_run`` where
RunHooks yields to it, as Kedro's hook manager would, against the test's own
store (tests/conftest.py). A signal is raised at the first instant the run
exists: before any node, as Ctrl-C in a terminal would land on a loaded
machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import pytest
from kedro.pipeline import Pipeline

from {{ cookiecutter.python_package }}.mlflow_wiring import tracking
from {{ cookiecutter.python_package }}.mlflow_wiring.run import (
    LOCK_FILE,
    ORPHAN_TAG,
    RunHooks,
    close_orphans,
)

PROJECT_PATH = Path(__file__).resolve().parents[1]
SRC = PROJECT_PATH / "src"


def lock_is_free(project: Path) -> bool:
    """Whether another process could take the project's run lock now."""
    code = (
        "import fcntl, sys\n"
        "lock = open(sys.argv[1], 'a+')\n"
        "try:\n"
        "    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except OSError:\n"
        "    sys.exit(1)\n"
    )
    checked = subprocess.run(
        [sys.executable, "-c", code, str(project / LOCK_FILE)], check=False
    )
    return checked.returncode == 0


def start_pipeline(hooks: RunHooks, project: Path) -> str:
    """RunHooks.before_pipeline_run around kedro-mlflow's opening of the run."""
    wrapper = hooks.before_pipeline_run(
        run_params={"project_path": str(project), "pipeline_names": ["__default__"]},
        pipeline=Pipeline([]),
    )
    next(wrapper)  # RunHooks' part before kedro-mlflow's
    run_id = mlflow.start_run().info.run_id
    with pytest.raises(StopIteration):
        next(wrapper)
    return run_id


def status(run_id: str) -> str:
    return mlflow.get_run(run_id).info.status


@pytest.fixture
def project(tmp_path) -> Path:
    return tmp_path


def test_success_is_finished_and_frees_the_lock(project):
    hooks = RunHooks()
    run_id = start_pipeline(hooks, project)
    assert not lock_is_free(project)
    after = hooks.after_pipeline_run()
    next(after)
    mlflow.end_run()  # kedro-mlflow's part
    with pytest.raises(StopIteration):
        next(after)
    assert status(run_id) == "FINISHED"
    assert lock_is_free(project)


def test_a_failure_while_logging_the_model_is_failed(project):
    hooks = RunHooks()
    run_id = start_pipeline(hooks, project)
    after = hooks.after_pipeline_run()
    next(after)
    with pytest.raises(OSError, match="No space left"):
        after.throw(OSError(28, "No space left on device"))
    assert status(run_id) == "FAILED"
    assert mlflow.active_run() is None
    assert lock_is_free(project)


def test_an_error_in_a_node_is_failed(project):
    hooks = RunHooks()
    run_id = start_pipeline(hooks, project)
    on_error = hooks.on_pipeline_error()
    next(on_error)
    with pytest.raises(StopIteration):
        next(on_error)  # kedro-mlflow may or may not have ended it
    assert status(run_id) == "FAILED"
    assert lock_is_free(project)


def test_ctrl_c_at_the_first_instant_of_the_run_is_killed(project):
    hooks = RunHooks()
    wrapper = hooks.before_pipeline_run(
        run_params={"project_path": str(project)}, pipeline=Pipeline([])
    )
    next(wrapper)
    run_id = mlflow.start_run().info.run_id
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)  # as soon as the run exists
    assert status(run_id) == "KILLED"
    assert mlflow.active_run() is None
    assert lock_is_free(project)
    # Python's own handler is back: a second Ctrl-C is an ordinary one.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# In a process of its own: SIGTERM's default ends the process, and a
# KeyboardInterrupt raised by code ends it through the exit handlers.
ENDING = """
import os, signal, sys
from pathlib import Path
import mlflow
sys.path.insert(0, {src!r})
from {{ cookiecutter.python_package }}.mlflow_wiring.run import RunHooks

from kedro.pipeline import Pipeline
hooks = RunHooks()
run_params = dict(project_path={project!r})
wrapper = hooks.before_pipeline_run(run_params=run_params, pipeline=Pipeline([]))
next(wrapper)
run = mlflow.start_run()
print("RUN", run.info.run_id, flush=True)
{ending}
"""


@pytest.mark.parametrize(
    ("ending", "returncodes"),
    [
        ("os.kill(os.getpid(), signal.SIGTERM)", {-signal.SIGTERM}),
        # Python 3.11+ ends by SIGINT after an uncaught KeyboardInterrupt; 3.10 exits 1.
        ("raise KeyboardInterrupt", {-signal.SIGINT, 1}),
    ],
    ids=["sigterm", "keyboard-interrupt-from-code"],
)
def test_a_process_ended_mid_run_records_it_killed(project, ending, returncodes):
    code = ENDING.format(src=str(SRC), project=str(project), ending=ending)
    ended = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )
    assert ended.returncode in returncodes, ended.stderr
    (run_id,) = [
        line.split()[1] for line in ended.stdout.splitlines() if line.startswith("RUN ")
    ]
    assert status(run_id) == "KILLED"
    assert lock_is_free(project)


def test_runs_left_running_by_dead_processes_of_this_project_are_closed(project):
    def running(pid: int, host: str, folder: Path) -> str:
        tags = {
            tracking.PID_TAG: str(pid),
            tracking.HOST_TAG: host,
            tracking.PROJECT_TAG: folder.as_posix(),
        }
        run = mlflow.MlflowClient().create_run("0", tags=tags)
        return run.info.run_id

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid, here = int(gone.stdout), socket.gethostname()
    orphan = running(dead_pid, here, project)
    alive = running(os.getpid(), here, project)
    elsewhere = running(dead_pid, "another-machine", project)
    other_project = running(dead_pid, here, project / "other")

    assert close_orphans(project) == [orphan]
    assert status(orphan) == "FAILED"
    assert str(dead_pid) in mlflow.get_run(orphan).data.tags[ORPHAN_TAG]
    assert {status(run) for run in (alive, elsewhere, other_project)} == {"RUNNING"}
