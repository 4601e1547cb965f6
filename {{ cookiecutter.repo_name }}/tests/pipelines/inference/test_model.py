"""Tests of how training logs the inference pipeline as an MLflow model."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from kedro_mlflow.pipeline.pipeline_ml import PipelineML

import {{ cookiecutter.python_package }}
from {{ cookiecutter.python_package }}.pipeline_registry import register_pipelines
from {{ cookiecutter.python_package }}.pipelines.inference.model import (
    INPUT_EXAMPLE,
    INPUT_NAME,
    LOGGED_MODEL_NAME,
    RAW_COLUMNS,
    RUNTIME_DISTRIBUTIONS,
    log_model_kwargs,
    model_signature,
)

PACKAGE = "{{ cookiecutter.python_package }}"


def test_training_pipelines_log_and_register_the_model():
    pipelines = register_pipelines()

    for name in ("training", "__default__"):
        pipeline = pipelines[name]
        assert isinstance(pipeline, PipelineML), name
        assert pipeline.input_name == INPUT_NAME
        assert pipeline.log_model_kwargs["name"] == LOGGED_MODEL_NAME
        assert pipeline.log_model_kwargs["registered_model_name"] == PACKAGE
    assert not isinstance(pipelines["preprocessing"], PipelineML)
    assert set(pipelines["__default__"].nodes) == set(
        pipelines["preprocessing"].nodes + pipelines["training"].nodes
    )


def test_inference_pipeline_scores_with_the_registered_champion():
    pipeline = register_pipelines()["inference"]

    assert pipeline.inputs() == {"champion_model", INPUT_NAME, "params:column_types"}
    # The predictions, and the data-quality counts of the rows scored.
    assert pipeline.outputs() == {"churn_predictions", "scoring_data_quality"}


def test_log_model_kwargs_describe_a_self_contained_model():
    kwargs = log_model_kwargs()

    assert kwargs["signature"] == model_signature()
    assert kwargs["input_example"] is INPUT_EXAMPLE
    # Exact requirements: MLflow then need not infer them at every run.
    assert kwargs["pip_requirements"] == [
        f"{name}=={version(name)}" for name in RUNTIME_DISTRIBUTIONS
    ]
    # The package's code travels with the model, so that the pickled pipeline
    # loads where the project is not installed.
    package_dir = Path({{ cookiecutter.python_package }}.__file__).resolve().parent
    assert kwargs["code_paths"] == [package_dir.as_posix()]


def test_input_example_shows_missing_values_as_json_null():
    records = INPUT_EXAMPLE.to_dict(orient="records")

    assert any(value is None for record in records for value in record.values())


def test_the_model_takes_the_raw_columns_that_preprocessing_parses(
    raw_customers, parameters
):
    target = parameters["target"]
    assert model_signature().inputs.input_names() == RAW_COLUMNS
    assert RAW_COLUMNS == [name for name in raw_customers.columns if name != target]
    parsed = {name for names in parameters["column_types"].values() for name in names}
    assert parsed - {target} == set(RAW_COLUMNS) - {parameters["id_column"]}
