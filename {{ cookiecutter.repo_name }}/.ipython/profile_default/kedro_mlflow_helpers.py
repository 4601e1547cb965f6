"""MLflow helpers for IPython and Jupyter sessions of a Kedro project.

startup/00-kedro-mlflow.py loads this module once kedro.ipython has loaded the
project. It needs only Kedro, kedro-mlflow and IPython, so this profile folder
can be copied into any Kedro project that tracks its runs with kedro-mlflow.

Once loaded, in this session:

- each time the project is (re)loaded, one line names the MLflow experiment
  and the tracking URI in use;
- every MLflow run started here, by hand, by autolog or by ``session.run``, is
  tagged ``kedro.interactive=true``, ``kedro.interactive.frontend``
  (``notebook`` or ``ipython``) and, when the project is a git repository,
  ``mlflow.source.git.commit``, so the MLflow UI tells them from ``kedro run``;
- ``session.run(...)`` runs the pipeline with MLflow autologging off, as
  ``tracking.disable_tracking.disable_autologging`` in mlflow.yml asks, and
  gives autologging back as you had set it when the pipeline ends.
  kedro-mlflow itself switches off ``mlflow.autolog()`` but not, for example,
  ``mlflow.sklearn.autolog()``, and never switches anything back on;
- ``%reload_kedro`` first ends any MLflow run still active (the new session
  would adopt it and ignore mlflow.yml), then reloads the project, then gives
  autologging back as you had set it;
- ``end_active_runs()`` ends the runs left active, at any time.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import mlflow
from IPython.core.interactiveshell import InteractiveShell
from kedro.framework.session import KedroSession
from kedro.utils import find_kedro_project
from mlflow.tracking.context.abstract_context import RunContextProvider
from mlflow.tracking.context.registry import _run_context_provider_registry
from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS
from mlflow.utils.git_utils import get_git_commit
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT

INTERACTIVE_TAG = "kedro.interactive"
FRONTEND_TAG = "kedro.interactive.frontend"

# Where the installed helpers keep their state: IPython's namespace for
# extensions, which outlives %reload_kedro (that re-imports the project).
_META_KEY = "kedro_mlflow_helpers"
# Marks the wrappers installed here, so that loading twice does not wrap twice.
_MARK = "_kedro_mlflow_helpers"


def setup(shell: InteractiveShell | None) -> None:
    """Install the helpers in an IPython session; running it again replaces them."""
    if shell is None:  # plain Python: nothing to do
        return
    previous = shell.meta.get(_META_KEY)
    if previous is not None:
        previous.uninstall()
    helpers = _Helpers(shell)
    helpers.install()
    shell.meta[_META_KEY] = helpers


def end_active_runs() -> list[str]:
    """End every MLflow run still active in this session; return their ids.

    A run left active makes the next ``mlflow.start_run()`` fail with "Run ...
    is already active", and the next Kedro session adopts it and ignores
    mlflow.yml.
    """
    ended: list[str] = []
    while (run := mlflow.active_run()) is not None:
        mlflow.end_run()
        if run.info.run_id not in ended:
            ended.append(run.info.run_id)
    return ended


# --- autologging --------------------------------------------------------------
# MLflow records how each autolog integration (mlflow.sklearn, ...) was last
# configured, with every argument, in AUTOLOGGING_INTEGRATIONS; the key
# "mlflow" is the global switch, mlflow.autolog().


def autolog_config() -> dict[str, dict[str, Any]]:
    """The arguments each autolog integration was last configured with."""
    return {
        name: dict(config)
        for name, config in AUTOLOGGING_INTEGRATIONS.items()
        if config
    }


def _call_autolog(integration: str, config: dict[str, Any]) -> None:
    try:
        module = (
            mlflow
            if integration == "mlflow"
            else importlib.import_module(f"mlflow.{integration}")
        )
        autolog = module.autolog
    except (ImportError, AttributeError):  # not an integration we can call back
        return
    accepted = inspect.signature(autolog).parameters
    autolog(**{key: value for key, value in config.items() if key in accepted})


def suspend_autolog() -> dict[str, dict[str, Any]]:
    """Switch every autolog integration off; return what to restore later."""
    saved = autolog_config()
    for integration, config in saved.items():
        if not config.get("disable", False):
            _call_autolog(integration, {**config, "disable": True})
    return saved


def restore_autolog(saved: dict[str, dict[str, Any]]) -> None:
    """Configure autologging back to ``saved``, as returned by autolog_config()."""
    # The global switch first: it reconfigures the integrations it manages.
    for integration in sorted(saved, key=lambda name: name != "mlflow"):
        if autolog_config().get(integration) != saved[integration]:
            _call_autolog(integration, saved[integration])


# --- run tags -----------------------------------------------------------------


class _InteractiveRunContext(RunContextProvider):
    """Tags every MLflow run started in an IPython session as interactive."""

    def __init__(self, shell: InteractiveShell) -> None:
        self._shell = shell

    def in_context(self) -> bool:
        return True

    def tags(self) -> dict[str, str]:
        # MLflow's own tags name the notebook (mlflow.source.name) when Jupyter
        # or VS Code tell it; these add what tells a notebook from `kedro run`.
        tags = {INTERACTIVE_TAG: "true", FRONTEND_TAG: _frontend(self._shell)}
        project_path = _project_path(self._shell)
        # MLflow looks for a git commit next to the running script, which here
        # is IPython's; the commit that matters is the project's.
        commit = get_git_commit(str(project_path)) if project_path else None
        if commit:
            tags[MLFLOW_GIT_COMMIT] = commit
        return tags


def _frontend(shell: InteractiveShell) -> str:
    # Jupyter, VS Code and nbconvert talk to a kernel; the terminal is IPython.
    return "notebook" if type(shell).__name__ == "ZMQInteractiveShell" else "ipython"


def _project_path(shell: InteractiveShell) -> Path | None:
    context = shell.user_ns.get("context")
    return getattr(context, "project_path", None) or find_kedro_project(Path.cwd())


# --- what the session reports -------------------------------------------------


def report(shell: InteractiveShell) -> bool:
    """Print the experiment and tracking URI of the loaded project, if any."""
    config = getattr(shell.user_ns.get("context"), "mlflow", None)
    if config is None:  # no project loaded, or kedro-mlflow not installed
        return False
    print(  # noqa: T201
        f"MLflow: experiment '{config.tracking.experiment.name}' at "
        f"{_without_password(config.server.mlflow_tracking_uri)}; runs started "
        f"here are tagged {INTERACTIVE_TAG}=true."
    )
    return True


def _without_password(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.password:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


# --- installation ---------------------------------------------------------------


class _Helpers:
    """What setup() installs in one IPython session, and how to take it out."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.run_context = _InteractiveRunContext(shell)
        # Printed after the current cell: a kernel shows nothing it prints
        # while starting, and in a plain kernel, these helpers are loaded
        # before kedro.ipython has defined `context`.
        self.report_pending = True

    def install(self) -> None:
        # MLflow offers no public way to add a run context provider in-process
        # (only entry points); its registry is a list it iterates per run.
        _run_context_provider_registry.register(lambda: self.run_context)
        KedroSession.run = _run_without_autolog(KedroSession.run, self.shell)
        self.wrap_reload_kedro()
        self.shell.events.register("post_run_cell", self.after_cell)
        if _frontend(self.shell) == "ipython" and report(self.shell):
            self.report_pending = False

    def uninstall(self) -> None:
        registry = _run_context_provider_registry._registry
        if self.run_context in registry:
            registry.remove(self.run_context)
        KedroSession.run = _unwrapped(KedroSession.run)
        magic = self.shell.find_line_magic("reload_kedro")
        if magic is not None and getattr(magic, _MARK, False):
            self.shell.register_magic_function(
                _unwrapped(magic), "line", "reload_kedro"
            )
        self.shell.events.unregister("post_run_cell", self.after_cell)

    def wrap_reload_kedro(self) -> None:
        magic = self.shell.find_line_magic("reload_kedro")
        if magic is not None and not getattr(magic, _MARK, False):
            self.shell.register_magic_function(
                _reload_kedro_cleanly(magic, self.shell), "line", "reload_kedro"
            )

    def after_cell(self, result: Any) -> None:
        if self.report_pending and report(self.shell):
            self.report_pending = False
        # `%reload_ext kedro.ipython` registers Kedro's magic again.
        self.wrap_reload_kedro()


def _unwrapped(function: Callable) -> Callable:
    while getattr(function, _MARK, False):
        function = function.__wrapped__
    return function


def _autolog_off_in_pipelines(shell: InteractiveShell) -> bool:
    config = getattr(shell.user_ns.get("context"), "mlflow", None)
    if config is None:
        return True  # kedro-mlflow's default
    return config.tracking.disable_tracking.disable_autologging


def _run_without_autolog(run: Callable, shell: InteractiveShell) -> Callable:
    run = _unwrapped(run)

    @functools.wraps(run)
    def run_without_autolog(session: KedroSession, *args: Any, **kwargs: Any) -> Any:
        active = mlflow.active_run()
        saved = (
            suspend_autolog() if _autolog_off_in_pipelines(shell) else autolog_config()
        )
        try:
            return run(session, *args, **kwargs)
        finally:
            # With `tracking.run.nested: true` kedro-mlflow leaves the finished
            # pipeline run on MLflow's stack of active runs; end what it added.
            while (leaked := mlflow.active_run()) is not None and (
                active is None or leaked.info.run_id != active.info.run_id
            ):
                mlflow.end_run()
            restore_autolog(saved)

    setattr(run_without_autolog, _MARK, True)
    return run_without_autolog


def _reload_kedro_cleanly(magic: Callable, shell: InteractiveShell) -> Callable:
    magic = _unwrapped(magic)

    # functools.wraps keeps what IPython reads on Kedro's magic: its help and
    # its request for the caller's namespace (needs_local_scope).
    @functools.wraps(magic)
    def reload_kedro(line: str = "", local_ns: dict[str, Any] | None = None) -> None:
        saved = autolog_config()
        ended = end_active_runs()
        if ended:
            print(f"Ended the MLflow run(s) left active: {', '.join(ended)}")  # noqa: T201
        try:
            magic(line, local_ns=local_ns)
        finally:
            restore_autolog(saved)
        report(shell)

    setattr(reload_kedro, _MARK, True)
    return reload_kedro
