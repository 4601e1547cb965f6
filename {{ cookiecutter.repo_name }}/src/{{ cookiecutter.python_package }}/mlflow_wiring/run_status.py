"""An interrupted pipeline run is recorded KILLED in MLflow, as MLflow itself
records an interrupted run, never FINISHED or RUNNING.

Ctrl-C (SIGINT) in a terminal, "Interrupt" in a notebook, and SIGTERM (how
`docker stop`, Kubernetes and schedulers stop a process) stop a pipeline
in the middle of a node. Kedro calls ``on_pipeline_error`` for exceptions
only, so kedro-mlflow never hears of it: MLflow's exit handler then closes the
still-active run as FINISHED (Ctrl-C), or the process dies with the run
RUNNING forever (SIGTERM), and a notebook keeps the run active.

While a pipeline runs, RunStatusHooks answers both signals: it ends the
active run as KILLED, then lets the signal do what it did before (Ctrl-C
raises KeyboardInterrupt, SIGTERM ends the process). A run still active when
the interpreter exits without the pipeline having ended (e.g. a
KeyboardInterrupt raised by code) is ended KILLED too.
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading

import mlflow
from kedro.framework.hooks import hook_impl
from mlflow.entities import RunStatus

logger = logging.getLogger(__name__)

KILLED = RunStatus.to_string(RunStatus.KILLED)
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def end_run_killed(run_id: str) -> None:
    """End the run ``run_id`` as KILLED if it is still MLflow's active run."""
    active = mlflow.active_run()
    if active is not None and active.info.run_id == run_id:
        mlflow.end_run(status=KILLED)


class RunStatusHooks:
    """Record a pipeline run stopped by a signal as KILLED.

    Registered before MlflowHook in settings.HOOKS, so that it runs after it
    (Kedro calls hooks last-in, first-out): MlflowHook has started the run when
    ``before_pipeline_run`` arrives here, and has logged the model and ended the
    run when ``after_pipeline_run`` does.
    """

    def __init__(self) -> None:
        self._run_id: str | None = None
        self._previous: dict[int, object] = {}

    @hook_impl
    def before_pipeline_run(self) -> None:
        active = mlflow.active_run()
        if active is None:  # a pipeline kedro-mlflow does not track
            return
        self._run_id = active.info.run_id
        atexit.unregister(self._at_exit)
        atexit.register(self._at_exit)
        # Python calls signal handlers in the main thread only, and only the
        # main thread may set them (a pipeline run from another thread is
        # covered by the exit handler alone).
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in INTERRUPTS:
            previous = signal.getsignal(signum)
            # An ignored signal stays ignored; None: a handler set outside Python.
            if previous not in (signal.SIG_IGN, None):
                self._previous[signum] = previous
                signal.signal(signum, self._interrupted)

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._pipeline_ended()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._pipeline_ended()

    def _interrupted(self, signum: int, frame) -> None:
        previous = self._previous.get(signum, signal.SIG_DFL)
        # From here on, a second Ctrl-C acts as if this hook were not there.
        self._restore_signals()
        if self._run_id is not None:
            try:
                end_run_killed(self._run_id)
            except Exception:
                # The interruption must go on. E.g. the store was busy with the
                # node's own write: after Ctrl-C, the exit handler tries again
                # once the interrupted code has unwound.
                logger.warning("Could not record the MLflow run as KILLED yet.")
        if callable(previous):
            previous(signum, frame)  # Python's own: raises KeyboardInterrupt
        else:
            signal.raise_signal(signum)  # the default: end the process by it

    def _at_exit(self) -> None:
        # Registered after MLflow's own exit handler, so it runs before it.
        if self._run_id is not None:
            end_run_killed(self._run_id)

    def _pipeline_ended(self) -> None:
        self._run_id = None
        self._restore_signals()
        atexit.unregister(self._at_exit)

    def _restore_signals(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
