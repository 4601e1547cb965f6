"""The hyperparameter search of notebooks/02_tune_hyperparameters.ipynb.

It searches the training pipeline's own model (imputation, encoding and a
random forest, see nodes.py) on the pipeline's own training split, so that the
best hyperparameters it finds can go into ``hyperparameters`` of the
parameters as they are, and the training pipeline reproduce them. The notebook
imports it as any code of the package::

    from {{ cookiecutter.python_package }}.pipelines.training import tuning
"""

from __future__ import annotations

import warnings
from typing import Any

import mlflow
import pandas as pd
from sklearn.model_selection import GridSearchCV

# The training pipeline's own nodes, which keep one row per customer and then
# split: notebook 2 imports them from here, beside the search.
from .nodes import build_model, drop_duplicate_customers, split_data

__all__ = [
    "AUTOLOG_SETTINGS",
    "PARAM_GRID",
    "best_hyperparameters",
    "build_model",
    "drop_duplicate_customers",
    "split_data",
    "tune",
]

# Candidate values of RandomForestClassifier arguments, named as in
# `hyperparameters` (conf/base/parameters_training.yml): 9 candidates. The other
# hyperparameters keep their configured values.
PARAM_GRID: dict[str, list[Any]] = {
    "max_depth": [4, 8, 12],
    "min_samples_leaf": [1, 5, 10],
}

# mlflow.sklearn.autolog() arguments for the search: each candidate becomes a
# child run with its parameters and cross-validated metrics, and the parent run
# gets the best parameters and the search's results table, for little more
# than the search itself costs (docs/notebooks.md gives the measured ratio).
AUTOLOG_SETTINGS: dict[str, Any] = {
    # A child run for every candidate; the default (5) keeps the best five.
    "max_tuning_runs": None,
    # Neither the fitted search nor its best estimator: tune() logs the best
    # model once, without MLflow inferring its pip requirements (seconds).
    "log_models": False,
    # Only of use with logged models (and the signature predicts once more).
    "log_input_examples": False,
    "log_model_signatures": False,
    # A dataset entry (with a hash of the training data) in every run.
    "log_datasets": False,
    # Would watch every sklearn.metrics call made after the search.
    "log_post_training_metrics": False,
    # No MLflow notices or warnings while autologging.
    "silent": True,
}

# What skops, MLflow's safe format for scikit-learn models, must be told to
# trust to load the model back: the ones a random forest needs.
SKOPS_TRUSTED_TYPES = ["numpy.dtype", "sklearn.tree._tree.Tree"]

STEP = "classifier"  # the random forest's step in the training pipeline's model


def tune(  # noqa: PLR0913 (the search's settings, all with defaults)
    X: pd.DataFrame,
    y: pd.Series,
    param_grid: dict[str, list[Any]] = PARAM_GRID,
    cv: int = 5,
    *,
    features: dict[str, list[str]],
    hyperparameters: dict[str, Any],
    scoring: str = "roc_auc",
    n_jobs: int | None = -1,
    log_best_model: bool = True,
) -> GridSearchCV:
    """Cross-validate every combination of ``param_grid`` on ``X``, ``y``.

    Run it inside ``mlflow.start_run()`` with
    ``mlflow.sklearn.autolog(**AUTOLOG_SETTINGS)`` on: each candidate becomes a
    child run of that run. The best model, refitted on all of ``X``, is then
    logged once to that run, as ``best_model``.

    Args:
        X: Training features.
        y: Training target (0/1).
        param_grid: Candidate values per RandomForestClassifier argument.
        cv: Number of stratified folds (5, as scikit-learn's default).
        features: Feature names, under ``numeric`` and ``categorical``.
        hyperparameters: RandomForestClassifier arguments not searched.
        scoring: What ranks the candidates (a scikit-learn scorer name).
        n_jobs: Processes fitting candidates at once; -1 is one per core.
        log_best_model: Log the best model when an MLflow run is active.

    Returns:
        The fitted search: ``best_params_``, ``best_score_``, ``cv_results_``.
    """
    search = GridSearchCV(
        build_model(features, hyperparameters),
        {f"{STEP}__{name}": values for name, values in param_grid.items()},
        scoring=scoring,
        cv=cv,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        # MLflow 3's autolog computes log_loss with an argument scikit-learn 1.9
        # renamed: the FutureWarning is about MLflow's call, not yours.
        warnings.filterwarnings(
            "ignore",
            message="`y_pred` was renamed to `y_proba`",
            category=FutureWarning,
        )
        search.fit(X, y)
    if log_best_model and mlflow.active_run() is not None:
        mlflow.sklearn.log_model(
            search.best_estimator_,
            name="best_model",
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            # Given, so that MLflow does not load the model in a subprocess to
            # find out which packages it imports.
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(
                include_skops=True
            ),
        )
    return search


def best_hyperparameters(search: GridSearchCV) -> dict[str, Any]:
    """The best candidate's values, named as in ``hyperparameters``."""
    return {
        name.removeprefix(f"{STEP}__"): value
        for name, value in search.best_params_.items()
    }
