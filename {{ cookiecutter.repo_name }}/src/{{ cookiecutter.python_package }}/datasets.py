"""The project's own dataset types, referred to by ``type:`` in the catalog."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import yaml
from kedro.io import AbstractDataset
from kedro.io.core import DatasetError
from kedro_datasets.matplotlib import MatplotlibDataset
from kedro_mlflow.io.models import MlflowModelRegistryDataset
from mlflow.exceptions import MlflowException

from {{ cookiecutter.python_package }}.errors import ProjectError
from {{ cookiecutter.python_package }}.mlflow_wiring.tracking import without_password
from {{ cookiecutter.python_package }}.pipelines.inference.model import (
    CHAMPION_ALIAS,
    REGISTERED_MODEL_NAME,
)


class NoModelError(ProjectError, DatasetError):
    """No registered model version to load: `kedro run` says what to run."""


class RegisteredModelDataset(AbstractDataset[None, Any]):
    """The model registered under ``alias`` in the MLflow registry, loaded by
    kedro-mlflow's ``MlflowModelRegistryDataset``; when there is none yet, the
    error says what to run.

    MLflow's own message ("Registered Model with name=... not found") names
    neither the cause on a fresh project (nothing trained yet, or nothing
    promoted) nor the fix. The kedro-mlflow dataset is wrapped rather than
    subclassed: Kedro 1.7 replaces a subclass's ``load`` with the parent's
    ``_load`` when the parent defines one, as kedro-mlflow's datasets do.
    """

    def __init__(
        self,
        model_name: str = REGISTERED_MODEL_NAME,
        alias: str = CHAMPION_ALIAS,
        flavor: str = "mlflow.pyfunc",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.model_name = model_name
        self.alias = alias
        self.metadata = metadata
        self.registry_dataset = MlflowModelRegistryDataset(
            model_name=model_name, alias=alias, flavor=flavor
        )

    def load(self) -> Any:
        self.check_alias_is_set()
        return self.registry_dataset.load()

    def save(self, data: None) -> None:
        raise DatasetError(
            f"'{self.registry_dataset.model_uri}' is read-only: training runs "
            "register models, `python scripts/promote.py` sets the alias."
        )

    def _describe(self) -> dict[str, Any]:  # what Kedro asks a custom dataset for
        return {"model_name": self.model_name, "alias": self.alias}

    def check_alias_is_set(self) -> None:
        """Raise a NoModelError saying what to run when the alias names no version."""
        client = mlflow.MlflowClient()
        try:
            client.get_model_version_by_alias(self.model_name, self.alias)
            return
        except MlflowException:
            pass  # the reason is worked out below, in terms of what to run
        promote = "`python scripts/promote.py`"
        if client.search_model_versions(f"name = '{self.model_name}'", max_results=1):
            todo = f"make a registered version the {self.alias} with {promote}"
        else:
            todo = f"train one with `kedro run`, then make it the {self.alias} with {promote}"
        raise NoModelError(
            f"No model '{self.registry_dataset.model_uri}' in the MLflow registry at "
            f"{without_password(mlflow.get_registry_uri())}: {todo}."
        )


class LoggedMatplotlibDataset(MatplotlibDataset):
    """kedro-datasets' ``MatplotlibDataset``, whose saved image is also logged
    as an artifact of the active MLflow run, under ``artifact_path``.

    kedro-mlflow's ``MlflowArtifactDataset`` does the same, but it builds its
    class at run time, which cannot be pickled: ``kedro run --runner
    ParallelRunner`` refuses to start with it. This class can, and a worker
    process started by that runner logs into the run that its parent opened.
    Unversioned only: the file logged is ``filepath`` itself.
    """

    def __init__(
        self, *, filepath: str, artifact_path: str | None = None, **kwargs: Any
    ) -> None:
        if kwargs.get("version") is not None:
            raise DatasetError(
                f"{type(self).__name__} '{filepath}' cannot be versioned: "
                "remove `versioned: true` from its catalog entry."
            )
        super().__init__(filepath=filepath, **kwargs)
        self.local_file = filepath
        self.artifact_path = artifact_path

    def save(self, data: Any) -> None:
        super().save(data)
        # Outside a pipeline run (e.g. catalog.save in a notebook) the image is
        # only written: mlflow.log_artifact would open a stray run for it.
        if mlflow.active_run() is not None:
            mlflow.log_artifact(self.local_file, self.artifact_path)


class LocalParametersDataset(AbstractDataset[dict[str, Any], dict[str, Any]]):
    """A parameters file of conf/local, e.g. ``parameters_training.yml``.

    Saving sets the given top-level keys and keeps the file's other keys, as
    notebook 2 does: Kedro replaces a top-level parameter as a whole, so each
    key is saved whole. The file is replaced in one step, so that a run
    reading the configuration never sees half of it. ``header`` becomes its
    first comment line.
    """

    def __init__(
        self,
        *,
        filepath: str,
        header: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.filepath = Path(filepath)
        self.header = header
        self.metadata = metadata

    def load(self) -> dict[str, Any]:
        if not self.filepath.exists():
            return {}
        return yaml.safe_load(self.filepath.read_text()) or {}

    def save(self, data: dict[str, Any]) -> None:
        merged = {**self.load(), **data}
        text = yaml.safe_dump(merged, sort_keys=False)
        if self.header:
            text = f"# {self.header}\n{text}"
        self.filepath.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=self.filepath.parent, suffix=".tmp", delete=False
        ) as temporary:
            temporary.write(text)
        os.replace(temporary.name, self.filepath)

    def _describe(self) -> dict[str, Any]:  # what Kedro asks a custom dataset for
        return {"filepath": str(self.filepath)}


class LoggedMetricsDataset(AbstractDataset[dict[str, float], dict[str, float]]):
    """Metrics, ``{name: value}``, logged to the active MLflow run in one
    request, each named ``<prefix>.<name>``.

    kedro-mlflow's metrics datasets send one request per metric: on a SQLite
    store, a third of a second for the data-quality counts of each run. Outside
    a pipeline run nothing is logged (mlflow would open a stray run for it);
    loading reads the values back from the active run.
    """

    def __init__(self, *, prefix: str, metadata: dict[str, Any] | None = None):
        self.prefix = prefix
        self.metadata = metadata

    def save(self, data: dict[str, float]) -> None:
        if mlflow.active_run() is not None:
            mlflow.log_metrics(
                {f"{self.prefix}.{name}": float(value) for name, value in data.items()}
            )

    def load(self) -> dict[str, float]:
        run = mlflow.active_run()
        if run is None:
            raise DatasetError(f"No active MLflow run to read '{self.prefix}' from.")
        metrics = mlflow.get_run(run.info.run_id).data.metrics
        start = f"{self.prefix}."
        return {
            k.removeprefix(start): v for k, v in metrics.items() if k.startswith(start)
        }

    def _exists(self) -> bool:  # what Kedro asks before runs, e.g. to resume
        run = mlflow.active_run()
        return run is not None and any(
            name.startswith(f"{self.prefix}.")
            for name in mlflow.get_run(run.info.run_id).data.metrics
        )

    def _describe(self) -> dict[str, Any]:  # what Kedro asks a custom dataset for
        return {"prefix": self.prefix}
