"""Project pipelines."""

from __future__ import annotations

from kedro.pipeline import Pipeline

# Imported directly rather than through `find_pipelines()`: since Kedro 1.5 a
# command loads only the pipelines it asks for, so composing from
# `find_pipelines()["..."]` breaks `kedro run --pipeline <name>`.
from {{ cookiecutter.python_package }}.pipelines import preprocessing, training


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.
    """
    preprocessing_pipeline = preprocessing.create_pipeline()
    training_pipeline = training.create_pipeline()
    return {
        "preprocessing": preprocessing_pipeline,
        "training": training_pipeline,
        "__default__": preprocessing_pipeline + training_pipeline,
    }
