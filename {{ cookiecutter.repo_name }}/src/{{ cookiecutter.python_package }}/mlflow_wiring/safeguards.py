"""Before MLflow is set up: no login left in a tracking URI (secrets.py), and
a local store that works (store.py); after a successful run: a copy of it."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import mlflow
from kedro.framework.hooks import hook_impl

from .secrets import protect_configured_uris, protect_credentials
from .store import backup_local_store, check_local_store, configured_store_uris

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext


class SafeguardHooks:
    """Calls secrets.py and store.py at the hook points where they belong."""

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
