"""Nodes that turn raw customer rows into churn predictions.

``predict_churn`` is the last step of the pipeline that training logs as an
MLflow model (see ``pipeline.py``); ``score_customers`` is how a Kedro run uses
that model once it is registered.
"""

from __future__ import annotations

import pandas as pd
from mlflow.pyfunc import PyFuncModel
from sklearn.pipeline import Pipeline

from {{ cookiecutter.python_package }}.pipelines.preprocessing.nodes import (
    preprocess_customers,
)
from {{ cookiecutter.python_package }}.pipelines.preprocessing.schema import (
    check_customers,
)


def predict_churn(
    classifier: Pipeline,
    model_input_table: pd.DataFrame,
    features: dict[str, list[str]],
    id_column: str,
) -> pd.DataFrame:
    """Score every row of the model input table.

    Args:
        classifier: The fitted scikit-learn pipeline from training.
        model_input_table: Output of the preprocessing nodes, one row per
            customer to score.
        features: Feature names, under ``numeric`` and ``categorical``.
        id_column: Name of the customer identifier column.

    Returns:
        One row per input row, in the same order: the identifier,
        ``churn_probability`` (0 to 1) and ``predicted_churn`` (1 = will churn,
        the classifier's own decision, as in the training metrics).
    """
    X = model_input_table[[*features["numeric"], *features["categorical"]]]
    # One pass through the forest: its predict() is the class of highest
    # probability, so calling it too would score every row twice.
    probabilities = classifier.predict_proba(X)
    return pd.DataFrame(
        {
            id_column: model_input_table[id_column],
            "churn_probability": probabilities[:, 1],
            "predicted_churn": classifier.classes_.take(
                probabilities.argmax(axis=1)
            ).astype(int),
        }
    )


def score_customers(
    model: PyFuncModel,
    customers: pd.DataFrame,
    column_types: dict[str, list[str]],
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Predict with an MLflow model that takes raw rows, e.g. the champion.

    The model holds the rows to the schema itself (it starts with the
    preprocessing nodes); they are checked here too, so that the run records
    the data-quality counts. The model logs the warnings.

    Columns the model does not declare (such as ``churned`` in the training
    export) are left out here rather than by MLflow, which would warn about
    each of them on every call.

    Args:
        model: A model logged by the training pipeline, loaded as pyfunc.
        customers: Raw customer rows, as in ``data/01_raw``.
        column_types: Column names grouped by the parser they need.

    Returns:
        The model's predictions, one row per customer, and the data-quality
        counts.

    Raises:
        DataQualityError: If the schema refuses the rows.
    """
    _, counts = check_customers(
        customers,
        preprocess_customers(customers, column_types),
        "customers_to_score",
        warn=False,
    )
    declared = model.metadata.get_input_schema().input_names()
    predictions = model.predict(
        customers[[c for c in customers.columns if c in declared]]
    )
    return predictions, counts
