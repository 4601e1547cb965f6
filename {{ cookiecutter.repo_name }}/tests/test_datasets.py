"""Tests of the project's own dataset types, against the test's throwaway
MLflow store (tests/conftest.py)."""

from __future__ import annotations

import mlflow
import pytest
from kedro.io.core import DatasetError

from {{ cookiecutter.python_package }}.datasets import RegisteredModelDataset
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
    assert dataset.model_uri == f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"


def test_a_version_replaces_the_default_alias():
    dataset = RegisteredModelDataset(stage_or_version=3)

    assert dataset.model_uri == f"models:/{REGISTERED_MODEL_NAME}/3"
