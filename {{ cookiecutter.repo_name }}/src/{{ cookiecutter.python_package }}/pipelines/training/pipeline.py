"""Training pipeline: model input table -> logged model, metrics and ROC plot."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    drop_duplicate_customers,
    evaluate_model,
    plot_roc_curve,
    split_data,
    train_model,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the training pipeline."""
    return Pipeline(
        [
            Node(
                func=drop_duplicate_customers,
                inputs=["model_input_table", "params:id_column"],
                outputs=["unique_customers", "duplicates_dropped"],
                name="drop_duplicate_customers_node",
            ),
            Node(
                func=split_data,
                inputs=[
                    "unique_customers",
                    "params:target",
                    "params:features",
                    "params:split",
                ],
                outputs=["X_train", "X_test", "y_train", "y_test"],
                name="split_data_node",
            ),
            Node(
                func=train_model,
                inputs=[
                    "X_train",
                    "y_train",
                    "params:features",
                    "params:hyperparameters",
                ],
                outputs="classifier",
                name="train_model_node",
            ),
            Node(
                func=evaluate_model,
                inputs=["classifier", "X_test", "y_test", "y_train"],
                outputs="metrics",
                name="evaluate_model_node",
            ),
            Node(
                func=plot_roc_curve,
                inputs=["classifier", "X_test", "y_test"],
                outputs="roc_curve_plot",
                name="plot_roc_curve_node",
            ),
        ]
    )
