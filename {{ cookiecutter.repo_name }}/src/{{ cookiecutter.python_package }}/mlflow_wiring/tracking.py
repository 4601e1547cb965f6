"""Facts about where and how this project's runs are tracked, each stated once:
the tags of every run, whether a URI names a tracking server, a URI fit to
print, and the folders that mlflow.yml resolves (``${project_root:}``,
``${local_artifact_location:}``, registered in settings.py)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from kedro.utils import find_kedro_project
from mlflow.utils.mlflow_tags import (
    MLFLOW_GIT_BRANCH,
    MLFLOW_GIT_COMMIT,
    MLFLOW_GIT_DIRTY,
)

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext

INTERACTIVE_TAG = "kedro.interactive"
FRONTEND_TAG = "kedro.interactive.frontend"
CHANGED_FILES_TAG = "kedro.git.changed_files"
NOTEBOOK_TAG = "kedro.notebook"
ENV_TAG = "kedro.env"
# Where a run runs: a run left RUNNING by a process of this project on this
# machine that no longer exists is closed by the next run (run.close_orphans).
HOST_TAG = "kedro.host"
PID_TAG = "kedro.pid"
PROJECT_TAG = "kedro.project"
GIT_TAGS = (MLFLOW_GIT_COMMIT, MLFLOW_GIT_BRANCH, MLFLOW_GIT_DIRTY, CHANGED_FILES_TAG)
# Enough to see what changed; the tag stays readable in the UI.
MAX_CHANGED_FILES = 20


def ipython_shell() -> Any:
    """The IPython shell running this process, or None (`kedro run`, a script)."""
    # Looked up, not imported: a process that never imported IPython is not in it.
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def frontend() -> str | None:
    """Where this process runs: "notebook" in a Jupyter kernel (Jupyter, VS
    Code, nbconvert), "ipython" in a terminal, None outside IPython."""
    shell = ipython_shell()
    if shell is None:
        return None
    return "notebook" if type(shell).__name__ == "ZMQInteractiveShell" else "ipython"


def run_tags(project_path: str | Path, env: str) -> dict[str, str]:
    """The tags of every MLflow run this process starts: by `kedro run`, by
    ``session.run`` or by hand in a notebook, autolog's included.

    - ``kedro.interactive`` tells notebook runs (where cells may have run out
      of order) from `kedro run`; ``kedro.notebook`` names the notebook when
      its front end tells it;
    - the code: the project's git commit, branch and uncommitted changes;
    - ``kedro.env``: the Kedro environment of the configuration;
    - where it runs: this machine, process and project folder.
    """
    return {**place_tags(project_path, env), **git_tags(project_path)}


def place_tags(project_path: str | Path, env: str) -> dict[str, str]:
    """``run_tags`` but the code's: they do not change while a process runs."""
    where = frontend()
    tags = {INTERACTIVE_TAG: str(where is not None).lower()}
    if where is not None:
        tags[FRONTEND_TAG] = where
    notebook = notebook_path()
    if notebook:
        tags[NOTEBOOK_TAG] = notebook
    tags[ENV_TAG] = env
    tags[HOST_TAG] = socket.gethostname()
    tags[PID_TAG] = str(os.getpid())
    tags[PROJECT_TAG] = Path(project_path).resolve().as_posix()
    return tags


def _git(project_path: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(project_path), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):  # no git, or a stuck one
        return None
    return result.stdout if result.returncode == 0 else None


def git_tags(project_path: str | Path) -> dict[str, str]:
    """The project's commit, branch and uncommitted changes, as MLflow tags.

    MLflow looks for a git repository next to the entry-point script, which
    for `kedro run` or a kernel is not the project's: these are the project's.
    One `git status` gives them all: it runs before each notebook cell.
    """
    status = _git(Path(project_path), "status", "--porcelain=v2", "--branch", "-z")
    headers, changed = _parse_status(status or "")
    commit = headers.get("branch.oid", "(initial)")
    if commit == "(initial)":  # not a git repository, or no commit yet
        return {}
    tags = {MLFLOW_GIT_COMMIT: commit}
    if headers.get("branch.head", "(detached)") != "(detached)":
        tags[MLFLOW_GIT_BRANCH] = headers["branch.head"]
    tags[MLFLOW_GIT_DIRTY] = str(bool(changed)).lower()
    if changed:
        shown = changed[:MAX_CHANGED_FILES]
        more = len(changed) - len(shown)
        tags[CHANGED_FILES_TAG] = "\n".join(
            [*shown, *([f"... and {more} more"] if more else [])]
        )
    return tags


# Fields before the path in `git status --porcelain=v2` entries, by kind:
# "1" changed, "2" renamed or copied (its old path follows as an entry of its
# own), "u" unmerged, "?" untracked.
_PATH_FIELD = {"1": 8, "2": 9, "u": 10, "?": 1}


def _parse_status(status: str) -> tuple[dict[str, str], list[str]]:
    """The "# key value" headers and the changed paths of `git status
    --porcelain=v2 --branch -z` output."""
    headers: dict[str, str] = {}
    changed: list[str] = []
    entries = iter(status.split("\0"))
    for entry in entries:
        kind = entry[:1]
        if kind == "#":
            key, _, value = entry[2:].partition(" ")
            headers[key] = value
        elif kind in _PATH_FIELD:
            changed.append(entry.split(" ", _PATH_FIELD[kind])[-1])
            if kind == "2":
                next(entries, None)
    return headers, changed


def notebook_path() -> str | None:
    """The notebook this process runs, when its front end says which."""
    shell = ipython_shell()
    if shell is not None and shell.user_ns.get("__vsc_ipynb_file__"):
        return str(shell.user_ns["__vsc_ipynb_file__"])
    return os.environ.get("JPY_SESSION_NAME") or None


def context_run_tags(context: KedroContext) -> dict[str, str]:
    """``run_tags`` of a loaded project, in the environment it was loaded with
    (Kedro's default is settings.py's ``default_run_env``)."""
    env = context.env or context.config_loader.default_run_env
    return run_tags(context.project_path, env)


def tag_every_run(tags: dict[str, str]) -> None:
    """Have MLflow add ``tags`` to every run started in this process from now on.

    MLflow reads the variable MLFLOW_RUN_CONTEXT (a JSON object of tags) each
    time it starts a run, whoever starts it. Other tags already in it are
    kept; the code's tags are replaced as a whole (a file no longer changed
    is no longer listed).
    """
    current = json.loads(os.environ.get("MLFLOW_RUN_CONTEXT") or "{}")
    if any(name in tags for name in GIT_TAGS):
        current = {k: v for k, v in current.items() if k not in GIT_TAGS}
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps({**current, **tags})


def is_git_repository(project_path: str | Path) -> bool:
    return _git(Path(project_path), "rev-parse", "--git-dir") is not None


_said_no_git = False


def project_loaded(context: KedroContext) -> dict[str, str]:
    """Tag the runs to come; say once per process when the project has no git
    repository, so that runs cannot record which code they ran."""
    global _said_no_git  # noqa: PLW0603
    tags = context_run_tags(context)
    tag_every_run(tags)
    if MLFLOW_GIT_COMMIT not in tags and not _said_no_git:
        _said_no_git = True
        if not is_git_repository(context.project_path):
            logging.getLogger(__name__).info(
                "No git repository: MLflow runs will not record which code they "
                "ran. To record it, run once: git init && git add . && "
                "git commit -m 'First commit'"
            )
    return tags


def is_tracking_server(uri: str | None) -> bool:
    """True when ``uri`` names an MLflow tracking server rather than a local store."""
    return (uri or "").startswith(("http://", "https://"))


def without_password(uri: str) -> str:
    """``uri`` fit to print: a password written into it becomes ``***``."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


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
    """mlartifacts/ beside the SQLite store: at the project root by default,
    beside the file MLFLOW_TRACKING_URI names when it is another SQLite file
    (e.g. a test's throwaway store). None when MLFLOW_TRACKING_URI names a
    tracking server: an experiment created there must keep its artifacts on
    the server's side, not in a folder of whoever happened to create it."""
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if is_tracking_server(uri):
        return None
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///").partition("?")[0])
        return f"{database.resolve().parent.as_posix()}/mlartifacts"
    return f"{project_root()}/mlartifacts"
