"""``RunHooks``: the one owner of how every pipeline run starts and ends.

kedro-mlflow's ``MlflowHook`` opens an MLflow run when a pipeline starts,
logs into it and closes it. Around it, this class does, in this order:

- when the project loads (`kedro run`, ``session.run``, a notebook's
  ``%reload_kedro``): move any login out of tracking URIs (``secrets.py``),
  stop on a local store that cannot be used (``store.py``) or a tracking
  server that cannot (``server.py``), hold the project's lock while the store
  is set up, tag the runs to come, and give an interactive session its MLflow
  behaviour (``interactive.py``);
- when a pipeline starts, *before* MLflow's run exists: wait for the
  project's lock (``RunLock``: one pipeline run of the project at a time),
  close the runs of this project that a dead process left RUNNING, stop
  autologging, and answer Ctrl-C and SIGTERM, so that the run is KILLED
  from its first instant;
- while it runs: record the data its nodes read (``lineage.py``);
- however it ends, ``end`` records one true status and undoes all of the
  above: FINISHED; FAILED on an exception (in a node, or while kedro-mlflow
  logs the model); KILLED on Ctrl-C, SIGTERM, a notebook's Interrupt or a
  KeyboardInterrupt raised by code (seen by the exit handler, or at the end
  of the notebook cell). After a FINISHED run, a copy of a local store is
  kept (``store.py``).

A run opened by an orchestrator and shared by its tasks (``MLFLOW_RUN_ID`` in
the environment, see scripts/shared_run.py) is only lent to the pipeline:
kedro-mlflow logs into it, but the run keeps its name and stays RUNNING for
the task that closes it; a task that fails or is stopped says so in a tag
``kedro.failed.<host>.<pid>``, and once one was stopped the run waits KILLED
instead (its closing task, if it comes, has the last word).

Every method here either wraps kedro-mlflow's (``wrapper=True``) or runs
after it (``trylast=True``), whatever the order of ``HOOKS`` in settings.py.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import threading
from collections.abc import Generator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import mlflow
from kedro.framework.hooks import hook_impl
from mlflow.entities import LoggedModelStatus, Run, RunStatus
from mlflow.exceptions import MlflowException

from . import interactive, lineage, secrets, server, store, tracking, tuning

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext
    from kedro.pipeline import Node, Pipeline

try:
    import fcntl
except ImportError:  # Windows: runs are not serialised there
    fcntl = None

logger = logging.getLogger(__name__)

FINISHED, FAILED, KILLED = (
    RunStatus.to_string(status)
    for status in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)
)
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)
LOCK_FILE = ".kedro-run.lock"
# Pipelines whose runs write nothing that another run reads, and so may run
# at once: the workers of one tuning study (pipelines/tuning).
RUN_AT_ONCE = {"tuning"}
ORPHAN_TAG = "kedro.closed_because"
# A run opened for an orchestrator's tasks (shared_run.py): whoever opened it
# closes it, once its tasks are done.
SHARED_RUN_TAG = "kedro.shared_run"


class RunLock:
    """An exclusive lock on the project's lock file: a run that finds another
    one under way waits for it, instead of reading its half-written files.

    A POSIX record lock (lockf): the operating system releases it when the
    process dies, however it dies, and it belongs to the process, so a
    notebook never waits for itself.
    """

    def __init__(self) -> None:
        self.held: IO[str] | None = None

    def acquire(self, project_path: str | Path) -> None:
        if fcntl is None or self.held is not None:
            return
        lock = open(Path(project_path) / LOCK_FILE, "a+")  # noqa: SIM115
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
        self.held = lock

    def release(self) -> None:
        if self.held is not None:
            fcntl.lockf(self.held, fcntl.LOCK_UN)
            self.held.close()
            self.held = None


def process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def fail_pending_models(run: Run) -> None:
    """Mark FAILED the models ``run`` began to log and never finished: MLflow
    would show them PENDING forever."""
    client = mlflow.MlflowClient()
    for model in client.search_logged_models(
        [run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
    ):
        if model.status == LoggedModelStatus.PENDING:
            client.finalize_logged_model(model.model_id, LoggedModelStatus.FAILED)


def close(run_id: str, status: str) -> None:
    """End the run ``run_id`` with ``status`` if it is still RUNNING."""
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    if run.info.status == "RUNNING":
        client.set_terminated(run_id, status)
    fail_pending_models(run)


def close_orphans(project_path: str | Path) -> list[str]:
    """End as FAILED the runs of this project on this machine that are still
    RUNNING although the process that started them is gone (``kill -9``, out
    of memory, power loss); return their ids.

    Called with the project's lock held: no other pipeline run of the project
    is alive here. Runs of other machines (a shared server) are never touched.
    """
    host, project = socket.gethostname(), Path(project_path).as_posix()
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string=(
            "attributes.status = 'RUNNING'"
            f" and tags.`{tracking.HOST_TAG}` = '{host}'"
            f" and tags.`{tracking.PROJECT_TAG}` = '{project}'"
        ),
        output_format="list",
    )
    closed = []
    client = mlflow.MlflowClient()
    for run in runs:
        pid = run.data.tags.get(tracking.PID_TAG, "")
        if not pid.isdigit() or process_is_alive(int(pid)):
            continue
        if run.data.tags.get(SHARED_RUN_TAG) == "true":  # its closer ends it
            continue
        client.set_tag(
            run.info.run_id,
            ORPHAN_TAG,
            f"process {pid} on {host} ended without closing the run",
        )
        close(run.info.run_id, FAILED)
        logger.warning(
            "Closed MLflow run %s ('%s') as FAILED: process %s that ran it ended "
            "without closing it (killed, out of memory or power loss).",
            run.info.run_id,
            run.info.run_name,
            pid,
        )
        closed.append(run.info.run_id)
    return closed


def end_killed(run_id: str) -> None:
    """End the run ``run_id`` KILLED, active in this process or not."""
    while (run := mlflow.active_run()) is not None and run.info.run_id == run_id:
        mlflow.end_run(KILLED)
    close(run_id, KILLED)


class RunHooks:
    """The project's run behaviour, around kedro-mlflow's (module docstring)."""

    def __init__(self) -> None:
        self.lock = RunLock()
        self.context: KedroContext | None = None
        self.specs: dict[str, lineage.InputSpec] = {}
        self.recorder: dict[str, str] = {}
        # Set while a pipeline runs, undone by `end`.
        self.running = False
        self.run_id: str | None = None
        self.active_before: str | None = None
        self.undo = ExitStack()
        self.previous_handlers: dict[int, Any] = {}
        self.lent: str | None = None  # the name of a shared run (MLFLOW_RUN_ID)
        self.nodes = ""

    # --- loading the project ---------------------------------------------------

    @hook_impl(wrapper=True)
    def after_context_created(
        self, context: KedroContext
    ) -> Generator[None, None, None]:
        self.context = context
        server.fail_fast()
        secrets.protect_credentials()
        for uri in store.configured_store_uris(context):
            store.check_local_store(uri)
        interactive.before_load()
        self.lock.acquire(context.project_path)
        try:
            yield  # kedro-mlflow sets MLflow up (and may create the store)
        except MlflowException as error:
            server.raise_if_unusable(error)
            raise
        finally:
            if not self.running:
                self.lock.release()
        secrets.protect_configured_uris(context)
        interactive.after_load(context, tracking.project_loaded(context))

    @hook_impl
    def after_catalog_created(self, conf_catalog: dict[str, Any]) -> None:
        if self.context is not None:
            self.specs = lineage.input_specs(
                lineage.recorded_inputs(self.context), conf_catalog
            )

    # --- a pipeline run ----------------------------------------------------------

    @hook_impl(wrapper=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline
    ) -> Generator[None, None, None]:
        self.nodes = ",".join(run_params.get("node_names") or []) or "all nodes"
        try:
            self.start(run_params, pipeline)
            yield  # kedro-mlflow opens the run
        except BaseException:
            self.end(FAILED)
            raise
        active = mlflow.active_run()
        if active is not None and active.info.run_id != self.active_before:
            self.run_id = active.info.run_id
            if self.lent is not None:  # kedro-mlflow names it after the pipeline
                mlflow.MlflowClient().update_run(self.run_id, name=self.lent)
            else:
                mlflow.set_tags(lineage.pipeline_tags(run_params))
            if "params:hyperparameters" in pipeline.inputs() and self.context:
                mlflow.set_tags(tuning.tuned_by_tags(self.context.params))
        self.recorder = lineage.recorders(pipeline, self.specs)

    @hook_impl(trylast=True)
    def before_node_run(self, node: Node, inputs: dict[str, Any]) -> None:
        # After kedro-mlflow's, which makes the run active in the node's thread.
        lineage.record_node_inputs(node, inputs, self.specs, self.recorder)

    @hook_impl(wrapper=True)
    def after_pipeline_run(self) -> Generator[None, None, None]:
        try:
            yield  # kedro-mlflow logs the model and ends the run
        except BaseException:
            logger.error(
                "The pipeline's nodes completed, but recording the run in MLflow "
                "failed: the run is recorded FAILED."
            )
            self.end(FAILED)
            raise
        self.end(FINISHED)

    @hook_impl(wrapper=True)
    def on_pipeline_error(self) -> Generator[None, None, None]:
        try:
            yield  # kedro-mlflow ends the run FAILED
        finally:
            self.end(FAILED)

    # --- the one place that sets and undoes a run's state -----------------------

    def start(self, run_params: dict[str, Any], pipeline: Pipeline) -> None:
        """Before MLflow's run exists: everything ``end`` undoes."""
        project_path = run_params["project_path"]
        names = set(run_params.get("pipeline_names") or ["__default__"])
        if not names <= RUN_AT_ONCE:
            self.lock.acquire(project_path)
        self.running = True
        if "params:tuning_storage" in pipeline.inputs() and self.context:
            tuning.export_storage_credentials(self.context)
        active = mlflow.active_run()
        self.active_before = active.info.run_id if active else None
        self.run_id = None
        shared = os.environ.get("MLFLOW_RUN_ID")
        self.lent = (
            mlflow.MlflowClient().get_run(shared).info.run_name if shared else None
        )
        if getattr(self.context, "mlflow", None) is not None:  # tracked
            try:
                close_orphans(project_path)
            except MlflowException as error:  # never a reason not to run
                logger.debug("Could not look for orphaned runs: %s", error)
        self.undo.enter_context(tuning.autologging_suspended())
        atexit.unregister(self.at_exit)
        atexit.register(self.at_exit)  # runs before MLflow's, which says FINISHED
        interactive.end_cell_with(self.at_cell_end)
        # Python calls signal handlers in the main thread, and only it may set
        # them (a pipeline run from another thread has the exit handler).
        if threading.current_thread() is threading.main_thread():
            for signum in INTERRUPTS:
                previous = signal.getsignal(signum)
                # An ignored signal stays ignored; None: set outside Python.
                if previous not in (signal.SIG_IGN, None):
                    self.previous_handlers[signum] = previous
                    signal.signal(signum, self.interrupted)

    def end(self, status: str) -> None:
        """Record ``status`` on the run if it is still open, and undo ``start``.
        Safe to call more than once: the first call decides."""
        if not self.running:
            return
        self.running = False
        try:
            self.end_runs(status)
            if status == FINISHED:
                for uri in {mlflow.get_tracking_uri(), mlflow.get_registry_uri()}:
                    store.backup_local_store(uri)
        finally:
            for signum, previous in self.previous_handlers.items():
                signal.signal(signum, previous)
            self.previous_handlers.clear()
            atexit.unregister(self.at_exit)
            interactive.end_cell_with(None)
            self.undo.close()
            self.lock.release()

    def end_runs(self, status: str) -> None:
        """End the runs this pipeline run left active (one, unless kedro-mlflow
        nested them), down to the run active before it."""
        while (run := mlflow.active_run()) is not None and (
            run.info.run_id != self.active_before
        ):
            mlflow.end_run(status)
        if self.run_id is not None and self.lent is not None:
            self.give_back(status)
        elif self.run_id is not None and status != FINISHED:
            # Still open in another thread, or its model half logged.
            close(self.run_id, status)

    def give_back(self, status: str) -> None:
        """Hand a lent run back to the task that closes it (kedro-mlflow, or
        ``end_runs``, ended it): RUNNING, or KILLED once this or another of its
        pipeline runs was stopped, so that a run whose closing task never comes
        (a DAG run stopped in Airflow) is not left RUNNING. The closing task,
        if it comes, ends it as it sees fit."""
        client = mlflow.MlflowClient()
        if status != FINISHED:
            where = f"{socket.gethostname()}.{os.getpid()}"
            client.set_tag(
                self.run_id, f"kedro.failed.{where}", f"{status}: {self.nodes}"
            )
        tags = client.get_run(self.run_id).data.tags
        stopped = any(
            key.startswith("kedro.failed.") and value.startswith(f"{KILLED}:")
            for key, value in tags.items()
        )
        if stopped:
            client.set_terminated(self.run_id, KILLED)
        else:
            client.update_run(self.run_id, status="RUNNING")

    def interrupted(self, signum: int, frame: Any) -> None:
        previous = self.previous_handlers.get(signum, signal.SIG_DFL)
        active = mlflow.active_run()
        try:
            self.end(KILLED)
        except Exception:  # e.g. the store was busy with the node's own write
            logger.warning("Could not record the MLflow run as KILLED yet.")
            if active is not None:  # once the interrupted code has unwound
                atexit.register(end_killed, active.info.run_id)
        if callable(previous):
            previous(signum, frame)  # Python's own: raises KeyboardInterrupt
        else:
            signal.raise_signal(signum)  # the default: end the process by it

    def at_exit(self) -> None:
        self.end(KILLED)

    def at_cell_end(self) -> None:
        """A notebook cell ended inside the pipeline run: it was interrupted."""
        self.end(KILLED)
