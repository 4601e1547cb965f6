"""Nodes that train a churn classifier and measure it against a baseline.

Imputation and one-hot encoding are fitted here, inside the scikit-learn
pipeline, rather than in preprocessing: the logged model then carries what it
learned about the training data and copes with missing values and categories
it has never seen when it scores new customers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder


def drop_duplicate_customers(
    data: pd.DataFrame, id_column: str
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Keep one row per customer, before the train/test split.

    A customer whose row appears twice could land in both the training and
    the test set: the model is then tested on rows it has seen, and its score
    flatters it. Exact copies are dropped first; of the rows left that share
    an identifier (the same customer, exported twice with different values),
    the last is kept, as the most recent record. Dropping rather than a
    grouped split: scoring gives one prediction per customer, so the model is
    trained and tested on one row per customer too.

    Args:
        data: The model input table.
        id_column: Name of the customer identifier column.

    Returns:
        The table with one row per customer, by identifier, and the counts
        dropped (``duplicate_rows``, ``repeated_ids``) as metrics.
    """
    unique_rows = data.drop_duplicates()
    # In identifier order: the split then depends on the customers, not on the
    # order of the export's rows (the example data is in that order already).
    one_per_customer = unique_rows.drop_duplicates(
        subset=[id_column], keep="last"
    ).sort_values(id_column, kind="stable")
    dropped = {
        "duplicate_rows": len(data) - len(unique_rows),
        "repeated_ids": len(unique_rows) - len(one_per_customer),
    }
    return one_per_customer, {name: float(n) for name, n in dropped.items()}


def split_data(
    data: pd.DataFrame,
    target: str,
    features: dict[str, list[str]],
    split: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Drop unlabelled rows, then split into stratified train and test sets.

    Dropping rows happens here and not in preprocessing, whose nodes must keep
    every row so that they also serve prediction on unlabelled data.

    Args:
        data: The model input table.
        target: Name of the 0/1 target column.
        features: Feature names, under ``numeric`` and ``categorical``.
        split: ``test_size`` and ``random_state`` for ``train_test_split``.

    Returns:
        ``X_train``, ``X_test``, ``y_train``, ``y_test``.
    """
    labelled = data.dropna(subset=[target])
    X = labelled[[*features["numeric"], *features["categorical"]]]
    y = labelled[target].astype(int)
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=split["test_size"],
        random_state=split["random_state"],
        # Keep the churn rate equal in both sets, so metrics are comparable.
        stratify=y,
    )
    return X_train, X_test, y_train, y_test


def _build_preprocessor(features: dict[str, list[str]]) -> ColumnTransformer:
    """Impute and encode the feature columns; fitted with the model."""
    categorical = make_pipeline(
        # "missing" is a category of its own: a blank field can itself say
        # something about a customer.
        SimpleImputer(strategy="constant", fill_value="missing"),
        # Categories unseen during training encode as all zeros, not an error.
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", SimpleImputer(strategy="median"), features["numeric"]),
            ("categorical", categorical, features["categorical"]),
        ]
    )


def build_model(
    features: dict[str, list[str]], hyperparameters: dict[str, Any]
) -> Pipeline:
    """Imputation, encoding and a random forest as one unfitted pipeline.

    Shared by ``train_model`` and the tuning search (tuning.py), so that
    the search tunes exactly the model the pipeline trains.

    Args:
        features: Feature names, under ``numeric`` and ``categorical``.
        hyperparameters: Keyword arguments of ``RandomForestClassifier``.

    Returns:
        The pipeline, with steps ``preprocessor`` and ``classifier``.
    """
    return Pipeline(
        [
            ("preprocessor", _build_preprocessor(features)),
            ("classifier", RandomForestClassifier(**hyperparameters)),
        ]
    )


def train_model(
    X_train: pd.DataFrame,
    y_train: pd.Series,
    features: dict[str, list[str]],
    hyperparameters: dict[str, Any],
) -> Pipeline:
    """Fit imputation, encoding and a random forest as one scikit-learn pipeline.

    Args:
        X_train: Training features.
        y_train: Training target (0/1).
        features: Feature names, under ``numeric`` and ``categorical``.
        hyperparameters: Keyword arguments of ``RandomForestClassifier``.

    Returns:
        The fitted pipeline, with steps ``preprocessor`` and ``classifier``.
    """
    return build_model(features, hyperparameters).fit(X_train, y_train)


def _as_history(metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    """Shape metrics as MlflowMetricsHistoryDataset expects: value and step."""
    return {name: {"value": value, "step": 0} for name, value in metrics.items()}


def evaluate_model(
    classifier: Pipeline,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    y_train: pd.Series,
) -> dict[str, dict[str, float]]:
    """Score the model on the test set next to a trivial baseline.

    The baseline always predicts the training churn rate. Its accuracy is the
    share of the majority class and its ROC AUC is 0.5, so the gap between
    ``roc_auc`` and ``baseline_roc_auc`` is what the model really learned.

    Args:
        classifier: The fitted pipeline.
        X_test: Test features.
        y_test: Test target (0/1).
        y_train: Training target, to fit the baseline.

    Returns:
        Metrics by name, as ``{"value": v, "step": 0}`` dicts.
    """
    # The baseline ignores the features; fitting it on y_train alone is enough.
    baseline = DummyClassifier(strategy="prior").fit(
        pd.DataFrame(index=y_train.index), y_train
    )
    empty_test = pd.DataFrame(index=y_test.index)

    probabilities = classifier.predict_proba(X_test)[:, 1]
    predictions = classifier.predict(X_test)
    metrics = {
        "roc_auc": roc_auc_score(y_test, probabilities),
        "accuracy": accuracy_score(y_test, predictions),
        "f1": f1_score(y_test, predictions),
        "baseline_roc_auc": roc_auc_score(
            y_test, baseline.predict_proba(empty_test)[:, 1]
        ),
        "baseline_accuracy": accuracy_score(y_test, baseline.predict(empty_test)),
    }
    return _as_history({name: float(value) for name, value in metrics.items()})


def plot_roc_curve(
    classifier: Pipeline, X_test: pd.DataFrame, y_test: pd.Series
) -> Figure:
    """Draw the model's ROC curve on the test set, against chance.

    Built with the object-oriented ``Figure`` API rather than ``pyplot``, so
    no GUI backend or global figure state is involved.

    Args:
        classifier: The fitted pipeline.
        X_test: Test features.
        y_test: Test target (0/1).

    Returns:
        The figure.
    """
    probabilities = classifier.predict_proba(X_test)[:, 1]
    false_positive_rate, true_positive_rate, _ = roc_curve(y_test, probabilities)
    auc = roc_auc_score(y_test, probabilities)

    figure = Figure(figsize=(5, 5), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(false_positive_rate, true_positive_rate, label=f"model (AUC {auc:.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance (AUC 0.5)")
    axes.set(
        xlabel="False positive rate",
        ylabel="True positive rate",
        title="ROC curve on the test set",
        xlim=(0, 1),
        ylim=(0, 1),
        aspect="equal",
    )
    axes.legend(loc="lower right")
    return figure
