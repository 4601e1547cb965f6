"""Preprocessing pipeline: raw customers -> model input table.

The nodes are row-wise and fit nothing, so an inference pipeline can reuse
this pipeline unchanged on new rows that have no ``churned`` column.
"""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    create_features,
    create_model_input_table,
    validate_customers,
    validated_customers,
)


def create_pipeline(record_quality: bool = True, **kwargs) -> Pipeline:
    """Create the preprocessing pipeline.

    Args:
        record_quality: Also output the data-quality counts, as
            ``raw_data_quality`` (MLflow metrics of the run, see catalog.yml).
            The logged model's copy of this pipeline must output its
            predictions alone, so it does without.
    """
    validate = (
        Node(
            func=validate_customers,
            inputs=["customers", "params:column_types"],
            outputs=["preprocessed_customers", "raw_data_quality"],
            name="preprocess_customers_node",
        )
        if record_quality
        else Node(
            func=validated_customers,
            inputs=["customers", "params:column_types"],
            outputs="preprocessed_customers",
            name="preprocess_customers_node",
        )
    )
    return Pipeline(
        [
            validate,
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
