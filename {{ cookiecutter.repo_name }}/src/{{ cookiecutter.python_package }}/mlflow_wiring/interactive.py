"""What MLflow does in an interactive session: IPython, Jupyter, a notebook.

Every way into a session loads the project through Kedro's IPython extension
(`kedro ipython`, `kedro jupyter` and its kernel, ``%load_ext kedro.ipython``
in any kernel), which creates a Kedro context then, on every
``%reload_kedro`` and in every ``session.run``. ``RunHooks`` calls these
functions then, so that every session behaves the same:

- ``mlflow`` is a global of the session, beside ``session``, ``context``,
  ``catalog`` and ``pipelines``, set up for the project's store;
- after each (re)load, one line names the MLflow experiment and the tracking
  URI, with any password hidden;
- a run still active when the project (re)loads is ended first:
  kedro-mlflow would adopt it and ignore mlflow.yml;
- a pipeline run interrupted in a cell is recorded KILLED when the cell ends
  (``end_cell_with``);
- cells show results, warnings and errors, not Kedro's INFO line per dataset
  and node (``quiet_pipeline_logs``); `kedro run` prints them as before;
- runs started by hand get the project's tags (``tracking.run_tags``) with
  the code as it is when their cell starts (``GitTags``), at no cost to the
  cell: git runs in the background.

Outside IPython (`kedro run`, a script) they do nothing.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import mlflow

from .tracking import (
    GIT_TAGS,
    INTERACTIVE_TAG,
    PID_TAG,
    git_tags,
    ipython_shell,
    tag_every_run,
    without_password,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from kedro.framework.context import KedroContext

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
    per dataset and node. Only loggers nobody has set a level for are
    changed: a level from conf/logging.yml, or set in a cell, wins."""
    for name in PER_STEP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


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


def on_cell(
    shell: Any, event: str, callback: Callable[..., None] | None, name: str
) -> None:
    """Make ``callback`` the one callback called ``name`` of IPython's ``event``.

    By name: ``%reload_kedro`` re-imports the project's modules, this one
    included, and the callbacks of the earlier load must go.
    """
    for registered in list(shell.events.callbacks[event]):
        if getattr(registered, "__name__", None) == name:
            shell.events.unregister(event, registered)
    if callback is not None:

        def call(*args: Any) -> None:
            callback(*args)

        call.__name__ = name
        shell.events.register(event, call)


class GitTags:
    """The code's tags (commit, branch, dirty flag, changed files) of the runs
    that cells start by hand, as the code is when each cell starts.

    `git status` reads every file of the repository: 60 ms or more per call
    in a large one. It runs in a thread started as a cell starts, off the
    cell's path; the tags it finds are those of runs started from then on
    and, when the code changed, replace the older ones on the runs this
    process started since the cell began (again once the cell has ended, for
    a run it started meanwhile). The process waits for it before it exits.
    """

    def __init__(self, project_path: str, current: dict[str, str]) -> None:
        self.project_path = project_path
        self.current = current
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.again: float | None = None  # the first cell start it missed
        self.changed_since: float | None = None

    def cell_started(self, *_: Any) -> None:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                if self.again is None:  # once more when it is done
                    self.again = time.time()
                return
            self.thread = threading.Thread(
                target=self.work, args=(time.time(),), daemon=True
            )
            self.thread.start()

    def work(self, since: float) -> None:
        while True:
            tags = git_tags(self.project_path)
            if tags != self.current:
                self.current = tags
                tag_every_run(tags)
                retag_runs_since(since, tags)
                self.changed_since = since
            with self.lock:
                if self.again is None:
                    return
                since, self.again = self.again, None

    def cell_ended(self, *_: Any) -> None:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return  # it re-tags when it is done, after this cell's runs
            since, self.changed_since = self.changed_since, None
        if since is not None:
            retag_runs_since(since, self.current)

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join(timeout=30)


def retag_runs_since(since: float, tags: dict[str, str]) -> None:
    """Give ``tags`` to the runs this process started after ``since``."""
    try:
        client = mlflow.MlflowClient()
        runs = mlflow.search_runs(
            search_all_experiments=True,
            filter_string=(
                f"attributes.start_time >= {int(since * 1000)}"
                f" and tags.`{PID_TAG}` = '{os.getpid()}'"
            ),
            output_format="list",
        )
        for run in runs:
            for name in GIT_TAGS:
                if name in tags:
                    client.set_tag(run.info.run_id, name, tags[name])
                elif name in run.data.tags:
                    client.delete_tag(run.info.run_id, name)
    except Exception as error:  # a tag is not worth a failed cell
        logging.getLogger(__name__).debug("Could not re-tag runs: %s", error)


# --- what RunHooks calls ----------------------------------------------------------

_loads_in_cell = 0
_git: GitTags | None = None


def wait_for_git() -> None:
    """Let the last refresh of the code's tags finish before the process ends."""
    if _git is not None:
        _git.wait()


def before_load() -> None:
    """Before kedro-mlflow sets MLflow up for a new context."""
    if ipython_shell() is None:
        return
    quiet_pipeline_logs()
    ended = end_active_runs()
    if ended:
        print(f"Ended the MLflow run(s) left active: {', '.join(ended)}")  # noqa: T201


def after_load(context: KedroContext, tags: dict[str, str]) -> None:
    """Once kedro-mlflow has set MLflow up for ``context``, whose runs are
    tagged ``tags``."""
    global _loads_in_cell, _git  # noqa: PLW0603
    shell = ipython_shell()
    if shell is None:
        return
    shell.push({"mlflow": mlflow})
    if _git is None:
        atexit.register(wait_for_git)
    _git = GitTags(
        str(context.project_path), {k: tags[k] for k in GIT_TAGS if k in tags}
    )
    on_cell(shell, "pre_run_cell", _git.cell_started, "git_tags_cell_started")
    on_cell(shell, "post_run_cell", _git.cell_ended, "git_tags_cell_ended")
    # A kernel shows nothing printed while it starts, and session.run creates
    # a context too: the line is printed once the cell has run, for its first
    # load, unless that load was session.run's (see end_cell_with).
    _loads_in_cell += 1
    if _loads_in_cell == 1:

        def print_report(*_: Any) -> None:
            global _loads_in_cell  # noqa: PLW0603
            _loads_in_cell = 0
            on_cell(shell, "post_run_cell", None, "report_mlflow")
            line = report(context)
            if line:
                print(line)  # noqa: T201

        on_cell(shell, "post_run_cell", print_report, "report_mlflow")


def end_cell_with(callback: Callable[[], None] | None) -> None:
    """Call ``callback`` when the current cell ends (None: no longer)."""
    global _loads_in_cell  # noqa: PLW0603
    shell = ipython_shell()
    if shell is None:
        return
    if callback is not None and _loads_in_cell == 1:
        # The cell's only load was the pipeline run's own: nothing to report.
        _loads_in_cell = 0
        on_cell(shell, "post_run_cell", None, "report_mlflow")
    on_cell(
        shell,
        "post_run_cell",
        None if callback is None else (lambda *_: callback()),
        "end_pipeline_run",
    )
