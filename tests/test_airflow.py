"""Slow tier: the project's DAG template, run by Airflow itself.

Airflow 3 gets a virtualenv of its own with the baked project installed as a
package (as a deployment has it) and kedro-airflow; `kedro airflow create`
renders airflow/dag_template.j2, and `airflow dags test` runs the DAG once,
with a SQLite metadata database in a throwaway AIRFLOW_HOME, against a
throwaway MLflow store. One DAG run must be one MLflow run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DEFAULT_PACKAGE, clean_env, commit_to_git, make_venv

pytestmark = pytest.mark.slow

DAG_ID = DEFAULT_PACKAGE.replace("_", "-")  # kedro-airflow slugifies the package
AIRFLOW = ("apache-airflow>=3,<4", "kedro-airflow>=0.11,<1")
TRAINING_NODES = (
    "drop_duplicate_customers_node,split_data_node,train_model_node,"
    "evaluate_model_node,plot_roc_curve_node"
)
TRAINING_TASK = TRAINING_NODES.replace("_", "-").replace(",", "-")


@dataclass
class Deployment:
    project: Path
    venv: Path
    home: Path
    store: str
    install_seconds: float

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(
            self.venv,
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.home / "dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            MLFLOW_TRACKING_URI=self.store,
            **extra,
        )

    def program(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.program(args[0]), *args[1:]],
            cwd=cwd or self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )


def output(result: subprocess.CompletedProcess) -> str:
    return f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"


@pytest.fixture(scope="module")
def deployment(bake, tmp_path_factory) -> Deployment:
    """Airflow's virtualenv with the project in it, its metadata database, and
    the DAG made from the project's template."""
    project = commit_to_git(bake())
    root = tmp_path_factory.mktemp("airflow")
    start = time.monotonic()
    venv = make_venv(root / "venv", *AIRFLOW, str(project))
    deployed = Deployment(
        project=project,
        venv=venv,
        home=root / "home",
        store=f"sqlite:///{root / 'mlflow.db'}",
        install_seconds=time.monotonic() - start,
    )
    created = deployed.run(
        "kedro", "airflow", "create", "--group-by", "memory",
        "--jinja-file", "airflow/dag_template.j2",
        "--target-dir", str(deployed.home / "dags"),
    )  # fmt: skip
    assert created.returncode == 0, output(created)
    migrated = deployed.run("airflow", "db", "migrate")
    assert migrated.returncode == 0, output(migrated)
    return deployed


def shared_runs(deployed: Deployment) -> list:
    from mlflow import MlflowClient  # noqa: PLC0415 (heavy)

    client = MlflowClient(tracking_uri=deployed.store)
    experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
    if experiment is None:  # before the first run
        return []
    return client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`airflow.dag_id` = '{DAG_ID}'"
    )


def test_one_dag_run_is_one_finished_mlflow_run_with_the_model(deployment):
    print(f"Airflow and the project installed in {deployment.install_seconds:.0f} s")  # noqa: T201
    result = deployment.run("airflow", "dags", "test", DAG_ID)
    assert result.returncode == 0, output(result)

    from mlflow import MlflowClient  # noqa: PLC0415

    (run,) = shared_runs(deployment)
    assert run.info.status == "FINISHED"
    dag_run_id = run.data.tags["airflow.dag_run_id"]
    assert run.info.run_name == f"{DAG_ID} {dag_run_id}"
    assert run.data.tags["kedro.pipeline"] == "__default__"
    assert run.data.tags["kedro.package_version"]
    assert "column_types.date" in run.data.params  # a preprocessing task's
    assert "hyperparameters.max_depth" in run.data.params  # the training task's
    assert "metrics.roc_auc" in run.data.metrics
    client = MlflowClient(tracking_uri=deployment.store)
    experiment_runs = client.search_runs([run.info.experiment_id])
    assert [r.info.run_id for r in experiment_runs] == [run.info.run_id]
    (version,) = client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'")
    assert version.run_id == run.info.run_id


def test_a_failed_task_closes_the_run_failed(deployment):
    raw = deployment.project / "data" / "01_raw" / "customers.csv"
    kept = raw.with_suffix(".kept")
    shutil.move(raw, kept)  # the first node task cannot read its input
    try:
        before = {r.info.run_id for r in shared_runs(deployment)}
        result = deployment.run("airflow", "dags", "test", DAG_ID)
    finally:
        shutil.move(kept, raw)
    assert result.returncode != 0
    (run,) = [r for r in shared_runs(deployment) if r.info.run_id not in before]
    assert run.info.status == "FAILED", output(result)
    failed = run.data.tags["airflow.failed_tasks"].split(",")
    assert "preprocess-customers-node" in failed  # and those after it


# What Airflow's API does on "mark the DAG run failed" (PATCH .../dagRuns/{id}
# with state=failed): running tasks become failed, tasks not yet run skipped,
# teardown tasks are left to run.
MARK_FAILED = """
import sys
from airflow.api.common.mark_tasks import set_dag_run_state_to_failed
from airflow.models.dagrun import DagRun
from airflow.models.serialized_dag import SerializedDagModel
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState

with create_session() as session:
    (run,) = DagRun.find(dag_id=sys.argv[1], state=DagRunState.RUNNING, session=session)
    dag = SerializedDagModel.get_dag(sys.argv[1], session=session)
    set_dag_run_state_to_failed(dag=dag, run_id=run.run_id, commit=True, session=session)
"""


def test_a_dag_run_stopped_while_a_node_runs_closes_the_run_killed(
    deployment, tmp_path
):
    """The DAG run is marked failed while the training task fits a slow model;
    Airflow then signals the task's process group (SIGTERM, SIGKILL a few
    seconds later), as its supervisor does once the API says the task is no
    longer running. `airflow dags test` runs tasks in its own process, so the
    test signals that process's group."""
    params = deployment.project / "conf" / "base" / "parameters_training.yml"
    kept = params.read_text()
    assert "n_estimators: 200\n" in kept
    params.write_text(kept.replace("n_estimators: 200\n", "n_estimators: 20000\n"))
    log = tmp_path / "dags-test.log"
    before = {r.info.run_id for r in shared_runs(deployment)}
    try:
        with log.open("w") as out:
            dag_test = subprocess.Popen(
                [deployment.program("airflow"), "dags", "test", DAG_ID],
                cwd=deployment.project, env=deployment.env(),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 600
            # kedro-mlflow logs a node's parameters just before the node runs.
            while not [
                r
                for r in shared_runs(deployment)
                if r.info.run_id not in before
                and r.data.params.get("hyperparameters.n_estimators") == "20000"
            ]:
                assert dag_test.poll() is None, log.read_text()[-6000:]
                assert time.monotonic() < deadline, log.read_text()[-6000:]
                time.sleep(1)
            time.sleep(2)  # inside the forest of 20,000 trees: minutes
            marked = subprocess.run(
                [deployment.program("python"), "-c", MARK_FAILED, DAG_ID],
                env=deployment.env(), capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert marked.returncode == 0, output(marked)
            os.killpg(dag_test.pid, signal.SIGTERM)
            returncode = dag_test.wait(timeout=300)
        finally:
            if dag_test.poll() is None:
                os.killpg(dag_test.pid, signal.SIGKILL)
                dag_test.wait()
    finally:
        params.write_text(kept)

    assert returncode != 0, log.read_text()[-6000:]  # the DAG run failed
    (run,) = [r for r in shared_runs(deployment) if r.info.run_id not in before]
    assert run.info.status == "KILLED", log.read_text()[-6000:]
    stopped = [v for k, v in run.data.tags.items() if k.startswith("kedro.failed.")]
    assert stopped == [f"KILLED: {TRAINING_NODES}"]
    assert run.data.tags["airflow.failed_tasks"] == TRAINING_TASK  # closed by it

    from mlflow import MlflowClient  # noqa: PLC0415

    client = MlflowClient(tracking_uri=deployment.store)
    versions = client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'")
    assert run.info.run_id not in {v.run_id for v in versions}
