"""Nodes that turn raw customer rows into a model-ready table.

Every function here is a stateless, row-wise transform: nothing is learned from
the data, and a row's output depends on that row alone. That is what lets an
inference pipeline reuse these nodes on new, unlabelled rows and get exactly
the features the model was trained on. Anything fitted (imputation, encoding)
lives inside the scikit-learn model instead, see ``pipelines/training``.
"""

from __future__ import annotations

import pandas as pd

from .schema import check_customers

# Spellings of a boolean seen in hand-typed data, after lower-casing.
_TRUE_VALUES = {"yes", "y", "true", "t", "1"}
_FALSE_VALUES = {"no", "n", "false", "f", "0"}


def _as_text(series: pd.Series) -> pd.Series:
    """View any column as nullable text; missing values stay missing.

    ``astype("string")`` keeps NaN/None as ``pd.NA`` on pandas 2 and 3 alike,
    where ``astype(str)`` would turn them into the text "nan" on pandas 2.
    """
    return series.astype("string")


def _normalise_category(series: pd.Series) -> pd.Series:
    """Lower-case, trim and snake_case text so " Basic" and "BASIC" match.

    Runs of spaces, hyphens and underscores become one "_", so
    "Month-To-Month" and "month to month" both give "month_to_month".
    Empty strings become missing values (NaN, which scikit-learn's imputers
    recognise).
    """
    normalised = (
        _as_text(series)
        .str.strip()
        .str.lower()
        .str.replace(r"[\s\-_]+", "_", regex=True)
    )
    normalised = normalised.replace("", pd.NA)
    return normalised.astype(object).where(normalised.notna(), float("nan"))


def _parse_number(series: pd.Series) -> pd.Series:
    """Turn text such as "$1,029.99", " 29.99" or "15 %" into floats.

    Currency signs, thousands separators, percent signs and whitespace are
    stripped; anything that still is not a number becomes NaN rather than
    failing the run, and the model's imputer deals with it.
    """
    cleaned = _as_text(series).str.replace(r"[$,%\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce").astype(float)


def _parse_percent(series: pd.Series) -> pd.Series:
    """Turn "15%" into the fraction 0.15."""
    return _parse_number(series) / 100


def _parse_yes_no(series: pd.Series) -> pd.Series:
    """Map the many spellings of yes/no to 1.0/0.0, anything else to NaN.

    Floats rather than booleans: they survive missing values, Parquet and
    scikit-learn without special dtypes.
    """
    text = _as_text(series).str.strip().str.lower()
    parsed = pd.Series(float("nan"), index=series.index, dtype=float)
    parsed[text.isin(_TRUE_VALUES).fillna(False)] = 1.0
    parsed[text.isin(_FALSE_VALUES).fillna(False)] = 0.0
    return parsed


def _parse_date(series: pd.Series) -> pd.Series:
    """Parse ISO dates ("2024-05-17"); missing or malformed ones become NaT."""
    return pd.to_datetime(series, format="ISO8601", errors="coerce")


# Which parser cleans each kind of column named in ``params:column_types``.
_PARSERS = {
    "categorical": _normalise_category,
    "currency": _parse_number,
    "numeric": _parse_number,
    "percent": _parse_percent,
    "boolean": _parse_yes_no,
    "date": _parse_date,
}


def preprocess_customers(
    customers: pd.DataFrame, column_types: dict[str, list[str]]
) -> pd.DataFrame:
    """Give every raw column its proper type.

    ``column_types`` lists column names per kind (``categorical``,
    ``currency``, ``percent``, ``boolean``, ``numeric``, ``date``). Listed
    columns that are absent are skipped, so the same node cleans labelled
    training rows and unlabelled rows (no ``churned``) at prediction time.

    Args:
        customers: Raw customer rows, all values possibly text.
        column_types: Column names grouped by the parser they need.

    Returns:
        A copy of ``customers`` with parsed columns.

    Raises:
        ValueError: If ``column_types`` names a kind there is no parser for.
    """
    unknown = set(column_types) - set(_PARSERS)
    if unknown:
        raise ValueError(
            f"Unknown column kinds {sorted(unknown)} in column_types; "
            f"expected some of {sorted(_PARSERS)}."
        )
    cleaned = customers.copy()
    for kind, columns in column_types.items():
        for column in columns:
            if column in cleaned.columns:
                cleaned[column] = _PARSERS[kind](cleaned[column])
    return cleaned


def validate_customers(
    customers: pd.DataFrame, column_types: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Parse the raw rows, then hold them to the schema (see schema.py).

    Args:
        customers: Raw customer rows, all values possibly text.
        column_types: Column names grouped by the parser they need.

    Returns:
        The parsed rows, every value the schema does not allow made missing,
        and the data-quality counts (rows in, values made missing per column).

    Raises:
        DataQualityError: If the schema refuses the rows (missing required
            column, no rows, a column over its limit of unusable values).
    """
    return check_customers(
        customers, preprocess_customers(customers, column_types), "customers"
    )


def validated_customers(
    customers: pd.DataFrame, column_types: dict[str, list[str]]
) -> pd.DataFrame:
    """``validate_customers`` without the counts: the logged model's first step,
    whose only output must be its predictions."""
    parsed, _ = check_customers(
        customers, preprocess_customers(customers, column_types), "rows to score"
    )
    return parsed


def create_features(customers: pd.DataFrame, reference_date: str) -> pd.DataFrame:
    """Add features derived from the cleaned columns.

    Tenure is measured up to a fixed ``reference_date`` from the parameters,
    not today's date, so the same data always gives the same features (and a
    model is scored on the tenure it was trained with).

    Args:
        customers: Output of ``preprocess_customers``.
        reference_date: ISO date that tenure is measured up to.

    Returns:
        A copy of ``customers`` with ``tenure_days`` and
        ``effective_monthly_fee`` added.
    """
    features = customers.copy()
    tenure = (pd.Timestamp(reference_date) - features["signup_date"]).dt.days
    # A signup after the reference date is a data error, not negative tenure.
    features["tenure_days"] = tenure.clip(lower=0).astype(float)
    features["effective_monthly_fee"] = features["monthly_fee"] * (
        1 - features["discount"]
    )
    return features


def create_model_input_table(customers: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Keep the identifier and the columns a model can take as they are.

    Date columns are dropped: they are already summarised as tenure, and a
    raw timestamp would let a model learn the calendar instead of behaviour.
    The identifier comes first and stays, to join predictions back to
    customers; the training pipeline chooses the actual features.

    Args:
        customers: Output of ``create_features``.
        id_column: Name of the customer identifier column.

    Returns:
        The model input table, one row per input row, in the same order.
    """
    model_input = customers.select_dtypes(exclude=["datetime", "datetimetz"])
    others = [column for column in model_input.columns if column != id_column]
    return model_input[[id_column, *others]].reset_index(drop=True)
