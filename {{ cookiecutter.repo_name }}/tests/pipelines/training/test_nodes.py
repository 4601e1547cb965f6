"""Tests of the training nodes, on the example data shipped with the project."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from matplotlib.figure import Figure

from {{ cookiecutter.python_package }}.pipelines import training, tuning
from {{ cookiecutter.python_package }}.pipelines.preprocessing.nodes import (
    create_features,
    create_model_input_table,
    preprocess_customers,
)
from {{ cookiecutter.python_package }}.pipelines.training.nodes import (
    drop_duplicate_customers,
    evaluate_model,
    plot_roc_curve,
    split_data,
    train_model,
)

# How far above the always-predict-the-churn-rate baseline (ROC AUC 0.5) the
# model must score on the shipped data for the example to be worth showing.
MIN_ROC_AUC_MARGIN = 0.15


def _preprocess(raw: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    """Run the preprocessing nodes in pipeline order."""
    cleaned = preprocess_customers(raw, parameters["column_types"])
    features = create_features(cleaned, parameters["reference_date"])
    return create_model_input_table(features, parameters["id_column"])


@pytest.fixture(scope="module")
def model_input_table(raw_customers, parameters) -> pd.DataFrame:
    return _preprocess(raw_customers, parameters)


@pytest.fixture(scope="module")
def split(model_input_table, parameters):
    return split_data(
        model_input_table,
        parameters["target"],
        parameters["features"],
        parameters["split"],
    )


@pytest.fixture(scope="module")
def classifier(split, parameters):
    X_train, _, y_train, _ = split
    return train_model(
        X_train, y_train, parameters["features"], parameters["hyperparameters"]
    )


def test_split_drops_unlabelled_rows_and_keeps_the_churn_rate(
    model_input_table, split, parameters
):
    X_train, X_test, y_train, y_test = split
    target = parameters["target"]
    features = parameters["features"]

    labelled = model_input_table[target].notna().sum()
    assert labelled < len(model_input_table), "the example data has unlabelled rows"
    assert len(X_train) + len(X_test) == labelled
    assert list(X_train.columns) == [*features["numeric"], *features["categorical"]]
    assert set(y_train) | set(y_test) == {0, 1}
    assert y_train.mean() == pytest.approx(y_test.mean(), abs=0.01)


def test_train_model_passes_the_hyperparameters(classifier, parameters):
    forest = classifier.named_steps["classifier"]

    for name, value in parameters["hyperparameters"].items():
        assert getattr(forest, name) == value


def test_model_beats_the_baseline(classifier, split):
    _, X_test, y_train, y_test = split

    metrics = evaluate_model(classifier, X_test, y_test, y_train)

    roc_auc = metrics["roc_auc"]["value"]
    baseline = metrics["baseline_roc_auc"]["value"]
    assert roc_auc - baseline >= MIN_ROC_AUC_MARGIN
    # A near-perfect score on noisy data would mean the target leaked in.
    assert roc_auc < 0.95
    assert metrics["accuracy"]["value"] > metrics["baseline_accuracy"]["value"]


def test_metrics_have_the_shape_mlflow_expects(classifier, split):
    _, X_test, y_train, y_test = split

    metrics = evaluate_model(classifier, X_test, y_test, y_train)

    assert set(metrics) == {
        "roc_auc",
        "accuracy",
        "f1",
        "baseline_roc_auc",
        "baseline_accuracy",
    }
    for metric in metrics.values():
        assert set(metric) == {"value", "step"}
        assert isinstance(metric["value"], float)
        assert 0.0 <= metric["value"] <= 1.0


def test_model_scores_raw_rows_with_unseen_categories_and_gaps(classifier, parameters):
    """New customers arrive as raw text, unlabelled, sometimes odd."""
    raw = pd.DataFrame(
        {
            "customer_id": ["N1", "N2", "N3"],
            "signup_date": ["2024-06-01", "", "2019-03-15"],
            # "platinum" and "crypto" never occur in the training data.
            "plan": ["Platinum", " basic", ""],
            "contract": ["month-to-month", "", "TWO YEAR"],
            "payment_method": ["crypto", "", "Invoice"],
            "region": ["", "north", "Atlantis"],
            "autopay": ["", "yes", "N"],
            "monthly_fee": ["$2,499.00", "", "$9.99"],
            "discount": ["", "10%", "abc"],
            "total_spend": ["", "$100.00", "$1,234.56"],
            "support_tickets": ["", "3", "0"],
            "logins_last_30d": ["", "", "20"],
            "avg_session_minutes": ["", "5.5", ""],
        }
    )
    table = _preprocess(raw, parameters)
    features = parameters["features"]
    X = table[[*features["numeric"], *features["categorical"]]]

    probabilities = classifier.predict_proba(X)[:, 1]

    assert probabilities.shape == (3,)
    assert np.isfinite(probabilities).all()
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_plot_roc_curve_draws_model_and_chance(classifier, split):
    _, X_test, _, y_test = split

    figure = plot_roc_curve(classifier, X_test, y_test)

    assert isinstance(figure, Figure)
    (axes,) = figure.axes
    assert len(axes.get_lines()) == 2
    assert "AUC" in axes.get_legend().get_texts()[0].get_text()


def test_duplicates_are_dropped_before_the_split(model_input_table, parameters):
    id_column = parameters["id_column"]
    copies = model_input_table.sample(frac=0.1, random_state=1)
    # The same customer again, exported later with a changed value.
    changed = model_input_table.tail(3).assign(support_tickets=99.0)
    data = pd.concat([model_input_table, copies, changed], ignore_index=True)

    unique, dropped = drop_duplicate_customers(data, id_column)

    assert dropped == {"duplicate_rows": len(copies), "repeated_ids": 3}
    assert unique[id_column].is_unique
    assert len(unique) == len(model_input_table)
    # The latest record of a repeated customer is the one kept.
    assert (unique.tail(3)["support_tickets"] == 99.0).all()


def test_duplicated_rows_do_not_inflate_the_test_score(model_input_table, parameters):
    def test_roc_auc(data: pd.DataFrame) -> float:
        unique, _ = drop_duplicate_customers(data, parameters["id_column"])
        X_train, X_test, y_train, y_test = split_data(
            unique, parameters["target"], parameters["features"], parameters["split"]
        )
        model = train_model(
            X_train, y_train, parameters["features"], parameters["hyperparameters"]
        )
        return evaluate_model(model, X_test, y_test, y_train)["roc_auc"]["value"]

    copies = model_input_table.sample(frac=0.1, random_state=1)
    duplicated = pd.concat([model_input_table, copies]).sample(frac=1, random_state=2)

    assert abs(test_roc_auc(duplicated) - test_roc_auc(model_input_table)) <= 0.02


def test_trials_see_the_training_pipelines_own_training_rows(
    model_input_table, parameters
):
    # A customer twice: the tuning pipeline must drop it as training does.
    data = pd.concat([model_input_table, model_input_table.head(50)])

    def training_rows(pipeline):
        split = pipeline.to_outputs("X_train", "y_train")
        catalog = DataCatalog(
            {
                "model_input_table": MemoryDataset(data),
                **{
                    f"params:{name}": MemoryDataset(value)
                    for name, value in parameters.items()
                },
                "X_train": MemoryDataset(),
            }
        )
        SequentialRunner().run(split, catalog)
        return catalog.load("X_train")

    tuning_rows = training_rows(tuning.create_pipeline())
    pd.testing.assert_frame_equal(
        tuning_rows, training_rows(training.create_pipeline())
    )
    assert len(tuning_rows) < len(data) * (1 - parameters["split"]["test_size"])
