"""Load the MLflow helpers of ../kedro_mlflow_helpers.py into this session.

IPython runs this file after kedro.ipython has loaded the project. A plain
Jupyter kernel, whose first cell is `%load_ext kedro.ipython`, does not read
this profile: the project's hooks run this file then (see hooks.py).

The helpers are imported as a module of their own rather than defined here,
in the notebook's namespace, so that nothing a notebook defines can shadow
the names they use; the underscored names below are deleted at the end.
"""

import importlib.util as _importlib_util
import sys as _sys
from pathlib import Path as _Path

_spec = _importlib_util.spec_from_file_location(
    "kedro_mlflow_helpers",
    _Path(__file__).resolve().parents[1] / "kedro_mlflow_helpers.py",
)
kedro_mlflow_helpers = _importlib_util.module_from_spec(_spec)
_sys.modules[_spec.name] = kedro_mlflow_helpers
_spec.loader.exec_module(kedro_mlflow_helpers)
kedro_mlflow_helpers.setup(get_ipython())  # noqa: F821 (IPython defines it)

# The helper meant to be called by hand; kedro_mlflow_helpers? documents the rest.
end_active_runs = kedro_mlflow_helpers.end_active_runs

del _importlib_util, _sys, _Path, _spec
