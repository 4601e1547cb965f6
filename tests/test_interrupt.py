"""Slow tier: a pipeline run stopped by a signal while a node runs is recorded
KILLED, registers no model, and the process or kernel says it was stopped.

The training node is made slow through a runtime parameter (a forest of
20,000 trees: minutes), so that a signal sent once the node has started
lands inside it. kedro-mlflow logs a node's parameters just before the node
runs, so the parameter showing up in the store says the node is starting.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import pytest
from conftest import DEFAULT_PACKAGE, Project

pytestmark = pytest.mark.slow

SLOW_TREES = "20000"
SLOW_PARAMS = f"hyperparameters.n_estimators={SLOW_TREES}"


@pytest.fixture
def fresh(project, tmp_path) -> Project:
    """A copy of the baked project with an empty store."""
    return project.fresh_copy(tmp_path / project.path.name)


def client_of(project: Project) -> mlflow.MlflowClient:
    uri = f"sqlite:///{(project.path / 'mlflow.db').as_posix()}"
    return mlflow.MlflowClient(uri, uri)


def wait_for_slow_node(project: Project, alive, log: Path, timeout: float = 300) -> str:
    """The id of the RUNNING run once the slow training node has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert alive(), "the run ended before the slow node started"
        # Only once kedro-mlflow has started the run: opening the store while
        # the run creates it would race MLflow's own creation of its tables.
        if "has started" in log.read_text():
            client = client_of(project)
            experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
            runs = (
                []
                if experiment is None
                else client.search_runs([experiment.experiment_id])
            )
            for run in runs:
                trees = run.data.params.get("hyperparameters.n_estimators")
                if run.info.status == "RUNNING" and trees == SLOW_TREES:
                    time.sleep(2)  # well inside the node's minutes of fitting
                    return run.info.run_id
        time.sleep(0.5)
    raise AssertionError("the slow training node did not start")


def assert_killed_without_model(project: Project, run_id: str) -> None:
    client = client_of(project)
    run = client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.info.end_time is not None
    assert client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'") == []


@contextmanager
def kedro_run_started(
    project: Project, log: Path, *args: str
) -> Iterator[subprocess.Popen]:
    """`kedro run *args` in its own process group, its output in ``log``, with
    Ctrl-C at its default as in a terminal (a shell ignores it in the commands
    it runs in the background, and a child inherits that). Whatever is left of
    the group is killed on leaving."""
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with log.open("w") as output:
            process = subprocess.Popen(
                [str(project.bin / "kedro"), "run", *args],
                cwd=project.path,
                env=project.env(PYTHONUNBUFFERED="1"),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    finally:
        signal.signal(signal.SIGINT, handler)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [
        # Ctrl-C: the terminal signals the whole foreground process group.
        (signal.SIGINT, True),
        # docker stop, Kubernetes, schedulers: the main process.
        (signal.SIGTERM, False),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_signal_during_a_node_records_the_run_killed(fresh, tmp_path, signum, to_group):
    log = tmp_path / "run.log"
    with kedro_run_started(fresh, log, "--params", SLOW_PARAMS) as process:
        run_id = wait_for_slow_node(fresh, lambda: process.poll() is None, log)
        if to_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        returncode = process.wait(timeout=120)

    assert returncode != 0, log.read_text()
    if signum == signal.SIGTERM:
        assert returncode == -signal.SIGTERM  # ended by the signal, as before
    assert_killed_without_model(fresh, run_id)


# Runs in the project's virtualenv: a real python3 kernel in notebooks/, the
# slow pipeline run in it, interrupted as Jupyter's "Interrupt" button does
# (SIGINT to the kernel), then a look at what MLflow holds in the kernel.
INTERRUPT_IN_KERNEL = """
import json
import sys
import time

import mlflow
from jupyter_client.manager import KernelManager

notebooks, store, slow_trees = sys.argv[1:4]
manager = KernelManager(kernel_name="python3")
manager.start_kernel(cwd=notebooks)
kernel = manager.client()
kernel.start_channels()
try:
    kernel.wait_for_ready(timeout=300)

    def run(code):
        printed = []
        def keep(message):
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
        reply = kernel.execute_interactive(code, timeout=600, output_hook=keep)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)

    # Loading the project creates the store (kedro-mlflow sets the experiment),
    # so polling it below cannot race MLflow's creation of its tables.
    run("%load_ext kedro.ipython")
    run(f'%reload_kedro --params "hyperparameters.n_estimators={slow_trees}"')
    msg_id = kernel.execute("session.run()")
    client = mlflow.MlflowClient(store)
    deadline = time.monotonic() + 300
    run_id = None
    while run_id is None and time.monotonic() < deadline:
        experiment = client.get_experiment_by_name(sys.argv[4])
        for found in [] if experiment is None else client.search_runs(
            [experiment.experiment_id]
        ):
            trees = found.data.params.get("hyperparameters.n_estimators")
            if found.info.status == "RUNNING" and trees == slow_trees:
                run_id = found.info.run_id
        time.sleep(0.5)
    assert run_id is not None, "the slow training node did not start"
    time.sleep(2)
    manager.interrupt_kernel()
    while True:
        reply = kernel.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    after = run("import mlflow; print(mlflow.active_run())")
    # The kernel is alive and idle: a run in a terminal must not wait for it.
    import pathlib, subprocess
    kedro = pathlib.Path(sys.executable).with_name("kedro")
    terminal = subprocess.run(
        [str(kedro), "run", "--pipelines", "preprocessing"],
        cwd=pathlib.Path(notebooks).parent, capture_output=True, text=True,
        timeout=240,
    )
    print(json.dumps({
        "terminal_run": terminal.returncode,
        "run_id": run_id,
        "status": reply["content"]["status"],
        "ename": reply["content"].get("ename"),
        "active_run": after.strip(),
    }))
finally:
    kernel.stop_channels()
    manager.shutdown_kernel(now=True)
"""


def test_interrupting_session_run_in_a_kernel_records_the_run_killed(fresh, tmp_path):
    # Empty IPython and Jupyter folders: no profile or kernel of the machine's.
    folders = {
        name: tmp_path / name.lower()
        for name in ("IPYTHONDIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR")
    }
    for folder in folders.values():
        folder.mkdir()
    store = f"sqlite:///{(fresh.path / 'mlflow.db').as_posix()}"
    result = fresh.run(
        "python",
        "-c",
        INTERRUPT_IN_KERNEL,
        str(fresh.path / "notebooks"),
        store,
        SLOW_TREES,
        DEFAULT_PACKAGE,
        timeout=900,
        **{name: str(folder) for name, folder in folders.items()},
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["status"] == "error"
    assert found["ename"] == "KeyboardInterrupt"
    assert found["active_run"] == "None"
    assert_killed_without_model(fresh, found["run_id"])
    # The lock was released with the run, although the kernel lives on.
    assert found["terminal_run"] == 0


def test_a_run_whose_process_was_killed_is_closed_by_the_next_run(fresh, tmp_path):
    """kill -9 (an out-of-memory kill, a lost machine) gives the process no
    chance to record anything: the next run of the project closes the run."""
    log = tmp_path / "run.log"
    with kedro_run_started(fresh, log, "--params", SLOW_PARAMS) as process:
        run_id = wait_for_slow_node(fresh, lambda: process.poll() is None, log)
        os.killpg(process.pid, signal.SIGKILL)  # no chance to record anything
        process.wait()
    assert client_of(fresh).get_run(run_id).info.status == "RUNNING"

    result = fresh.run("kedro", "run", "--pipelines", "preprocessing")

    assert f"Closed MLflow run {run_id}" in result.stdout + result.stderr
    client = client_of(fresh)
    closed = client.get_run(run_id)
    assert closed.info.status == "FAILED"
    assert "ended without closing the run" in closed.data.tags["kedro.closed_because"]
    experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
    statuses = {r.info.status for r in client.search_runs([experiment.experiment_id])}
    assert "RUNNING" not in statuses


def test_a_model_that_cannot_be_written_fails_the_run(fresh):
    """The nodes succeed, then kedro-mlflow cannot write the model (a full or
    broken artifact store): the run is FAILED, not KILLED or FINISHED."""
    fresh.run("kedro", "run", "--pipelines", "preprocessing")  # the experiment
    experiment = client_of(fresh).get_experiment_by_name(DEFAULT_PACKAGE)
    # Where MLflow 3 writes logged models: a file in its way breaks the write
    # (as root too, unlike permissions).
    location = experiment.artifact_location.removeprefix("file://")
    models = Path(location) / "models"
    assert models.is_relative_to(fresh.path)
    models.parent.mkdir(parents=True, exist_ok=True)
    models.write_text("not a folder\n")

    result = fresh.run("kedro", "run", check=False)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "recording the run in MLflow failed" in output
    client = client_of(fresh)
    (run,) = client.search_runs(
        [experiment.experiment_id], "tags.`kedro.pipeline` = '__default__'"
    )
    assert run.info.status == "FAILED"
    assert client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'") == []
    pending = client.search_logged_models([experiment.experiment_id])
    assert {model.status.value for model in pending} <= {"FAILED"}


def test_ctrl_c_as_soon_as_the_run_exists_records_it_killed(fresh, tmp_path):
    """Ctrl-C the moment kedro-mlflow says the run has started (on a loaded
    machine, before any node): the run is KILLED, never FINISHED or RUNNING."""
    log = tmp_path / "run.log"
    with kedro_run_started(fresh, log) as process:
        deadline = time.monotonic() + 300
        while "has started" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)
        returncode = process.wait(timeout=120)

    assert returncode != 0, log.read_text()
    client = client_of(fresh)
    experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "KILLED", log.read_text()
