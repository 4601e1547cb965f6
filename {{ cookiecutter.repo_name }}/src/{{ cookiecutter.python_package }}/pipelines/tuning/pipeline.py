"""Tuning pipeline: model input table -> trials of the shared study -> the
study's best hyperparameters in conf/local/parameters_training.yml."""

from kedro.pipeline import Node, Pipeline

from {{ cookiecutter.python_package }}.pipelines import training

from .nodes import tune_hyperparameters


def create_pipeline(**kwargs) -> Pipeline:
    """Create the tuning pipeline."""
    # The training pipeline's own nodes up to its split (one row per customer,
    # then the same split): trials see its training rows, never its test rows.
    split = training.create_pipeline().to_outputs("X_train", "y_train")
    return split + Pipeline(
        [
            Node(
                func=tune_hyperparameters,
                inputs=[
                    "X_train",
                    "y_train",
                    "params:features",
                    "params:hyperparameters",
                    "params:tuning",
                    "params:tuning_storage",
                ],
                outputs="tuned_hyperparameters",
                name="tune_hyperparameters_node",
            ),
        ]
    )
