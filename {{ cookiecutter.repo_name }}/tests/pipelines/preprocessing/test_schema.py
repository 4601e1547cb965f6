"""Tests of the schema of raw customer rows: what bad data gets."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from {{ cookiecutter.python_package }}.errors import DataQualityError
from {{ cookiecutter.python_package }}.pipelines.preprocessing.nodes import (
    preprocess_customers,
    validate_customers,
)
from {{ cookiecutter.python_package }}.pipelines.preprocessing.schema import (
    CUSTOMER_SCHEMA,
    MAX_INVALID_SHARE,
    check_customers,
)


def check(raw: pd.DataFrame, parameters, **kwargs):
    parsed = preprocess_customers(raw, parameters["column_types"])
    return check_customers(raw, parsed, "customers", **kwargs)


def test_the_schema_covers_every_parsed_column(raw_customers, parameters):
    parsed = {name for names in parameters["column_types"].values() for name in names}

    assert set(CUSTOMER_SCHEMA.columns) == parsed | {parameters["id_column"]}
    assert set(CUSTOMER_SCHEMA.columns) == set(raw_customers.columns)


def test_the_shipped_data_passes_untouched(raw_customers, parameters, caplog):
    cleaned, counts = check(raw_customers, parameters)

    expected = preprocess_customers(raw_customers, parameters["column_types"])
    pd.testing.assert_frame_equal(cleaned, expected)
    assert counts["rows_in"] == len(raw_customers)
    assert all(counts[f"invalid.{name}"] == 0 for name in raw_customers.columns)
    assert not caplog.records


def test_a_missing_required_column_is_refused_by_name(raw_customers, parameters):
    raw = raw_customers.drop(columns=["monthly_fee", "plan"])

    with pytest.raises(DataQualityError) as refused:
        check(raw, parameters)

    assert str(refused.value) == (
        "customers: required column(s) missing: plan, monthly_fee"
    )


def test_rows_to_score_need_no_target(raw_customers, parameters):
    _, counts = check(raw_customers.drop(columns=parameters["target"]), parameters)

    assert "invalid.churned" not in counts


def test_a_header_without_rows_is_refused(raw_customers, parameters):
    with pytest.raises(DataQualityError, match="customers: no rows"):
        check(raw_customers.head(0), parameters)


def test_a_column_over_its_limit_is_refused_with_its_rule(raw_customers, parameters):
    raw = raw_customers.head(100).copy()
    raw.loc[:49, "monthly_fee"] = "n/a"

    with pytest.raises(DataQualityError) as refused:
        check(raw, parameters)

    present = raw["monthly_fee"].notna().sum()  # some fees are blank already
    assert str(refused.value) == (
        f"customers: column monthly_fee: 50 of {present} values ({50 / present:.0%}) "
        "are not an amount >= 0 ($29.99): more than the 10% allowed"
    )


def test_an_entirely_unparseable_column_is_always_refused(raw_customers, parameters):
    raw = raw_customers.head(1).copy()
    raw["support_tickets"] = "many"

    with pytest.raises(DataQualityError, match="column support_tickets: 1 of 1"):
        check(raw, parameters)


def test_below_the_limit_values_become_missing_with_one_warning_per_column(
    raw_customers, parameters, caplog
):
    raw = raw_customers.head(200).copy()
    raw.loc[:2, "monthly_fee"] = "call us"  # does not parse
    raw.loc[3, "monthly_fee"] = "-$5.00"  # parses, but below the range
    raw.loc[:1, "region"] = "Atlantis"  # not an allowed value

    with caplog.at_level(logging.WARNING):
        cleaned, counts = check(raw, parameters)

    assert cleaned.loc[:3, "monthly_fee"].isna().all()
    assert cleaned.loc[:1, "region"].isna().all()
    assert counts["invalid.monthly_fee"] == 4
    assert counts["invalid.region"] == 2
    regions, fees = raw["region"].notna().sum(), raw["monthly_fee"].notna().sum()
    assert [record.getMessage() for record in caplog.records] == [
        f"customers: column region: 2 of {regions} values ({2 / regions:.0%}) "
        "are not one of north, south, east, west: treated as missing",
        f"customers: column monthly_fee: 4 of {fees} values ({4 / fees:.0%}) "
        "are not an amount >= 0 ($29.99): treated as missing",
    ]


def test_limits_are_per_column_metadata():
    assert all(
        column.metadata["max_invalid_share"] == MAX_INVALID_SHARE
        for column in CUSTOMER_SCHEMA.columns.values()
    )


def test_the_node_gives_the_counts(raw_customers, parameters):
    _, counts = validate_customers(raw_customers, parameters["column_types"])

    assert counts["rows_in"] == len(raw_customers)
    assert counts["invalid.monthly_fee"] == 0


def test_a_long_refusal_stays_short():
    error = DataQualityError("data/x.csv", [f"column c{i}: bad" for i in range(12)])

    lines = str(error).splitlines()
    assert lines[0] == "data/x.csv: refused, 12 problems:"
    assert lines[-1] == "  ... and 7 more"
    assert len(lines) == 7
