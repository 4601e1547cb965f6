"""Tests of the preprocessing nodes: messy text in, typed values out."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from {{ cookiecutter.python_package }}.pipelines.preprocessing.nodes import (
    create_features,
    create_model_input_table,
    preprocess_customers,
)


@pytest.fixture
def messy_customers() -> pd.DataFrame:
    """A few raw rows written the way the shipped CSV writes them."""
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "signup_date": ["2024-12-01", "", "2020-02-29", "not a date"],
            "plan": [" basic", "BASIC", "Premium ", None],
            "contract": ["Month-To-Month", "month-to-month", "Two  year", "ONE YEAR"],
            "payment_method": ["credit  card", "Credit Card ", "", "PAYPAL"],
            "region": ["north", " North", "SOUTH", "west"],
            "autopay": ["Yes", "n", " YES ", "maybe"],
            "monthly_fee": ["$1,029.99", " $29.99", "29.99", ""],
            "discount": ["15%", "0 %", "", "n/a"],
            "total_spend": ["$12,345.67", "$0.00", "", "$1,000"],
            "support_tickets": ["2", "", "0", "1"],
            "logins_last_30d": [10, None, 3, 0],
            "avg_session_minutes": ["12.5", "", "7", "oops"],
            "churned": ["Yes", "No", "", "no"],
        }
    )


@pytest.fixture
def cleaned(messy_customers, parameters) -> pd.DataFrame:
    return preprocess_customers(messy_customers, parameters["column_types"])


def test_currency_text_becomes_float(cleaned):
    assert cleaned["monthly_fee"].tolist()[:3] == [1029.99, 29.99, 29.99]
    assert math.isnan(cleaned["monthly_fee"].iloc[3])
    assert cleaned["total_spend"].tolist()[:2] == [12345.67, 0.0]
    assert cleaned["total_spend"].iloc[3] == 1000.0


def test_percent_text_becomes_fraction(cleaned):
    assert cleaned["discount"].iloc[0] == pytest.approx(0.15)
    assert cleaned["discount"].iloc[1] == 0.0
    # Empty and unparseable cells are left for the model's imputer.
    assert cleaned["discount"].iloc[2:].isna().all()


def test_categories_are_normalised(cleaned):
    assert cleaned["plan"].tolist()[:3] == ["basic", "basic", "premium"]
    assert pd.isna(cleaned["plan"].iloc[3])
    assert cleaned["contract"].tolist() == [
        "month_to_month",
        "month_to_month",
        "two_year",
        "one_year",
    ]
    assert cleaned["payment_method"].tolist()[:2] == ["credit_card", "credit_card"]
    assert pd.isna(cleaned["payment_method"].iloc[2])
    assert cleaned["region"].tolist() == ["north", "north", "south", "west"]


def test_yes_no_spellings_become_one_and_zero(cleaned):
    assert cleaned["autopay"].tolist()[:3] == [1.0, 0.0, 1.0]
    assert math.isnan(cleaned["autopay"].iloc[3])
    assert cleaned["churned"].tolist()[:2] == [1.0, 0.0]
    assert math.isnan(cleaned["churned"].iloc[2])
    assert cleaned["churned"].iloc[3] == 0.0


def test_numbers_and_dates_are_parsed(cleaned):
    assert cleaned["support_tickets"].tolist()[2:] == [0.0, 1.0]
    assert cleaned["avg_session_minutes"].iloc[0] == 12.5
    assert math.isnan(cleaned["avg_session_minutes"].iloc[3])
    assert pd.api.types.is_datetime64_any_dtype(cleaned["signup_date"])
    assert cleaned["signup_date"].iloc[2] == pd.Timestamp("2020-02-29")
    assert cleaned["signup_date"].iloc[[1, 3]].isna().all()


def test_preprocessing_keeps_every_row_and_leaves_input_alone(messy_customers, cleaned):
    assert len(cleaned) == len(messy_customers)
    assert cleaned["customer_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert messy_customers["monthly_fee"].iloc[0] == "$1,029.99"


def test_unknown_column_kind_is_refused(messy_customers):
    with pytest.raises(ValueError, match="currencies"):
        preprocess_customers(messy_customers, {"currencies": ["monthly_fee"]})


def test_tenure_is_measured_to_the_reference_date():
    customers = pd.DataFrame(
        {
            "signup_date": pd.to_datetime(["2024-12-01", None, "2025-03-01"]),
            "monthly_fee": [100.0, 20.0, 10.0],
            "discount": [0.15, float("nan"), 0.0],
        }
    )

    features = create_features(customers, reference_date="2025-01-01")

    assert features["tenure_days"].iloc[0] == 31
    assert math.isnan(features["tenure_days"].iloc[1])
    # Signing up after the reference date is a data error, not negative tenure.
    assert features["tenure_days"].iloc[2] == 0
    assert features["effective_monthly_fee"].iloc[0] == pytest.approx(85.0)
    assert math.isnan(features["effective_monthly_fee"].iloc[1])


def test_model_input_table_drops_dates_and_puts_the_id_first(cleaned, parameters):
    features = create_features(cleaned, parameters["reference_date"])

    table = create_model_input_table(features, parameters["id_column"])

    assert table.columns[0] == "customer_id"
    assert "signup_date" not in table.columns
    assert {"tenure_days", "effective_monthly_fee", "churned"} <= set(table.columns)
    assert len(table) == len(cleaned)


def test_rows_without_target_go_through_every_node(messy_customers, parameters):
    """Inference rows have no ``churned``: preprocessing must not need it."""
    unlabelled = messy_customers.drop(columns="churned")

    cleaned = preprocess_customers(unlabelled, parameters["column_types"])
    features = create_features(cleaned, parameters["reference_date"])
    table = create_model_input_table(features, parameters["id_column"])

    assert "churned" not in table.columns
    assert len(table) == len(unlabelled)
    assert table["monthly_fee"].iloc[0] == 1029.99


def test_shipped_data_is_fully_parsed(raw_customers, parameters):
    cleaned = preprocess_customers(raw_customers, parameters["column_types"])
    column_types = parameters["column_types"]

    for column in column_types["categorical"]:
        values = set(cleaned[column].dropna())
        assert values, column
        assert all(value == value.strip().lower() for value in values), column
    numeric = [
        *column_types["currency"],
        *column_types["percent"],
        *column_types["numeric"],
        *column_types["boolean"],
    ]
    for column in numeric:
        assert pd.api.types.is_float_dtype(cleaned[column]), column
    # Parsing fails soft, so check it did not silently fail wholesale.
    assert cleaned["monthly_fee"].notna().mean() > 0.95
    assert cleaned["monthly_fee"].max() > 1000
    assert set(cleaned["churned"].dropna()) == {0.0, 1.0}
