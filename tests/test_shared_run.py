"""One MLflow run filled by several processes, without Airflow: the contract
an orchestrator's tasks rely on (docs/deploy.md), and the project's DAG
template rendered by kedro-airflow.

Runs the baked project in the template's own test environment (it has the
project's runtime packages and kedro-airflow), against a throwaway SQLite
store. The slow tier runs the generated DAG with Airflow (test_airflow.py).
"""

from __future__ import annotations

import ast
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DEFAULT_PACKAGE, clean_env

BIN = Path(sys.executable).parent
PREPROCESSING_NODES = (
    "preprocess_customers_node,create_features_node,create_model_input_table_node"
)
TRAINING_NODES = (
    "drop_duplicate_customers_node,split_data_node,train_model_node,"
    "evaluate_model_node,plot_roc_curve_node"
)


@pytest.fixture(scope="module")
def churn(bake, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A baked project and the environment to run it with: its own store."""
    store = tmp_path_factory.mktemp("store") / "mlflow.db"
    return bake(), clean_env(MLFLOW_TRACKING_URI=f"sqlite:///{store}")


def run(project: Path, env: dict[str, str], *args: str, **extra: str):
    result = subprocess.run(
        [*args],
        cwd=project,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result


def shared_run(project: Path, env: dict[str, str], *args: str):
    return run(project, env, sys.executable, "scripts/shared_run.py", *args)


def kedro(project: Path, env: dict[str, str], *args: str, **extra: str):
    return run(project, env, str(BIN / "kedro"), *args, **extra)


def output(result: subprocess.CompletedProcess) -> str:
    return f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_two_kedro_runs_fill_one_run_that_only_close_ends(churn):
    import mlflow  # noqa: PLC0415 (heavy)

    project, env = churn
    opened = shared_run(
        project, env, "open", "--name", "nightly", "--tag", "team=churn"
    )
    assert opened.returncode == 0, output(opened)
    run_id = opened.stdout.strip()
    assert len(run_id) == 32 and run_id.isalnum(), output(opened)

    halves = (
        ("--pipeline", "preprocessing", "--nodes", PREPROCESSING_NODES),
        ("--nodes", TRAINING_NODES),  # __default__, which logs the model
    )
    for half in halves:
        result = kedro(project, env, "run", *half, MLFLOW_RUN_ID=run_id)
        assert result.returncode == 0, output(result)
    # A task that fails (its inputs were never made) leaves the run open too.
    failed = kedro(
        project, env, "run", "--nodes", "train_model_node", MLFLOW_RUN_ID=run_id
    )
    assert failed.returncode != 0

    client = mlflow.MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.run_id for r in runs] == [run_id]
    shared = runs[0]
    assert shared.info.run_name == "nightly"
    assert shared.info.status == "RUNNING"
    assert shared.data.tags["team"] == "churn"
    params = shared.data.params
    assert "column_types.date" in params  # preprocessing's half
    assert "hyperparameters.max_depth" in params  # training's half
    assert "metrics.roc_auc" in shared.data.metrics
    models = client.search_logged_models(
        experiment_ids=[experiment.experiment_id],
        filter_string=f"source_run_id = '{run_id}'",
    )
    assert len(models) == 1
    (version,) = client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'")
    assert version.run_id == run_id

    closed = shared_run(
        project, env, "close", run_id, "--status", "FINISHED", "--tag", "by=ci"
    )
    assert closed.returncode == 0, output(closed)
    assert closed.stdout == f"MLflow run {run_id}: FINISHED\n"
    ended = client.get_run(run_id)
    assert ended.info.status == "FINISHED"
    assert ended.data.tags["by"] == "ci"


def test_a_stopped_task_leaves_the_run_killed_until_it_is_closed(churn, tmp_path):
    """SIGTERM to a task's `kedro run` while a node runs (what Airflow sends
    when a DAG run is stopped): the run is KILLED, tagged with the process and
    its nodes, and stays so while other tasks come and go; `close` still
    ends it as its caller says."""
    import mlflow  # noqa: PLC0415 (heavy)

    project, env = churn
    client = mlflow.MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    opened = shared_run(project, env, "open", "--name", "stopped")
    assert opened.returncode == 0, output(opened)
    run_id = opened.stdout.strip()
    made = kedro(
        project, env, "run", "--pipeline", "preprocessing", MLFLOW_RUN_ID=run_id
    )
    assert made.returncode == 0, output(made)

    log = tmp_path / "task.log"
    with log.open("w") as task_log:
        task = subprocess.Popen(
            [str(BIN / "kedro"), "run", "--nodes", TRAINING_NODES,
             "--params", "hyperparameters.n_estimators=20000"],
            cwd=project, env={**env, "MLFLOW_RUN_ID": run_id},
            stdout=task_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        # kedro-mlflow logs a node's parameters just before the node runs.
        while (
            client.get_run(run_id).data.params.get("hyperparameters.n_estimators")
            != "20000"
        ):
            assert task.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        time.sleep(2)  # inside the forest of 20,000 trees: minutes
        task.send_signal(signal.SIGTERM)
        returncode = task.wait(timeout=120)
    finally:
        if task.poll() is None:
            task.kill()
            task.wait()
    assert returncode == -signal.SIGTERM, log.read_text()

    stopped = client.get_run(run_id)
    assert stopped.info.status == "KILLED", log.read_text()
    assert stopped.info.run_name == "stopped"
    where = f"{socket.gethostname()}.{task.pid}"
    assert stopped.data.tags[f"kedro.failed.{where}"] == f"KILLED: {TRAINING_NODES}"
    # A task that ends well afterwards does not make it RUNNING again.
    later = kedro(
        project, env, "run", "--pipeline", "preprocessing",
        "--nodes", "preprocess_customers_node", MLFLOW_RUN_ID=run_id,
    )  # fmt: skip
    assert later.returncode == 0, output(later)
    assert client.get_run(run_id).info.status == "KILLED"

    kept = shared_run(
        project, env, "close", run_id, "--status", "FAILED", "--keep-killed"
    )
    assert kept.stdout == f"MLflow run {run_id}: KILLED\n", output(kept)
    assert client.get_run(run_id).info.status == "KILLED"
    for status in ("FAILED", "FINISHED"):  # the closing task has the last word
        closed = shared_run(project, env, "close", run_id, "--status", status)
        assert closed.returncode == 0, output(closed)
        assert client.get_run(run_id).info.status == status


def test_close_names_a_run_that_does_not_exist(churn):
    project, env = churn
    result = shared_run(project, env, "close", "0" * 32, "--status", "FAILED")
    assert result.returncode != 0
    assert f"Error: No MLflow run '{'0' * 32}' at sqlite:///" in result.stderr


def test_open_refuses_a_tag_without_a_value(churn):
    project, env = churn
    result = shared_run(project, env, "open", "--name", "x", "--tag", "team")
    assert result.returncode == 2
    assert "'team' is not KEY=VALUE" in result.stderr


def test_dag_template_makes_one_run_per_dag_run(churn, tmp_path):
    project, env = churn
    result = kedro(
        project, env, "airflow", "create", "--env", "server", "--group-by", "memory",
        "--jinja-file", "airflow/dag_template.j2", "--target-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    (dag_file,) = tmp_path.glob("*.py")
    source = dag_file.read_text()
    tree = ast.parse(source)
    compile(tree, str(dag_file), "exec")

    tasks = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and getattr(decorator.func, "id", "") == "task"
                ):
                    keywords = {
                        k.arg: ast.literal_eval(k.value) for k in decorator.keywords
                    }
                    tasks[keywords["task_id"]] = (node, keywords)
    training_task = TRAINING_NODES.replace("_", "-").replace(",", "-")
    assert list(tasks) == [
        "open_mlflow_run",
        "preprocess-customers-node",
        "create-features-node",
        "create-model-input-table-node",
        training_task,
        "close_mlflow_run",
    ]
    assert tasks["open_mlflow_run"][1]["retries"] == 0
    assert tasks["close_mlflow_run"][1]["retries"] == 0
    # A teardown: Airflow runs it even once the DAG run is marked failed, and
    # judges the DAG run by it (test_airflow.py).
    assert (
        "close_mlflow_run(mlflow_run_id).as_teardown(on_failure_fail_dagrun=True)"
        in source
    )
    for task_id in tasks:
        if task_id != "open_mlflow_run":
            args = [a.arg for a in tasks[task_id][0].args.args]
            assert args == ["mlflow_run_id"], task_id
    assert f'"{TRAINING_NODES}"' in source  # the model's nodes in one task
    assert 'ENV = "server"' in source
    assert f'PACKAGE = "{DEFAULT_PACKAGE}"' in source
