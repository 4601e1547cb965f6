"""Before MLflow is set up: no login left in a tracking URI (secrets.py), and
a local store that works (store.py); after a successful run: a copy of it."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import TYPE_CHECKING

import mlflow
from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

from .secrets import protect_configured_uris, protect_credentials
from .store import backup_local_store, check_local_store

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext


def configured_store_uris(context: KedroContext) -> set[str]:
    """The tracking and registry URIs that kedro-mlflow is about to set up
    (read from mlflow.yml, or MLFLOW_TRACKING_URI when it names none)."""
    try:
        server = context.config_loader["mlflow"].get("server", {})
    except MissingConfigException:
        server = {}
    tracking = server.get("mlflow_tracking_uri") or os.environ.get(
        "MLFLOW_TRACKING_URI"
    )
    registry = server.get("mlflow_registry_uri") or os.environ.get(
        "MLFLOW_REGISTRY_URI"
    )
    return {uri for uri in (tracking, registry) if uri}


class SafeguardHooks:
    @hook_impl(wrapper=True)
    def after_context_created(
        self, context: KedroContext
    ) -> Generator[None, None, None]:
        # A wrapper: this part runs before kedro-mlflow's setup...
        protect_credentials()
        for uri in configured_store_uris(context):
            check_local_store(uri)
        result = yield
        # ... and this one after it.
        protect_configured_uris(context)
        return result

    @hook_impl(trylast=True)  # after kedro-mlflow has ended the run
    def after_pipeline_run(self) -> None:
        for uri in {mlflow.get_tracking_uri(), mlflow.get_registry_uri()}:
            backup_local_store(uri)
