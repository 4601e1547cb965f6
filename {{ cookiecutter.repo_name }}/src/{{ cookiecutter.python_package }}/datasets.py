"""The project's own dataset types, referred to by ``type:`` in the catalog."""

from __future__ import annotations

from typing import Any

import mlflow
from kedro.io.core import DatasetError
from kedro_mlflow.io.models import MlflowModelRegistryDataset
from mlflow.exceptions import MlflowException

from {{ cookiecutter.python_package }}.pipelines.inference.model import (
    CHAMPION_ALIAS,
    REGISTERED_MODEL_NAME,
)


class RegisteredModelDataset(MlflowModelRegistryDataset):
    """kedro-mlflow's ``MlflowModelRegistryDataset``, which by default loads the
    model training registers at the alias ``scripts/promote.py`` moves, and
    says what to run when the registry has none there yet.

    MLflow's own message ("Registered Model with name=... not found") names
    neither the cause on a fresh project (nothing trained yet, or nothing
    promoted) nor the fix.
    """

    def __init__(
        self,
        model_name: str = REGISTERED_MODEL_NAME,
        stage_or_version: str | int | None = None,
        alias: str | None = None,
        **kwargs: Any,
    ) -> None:
        if alias is None and stage_or_version is None:
            alias = CHAMPION_ALIAS
        super().__init__(
            model_name=model_name,
            stage_or_version=stage_or_version,
            alias=alias,
            **kwargs,
        )

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
