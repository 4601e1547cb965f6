"""Slow tier: the baked project, installed from its requirements.txt, run for real."""

from __future__ import annotations

import re
import shutil
import tarfile
from pathlib import Path

import mlflow
import pytest
from conftest import DEFAULT_PACKAGE, Project, make_venv, warning_lines

pytestmark = pytest.mark.slow


def runs_in(store: Path, experiment: str = DEFAULT_PACKAGE) -> list:
    """Every run of `experiment` in the SQLite store at `store`, newest first."""
    client = mlflow.MlflowClient(f"sqlite:///{store.as_posix()}")
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    return client.search_runs([found.experiment_id], order_by=["start_time DESC"])


def new_runs(store: Path, before: list) -> list:
    seen = {run.info.run_id for run in before}
    return [run for run in runs_in(store) if run.info.run_id not in seen]


def assert_complete_training_run(run, store: Path) -> None:
    """A FINISHED run with the pipeline's parameters, metrics, plot and model."""
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["hyperparameters.n_estimators"] == "200"
    assert params["split.test_size"] == "0.25"
    metrics = run.data.metrics
    # The model learned something: clearly better than the trivial baseline.
    assert metrics["metrics.roc_auc"] >= metrics["metrics.baseline_roc_auc"] + 0.15
    assert metrics["metrics.accuracy"] >= metrics["metrics.baseline_accuracy"]
    assert run.data.tags["kedro.interactive"] == "false"
    client = mlflow.MlflowClient(f"sqlite:///{store.as_posix()}")
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert "plots/roc_curve.png" in artifacts
    models = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
    )
    # The inference pipeline as one model (pipelines/inference/model.py).
    assert [m.name for m in models] == ["churn_model"]


@pytest.fixture(scope="module")
def first_run(project: Project):
    """The very first `kedro run` of a freshly baked and installed project."""
    assert not (project.path / "mlflow.db").exists()
    return project.run("kedro", "run")


def test_first_kedro_run_records_one_complete_run(project, first_run):
    runs = runs_in(project.path / "mlflow.db")
    assert len(runs) == 1
    assert runs[0].info.run_name == "__default__"
    assert_complete_training_run(runs[0], project.path / "mlflow.db")


def test_first_kedro_run_prints_no_warnings(first_run):
    assert not warning_lines(first_run)


def test_first_kedro_run_keeps_to_the_project_store(project, first_run):
    assert (project.path / "mlartifacts").is_dir()
    assert not list(project.path.rglob("mlruns"))
    assert sorted(p.name for p in project.path.rglob("mlflow.db")) == ["mlflow.db"]


def test_each_kedro_run_adds_exactly_one_run(project, first_run):
    store = project.path / "mlflow.db"
    before = runs_in(store)
    project.run("kedro", "run", "--pipelines", "training")
    added = new_runs(store, before)
    assert [run.info.run_name for run in added] == ["training"]
    assert_complete_training_run(added[0], store)


def test_kedro_run_from_a_subfolder_uses_the_project_store(project, first_run):
    store = project.path / "mlflow.db"
    before = runs_in(store)
    project.run(
        "kedro", "run", "--pipelines", "preprocessing", cwd=project.path / "notebooks"
    )
    assert [run.info.run_name for run in new_runs(store, before)] == ["preprocessing"]
    assert not (project.path / "notebooks" / "mlflow.db").exists()


def test_mlflow_tracking_uri_sends_runs_elsewhere(project, first_run, tmp_path):
    store = project.path / "mlflow.db"
    before = runs_in(store)
    elsewhere = tmp_path / "elsewhere.db"
    project.run(
        "kedro",
        "run",
        "--pipelines",
        "preprocessing",
        MLFLOW_TRACKING_URI=f"sqlite:///{elsewhere.as_posix()}",
    )
    assert [run.info.run_name for run in runs_in(elsewhere)] == ["preprocessing"]
    assert new_runs(store, before) == []


def test_params_override_is_tracked(project, first_run):
    store = project.path / "mlflow.db"
    before = runs_in(store)
    project.run(
        "kedro",
        "run",
        "--pipelines",
        "training",
        "--params",
        "hyperparameters.max_depth=3",
    )
    (run,) = new_runs(store, before)
    assert run.data.params["hyperparameters.max_depth"] == "3"


@pytest.fixture
def project_copy(project, tmp_path) -> Project:
    """A throwaway copy of the baked project (same venv), to break things in."""
    return project.fresh_copy(tmp_path / project.path.name)


def test_missing_input_data_fails_and_is_recorded_failed(project_copy):
    (project_copy.path / "data" / "01_raw" / "customers.csv").unlink()
    result = project_copy.run("kedro", "run", check=False)
    assert result.returncode != 0
    assert "customers.csv" in result.stdout + result.stderr
    (run,) = runs_in(project_copy.path / "mlflow.db")
    assert run.info.status == "FAILED"
    assert run.info.end_time is not None


def test_baked_project_tests_pass(project_copy):
    result = project_copy.run("pytest", "-q", "-p", "no:cacheprovider")
    assert re.search(r"\d+ passed", result.stdout), result.stdout
    assert " failed" not in result.stdout
    assert " skipped" not in result.stdout


def test_baked_project_passes_its_own_linters(project_copy):
    project_copy.run("ruff", "check", ".")
    project_copy.run("ruff", "format", "--check", ".")


def test_packaged_project_runs_from_a_deployment_folder(project_copy, tmp_path):
    project_copy.run("kedro", "package")
    dist = project_copy.path / "dist"
    (wheel,) = dist.glob(f"{DEFAULT_PACKAGE}-*.whl")
    (conf_archive,) = dist.glob(f"conf-{DEFAULT_PACKAGE}.tar.gz")
    with tarfile.open(conf_archive) as archive:
        assert "conf/base/mlflow.yml" in archive.getnames()

    deploy = tmp_path / "deploy"
    shutil.copytree(project_copy.path / "data" / "01_raw", deploy / "data" / "01_raw")
    shutil.copy(conf_archive, deploy)
    # A fresh virtualenv with the wheel alone: what a deployment gets.
    deployed = Project(path=deploy, venv=make_venv(tmp_path / "venv", str(wheel)))
    result = deployed.run(
        "python", "-m", DEFAULT_PACKAGE, "--conf-source", conf_archive.name
    )
    assert not warning_lines(result)
    (run,) = runs_in(deploy / "mlflow.db")
    assert_complete_training_run(run, deploy / "mlflow.db")
    assert (deploy / "mlartifacts").is_dir()
