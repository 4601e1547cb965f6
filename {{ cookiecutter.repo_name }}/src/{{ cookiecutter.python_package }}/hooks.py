"""The project's own hooks, registered in settings.py next to kedro-mlflow's."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Generator
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import mlflow
from kedro.framework.hooks import hook_impl
from mlflow.exceptions import MlflowException
from mlflow.utils.git_utils import get_git_commit
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext


def in_ipython() -> bool:
    """True inside `kedro ipython`, `kedro jupyter` or any IPython kernel."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


# What `session.run(...)` logs at INFO for each dataset loaded or saved, each
# node run and each input kedro-mlflow packs into the model: dozens of lines.
PER_STEP_LOGGERS = (
    "kedro.io",
    "kedro.pipeline",
    "kedro.runner",
    "kedro.validation",
    "kedro_mlflow.mlflow",
)


def quiet_pipeline_logs_in_notebooks() -> None:
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


def run_ipython_startup(project_path: str | Path) -> None:
    """Run the startup scripts of the project's IPython profile, once a session.

    `kedro ipython` and `kedro jupyter` start IPython with the profile in
    .ipython/ (see cli.py), and IPython runs its startup/ scripts itself. A plain
    Jupyter kernel whose first cell is `%load_ext kedro.ipython` does not read
    that profile: this gives it the same MLflow helpers.
    """
    shell = sys.modules["IPython"].get_ipython()
    profile = Path(project_path, ".ipython", "profile_default").resolve()
    profile_dir = getattr(shell, "profile_dir", None)
    started_with_profile = (
        profile_dir is not None and Path(profile_dir.location).resolve() == profile
    )
    if started_with_profile or shell.meta.get("project_startup") == profile:
        return
    shell.meta["project_startup"] = profile
    defined_before = set(shell.user_ns)
    for script in sorted((profile / "startup").glob("*.py")):
        # As IPython runs startup files: in the user's namespace, with __file__.
        shell.user_ns["__file__"] = str(script)
        shell.safe_execfile(script, shell.user_ns)
    shell.user_ns.pop("__file__", None)
    # Keep what they define out of %who, as IPython does for its startup files.
    shell.user_ns_hidden.update(
        {name: shell.user_ns[name] for name in set(shell.user_ns) - defined_before}
    )


# MLflow retries a refused or timed-out request 7 times, with growing pauses:
# about 4.5 minutes before a run against a tracking server that is down gives
# up. These bound it to well under a minute. They are defaults: a variable
# already set in the environment wins (e.g. a longer timeout for big uploads).
FAIL_FAST_HTTP = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}


class TrackingServerError(click.ClickException):
    """The MLflow tracking server cannot be used.

    A ClickException, so that `kedro run` prints the message alone, not a
    traceback of MLflow's HTTP client.
    """


def tracking_server_error(error: MlflowException, uri: str) -> TrackingServerError:
    """One message that says which server failed, and how."""
    url = re.sub(r"//[^/@]*@", "//", uri)  # never show a password put in the URI
    status = error.get_http_status_code()
    if status == HTTPStatus.UNAUTHORIZED:
        return TrackingServerError(
            f"The MLflow tracking server at {url} refused the credentials (HTTP 401): "
            "check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
            "MLFLOW_TRACKING_TOKEN) in conf/local/credentials.yml."
        )
    if status == HTTPStatus.FORBIDDEN:
        return TrackingServerError(
            f"The MLflow tracking server at {url} denied permission (HTTP 403): "
            f"{error.message}"
        )
    # The innermost exception says it best, e.g. "[Errno 111] Connection refused".
    reason = error.message
    cause = error.__cause__ or error.__context__
    while cause is not None:
        reason = str(cause)
        cause = cause.__cause__ or cause.__context__
    return TrackingServerError(
        f"Cannot use the MLflow tracking server at {url}: {reason}. Check that it "
        "is running and that MLFLOW_TRACKING_URI names it."
    )


class TrackingServerHooks:
    """Fail fast, and in one line, when the tracking server cannot be used."""

    @hook_impl(wrapper=True)
    def after_context_created(
        self, context: KedroContext
    ) -> Generator[None, None, None]:
        # A wrapper runs around every other after_context_created, among them
        # kedro-mlflow's, which connects to the tracking server.
        for name, value in FAIL_FAST_HTTP.items():
            os.environ.setdefault(name, value)
        try:
            return (yield)
        except MlflowException as error:
            uri = mlflow.get_tracking_uri()
            if not uri.startswith(("http://", "https://")):
                raise
            raise tracking_server_error(error, uri) from error


class ProjectHooks:
    """Label each tracked pipeline run; set up notebooks started without the
    project's IPython profile."""

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        if in_ipython():
            run_ipython_startup(context.project_path)
            quiet_pipeline_logs_in_notebooks()

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        # Registered before MlflowHook in settings.HOOKS, so it runs after it
        # (last-in, first-out) and finds the run MlflowHook has just started.
        if mlflow.active_run() is not None:
            mlflow.set_tags(run_tags(run_params["project_path"]))
