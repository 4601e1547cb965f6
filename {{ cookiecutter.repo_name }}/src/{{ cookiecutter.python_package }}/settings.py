"""Project settings. For the values Kedro uses by default, see
https://docs.kedro.org/en/stable/configure/configuration_basics/#configuration"""

# First: silences, by their exact text, notices that today's releases print on
# every run, one of them while kedro-mlflow is imported (see notices.py).
import {{ cookiecutter.python_package }}.mlflow_wiring.notices  # noqa: F401

# isort: split
from kedro_mlflow.framework.hooks import MlflowHook
from omegaconf.resolvers import oc

from {{ cookiecutter.python_package }}.mlflow_wiring.config_loader import ProjectConfigLoader
from {{ cookiecutter.python_package }}.mlflow_wiring.hooks import ProjectHooks, TrackingServerHooks
from {{ cookiecutter.python_package }}.mlflow_wiring.interactive import InteractiveHooks
from {{ cookiecutter.python_package }}.mlflow_wiring.lineage import LineageHooks
from {{ cookiecutter.python_package }}.mlflow_wiring.run_lock import RunLockHooks
from {{ cookiecutter.python_package }}.mlflow_wiring.run_status import RunStatusHooks
from {{ cookiecutter.python_package }}.mlflow_wiring.tracking import (
    local_artifact_location,
    project_root,
)
from {{ cookiecutter.python_package }}.mlflow_wiring.tuning import TuningHooks

# kedro-mlflow registers its own MlflowHook through an entry point. We register
# it here instead, so that the tracking this project relies on is visible in
# code and does not depend on which plugins happen to be installed. The
# plugin's auto-registration must then be switched off, or every run is
# tracked twice: Kedro matches this tuple against the *distribution* name,
# "kedro_mlflow" with an underscore ("kedro-mlflow" silently matches nothing).
# kedro-viz's hooks (matched here by "kedro-viz", its distribution name) would
# write dataset statistics and run events into .viz/ on every run, and warn on
# every partial run (`kedro run --nodes ...`, a filtered `session.run(...)`).
# `kedro viz run` and `kedro viz build` show the pipelines without them.
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow", "kedro-viz")

# Kedro calls hooks last-in, first-out: MlflowHook, last here, opens a
# pipeline's MLflow run first; the hooks before it then find that run.
# - ProjectHooks tags every run (see tracking.py);
# - LineageHooks records the data each run used (see lineage.py);
# - RunStatusHooks records an interrupted run KILLED (see run_status.py);
# - InteractiveHooks gives IPython and notebook sessions their MLflow
#   behaviour (see interactive.py), and only keeps autolog out of `kedro run`;
# - TrackingServerHooks turns an unusable tracking server into one clear error;
# - RunLockHooks makes concurrent runs of the project wait for each other
#   (see run_lock.py);
# - TuningHooks gives the tuning pipeline its storage login and tags a run
#   trained with tuned hyperparameters with their study and trial (tuning.py).
HOOKS = (
    RunLockHooks(),
    ProjectHooks(),
    LineageHooks(),
    RunStatusHooks(),
    InteractiveHooks(),
    TrackingServerHooks(),
    TuningHooks(),
    MlflowHook(),
)

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
    # top-level section (server, tracking, ui). The same for parameters: Kedro
    # merges `--params` into each environment's files before merging those, so
    # with any parameters file in conf/local (as tuning writes),
    # `--params tuning.n_trials=4` would otherwise replace the whole `tuning`.
    "merge_strategy": {"mlflow": "soft", "parameters": "soft"},
    # conf/<env>/lineage.yml: the catalog entries each run records as MLflow
    # dataset inputs (see lineage.py).
    "config_patterns": {"lineage": ["lineage*", "lineage*/**"]},
}
