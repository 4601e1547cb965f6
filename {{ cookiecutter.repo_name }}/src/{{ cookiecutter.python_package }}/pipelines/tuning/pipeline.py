"""Tuning pipeline: model input table -> trials of the shared study -> the
study's best hyperparameters in conf/local/parameters_training.yml."""

from kedro.pipeline import Node, Pipeline

from {{ cookiecutter.python_package }}.pipelines.training.nodes import split_data

from .nodes import tune_hyperparameters


def create_pipeline(**kwargs) -> Pipeline:
    """Create the tuning pipeline."""
    return Pipeline(
        [
            # The training pipeline's own split: trials see its training rows only.
            Node(
                func=split_data,
                inputs=[
                    "model_input_table",
                    "params:target",
                    "params:features",
                    "params:split",
                ],
                outputs=["X_train", "X_test", "y_train", "y_test"],
                name="split_data_node",
            ),
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
