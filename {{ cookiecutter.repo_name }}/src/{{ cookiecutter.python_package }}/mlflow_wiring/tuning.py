"""What the tuning pipeline (pipelines/tuning) needs from the wiring.

- ``autologging_suspended``: every autologging integration off while a
  pipeline runs (``run.RunHooks``), and ``sklearn_autologging``: scikit-learn
  autologging for one block of a node all the same.
- for ``run.RunHooks``: the storage login from conf/local/credentials.yml
  (``export_storage_credentials``), and the tags that tell which study and
  trial a training run's hyperparameters came from (``tuned_by_tags``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import click
import mlflow
from mlflow.utils.autologging_utils import (
    AUTOLOGGING_INTEGRATIONS,
    disable_autologging,
)

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext

# Tags of a run whose hyperparameters come from a study (conf/local's tuned_by).
TUNED_STUDY_TAG = "tuning.study"
TUNED_TRIAL_TAG = "tuning.trial"
TUNED_RUN_TAG = "tuning.trial_run_id"

# While a pipeline runs (``autologging_suspended``), the suspension that
# ``sklearn_autologging`` gives back at the end of its block.
_suspension: ExitStack | None = None


@contextmanager
def autologging_suspended() -> Iterator[None]:
    """Every autologging integration off for the block: a pipeline run's
    (``RunHooks`` enters it when a run starts and leaves it when it ends)."""
    global _suspension  # noqa: PLW0603 (one pipeline run at a time: the lock)
    with ExitStack() as _suspension:
        _suspension.enter_context(disable_autologging())
        try:
            yield
        finally:
            _suspension = None


@contextmanager
def sklearn_autologging(settings: dict[str, Any]) -> Iterator[None]:
    """``mlflow.sklearn.autolog(**settings)`` for the block, then autologging
    as it was: scikit-learn's own configuration (the user's, from a notebook,
    or none) back, and suspended again if a pipeline run had suspended it.

    A pipeline run suspends every autologging integration with MLflow's
    ``disable_autologging()`` (``autologging_suspended``). In MLflow 3 that is
    one process-wide switch, not a count: entering any ``disable_autologging()``
    block sets it, leaving any such block clears it
    (``mlflow/utils/autologging_utils/__init__.py``; MLflow's own scikit-learn
    integration nests them so). The block below clears it, and a block entered
    at the end, left with the pipeline run's, sets it again.
    """
    previous = dict(AUTOLOGGING_INTEGRATIONS.get("sklearn") or {})
    with disable_autologging():
        pass  # leaving it resumes autologging
    mlflow.sklearn.autolog(**settings)
    try:
        yield
    finally:
        if previous and not previous.get("disable", True):
            mlflow.sklearn.autolog(**previous)
        else:
            mlflow.sklearn.autolog(disable=True)
        if _suspension is not None:
            _suspension.enter_context(disable_autologging())


class TuningError(click.ClickException):
    """A tuning setting that cannot work; `kedro run` prints the message alone."""


def export_storage_credentials(context: KedroContext) -> None:
    """Export the storage login named by ``tuning_storage.credentials`` (a key
    of conf/local/credentials.yml) as environment variables, as kedro-mlflow
    exports the tracking server's: PostgreSQL's client reads PGUSER and
    PGPASSWORD, so that no password is written in the storage URL."""
    key = (context.params.get("tuning_storage") or {}).get("credentials")
    if not key:
        return
    credentials = context.config_loader["credentials"].get(key)
    if not isinstance(credentials, dict):
        raise TuningError(
            f"conf/local/credentials.yml has no mapping '{key}' "
            "(named by tuning_storage.credentials): add your database login there."
        )
    os.environ.update({name: str(value) for name, value in credentials.items()})


def tuned_by_tags(params: dict[str, Any]) -> dict[str, str]:
    """The study and trial that the run's hyperparameters come from, as tags.

    ``tuned_by`` is written next to them in conf/local/parameters_training.yml
    by the tuning pipeline. No tags when the hyperparameters in use no longer
    hold the tuned values (edited, or overridden with ``--params``).
    """
    tuned_by = params.get("tuned_by") or {}
    hyperparameters = params.get("hyperparameters") or {}
    tuned = tuned_by.get("params") or {}
    if not tuned or any(hyperparameters.get(k) != v for k, v in tuned.items()):
        return {}
    tags = {
        TUNED_STUDY_TAG: str(tuned_by.get("study")),
        TUNED_TRIAL_TAG: str(tuned_by.get("trial")),
    }
    if tuned_by.get("run_id"):
        tags[TUNED_RUN_TAG] = str(tuned_by["run_id"])
    return tags
