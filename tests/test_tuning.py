"""Slow tier: the tuning pipeline's study shared by workers that run at once,
on SQLite and on PostgreSQL, a worker killed in the middle of a trial, and the
training run that uses the study's best values.

Trials are kept small (20 trees, 2 folds). Studies and runs are read back in
the project's own virtualenv (optuna and mlflow), as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import Project, free_port

pytestmark = pytest.mark.slow

SMALL = "tuning.cv=2,hyperparameters.n_estimators=20"
FAIL_FAST_SECONDS = 60

# Prints the study's trials and the MLflow runs of the project's experiment.
READ_BACK = """
import json, sys, mlflow, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study_name, storage, tracking = sys.argv[1:4]
study = optuna.load_study(study_name=study_name, storage=storage)
mlflow.set_tracking_uri(tracking)
runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
print(json.dumps({
    "parent": study.user_attrs.get("mlflow_parent_run_id"),
    "trials": [
        {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params}
        for t in study.trials
    ],
    "runs": [
        {"id": r.info.run_id, "name": r.info.run_name, "status": r.info.status,
         "params": r.data.params, "metrics": r.data.metrics, "tags": r.data.tags}
        for r in runs
    ],
}))
"""


def read_back(project: Project, study: str, storage: str, tracking: str) -> dict:
    result = project.run("python", "-c", READ_BACK, study, storage, tracking)
    return json.loads(result.stdout.strip().splitlines()[-1])


def sqlite_uri(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def output(stdout: str, stderr: str) -> str:
    return f"--- stdout\n{stdout}\n--- stderr\n{stderr}"


def start_worker(project: Project, params: str, *args: str, **env: str):
    return subprocess.Popen(
        [
            str(project.bin / "kedro"),
            *("run", "--pipelines", "tuning", *args),
            *("--params", f"{params},{SMALL}"),
        ],
        cwd=project.path,
        env=project.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(worker: subprocess.Popen) -> str:
    stdout, stderr = worker.communicate(timeout=600)
    assert worker.returncode == 0, output(stdout, stderr)
    return stdout + stderr


def assert_one_finished_study(state: dict, trials: int) -> dict:
    """`trials` complete trials, one FINISHED parent run with a child run per
    trial, each with its values, score and autolog's record; nothing RUNNING.
    Returns the best trial."""
    assert [t["state"] for t in state["trials"]] == ["COMPLETE"] * trials
    runs = {run["id"]: run for run in state["runs"]}
    assert [r for r in runs.values() if r["status"] == "RUNNING"] == []
    parent = runs[state["parent"]]
    assert parent["status"] == "FINISHED"
    studies = [r for r in runs.values() if r["name"].startswith("study ")]
    assert [r["id"] for r in studies] == [state["parent"]]
    children = [
        r for r in runs.values() if r["tags"].get("mlflow.parentRunId") == parent["id"]
    ]
    assert len(children) == trials
    by_number = {int(r["tags"]["tuning.trial"]): r for r in children}
    for trial in state["trials"]:
        child = by_number[trial["number"]]
        assert child["status"] == "FINISHED"
        for name, value in trial["params"].items():
            assert child["params"][name] == str(value)
        assert child["metrics"]["mean_test_score"] == pytest.approx(trial["value"])
        assert "training_roc_auc" in child["metrics"]  # mlflow.sklearn.autolog()
        assert child["params"]["classifier__max_depth"] == str(
            trial["params"]["max_depth"]
        )
    best = max(state["trials"], key=lambda t: t["value"])
    assert parent["metrics"]["best_mean_test_score"] == pytest.approx(best["value"])
    assert parent["tags"]["tuning.best_trial"] == str(best["number"])
    assert parent["tags"]["tuning.best.max_depth"] == str(best["params"]["max_depth"])
    return best


@pytest.fixture(scope="module")
def tuning_project(project, tmp_path_factory) -> Project:
    """A fresh copy of the project with its model input table."""
    copy = project.fresh_copy(tmp_path_factory.mktemp("tuning") / "project")
    copy.run("kedro", "run", "--pipelines", "preprocessing")
    return copy


def test_two_workers_share_one_study_whose_best_values_train_next(tuning_project):
    project = tuning_project
    workers = [start_worker(project, "tuning.n_trials=4") for _ in range(2)]
    for worker in workers:
        finish(worker)

    state = read_back(
        project,
        "random_forest",
        sqlite_uri(project.path / "optuna.db"),
        sqlite_uri(project.path / "mlflow.db"),
    )
    best = assert_one_finished_study(state, trials=8)
    # Seeded per trial: the two workers did not draw the same candidates.
    drawn = [tuple(sorted(t["params"].items())) for t in state["trials"]]
    assert len(set(drawn)) == len(drawn)

    local = yaml.safe_load(
        (project.path / "conf" / "local" / "parameters_training.yml").read_text()
    )
    assert local["hyperparameters"]["max_depth"] == best["params"]["max_depth"]
    assert local["tuned_by"]["trial"] == best["number"]

    project.run("kedro", "run", "--pipelines", "training")
    after = read_back(
        project,
        "random_forest",
        sqlite_uri(project.path / "optuna.db"),
        sqlite_uri(project.path / "mlflow.db"),
    )
    (training,) = [r for r in after["runs"] if r["name"] == "training"]
    assert training["status"] == "FINISHED"
    for name, value in best["params"].items():
        assert training["params"][f"hyperparameters.{name}"] == str(value)
    assert training["tags"]["tuning.study"] == "random_forest"
    assert training["tags"]["tuning.trial"] == str(best["number"])


def running_child_of(mlflow_db: Path, study: str) -> bool:
    """Whether a trial's child run of `study` is RUNNING (read with sqlite3)."""
    if not mlflow_db.exists():
        return False
    query = """
        SELECT COUNT(*) FROM runs
        JOIN tags AS parent ON parent.run_uuid = runs.run_uuid
            AND parent.key = 'mlflow.parentRunId'
        JOIN tags AS name ON name.run_uuid = runs.run_uuid
            AND name.key = 'tuning.study' AND name.value = ?
        WHERE runs.status = 'RUNNING'
    """
    try:
        with sqlite3.connect(mlflow_db, timeout=1) as connection:
            return connection.execute(query, (study,)).fetchone()[0] > 0
    except sqlite3.OperationalError:  # not created yet, or busy
        return False


def test_a_worker_killed_mid_trial_leaves_its_trial_failed_and_run_closed(
    tuning_project,
):
    project = tuning_project
    study = "killed"
    settings = (
        f"tuning.study_name={study},tuning.heartbeat_interval=1,tuning.grace_period=2"
    )
    doomed = start_worker(project, f"tuning.n_trials=3,{settings}")
    deadline = time.monotonic() + 300
    while not running_child_of(project.path / "mlflow.db", study):
        assert doomed.poll() is None, output(*doomed.communicate())
        assert time.monotonic() < deadline, "no trial started"
        time.sleep(0.1)
    os.killpg(doomed.pid, signal.SIGKILL)  # no chance to clean up
    doomed.communicate(timeout=60)

    survivor = finish(start_worker(project, f"tuning.n_trials=1,{settings}"))
    # The next worker closes the dead one's run: the project's rule for any
    # run a dead process left RUNNING (mlflow_wiring/run.py), or Optuna's
    # sweep of stale trials (pipelines/tuning/study.py), whichever comes first.
    assert (
        "Trial 0 of study 'killed' lost its worker" in survivor
        or "without closing it" in survivor
    ), survivor

    state = read_back(
        project,
        study,
        sqlite_uri(project.path / "optuna.db"),
        sqlite_uri(project.path / "mlflow.db"),
    )
    assert [t["state"] for t in state["trials"]] == ["FAIL", "COMPLETE"]
    runs = [r for r in state["runs"] if r["tags"].get("tuning.study") == study]
    assert [r for r in runs if r["status"] == "RUNNING"] == []
    statuses = {r["tags"].get("tuning.trial", "parent"): r["status"] for r in runs}
    assert statuses["0"] in {"KILLED", "FAILED"}
    assert statuses == {**statuses, "1": "FINISHED", "parent": "FINISHED"}


def test_two_machines_share_one_study_on_postgresql(
    project, postgres, tmp_path_factory
):
    # Two copies of the project: two machines, each with its own run lock,
    # one study in PostgreSQL, one tracking store.
    home = tmp_path_factory.mktemp("machines")
    tracking = sqlite_uri(home / "mlflow.db")
    storage = f"postgresql+psycopg://{postgres.role}@127.0.0.1:{postgres.port}/optuna"
    machines = [project.fresh_copy(home / name) for name in ("first", "second")]
    machines[0].run(
        "kedro", "run", "--pipelines", "preprocessing", MLFLOW_TRACKING_URI=tracking
    )
    table = Path("data", "05_model_input", "model_input_table.parquet")
    shutil.copy(machines[0].path / table, machines[1].path / table)
    for machine in machines:
        (machine.path / "conf" / "local" / "credentials.yml").write_text(
            yaml.safe_dump({"optuna_storage": {"PGPASSWORD": postgres.password}})
        )

    workers = [
        start_worker(
            machine,
            "tuning.n_trials=4",
            "--env",
            "server",
            OPTUNA_STORAGE=storage,
            MLFLOW_TRACKING_URI=tracking,
        )
        for machine in machines
    ]
    outputs = [finish(worker) for worker in workers]
    assert not [text for text in outputs if postgres.password in text]

    state = read_back(machines[0], "random_forest", postgres.uri("optuna"), tracking)
    assert_one_finished_study(state, trials=8)
    for machine in machines:
        local = machine.path / "conf" / "local" / "parameters_training.yml"
        assert yaml.safe_load(local.read_text())["tuned_by"]["study"] == "random_forest"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            "tuning.search_space.max_dept.low=1",
            "Error: tuning.search_space (conf/base/parameters_tuning.yml): max_dept "
            "is not a hyperparameter of RandomForestClassifier (did you mean max_depth?).",
        ),
        (
            "tuning.search_space.max_depth.low=20",
            "Error: tuning.search_space (conf/base/parameters_tuning.yml): max_depth: "
            "empty range, low 20 > high 12.",
        ),
        (
            "tuning_storage.url=postgresql+psycopg://ann:s3cret@127.0.0.1:{port}/optuna",
            "Error: Cannot use the Optuna storage at "
            "postgresql+psycopg://ann:***@127.0.0.1:{port}/optuna: ",
        ),
    ],
    ids=["unknown-hyperparameter", "empty-range", "unreachable-storage"],
)
def test_bad_input_is_refused_before_any_trial_in_one_line(
    tuning_project, params, error
):
    port = free_port()
    study = f"refused-{port}"
    start = time.monotonic()
    result = tuning_project.run(
        "kedro",
        "run",
        "--pipelines",
        "tuning",
        "--params",
        f"{params.format(port=port)},tuning.study_name={study}",
        check=False,
    )
    assert time.monotonic() - start < FAIL_FAST_SECONDS
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(error.format(port=port)), output(
        result.stdout, result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert f"'{study}'" not in result.stdout + result.stderr  # no study was made
