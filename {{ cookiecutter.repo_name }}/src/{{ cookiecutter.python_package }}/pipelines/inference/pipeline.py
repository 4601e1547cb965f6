"""Inference pipelines: raw customer rows -> churn predictions.

- ``create_model_pipeline()`` is what the training pipeline logs as an MLflow
  model (see ``pipeline_registry.py``): the preprocessing nodes, unchanged,
  then the fitted classifier. Whoever serves the model sends raw rows.
- ``create_pipeline()`` is ``kedro run --pipeline inference``: it scores
  ``customers_to_score`` with the registered ``@champion`` model.
"""

from kedro.pipeline import Node, Pipeline

from {{ cookiecutter.python_package }}.pipelines import preprocessing

from .nodes import predict_churn, score_customers


def create_model_pipeline(**kwargs) -> Pipeline:
    """The pipeline inside the logged model: raw rows in, predictions out.

    Its preprocessing datasets live under the ``inference`` namespace, in
    memory, so they never overwrite the training data's; the parameters are
    the project's own, and MLflow stores their values with the model.
    """
    predict = Pipeline(
        [
            Node(
                func=predict_churn,
                inputs=[
                    "classifier",
                    "model_input_table",
                    "params:features",
                    "params:id_column",
                ],
                outputs="churn_predictions",
                name="predict_churn_node",
            )
        ]
    )
    return Pipeline(
        preprocessing.create_pipeline(record_quality=False) + predict,
        namespace="inference",
        inputs={"customers": "customers_to_score", "classifier": "classifier"},
        outputs={"churn_predictions": "churn_predictions"},
        parameters={"column_types", "reference_date", "id_column", "features"},
    )


def create_pipeline(**kwargs) -> Pipeline:
    """Score ``customers_to_score`` with the registered champion model."""
    return Pipeline(
        [
            Node(
                func=score_customers,
                inputs=[
                    "champion_model",
                    "customers_to_score",
                    "params:column_types",
                ],
                outputs=["churn_predictions", "scoring_data_quality"],
                name="score_customers_node",
            )
        ]
    )
