"""Trials of the shared study, then its best values (the tuning node's work).

Each trial is one MLflow child run of the study's parent run (study.py) with
the trial's number, its sampled hyperparameters (named as in
``hyperparameters``), its cross-validated score (``mean_test_score``,
``std_test_score``, as notebook 2's candidates) and what
``mlflow.sklearn.autolog()`` logs for the model fitted with them on all
training rows, with notebook 2's settings (``AUTOLOG_SETTINGS``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import mlflow
import numpy as np
import optuna
import pandas as pd
from mlflow.entities import RunStatus
from sklearn.model_selection import cross_val_score

from {{ cookiecutter.python_package }}.mlflow_wiring.tracking import without_password
from {{ cookiecutter.python_package }}.mlflow_wiring.tuning import sklearn_autologging
from {{ cookiecutter.python_package }}.pipelines.training.nodes import build_model
from {{ cookiecutter.python_package }}.pipelines.training.tuning import AUTOLOG_SETTINGS

from .search_space import SearchSpace, parse_search_space
from .study import (
    SCORE_METRIC,
    STORAGE_TAG,
    STUDY_TAG,
    TRIAL_RUN_ATTR,
    TRIAL_TAG,
    StudyError,
    best_trial,
    finish_parent_if_done,
    join_study,
    open_storage,
    run_trials,
)

logger = logging.getLogger(__name__)

FAILED = RunStatus.to_string(RunStatus.FAILED)
KILLED = RunStatus.to_string(RunStatus.KILLED)


def run_study(  # noqa: PLR0913, PLR0917 (the node's inputs)
    X_train: pd.DataFrame,
    y_train: pd.Series,
    features: dict[str, list[str]],
    hyperparameters: dict[str, Any],
    tuning: dict[str, Any],
    tuning_storage: dict[str, Any],
) -> dict[str, Any]:
    """``nodes.tune_hyperparameters``: its arguments and result."""
    # Refused here, before any storage or run is touched.
    space = parse_search_space(tuning.get("search_space"))
    url = tuning_storage["url"]
    storage = open_storage(url, tuning["heartbeat_interval"], tuning["grace_period"])
    study_name = tuning["study_name"]
    study, parent_id = join_study(
        storage,
        study_name,
        tuning.get("seed"),
        parent_tags={STUDY_TAG: study_name, STORAGE_TAG: without_password(url)},
        parent_params={
            **{f"search_space.{name}": spec for name, spec in space_specs(tuning)},
            "cv": tuning["cv"],
            "scoring": tuning["scoring"],
        },
    )
    objective = Objective(
        X_train,
        y_train,
        features=features,
        hyperparameters=hyperparameters,
        tuning=tuning,
        space=space,
        parent_id=parent_id,
    )
    try:
        run_trials(study, objective, tuning["n_trials"])
    finally:
        try:
            finish_parent_if_done(study, parent_id)
        except Exception:  # never hide why the trials stopped
            logger.exception("Could not end the study's MLflow run %s.", parent_id)
    best = best_trial(study)
    if best is None:
        raise StudyError(f"No trial of study '{study_name}' has completed yet.")
    return {
        "hyperparameters": {**hyperparameters, **best.params},
        "tuned_by": {
            "study": study_name,
            "trial": best.number,
            "params": best.params,
            SCORE_METRIC: best.value,
            "run_id": best.user_attrs.get(TRIAL_RUN_ATTR),
            "parent_run_id": parent_id,
            "storage": without_password(url),
        },
    }


def space_specs(tuning: dict[str, Any]) -> list[tuple[str, str]]:
    """The search space as written in the parameters, one string per entry."""
    return [(name, str(spec)) for name, spec in tuning["search_space"].items()]


class Objective:
    """One trial: sample, cross-validate, fit under autolog, all in a child run."""

    def __init__(  # noqa: PLR0913 (what a trial needs)
        self,
        X: pd.DataFrame,
        y: pd.Series,
        *,
        features: dict[str, list[str]],
        hyperparameters: dict[str, Any],
        tuning: dict[str, Any],
        space: SearchSpace,
        parent_id: str,
    ) -> None:
        self.X, self.y = X, y
        self.features = features
        self.hyperparameters = hyperparameters
        self.tuning = tuning
        self.space = space
        self.parent = mlflow.get_run(parent_id)

    def __call__(self, trial: optuna.Trial) -> float:
        values = self.space.sample(trial)
        run = mlflow.start_run(
            run_name=f"trial {trial.number}",
            experiment_id=self.parent.info.experiment_id,
            parent_run_id=self.parent.info.run_id,
            tags={
                STUDY_TAG: self.tuning["study_name"],
                TRIAL_TAG: str(trial.number),
            },
        )
        try:
            # Before anything else: a worker dying from here on leaves a run
            # that the study's next worker can find and close.
            trial.set_user_attr(TRIAL_RUN_ATTR, run.info.run_id)
            mlflow.log_params(values)
            score = self.cross_validate(values)
            self.fit_with_autolog(values)
        except KeyboardInterrupt:
            mlflow.end_run(status=KILLED)
            raise
        except BaseException:
            mlflow.end_run(status=FAILED)
            raise
        mlflow.end_run()
        return score

    def model(self, values: dict[str, Any]):
        return build_model(self.features, {**self.hyperparameters, **values})

    def cross_validate(self, values: dict[str, Any]) -> float:
        # Stratified folds, as GridSearchCV makes them in notebook 2.
        scores = cross_val_score(
            self.model(values),
            self.X,
            self.y,
            scoring=self.tuning["scoring"],
            cv=self.tuning["cv"],
            n_jobs=self.tuning["n_jobs"],
        )
        mean = float(np.mean(scores))
        mlflow.log_metrics(
            {SCORE_METRIC: mean, "std_test_score": float(np.std(scores))}
        )
        return mean

    def fit_with_autolog(self, values: dict[str, Any]) -> None:
        """Fit on all training rows while autolog records the estimator."""
        with sklearn_autologging(AUTOLOG_SETTINGS), warnings.catch_warnings():
            # MLflow 3's autolog computes log_loss with an argument scikit-learn
            # 1.9 renamed: the FutureWarning is about MLflow's call, not yours.
            warnings.filterwarnings(
                "ignore",
                message="`y_pred` was renamed to `y_proba`",
                category=FutureWarning,
            )
            self.model(values).fit(self.X, self.y)
