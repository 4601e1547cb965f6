"""Slow tier: the baked project under Kedro's other runners, and two `kedro
run`s of one project started at once. Each test runs a copy of the session's
project that has never run."""

from __future__ import annotations

import json
import subprocess

import mlflow
import pytest
from conftest import DEFAULT_PACKAGE, Project
from test_project import assert_complete_training_run, runs_in

pytestmark = pytest.mark.slow

# Prints, for each registered version, the max_depth its run was given and the
# max_depth of the classifier packaged into its model (the model version's
# artifacts, as kedro-mlflow's pipeline_ml_factory stored them).
PACKAGED_DEPTHS = """
import json, pickle, sys
from pathlib import Path
import mlflow
from mlflow.artifacts import download_artifacts

client = mlflow.MlflowClient(sys.argv[1], sys.argv[1])
depths = {}
for version in client.search_model_versions(f"name = '{sys.argv[2]}'"):
    run = client.get_run(version.run_id)
    model = download_artifacts(artifact_uri=version.source, tracking_uri=sys.argv[1])
    with open(Path(model, "artifacts", "classifier.pkl"), "rb") as file:
        classifier = pickle.load(file)
    depths[version.run_id] = [
        int(run.data.params["hyperparameters.max_depth"]),
        classifier.named_steps["classifier"].max_depth,
    ]
print(json.dumps(depths))
"""


@pytest.fixture
def fresh(project: Project, tmp_path) -> Project:
    return project.fresh_copy(tmp_path / project.path.name)


def store_uri(project: Project) -> str:
    return f"sqlite:///{(project.path / 'mlflow.db').as_posix()}"


@pytest.mark.parametrize("runner", ["ParallelRunner", "ThreadRunner"])
def test_runner_records_one_complete_run(fresh: Project, runner: str):
    fresh.run("kedro", "run", "--runner", runner)

    runs = runs_in(fresh.path / "mlflow.db")
    assert len(runs) == 1, [run.info.run_name for run in runs]
    assert_complete_training_run(runs[0], fresh.path / "mlflow.db")
    client = mlflow.MlflowClient(store_uri(fresh), store_uri(fresh))
    versions = client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'")
    assert [v.run_id for v in versions] == [runs[0].info.run_id]


def test_two_runs_at_once_both_succeed_with_their_own_model(fresh: Project):
    depths = ("3", "12")
    started = [
        subprocess.Popen(
            [
                str(fresh.bin / "kedro"),
                "run",
                "--params",
                f"hyperparameters.max_depth={depth}",
            ],
            cwd=fresh.path,
            env=fresh.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for depth in depths
    ]
    outputs = [process.communicate(timeout=900)[0] for process in started]

    for process, output in zip(started, outputs):
        assert process.returncode == 0, output[-4000:]
    assert sum("Waiting for another pipeline run" in out for out in outputs) <= 1
    runs = runs_in(fresh.path / "mlflow.db")
    assert sorted(run.data.params["hyperparameters.max_depth"] for run in runs) == [
        "12",
        "3",
    ]
    for run in runs:
        assert_complete_training_run(run, fresh.path / "mlflow.db")
    # One after the other: the second starts when the first has ended.
    first, second = sorted(runs, key=lambda run: run.info.start_time)
    assert first.info.end_time <= second.info.start_time
    # Each registered model holds the classifier its own run trained.
    packaged = json.loads(
        fresh.run(
            "python", "-c", PACKAGED_DEPTHS, store_uri(fresh), DEFAULT_PACKAGE
        ).stdout.splitlines()[-1]
    )
    assert sorted(packaged) == sorted(run.info.run_id for run in runs)
    for given, trained in packaged.values():
        assert given == trained


def test_spawned_workers_log_into_a_second_run_as_the_docs_say(fresh: Project):
    # A known limit in the baked docs/tracking.md: worker processes that are
    # spawned, not forked, have no MLflow run of their parent's, so
    # kedro-mlflow's logging in them opens another. If this starts failing,
    # update that page.
    fresh.run("kedro", "run", "--runner", "ParallelRunner", KEDRO_MP_CONTEXT="spawn")

    runs = {run.info.run_name: run for run in runs_in(fresh.path / "mlflow.db")}
    assert len(runs) == 2
    pipeline_run = runs.pop("__default__")
    (worker_run,) = runs.values()
    assert pipeline_run.info.status == "FINISHED"
    assert pipeline_run.data.metrics == {}
    assert "metrics.roc_auc" in worker_run.data.metrics
