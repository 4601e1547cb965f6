"""One Optuna study shared by every worker, and its record in MLflow.

A worker is one `kedro run --pipelines tuning`: a process, a container or a
machine. Workers given the same study name and storage share the study: the
storage (a SQLite file, a PostgreSQL database) hands out the trials. In
MLflow the study is one parent run, made by the worker that created the
study, its id kept in the study's user attributes; every trial is a child
run of it.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import click
import mlflow
import optuna
from mlflow.entities import RunStatus
from optuna.distributions import BaseDistribution
from optuna.exceptions import DuplicatedStudyError, ExperimentalWarning
from optuna.samplers import BaseSampler, TPESampler
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

from {{ cookiecutter.python_package }}.mlflow_wiring.tracking import without_password

logger = logging.getLogger(__name__)

# Study user attribute holding the MLflow parent run's id; trial user attribute
# holding the trial's child run id.
PARENT_RUN_ATTR = "mlflow_parent_run_id"
TRIAL_RUN_ATTR = "mlflow_run_id"
# Tags of the parent and child runs, and of a training run that uses the result.
STUDY_TAG = "tuning.study"
TRIAL_TAG = "tuning.trial"
STORAGE_TAG = "tuning.storage"
BEST_TRIAL_TAG = "tuning.best_trial"
BEST_PARAM_TAG = "tuning.best."  # + hyperparameter name
# The cross-validated score, named as GridSearchCV's child runs name it (notebook 2).
SCORE_METRIC = "mean_test_score"
BEST_SCORE_METRIC = "best_mean_test_score"
# How long a worker that found the study waits for its creator's parent run.
PARENT_WAIT_SECONDS = 60
# A PostgreSQL server that does not answer fails the run after this long.
CONNECT_TIMEOUT_SECONDS = 10
# Tries at opening a storage whose tables another worker is creating.
CREATE_ATTEMPTS = 3

FINISHED = RunStatus.to_string(RunStatus.FINISHED)
RUNNING = RunStatus.to_string(RunStatus.RUNNING)
KILLED = RunStatus.to_string(RunStatus.KILLED)


class StudyError(click.ClickException):
    """The study cannot be used. A ClickException: `kedro run` ends with its
    one-line message, not a traceback."""


def open_storage(url: str, heartbeat_interval: int, grace_period: int) -> RDBStorage:
    """Optuna's storage at ``url``, with heartbeats, or a one-line error.

    A worker alive sends a heartbeat every ``heartbeat_interval`` seconds
    while it runs a trial. A trial whose heartbeat stopped for
    ``grace_period`` seconds (its worker died) is marked FAIL by the next
    worker to start a trial, and its child run closed (``close_stale_run``).
    """
    engine_kwargs = (
        {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}}
        if url.startswith("postgresql")
        else {}
    )
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():
                # Heartbeats are "experimental" in Optuna 5: a notice on every run.
                warnings.simplefilter("ignore", ExperimentalWarning)
                return RDBStorage(
                    url,
                    engine_kwargs=engine_kwargs,
                    heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period,
                    heartbeat_stale_trial_callback=close_stale_run,
                )
        except Exception as error:  # a bad URL, a missing driver, no server, no file
            # Workers that start at once on a new database all create Optuna's
            # tables: those that lose the race find them made, and try again.
            if attempt < CREATE_ATTEMPTS and "already exists" in str(error):
                time.sleep(attempt)
                continue
            raise StudyError(
                f"Cannot use the Optuna storage at {without_password(url)}: "
                f"{reason(error, url)} (tuning_storage.url, "
                "conf/<env>/parameters_tuning.yml)."
            ) from error
    raise AssertionError  # not reached: the last attempt returns or raises


def reason(error: BaseException, url: str) -> str:
    """The innermost cause of ``error``, on one line, with no password in it."""
    while error.__cause__ is not None or getattr(error, "orig", None) is not None:
        error = getattr(error, "orig", None) or error.__cause__
    text = " ".join(str(error).split()) or type(error).__name__
    text = text.split(" (Background on this error")[0]
    password = url.partition("://")[2].rpartition("@")[0].partition(":")[2]
    return text.replace(password, "***") if password else text


class TrialSeededSampler(BaseSampler):
    """Optuna's TPE sampler, seeded afresh for each trial with seed + its number.

    Workers that all used one seeded sampler would draw the same random
    candidates (TPE starts with random ones); here no two trials share a seed,
    and a study run by one worker is reproducible.
    """

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.sampler = TPESampler(seed=seed)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        seed = None if self.seed is None else self.seed + trial.number
        self.sampler = TPESampler(seed=seed)
        self.sampler.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self.sampler.infer_relative_search_space(study, trial)

    def sample_relative(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        return self.sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self.sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.sampler.after_trial(study, trial, state, values)


def join_study(
    storage: RDBStorage,
    study_name: str,
    seed: int | None,
    parent_tags: dict[str, str],
    parent_params: dict[str, Any],
) -> tuple[optuna.Study, str]:
    """The study ``study_name`` and its MLflow parent run's id.

    Creating a study is atomic in Optuna's storage (its name is unique): of
    workers started at once, exactly one creates it, and only that one makes
    the parent run. The others wait for the parent's id to appear.
    """
    sampler = TrialSeededSampler(seed)
    try:
        study = optuna.create_study(
            storage=storage,
            study_name=study_name,
            direction="maximize",
            sampler=sampler,
        )
    except DuplicatedStudyError:
        study = optuna.load_study(
            study_name=study_name, storage=storage, sampler=sampler
        )
    else:
        parent_id = start_parent_run(study_name, parent_tags, parent_params)
        study.set_user_attr(PARENT_RUN_ATTR, parent_id)
        logger.info("Created study '%s', MLflow parent run %s.", study_name, parent_id)
    parent_id = wait_for_parent(study, storage.url)
    parent = mlflow.get_run(parent_id)
    if parent.info.status != RUNNING:  # a study resumed after it had finished
        mlflow.MlflowClient().update_run(parent_id, status=RUNNING)
    logger.info("Joined study '%s' (MLflow parent run %s).", study_name, parent_id)
    return study, parent_id


def start_parent_run(
    study_name: str, tags: dict[str, str], params: dict[str, Any]
) -> str:
    """A RUNNING run for the study in the project's experiment; its id.

    Started through ``mlflow.start_run``, so that it gets the project's tags
    and experiment like every run, then taken off this process's stack of
    active runs while still RUNNING: the study's workers end it together
    (``finish_parent_if_done``), not this process.
    """
    run = mlflow.start_run(run_name=f"study {study_name}", tags=tags)
    try:
        mlflow.log_params(params)
    finally:
        mlflow.end_run(status=RUNNING)
    return run.info.run_id


def wait_for_parent(study: optuna.Study, url: str) -> str:
    """The parent run id in the study's user attributes, once its creator set it."""
    deadline = time.monotonic() + PARENT_WAIT_SECONDS
    while (parent_id := study.user_attrs.get(PARENT_RUN_ATTR)) is None:
        if time.monotonic() > deadline:
            raise StudyError(
                f"Study '{study.study_name}' in {without_password(url)} has no MLflow "
                f"parent run ({PARENT_RUN_ATTR}): it was made outside this pipeline, "
                "or its creator stopped while making it. Delete it (optuna "
                "delete-study) or set another tuning.study_name."
            )
        time.sleep(0.5)
    return parent_id


def close_stale_run(study: optuna.Study, trial: FrozenTrial) -> None:
    """Close the child run of a trial whose worker died, as KILLED.

    Optuna calls it in whichever worker finds the trial stale, after marking
    the trial FAIL. The run is found by its parent and trial number: the
    worker may have died before it could note the run's id on the trial.
    """
    parent_id = study.user_attrs.get(PARENT_RUN_ATTR)
    if parent_id is None:
        return
    client = mlflow.MlflowClient()
    parent = client.get_run(parent_id)
    runs = client.search_runs(
        [parent.info.experiment_id],
        filter_string=(
            f"tags.mlflow.parentRunId = '{parent_id}' "
            f"and tags.`{TRIAL_TAG}` = '{trial.number}' "
            f"and attributes.status = '{RUNNING}'"
        ),
    )
    for run in runs:
        client.set_terminated(run.info.run_id, status=KILLED)
        logger.warning(
            "Trial %s of study '%s' lost its worker: marked FAIL, its MLflow run %s "
            "KILLED.",
            trial.number,
            study.study_name,
            run.info.run_id,
        )


def run_trials(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    n_trials: int,
) -> None:
    """Run ``n_trials`` trials of ``study`` in this worker, one at a time."""
    if n_trials > 0:
        study.optimize(objective, n_trials=n_trials)


def fail_stale_trials(study: optuna.Study) -> None:
    """Mark FAIL the trials of workers that died (Optuna's heartbeat)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def finish_parent_if_done(study: optuna.Study, parent_id: str) -> bool:
    """End the parent run FINISHED, with the best trial on it, unless other
    workers still run trials (the last to finish ends it). True if ended."""
    fail_stale_trials(study)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if running:
        logger.info(
            "%d trial(s) of study '%s' still running elsewhere: the worker that "
            "finishes last ends MLflow run %s.",
            len(running),
            study.study_name,
            parent_id,
        )
        return False
    client = mlflow.MlflowClient()
    best = best_trial(study)
    if best is not None:
        client.log_metric(parent_id, BEST_SCORE_METRIC, best.value)
        client.set_tag(parent_id, BEST_TRIAL_TAG, str(best.number))
        for name, value in best.params.items():
            client.set_tag(parent_id, f"{BEST_PARAM_TAG}{name}", str(value))
    client.set_terminated(parent_id, status=FINISHED)
    return True


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    """The study's best completed trial, or None when none completed."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    return study.best_trial
