"""Project settings. For the values Kedro uses by default, see
https://docs.kedro.org/en/stable/configure/configuration_basics/#configuration"""

import logging
import os
import warnings
from pathlib import Path

from kedro.utils import find_kedro_project
from omegaconf.resolvers import oc

from {{ cookiecutter.python_package }}.config_loader import ProjectConfigLoader
from {{ cookiecutter.python_package }}.hooks import ProjectHooks, TrackingServerHooks
from {{ cookiecutter.python_package }}.run_lock import RunLockHooks

# Notices that today's releases print on every run, that a user can do
# nothing about, are silenced by their exact text; every other warning shows.
# - MLflow asks for type hints on kedro-mlflow's KedroPipelineModel.predict
#   when kedro-mlflow is first imported (here, before Kedro loads the plugin's
#   commands). MLflow forces that warning on with its own filter, so it is
#   caught while importing and the rest is passed on.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from kedro_mlflow.framework.hooks import MlflowHook
for warning in caught:
    if "Add type hints to the `predict` method" not in str(warning.message):
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )
# - omegaconf 2.4 deprecates register_new_resolver(), which Kedro 1.7 and
#   kedro-mlflow 2.0 call each time a Kedro context is created.
warnings.filterwarnings(
    "ignore",
    message=r"register_new_resolver\(\) is deprecated",
    category=UserWarning,
)
# - MLflow 3 logs a warning each time a model is logged as a Python object
#   (pickled with CloudPickle), recommending "models from code". kedro-mlflow
#   logs the project's inference pipeline (a KedroPipelineModel) only that way,
#   at the end of each training run; the pickled code is the project's own.
logging.getLogger("mlflow.pyfunc").addFilter(
    lambda record: (
        "Passing a Python object as `python_model`" not in record.getMessage()
    )
)

# kedro-mlflow registers its own MlflowHook through an entry point. We register
# it here instead, so that the tracking this project relies on is visible in
# code and does not depend on which plugins happen to be installed. The
# plugin's auto-registration must then be switched off, or every run is
# tracked twice: Kedro matches this tuple against the *distribution* name,
# "kedro_mlflow" with an underscore ("kedro-mlflow" silently matches nothing).
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow",)

# Hooks run last-in, first-out: MlflowHook opens the run before ProjectHooks
# tags it (see hooks.py).
# TrackingServerHooks wraps kedro-mlflow's connection to the tracking server,
# wherever it stands in this tuple.
# RunLockHooks makes concurrent runs of the project wait for each other,
# wherever it stands in this tuple.
HOOKS = (RunLockHooks(), ProjectHooks(), TrackingServerHooks(), MlflowHook())


def project_root() -> str:
    """The project's root folder, found the way Kedro finds it.

    Kedro walks up from the working directory to the folder holding
    pyproject.toml; a packaged project run from a deployment folder has none,
    and then that folder is the root. Used in mlflow.yml as ``${project_root:}``
    so that the tracking store does not move with the working directory (a
    notebook kernel runs in notebooks/).
    """
    return (find_kedro_project(Path.cwd()) or Path.cwd()).resolve().as_posix()


def local_artifact_location() -> str | None:
    """mlartifacts/ at the project root, unless MLFLOW_TRACKING_URI names a
    tracking server: an experiment created there must keep its artifacts on
    the server's side, not in a folder of whoever happened to create it."""
    if os.environ.get("MLFLOW_TRACKING_URI", "").startswith(("http:", "https:")):
        return None
    return f"{project_root()}/mlartifacts"


# Kedro's loader, except that credentials always include conf/local: with
# `kedro run --env server`, your password for the tracking server is still read
# from conf/local/credentials.yml (see config_loader.py).
CONFIG_LOADER_CLASS = ProjectConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {
        # Kedro enables ${oc.env:...} only in credentials; mlflow.yml uses it
        # to let MLFLOW_TRACKING_URI override the default store.
        "oc.env": oc.env,
        "project_root": project_root,
        "local_artifact_location": local_artifact_location,
    },
    # conf/<env>/mlflow.yml (e.g. conf/server/mlflow.yml) overrides single keys
    # of conf/base/mlflow.yml; Kedro's default would replace each whole
    # top-level section (server, tracking, ui).
    "merge_strategy": {"mlflow": "soft"},
}
