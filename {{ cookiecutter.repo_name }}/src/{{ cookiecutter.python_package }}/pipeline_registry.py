"""Project pipelines."""

from __future__ import annotations

from typing import Any

from kedro.pipeline import Pipeline
from kedro_mlflow.pipeline import pipeline_ml_factory

# Imported directly rather than through `find_pipelines()`: since Kedro 1.5 a
# command loads only the pipelines it asks for, so composing from
# `find_pipelines()["..."]` breaks `kedro run --pipeline <name>`.
from {{ cookiecutter.python_package }}.pipelines import (
    inference,
    preprocessing,
    training,
    tuning,
)
from {{ cookiecutter.python_package }}.pipelines.inference.model import (
    INPUT_NAME,
    QuietRunner,
    log_model_kwargs,
)


def _logging_the_model(
    training_pipeline: Pipeline, model_kwargs: dict[str, Any]
) -> Pipeline:
    """``training_pipeline``, which also logs and registers the inference
    pipeline as one MLflow model when it completes.

    kedro-mlflow packages the inference pipeline with the datasets it reads
    that training wrote (the fitted ``classifier``) and its parameters.
    """
    return pipeline_ml_factory(
        training=training_pipeline,
        inference=inference.create_model_pipeline(),
        input_name=INPUT_NAME,
        log_model_kwargs=model_kwargs,
        # The model's pipeline runs without Kedro's INFO lines (see model.py).
        kpm_kwargs={"runner": QuietRunner()},
    )


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.
    """
    preprocessing_pipeline = preprocessing.create_pipeline()
    training_pipeline = training.create_pipeline()
    # Worked out once: pinning the requirements reads installed packages' metadata.
    model_kwargs = log_model_kwargs()
    return {
        "preprocessing": preprocessing_pipeline,
        "training": _logging_the_model(training_pipeline, model_kwargs),
        # Built by the factory too, not by adding pipelines: the sum of a
        # model-logging pipeline and another one no longer logs the model.
        "__default__": _logging_the_model(
            preprocessing_pipeline + training_pipeline, model_kwargs
        ),
        "inference": inference.create_pipeline(),
        # Run on its own, by as many workers as wanted (docs/tuning.md).
        "tuning": tuning.create_pipeline(),
    }
