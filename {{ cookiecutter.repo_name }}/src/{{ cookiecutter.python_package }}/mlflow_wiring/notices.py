"""Notices that today's releases print on every run and that a user can do
nothing about, silenced by their exact text; every other warning shows.

settings.py imports this module first, before anything imports kedro-mlflow.
"""

import logging
import warnings

# MLflow asks for type hints on kedro-mlflow's KedroPipelineModel.predict when
# kedro-mlflow is first imported (by settings.py, before Kedro loads the
# plugin's commands). MLflow forces that warning on with its own filter, so it
# is caught while importing and the rest is passed on.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import kedro_mlflow.framework.hooks  # noqa: F401
for warning in caught:
    if "Add type hints to the `predict` method" not in str(warning.message):
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )

# omegaconf 2.4 deprecates register_new_resolver(), which Kedro 1.7 and
# kedro-mlflow 2.0 call each time a Kedro context is created.
warnings.filterwarnings(
    "ignore",
    message=r"register_new_resolver\(\) is deprecated",
    category=UserWarning,
)

# MLflow 3 logs a warning each time a model is logged as a Python object
# (pickled with CloudPickle), recommending "models from code". kedro-mlflow
# logs the project's inference pipeline (a KedroPipelineModel) only that way,
# at the end of each training run; the pickled code is the project's own.
logging.getLogger("mlflow.pyfunc").addFilter(
    lambda record: (
        "Passing a Python object as `python_model`" not in record.getMessage()
    )
)
