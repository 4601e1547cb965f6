"""Tests of the inference pipelines: raw rows in, one prediction per row out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from mlflow.models import Model

from {{ cookiecutter.python_package }}.errors import DataQualityError
from {{ cookiecutter.python_package }}.pipelines import inference
from {{ cookiecutter.python_package }}.pipelines.inference.model import (
    INPUT_EXAMPLE,
    INPUT_NAME,
    model_signature,
)
from {{ cookiecutter.python_package }}.pipelines.inference.nodes import (
    predict_churn,
    score_customers,
)
from {{ cookiecutter.python_package }}.pipelines.preprocessing.nodes import (
    create_features,
    create_model_input_table,
    preprocess_customers,
)
from {{ cookiecutter.python_package }}.pipelines.training.nodes import (
    split_data,
    train_model,
)


@pytest.fixture(scope="module")
def model_input_table(raw_customers, parameters) -> pd.DataFrame:
    cleaned = preprocess_customers(raw_customers, parameters["column_types"])
    features = create_features(cleaned, parameters["reference_date"])
    return create_model_input_table(features, parameters["id_column"])


@pytest.fixture(scope="module")
def classifier(model_input_table, parameters):
    X_train, _, y_train, _ = split_data(
        model_input_table,
        parameters["target"],
        parameters["features"],
        parameters["split"],
    )
    return train_model(
        X_train, y_train, parameters["features"], parameters["hyperparameters"]
    )


def run_model_pipeline(raw: pd.DataFrame, classifier, parameters) -> pd.DataFrame:
    """Run the pipeline that training logs as the MLflow model, as MLflow does:
    in memory, with the fitted classifier and the project's parameters."""
    pipeline = inference.create_model_pipeline()
    datasets = {INPUT_NAME: raw, "classifier": classifier}
    for name in pipeline.inputs() - set(datasets):
        datasets[name] = parameters[name.removeprefix("params:")]
    catalog = DataCatalog(
        {name: MemoryDataset(data) for name, data in datasets.items()}
    )
    outputs = SequentialRunner().run(pipeline, catalog)
    return outputs["churn_predictions"].load()


# Raw rows as a caller might send them: unseen categories ("Platinum",
# "crypto", "Atlantis"), empty and missing cells, junk text, no `churned`.
ODD_ROWS = pd.DataFrame(
    {
        "customer_id": ["N1", "N2", "N3"],
        "signup_date": ["2024-06-01", "", None],
        "plan": ["Platinum", " basic", None],
        "contract": ["month-to-month", "", "TWO YEAR"],
        "payment_method": ["crypto", None, "Invoice"],
        "region": ["", "north", "Atlantis"],
        "autopay": ["", "yes", "maybe"],
        "monthly_fee": ["$2,499.00", None, "$9.99"],
        "discount": ["", "10%", "abc"],
        "total_spend": [None, "$100.00", "$1,234.56"],
        "support_tickets": [None, "3", 0],
        "logins_last_30d": ["", None, 20.0],
        "avg_session_minutes": [None, 5.5, "oops"],
    }
)


def test_predict_churn_scores_every_row(classifier, model_input_table, parameters):
    predictions = predict_churn(
        classifier,
        model_input_table,
        parameters["features"],
        parameters["id_column"],
    )

    assert list(predictions.columns) == [
        "customer_id",
        "churn_probability",
        "predicted_churn",
    ]
    assert len(predictions) == len(model_input_table)
    assert predictions["customer_id"].tolist() == (
        model_input_table["customer_id"].tolist()
    )
    assert predictions["churn_probability"].between(0, 1).all()
    assert set(predictions["predicted_churn"]) == {0, 1}
    # The label is the classifier's own decision, as in the training metrics.
    decided = predictions["churn_probability"] > 0.5
    assert (decided == predictions["predicted_churn"].astype(bool)).all()


def test_model_pipeline_predicts_from_raw_rows(
    classifier, raw_customers, model_input_table, parameters
):
    """The logged model's pipeline gives exactly what training's preprocessing
    and the classifier give, from the raw file."""
    expected = predict_churn(
        classifier, model_input_table, parameters["features"], parameters["id_column"]
    )

    predictions = run_model_pipeline(raw_customers, classifier, parameters)

    pd.testing.assert_frame_equal(predictions, expected)


def test_model_pipeline_refuses_rows_mostly_junk(classifier, parameters):
    # One unusable value of three is over any column's limit: nothing is scored.
    with pytest.raises(DataQualityError) as refused:
        run_model_pipeline(ODD_ROWS, classifier, parameters)

    message = str(refused.value)
    assert "column autopay: 1 of 2 values (50%) are not yes or no" in message
    assert len(message.splitlines()) <= 10


def test_model_pipeline_scores_a_little_junk_as_missing(
    raw_customers, classifier, parameters, caplog
):
    rows = raw_customers.drop(columns=parameters["target"]).head(200).copy()
    rows.loc[:4, "monthly_fee"] = "call us"
    rows.loc[5:6, "plan"] = "Platinum"

    predictions = run_model_pipeline(rows, classifier, parameters)

    assert len(predictions) == len(rows)
    assert np.isfinite(predictions["churn_probability"]).all()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert warnings[0].startswith("rows to score: column plan: 2 of 200 values")
    assert warnings[1].startswith("rows to score: column monthly_fee: 5 of")


def test_model_pipeline_needs_only_raw_rows_and_the_classifier():
    pipeline = inference.create_model_pipeline()

    assert pipeline.outputs() == {"churn_predictions"}
    datasets = {name for name in pipeline.inputs() if not name.startswith("params:")}
    assert datasets == {INPUT_NAME, "classifier"}
    # Its intermediate datasets are its own, never the training data's files.
    internal = pipeline.datasets() - pipeline.inputs() - pipeline.outputs()
    assert internal
    assert all(name.startswith("inference.") for name in internal)


def test_input_example_matches_the_signature(classifier, parameters):
    signature = model_signature()

    assert list(INPUT_EXAMPLE.columns) == signature.inputs.input_names()
    predictions = run_model_pipeline(INPUT_EXAMPLE, classifier, parameters)
    assert list(predictions.columns) == signature.outputs.input_names()


def test_signature_lists_the_raw_columns_but_the_target(raw_customers, parameters):
    raw_columns = [c for c in raw_customers.columns if c != parameters["target"]]

    assert model_signature().inputs.input_names() == raw_columns


def _fake_mlflow_model(signature) -> SimpleNamespace:
    """What score_customers uses of a loaded pyfunc model."""
    seen = {}

    def predict(data: pd.DataFrame) -> pd.DataFrame:
        seen["columns"] = list(data.columns)
        return pd.DataFrame({"customer_id": data["customer_id"]})

    return SimpleNamespace(
        metadata=Model(signature=signature), predict=predict, seen=seen
    )


def test_score_customers_sends_only_the_declared_columns(raw_customers, parameters):
    model = _fake_mlflow_model(model_signature())

    predictions, counts = score_customers(
        model, raw_customers, parameters["column_types"]
    )

    assert "churned" in raw_customers.columns
    assert model.seen["columns"] == model_signature().inputs.input_names()
    assert len(predictions) == len(raw_customers)
    assert counts["rows_in"] == len(raw_customers)
