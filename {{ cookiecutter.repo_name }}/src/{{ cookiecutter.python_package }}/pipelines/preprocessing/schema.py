"""The rules for raw customer rows, declared once as a pandera schema.

Every door data comes in by goes through ``check_customers``: training (the
preprocessing pipeline), ``kedro run --pipelines inference`` and the logged
model (pyfunc, ``mlflow models serve``), whose pipeline starts with the same
preprocessing nodes. The schema describes a row *after* parsing (see
nodes.py): which columns are required, their type, and the values and
ranges allowed. A raw value that does not parse, or parses to a value the
schema does not allow, is treated as missing, and counted. Each column's
``max_invalid_share`` (of the values present) says how much of that it may
hold before the whole batch is refused.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pandera.pandas as pa

from {{ cookiecutter.python_package }}.errors import DataQualityError

logger = logging.getLogger(__name__)

# A column may hold this share of unusable values (of the values present)
# unless its own metadata says otherwise. A column that is entirely unusable
# in a batch is over any limit below 1.
MAX_INVALID_SHARE = 0.1


def _column(
    dtype: Any,
    *checks: pa.Check,
    required: bool = True,
    max_invalid_share: float = MAX_INVALID_SHARE,
    description: str,
) -> pa.Column:
    return pa.Column(
        dtype,
        list(checks),
        nullable=True,
        required=required,
        description=description,
        metadata={"max_invalid_share": max_invalid_share},
    )


def _one_of(*values: Any) -> pa.Check:
    return pa.Check.isin(list(values))


def _category(*values: str) -> pa.Column:
    """A text column that takes one of ``values`` (after normalising)."""
    return _column(None, _one_of(*values), description=f"one of {', '.join(values)}")


# Each column: its type after parsing, the values allowed, and in words what a
# usable raw value is (the messages quote it).
CUSTOMER_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": _column(None, description="an identifier"),
        "signup_date": _column(None, description="an ISO date (2024-05-17)"),
        "plan": _category("basic", "standard", "premium", "enterprise"),
        "contract": _category("month_to_month", "one_year", "two_year"),
        "payment_method": _category(
            "bank_transfer", "credit_card", "invoice", "paypal"
        ),
        "region": _category("north", "south", "east", "west"),
        "autopay": _column(float, _one_of(0.0, 1.0), description="yes or no"),
        "monthly_fee": _column(
            float, pa.Check.ge(0), description="an amount >= 0 ($29.99)"
        ),
        "discount": _column(
            float, pa.Check.in_range(0, 1), description="a percentage, 0-100%"
        ),
        "total_spend": _column(
            float, pa.Check.ge(0), description="an amount >= 0 ($1,029.99)"
        ),
        "support_tickets": _column(float, pa.Check.ge(0), description="a count >= 0"),
        "logins_last_30d": _column(
            float, pa.Check.in_range(0, 31), description="a count, 0-31"
        ),
        "avg_session_minutes": _column(
            float, pa.Check.ge(0), description="minutes >= 0"
        ),
        # The target: absent from rows to score; training drops unlabelled rows.
        "churned": _column(
            float, _one_of(0.0, 1.0), required=False, description="yes or no"
        ),
    },
    # Other columns pass through untouched (the model selects its features).
    strict=False,
    name="raw customer rows",
)


def check_customers(
    raw: pd.DataFrame,
    parsed: pd.DataFrame,
    source: str,
    schema: pa.DataFrameSchema = CUSTOMER_SCHEMA,
    *,
    warn: bool = True,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Refuse rows that break ``schema``; treat tolerable defects as missing.

    Args:
        raw: The rows as delivered.
        parsed: ``raw`` after ``preprocess_customers``, same index.
        source: What the rows are, for messages (a catalog entry or a file).
        schema: The rules.
        warn: Log one warning per column with values made missing.

    Returns:
        ``parsed`` with every unusable value made missing, and the counts:
        ``rows_in`` and ``invalid.<column>`` (values treated as missing).

    Raises:
        DataQualityError: A required column is missing, there are no rows, or
            a column holds more unusable values than its limit allows.
    """
    missing = [
        name
        for name, column in schema.columns.items()
        if column.required and name not in raw.columns
    ]
    if missing:
        raise DataQualityError(
            source,
            [f"required column(s) missing: {', '.join(missing)}"],
        )
    if raw.empty:
        raise DataQualityError(source, ["no rows (a header and nothing else)"])

    cleaned = parsed.copy()
    try:
        schema.validate(cleaned, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        # Values that break a check on their column: treated as missing.
        cases = cases[cases["column"].notna() & cases["index"].notna()]
        for name, failed in cases.groupby("column"):
            cleaned.loc[failed["index"].unique(), name] = float("nan")

    counts: dict[str, float] = {"rows_in": float(len(raw))}
    refused = []
    for name, column in schema.columns.items():
        if name not in raw.columns:
            continue
        present = raw[name].notna() & (raw[name].astype("string").str.strip() != "")
        invalid = int((present & cleaned[name].isna()).sum())
        counts[f"invalid.{name}"] = float(invalid)
        if not invalid:
            continue
        share = invalid / int(present.sum())
        limit = column.metadata["max_invalid_share"]
        detail = (
            f"column {name}: {invalid} of {int(present.sum())} values "
            f"({share:.0%}) are not {column.description}"
        )
        if share > limit:
            refused.append(f"{detail}: more than the {limit:.0%} allowed")
        elif warn:
            logger.warning("%s: %s: treated as missing", source, detail)
    if refused:
        raise DataQualityError(source, refused)
    return cleaned, counts
