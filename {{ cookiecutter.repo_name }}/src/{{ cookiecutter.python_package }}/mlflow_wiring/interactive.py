"""What MLflow does in an interactive session: IPython, Jupyter, a notebook.

Every way into a session loads the project through Kedro's IPython extension:
`kedro ipython`, `kedro jupyter` and its "Kedro (<package>)" kernel, and any
other kernel whose first cell is ``%load_ext kedro.ipython``. The extension
creates a Kedro context then and on every ``%reload_kedro``, and
``session.run`` creates one before it runs. ``InteractiveHooks``, registered
in settings.py, acts on those Kedro hooks, so that every session behaves the
same, whichever way it started:

- After each (re)load, one line names the MLflow experiment and the tracking
  URI, with any password hidden.
- A run still active when the project (re)loads, or when ``session.run``
  starts, is ended first: kedro-mlflow would adopt it and ignore mlflow.yml.
- Pipeline runs never autolog; around them, autologging stays as you set it,
  across pipeline runs and reloads (mlflow.yml sets kedro-mlflow's
  ``disable_autologging`` to false, so that it leaves autologging alone).
- No run is left active after ``session.run``: a run the pipeline left open
  (kedro-mlflow's ``tracking.run.nested: true`` does) is ended, as KILLED
  when the pipeline was interrupted.
- Cells show results, warnings and errors, not Kedro's INFO line per
  dataset and node (``quiet_pipeline_logs``); `kedro run` prints them as before.
- Runs are tagged as interactive, like every run of the project (see
  ``tracking.run_tags``, exported by ``hooks.ProjectHooks``).

Outside IPython (`kedro run`, a script), they only keep pipeline runs from
autologging.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import mlflow
from kedro.framework.hooks import hook_impl
from mlflow.utils.autologging_utils import disable_autologging

from .tracking import (
    INTERACTIVE_TAG,
    context_run_tags,
    ipython_shell,
    tag_every_run,
    without_password,
)

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext


def end_active_runs() -> list[str]:
    """End every MLflow run still active in this process; return their ids."""
    ended: list[str] = []
    while (run := mlflow.active_run()) is not None:
        mlflow.end_run()
        if run.info.run_id not in ended:
            ended.append(run.info.run_id)
    return ended


def report(context: KedroContext) -> str | None:
    """The line naming the experiment and tracking URI of ``context``."""
    # kedro-mlflow keeps the configuration it applied on the context.
    config = getattr(context, "mlflow", None)
    if config is None:  # kedro-mlflow's hook is not registered
        return None
    return (
        f"MLflow: experiment '{config.tracking.experiment.name}' at "
        f"{without_password(config.server.mlflow_tracking_uri)}; runs started "
        f"here are tagged {INTERACTIVE_TAG}=true."
    )


# What `session.run(...)` logs at INFO for each dataset loaded or saved, each
# node run and each input kedro-mlflow packs into the model: dozens of lines.
PER_STEP_LOGGERS = (
    "kedro.io",
    "kedro.pipeline",
    "kedro.runner",
    "kedro.validation",
    "kedro_mlflow.mlflow",
)


def quiet_pipeline_logs() -> None:
    """Let a notebook cell show results, warnings and errors, not a log line
    per dataset and node.

    Called in IPython only, so `kedro run` prints as before. The loggers keep
    passing on warnings and errors. Only loggers nobody has set a level for
    are changed: a level from conf/logging.yml, or from
    ``logging.getLogger("kedro.io").setLevel("INFO")`` in a cell, wins.
    """
    for name in PER_STEP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def refresh_run_tags_before_each_cell(shell: Any, context: KedroContext) -> None:
    """Before each cell, give the runs it may start by hand the project's
    tags as they are then: a file edited or committed since the project was
    loaded changes the git commit and the dirty flag (tracking.run_tags).

    Replaces the callback of an earlier load: ``%reload_kedro`` re-imports the
    project's modules, this one included.
    """

    def refresh_run_tags(info: Any) -> None:
        tag_every_run(context_run_tags(context))

    for callback in list(shell.events.callbacks["pre_run_cell"]):
        if getattr(callback, "__name__", None) == refresh_run_tags.__name__:
            shell.events.unregister("pre_run_cell", callback)
    shell.events.register("pre_run_cell", refresh_run_tags)


class InteractiveHooks:
    """The MLflow behaviour of an interactive session (see the module's docstring).

    Ordered against kedro-mlflow's MlflowHook with ``tryfirst``/``trylast``:
    runs are ended before it sets MLflow up or opens a run, autologging is off
    before it opens the run, and everything is checked after it closed it.
    """

    def __init__(self) -> None:
        self._autolog_off = ExitStack()
        self._pipeline_running = False
        self._active_before_run: str | None = None
        self._report_after_cell: Any = None
        self._report_is_for_a_run = False

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: KedroContext) -> None:
        shell = ipython_shell()
        if shell is None:
            return
        quiet_pipeline_logs()
        refresh_run_tags_before_each_cell(shell, context)
        ended = end_active_runs()
        if ended:
            print(f"Ended the MLflow run(s) left active: {', '.join(ended)}")  # noqa: T201
        # A kernel shows nothing printed while it starts, and session.run
        # creates a context too: the line is printed once the cell has run,
        # unless a pipeline run follows (see before_pipeline_run).
        if self._report_after_cell is None:
            self._report_after_cell = self._print_report_once(shell, context)
            shell.events.register("post_run_cell", self._report_after_cell)
            self._report_is_for_a_run = True
        else:  # already (re)loaded in this cell: report that load
            self._report_is_for_a_run = False

    def _print_report_once(self, shell: Any, context: KedroContext) -> Any:
        def print_report(result: Any) -> None:
            self._stop_reporting(shell)
            line = report(context)
            if line:
                print(line)  # noqa: T201

        return print_report

    def _stop_reporting(self, shell: Any) -> None:
        if self._report_after_cell is not None:
            shell.events.unregister("post_run_cell", self._report_after_cell)
            self._report_after_cell = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self) -> None:
        # In `kedro run` too: a platform may have switched autologging on.
        self._autolog_off.enter_context(disable_autologging())
        self._pipeline_running = True
        active = mlflow.active_run()
        self._active_before_run = active.info.run_id if active else None
        shell = ipython_shell()
        if shell is None:
            return
        if self._report_is_for_a_run:
            self._stop_reporting(shell)
        # after_pipeline_run and on_pipeline_error are not called when the run
        # is interrupted (KeyboardInterrupt): the end of the cell always is.
        shell.events.register("post_run_cell", self._after_cell)

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        self._finish("FINISHED")

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self._finish("FAILED")

    def _after_cell(self, result: Any) -> None:
        ipython_shell().events.unregister("post_run_cell", self._after_cell)
        if self._pipeline_running:  # the cell ended inside the pipeline run
            self._finish("KILLED")

    def _finish(self, status: str) -> None:
        self._pipeline_running = False
        self._autolog_off.close()
        while (run := mlflow.active_run()) is not None and (
            run.info.run_id != self._active_before_run
        ):
            mlflow.end_run(status)
