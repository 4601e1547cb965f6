"""Every test runs against its own empty MLflow store, never the project's
mlflow.db or mlartifacts/, and leaves MLflow's process-wide state as it found
it: a test cannot depend on the runs you made, nor add to them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import mlflow
import pytest

# MLflow's id of the "Default" experiment that every new store has.
DEFAULT_EXPERIMENT_ID = "0"


@pytest.fixture(autouse=True)
def mlflow_store(tmp_path, monkeypatch) -> Iterator[str]:
    """A temporary tracking store and model registry, for this test only.

    Set through the environment, as a user would: mlflow.yml reads
    MLFLOW_TRACKING_URI (a KedroSession in a test records there too), and
    artifacts go to mlartifacts/ beside the store (see settings.py).
    """
    for name in [name for name in os.environ if name.startswith("MLFLOW_")]:
        monkeypatch.delenv(name)
    reset_mlflow()
    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    if os.environ.get("MLFLOW_EXPERIMENT_ID"):
        # A test chose an experiment (mlflow.set_experiment, as kedro-mlflow
        # does): back to the Default one, whose id is the same in every store.
        mlflow.set_experiment(experiment_id=DEFAULT_EXPERIMENT_ID)
    mlflow.autolog(disable=True)
    reset_mlflow()
    # What MLflow exported meanwhile (it mirrors its settings into the
    # environment); monkeypatch then puts back what was there before the test.
    for name in [name for name in os.environ if name.startswith("MLFLOW_")]:
        del os.environ[name]


def reset_mlflow() -> None:
    """No tracking or registry URI set in the process: MLflow reads the
    environment, which monkeypatch restores after each test."""
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
