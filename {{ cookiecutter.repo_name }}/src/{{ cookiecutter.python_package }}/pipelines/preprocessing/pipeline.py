"""Preprocessing pipeline: raw customers -> model input table.

The nodes are row-wise and fit nothing, so an inference pipeline can reuse
this pipeline unchanged on new rows that have no ``churned`` column.
"""

from kedro.pipeline import Node, Pipeline

from .nodes import create_features, create_model_input_table, preprocess_customers


def create_pipeline(**kwargs) -> Pipeline:
    """Create the preprocessing pipeline."""
    return Pipeline(
        [
            Node(
                func=preprocess_customers,
                inputs=["customers", "params:column_types"],
                outputs="preprocessed_customers",
                name="preprocess_customers_node",
            ),
            Node(
                func=create_features,
                inputs=["preprocessed_customers", "params:reference_date"],
                outputs="customer_features",
                name="create_features_node",
            ),
            Node(
                func=create_model_input_table,
                inputs=["customer_features", "params:id_column"],
                outputs="model_input_table",
                name="create_model_input_table_node",
            ),
        ]
    )
