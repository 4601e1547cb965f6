"""The project's own hooks, registered in settings.py next to kedro-mlflow's."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from mlflow.utils.git_utils import get_git_commit
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT


def in_ipython() -> bool:
    """True inside `kedro ipython`, `kedro jupyter` or any IPython kernel."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


def run_tags(project_path: str | Path) -> dict[str, str]:
    """Tags that tell pipeline runs from notebook runs in the MLflow UI.

    ``kedro.interactive`` is "true" for anything started from IPython or a
    notebook (where cells may have run out of order), "false" for `kedro run`.
    The git commit is the project's own: MLflow looks for one next to the
    entry-point script, which for `kedro run` is Kedro's, not the project's.
    """
    tags = {"kedro.interactive": str(in_ipython()).lower()}
    commit = get_git_commit(str(project_path))
    if commit:
        tags[MLFLOW_GIT_COMMIT] = commit
    return tags


class ProjectHooks:
    """Label each tracked pipeline run."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        # Registered before MlflowHook in settings.HOOKS, so it runs after it
        # (last-in, first-out) and finds the run MlflowHook has just started.
        if mlflow.active_run() is not None:
            mlflow.set_tags(run_tags(run_params["project_path"]))
