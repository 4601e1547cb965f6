"""One pipeline run at a time in a project.

Two runs started at once (two terminals, a notebook and a terminal, a
scheduler) write the same files under data/: one would read a model input
table or a classifier that the other is half-way through writing, or package
the other's classifier into its MLflow model. A run that finds another one
under way waits for it to finish, then runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

from kedro.framework.hooks import hook_impl

try:
    import fcntl
except ImportError:  # Windows: runs are not serialised there
    fcntl = None

logger = logging.getLogger(__name__)

LOCK_FILE = ".kedro-run.lock"


class RunLockHooks:
    """Hold an exclusive lock on the project's lock file for each pipeline run.

    Taken before any other hook opens the MLflow run, released after every
    other hook is done, kedro-mlflow's packaging of the trained model
    included. Also held while kedro-mlflow sets MLflow up, which creates the
    SQLite store on first use: two processes creating it at once collide.
    The operating system releases the lock when a process dies, however it
    dies, so a crashed run never blocks the next.
    """

    def __init__(self) -> None:
        self._held: IO[str] | None = None

    @hook_impl(wrapper=True)
    def after_context_created(self, context: Any) -> Generator[None, None, None]:
        self._acquire(context.project_path)
        try:
            return (yield)
        finally:
            self._release()

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._acquire(run_params["project_path"])

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        self._release()

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self._release()

    def _acquire(self, project_path: str | Path) -> None:
        if fcntl is None or self._held is not None:
            # Still held from an interrupted run of this process (a notebook).
            return
        lock = open(Path(project_path) / LOCK_FILE, "a+")
        # A POSIX record lock (lockf), not flock: it belongs to the process,
        # so a notebook whose interrupted run left it held, and whose
        # %reload_kedro made new hooks that know nothing of it, takes it again
        # instead of waiting for itself forever.
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another process
            lock.seek(0)
            logger.info(
                "Waiting for another pipeline run of this project (process %s) "
                "to finish.",
                lock.read().strip() or "unknown",
            )
            fcntl.lockf(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._held = lock

    def _release(self) -> None:
        if self._held is not None:
            # Closing the file releases every lock this process holds on it,
            # one left by an interrupted run included.
            fcntl.lockf(self._held, fcntl.LOCK_UN)
            self._held.close()
            self._held = None
