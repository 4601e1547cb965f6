"""Train the churn classifier and evaluate it against a baseline."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
