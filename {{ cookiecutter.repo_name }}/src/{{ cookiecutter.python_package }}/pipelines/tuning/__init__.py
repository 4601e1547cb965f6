"""Tuning pipeline: a hyperparameter search that any number of workers share.

`kedro run --pipelines tuning` runs trials of one Optuna study (conf/base/
parameters_tuning.yml); see docs/tuning.md.
"""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
