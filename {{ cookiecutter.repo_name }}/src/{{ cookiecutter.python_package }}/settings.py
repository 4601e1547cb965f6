"""Project settings. For the values Kedro uses by default, see
https://docs.kedro.org/en/stable/configure/configuration_basics/#configuration"""

# First: it silences a notice that importing kedro-mlflow prints.
from {{ cookiecutter.python_package }}.mlflow_wiring import (
    RESOLVERS,
    ProjectConfigLoader,
    RunHooks,
)

# isort: split
from kedro_mlflow.framework.hooks import MlflowHook

# kedro-mlflow's MlflowHook tracks each pipeline run; RunHooks (see
# mlflow_wiring/) owns each run's start and end around it. Registered here
# rather than by the plugin, so that tracking does not depend on which plugins
# happen to be installed: Kedro matches this tuple against distribution names,
# "kedro_mlflow" with an underscore ("kedro-mlflow" matches nothing, and every
# run would be tracked twice). kedro-viz's hooks would write .viz/ on every run.
HOOKS = (RunHooks(), MlflowHook())
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow", "kedro-viz")

# Kedro's loader, except that credentials always include conf/local, so that
# `kedro run --env server` still reads your password from conf/local.
CONFIG_LOADER_CLASS = ProjectConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": RESOLVERS,
    # conf/<env>/mlflow.yml overrides single keys of conf/base/mlflow.yml; the
    # same for parameters, which Kedro merges with `--params` per environment
    # first: `--params tuning.n_trials=4` would replace all of `tuning`.
    "merge_strategy": {"mlflow": "soft", "parameters": "soft"},
    # conf/<env>/lineage.yml: the entries each run records as dataset inputs;
    # mlflow.yml with kedro-mlflow's patterns, read before kedro-mlflow does.
    "config_patterns": {
        "lineage": ["lineage*", "lineage*/**"],
        "mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"],
    },
}
