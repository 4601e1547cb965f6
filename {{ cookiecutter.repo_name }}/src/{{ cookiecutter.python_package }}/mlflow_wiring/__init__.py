"""How this project is tracked in MLflow: everything settings.py registers
besides kedro-mlflow's own ``MlflowHook``. Nothing here is model code: the
pipelines are in ``pipelines/``.

- ``RunHooks`` (run.py): the one owner of each pipeline run's life, around
  kedro-mlflow's hook: lock, signals, true final status, tags, lineage,
  notebook behaviour (interactive.py), tracking-server errors (server.py).
- ``ProjectConfigLoader`` (config_loader.py): credentials from conf/local in
  every environment.
- ``RESOLVERS``: what mlflow.yml may use, ``${oc.env:...}``,
  ``${project_root:}`` and ``${local_artifact_location:}`` (tracking.py).
- shared_run.py: open and close one MLflow run that an orchestrator's tasks
  share (``MLFLOW_RUN_ID``); scripts/shared_run.py and airflow/ use it.
- notices.py, imported first: three notices of today's releases, silenced by
  their exact text.

To use it in another Kedro project, copy this folder into its package and
add the lines of this project's settings.py that name it.
"""

from . import notices  # noqa: F401  (first: before kedro-mlflow is imported)

# isort: split
from omegaconf.resolvers import oc

from .config_loader import ProjectConfigLoader
from .run import RunHooks
from .tracking import local_artifact_location, project_root

RESOLVERS = {
    # Kedro enables ${oc.env:...} only in credentials; mlflow.yml uses it to
    # let MLFLOW_TRACKING_URI override the default store.
    "oc.env": oc.env,
    "project_root": project_root,
    "local_artifact_location": local_artifact_location,
}

__all__ = ["RESOLVERS", "ProjectConfigLoader", "RunHooks"]
