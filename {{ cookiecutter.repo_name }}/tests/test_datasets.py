"""Tests of the project's own dataset types, against the test's throwaway
MLflow store (tests/conftest.py)."""

from __future__ import annotations

import pickle

import mlflow
import pytest
from kedro.io.core import DatasetError, Version
from matplotlib.figure import Figure

from {{ cookiecutter.python_package }}.datasets import (
    LoggedMatplotlibDataset,
    LoggedMetricsDataset,
    RegisteredModelDataset,
)
from {{ cookiecutter.python_package }}.pipelines.inference.model import (
    CHAMPION_ALIAS,
    REGISTERED_MODEL_NAME,
    log_model_kwargs,
)


@pytest.fixture
def registry(mlflow_store):
    """The test's empty MLflow tracking store and model registry."""
    return mlflow.MlflowClient(mlflow_store, mlflow_store)


def test_loading_before_training_says_to_train_first(registry):
    dataset = RegisteredModelDataset(model_name="churn", alias="champion")

    with pytest.raises(DatasetError) as error:
        dataset.load()

    message = str(error.value)
    assert "No model 'models:/churn@champion'" in message
    assert "train one with `kedro run`" in message
    assert "python scripts/promote.py" in message


def test_loading_before_promotion_says_to_promote(registry):
    registry.create_registered_model("churn")
    with mlflow.start_run() as run:
        registry.create_model_version("churn", f"runs:/{run.info.run_id}/x")
    dataset = RegisteredModelDataset(model_name="churn", alias="champion")

    with pytest.raises(DatasetError) as error:
        dataset.load()

    message = str(error.value)
    assert "make a registered version the champion" in message
    assert "python scripts/promote.py" in message
    assert "kedro run" not in message


def test_by_default_loads_the_champion_of_the_model_training_registers():
    dataset = RegisteredModelDataset()

    assert log_model_kwargs()["registered_model_name"] == REGISTERED_MODEL_NAME
    assert dataset.model_name == REGISTERED_MODEL_NAME
    assert dataset.alias == CHAMPION_ALIAS


def roc_like_figure() -> Figure:
    figure = Figure()
    figure.add_subplot().plot([0, 1], [0, 1])
    return figure


def test_plot_is_logged_to_the_active_run(registry, tmp_path):
    dataset = LoggedMatplotlibDataset(
        filepath=(tmp_path / "roc.png").as_posix(), artifact_path="plots"
    )
    with mlflow.start_run() as run:
        dataset.save(roc_like_figure())

    artifacts = [a.path for a in registry.list_artifacts(run.info.run_id, "plots")]
    assert artifacts == ["plots/roc.png"]
    assert (tmp_path / "roc.png").stat().st_size > 0


def test_plot_saved_outside_a_run_opens_no_run(registry, tmp_path):
    dataset = LoggedMatplotlibDataset(filepath=(tmp_path / "roc.png").as_posix())

    dataset.save(roc_like_figure())

    assert (tmp_path / "roc.png").exists()
    assert mlflow.active_run() is None
    assert registry.search_runs(["0"]) == []


def test_plot_dataset_can_be_sent_to_a_worker_process(tmp_path):
    # ParallelRunner pickles every dataset for its worker processes.
    dataset = LoggedMatplotlibDataset(
        filepath=(tmp_path / "roc.png").as_posix(), artifact_path="plots"
    )

    copy = pickle.loads(pickle.dumps(dataset))

    assert (copy.local_file, copy.artifact_path) == (dataset.local_file, "plots")


def test_versioned_plot_is_refused_in_one_line(tmp_path):
    with pytest.raises(DatasetError) as error:
        LoggedMatplotlibDataset(
            filepath=(tmp_path / "roc.png").as_posix(), version=Version(None, None)
        )

    assert "cannot be versioned" in str(error.value)
    assert "versioned: true" in str(error.value)


def test_metrics_are_logged_to_the_active_run_under_their_prefix(registry):
    dataset = LoggedMetricsDataset(prefix="data_quality")

    with mlflow.start_run() as run:
        assert not dataset.exists()
        dataset.save({"rows_in": 2500, "invalid.plan": 0})
        assert dataset.exists()
        assert dataset.load() == {"rows_in": 2500.0, "invalid.plan": 0.0}

    logged = registry.get_run(run.info.run_id).data.metrics
    assert logged == {"data_quality.rows_in": 2500.0, "data_quality.invalid.plan": 0.0}


def test_metrics_saved_outside_a_run_open_no_run(registry):
    LoggedMetricsDataset(prefix="data_quality").save({"rows_in": 1})

    assert mlflow.active_run() is None
    assert registry.search_experiments()[0].name == "Default"
    assert not registry.search_runs(["0"])
