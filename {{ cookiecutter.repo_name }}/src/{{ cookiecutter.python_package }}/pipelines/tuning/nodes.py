"""The tuning pipeline's node.

Optuna loads when a study runs (trials.py), not when the project loads: every
`kedro run` and notebook registers this pipeline, and need not pay for it.
"""

from __future__ import annotations

from typing import Any

# At run time, not for type checkers only: Kedro reads the node's type hints.
import pandas as pd


def tune_hyperparameters(  # noqa: PLR0913, PLR0917 (a node: the pipeline's inputs)
    X_train: pd.DataFrame,
    y_train: pd.Series,
    features: dict[str, list[str]],
    hyperparameters: dict[str, Any],
    tuning: dict[str, Any],
    tuning_storage: dict[str, Any],
) -> dict[str, Any]:
    """Run ``tuning.n_trials`` trials of the study, then return its best values.

    Args:
        X_train: Training features, split as the training pipeline splits them.
        y_train: Training target (0/1).
        features: Feature names, under ``numeric`` and ``categorical``.
        hyperparameters: RandomForestClassifier arguments; the searched ones
            are replaced by each trial's values.
        tuning: The study's settings (conf/base/parameters_tuning.yml).
        tuning_storage: ``url`` of Optuna's storage, ``credentials``.

    Returns:
        What conf/local/parameters_training.yml gets: ``hyperparameters`` with
        the study's best values, and ``tuned_by``: the study and trial they
        come from.
    """
    from .trials import run_study  # noqa: PLC0415 (see the module's docstring)

    return run_study(
        X_train, y_train, features, hyperparameters, tuning, tuning_storage
    )
