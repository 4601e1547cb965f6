"""Predict churn from raw customer rows, with the trained model or the
registered champion."""

from .pipeline import create_model_pipeline, create_pipeline

__all__ = ["create_model_pipeline", "create_pipeline"]
