"""The project's own dataset types, referred to by ``type:`` in the catalog."""

from __future__ import annotations

from typing import Any

import mlflow
from kedro.io.core import DatasetError
from kedro_datasets.matplotlib import MatplotlibDataset
from kedro_mlflow.io.models import MlflowModelRegistryDataset
from mlflow.exceptions import MlflowException


class RegisteredModelDataset(MlflowModelRegistryDataset):
    """kedro-mlflow's ``MlflowModelRegistryDataset``, which says what to run
    when the registry has no model under the alias yet.

    MLflow's own message ("Registered Model with name=... not found") names
    neither the cause on a fresh project (nothing trained yet, or nothing
    promoted) nor the fix.
    """

    def _load(self) -> Any:
        if self.alias is not None:
            self._check_alias_is_set()
        return super()._load()

    def _check_alias_is_set(self) -> None:
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
        raise DatasetError(
            f"No model '{self.model_uri}' in the MLflow registry at "
            f"{mlflow.get_registry_uri()}: {todo}."
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
