"""How training logs the inference pipeline as an MLflow model.

kedro-mlflow's ``pipeline_ml_factory`` (see ``pipeline_registry.py``) logs
``create_model_pipeline()`` with these ``mlflow.pyfunc.log_model`` arguments
at the end of every training run, and registers it. What they decide:

- the names: the run's model ``churn_model``, registered under the package's
  name; ``scripts/promote.py`` moves its ``champion`` alias;
- the contract with callers: a signature and an input example of raw rows;
- what the model needs elsewhere: the package's code and exact requirements.
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.framework import project as kedro_project
from kedro.runner import SequentialRunner
from mlflow.models import ModelSignature
from mlflow.types.schema import AnyType, ColSpec, ParamSchema, ParamSpec, Schema

# The package's name, so that a renamed package registers under its new name.
# The champion_model dataset loads models:/<REGISTERED_MODEL_NAME>@<CHAMPION_ALIAS>
# and scripts/promote.py moves that alias: both take these names from here.
REGISTERED_MODEL_NAME = __name__.split(".")[0]
LOGGED_MODEL_NAME = "churn_model"
CHAMPION_ALIAS = "champion"
# The catalog dataset whose rows callers replace with their own.
INPUT_NAME = "customers_to_score"

# What a caller sends: rows as exported, messy text and gaps included, with
# every column of data/01_raw/customers.csv but the target. Shown in the MLflow
# UI, and MLflow checks at logging time that the model scores it.
INPUT_EXAMPLE = pd.DataFrame(
    {
        "customer_id": ["C000002", "C000003"],
        "signup_date": ["2023-08-12", None],
        "plan": ["standard", " Premium"],
        "contract": ["Month-To-Month", "one year"],
        "payment_method": ["credit card", None],
        "region": [" west", "South "],
        "autopay": ["N", "yes"],
        "monthly_fee": ["$29.99", " $49.99"],
        "discount": ["10%", None],
        "total_spend": [None, "$883.22"],
        "support_tickets": [0, 2],
        "logins_last_30d": [8.0, None],
        "avg_session_minutes": [17.7, 8.5],
    },
    # Object columns keep None as None, which MLflow writes as JSON null (a
    # NaN would be written as NaN, which is not JSON).
    dtype=object,
)

# The columns of a raw row: the example's, so that the two cannot disagree.
# The signature declares them, and MLflow drops any column it does not declare
# before the model sees it; a test checks them against the data and against
# the columns that params:column_types parses.
RAW_COLUMNS = list(INPUT_EXAMPLE.columns)

# What the pickled model needs to load and run, pinned to the versions
# installed at training time. MLflow would infer much the same list by loading
# the model in a subprocess, which costs 10-20 s per training run and misses
# kedro itself. Add a distribution here when the model's pipeline starts
# importing it.
RUNTIME_DISTRIBUTIONS = (
    "cloudpickle",
    "kedro",
    "kedro-datasets",
    "kedro-mlflow",
    "mlflow",
    "numpy",
    "pandas",
    "pandera",
    "scikit-learn",
    "scipy",
)


class QuietRunner(SequentialRunner):
    """Kedro's SequentialRunner, without Kedro's INFO lines.

    The logged model runs its pipeline with this runner on every
    ``predict``: in ``mlflow.pyfunc``, ``mlflow models predict`` or each
    request to ``mlflow models serve``, Kedro would log a line per dataset
    and node. Warnings and errors still show, the data-quality warnings among
    them. kedro-mlflow's model takes the runner as the prediction parameter
    ``runner``; the signature makes this class its default, and training
    gives the model an instance (``kpm_kwargs``, see pipeline_registry.py).

    That instance is unpickled when the model loads: outside a Kedro project
    (a model server, a script), Kedro's loggers are then set to warnings for
    good, since Kedro's INFO lines there (one per dataset the model loads)
    are of no use to whoever calls the model.
    """

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if kedro_project.PACKAGE_NAME is None:
            logging.getLogger("kedro").setLevel(logging.WARNING)

    def run(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        loggers = [logging.getLogger("kedro"), logging.getLogger(__name__)]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(max(logger.level, logging.WARNING))
        try:
            return super().run(*args, **kwargs)
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def model_signature() -> ModelSignature:
    """Raw rows in, one prediction per row out.

    Every raw column must be present, but its values are declared ``Any``:
    parsing text such as "$1,029.99" or " Premium" is the model's job, and a
    cell may be text, a number or missing (JSON ``null``, NaN), whatever the
    caller's CSV reader or JSON encoder made of it. A stricter type per column
    would reject the same column as text in one file and as numbers in another.
    """
    return ModelSignature(
        inputs=Schema([ColSpec(AnyType(), name) for name in RAW_COLUMNS]),
        outputs=Schema(
            [
                ColSpec(AnyType(), "customer_id"),
                ColSpec("double", "churn_probability"),
                ColSpec("long", "predicted_churn"),
            ]
        ),
        params=ParamSchema(
            [ParamSpec("runner", "string", default=f"{__name__}.QuietRunner")]
        ),
    )


def pip_requirements() -> list[str]:
    """The runtime distributions, pinned to their installed versions."""
    return [f"{name}=={version(name)}" for name in RUNTIME_DISTRIBUTIONS]


def log_model_kwargs() -> dict[str, Any]:
    """Arguments of ``mlflow.pyfunc.log_model`` for the inference pipeline."""
    package_dir = Path(__file__).resolve().parents[2]
    return {
        "name": LOGGED_MODEL_NAME,
        "registered_model_name": REGISTERED_MODEL_NAME,
        "signature": model_signature(),
        "input_example": INPUT_EXAMPLE,
        "pip_requirements": pip_requirements(),
        # The node functions are pickled by reference: the model carries the
        # package's code so that it loads where the project is not installed.
        "code_paths": [package_dir.as_posix()],
    }
