"""Generate the example customer-churn data set shipped with the template.

The output is a deliberately messy CSV of a fictional subscription service: it
has numbers stored as text with currency signs and thousands separators,
percent strings, empty cells, categories in inconsistent case and whitespace,
and ISO dates. The baked project's preprocessing pipeline exists to clean it.

Whether a customer churned depends on the features through a logistic model
plus sampling noise, so a classifier can learn it (ROC AUC around 0.8) but not
perfectly. The generator is seeded and writes every value itself, so running
it twice produces byte-identical files.

Usage:
    python scripts/make_example_data.py [--rows N] [--out PATH] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_ROWS = 2_500
DEFAULT_SEED = 20_240_601
# Relative to this script, so the default works from any working directory.
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent
    / "{{ cookiecutter.repo_name }}"
    / "data"
    / "01_raw"
    / "customers.csv"
)

COLUMNS = (
    "customer_id",
    "signup_date",
    "plan",
    "contract",
    "payment_method",
    "region",
    "autopay",
    "monthly_fee",
    "discount",
    "total_spend",
    "support_tickets",
    "logins_last_30d",
    "avg_session_minutes",
    "churned",
)

# Signups fall in this window; the project's parameters measure tenure up to
# 2025-01-01, so the generator and the pipeline agree on "now".
FIRST_SIGNUP = dt.date(2019, 1, 1)
LAST_SIGNUP = dt.date(2024, 12, 15)
REFERENCE_DATE = dt.date(2025, 1, 1)

# plan: (probability, monthly list prices)
PLANS = {
    "basic": (0.40, (9.99, 14.99, 19.99)),
    "standard": (0.35, (29.99, 39.99, 49.99)),
    "premium": (0.21, (79.99, 99.99, 129.99)),
    # Business seats cost over $1,000, so the CSV needs thousands separators.
    "enterprise": (0.04, (999.99, 1029.99, 1499.99)),
}
CONTRACTS = {"month-to-month": 0.55, "one year": 0.28, "two year": 0.17}
PAYMENT_METHODS = {
    "credit card": 0.42,
    "bank transfer": 0.25,
    "paypal": 0.21,
    "invoice": 0.12,
}
REGIONS = {"north": 0.3, "south": 0.25, "east": 0.25, "west": 0.2}
DISCOUNTS = (0, 0, 0, 5, 10, 10, 15, 20, 25)

# Log-odds contributions. The intercept is tuned so that roughly a quarter of
# customers churn.
INTERCEPT = -0.9
CONTRACT_EFFECT = {"month-to-month": 1.1, "one year": -0.4, "two year": -1.3}
PLAN_EFFECT = {"basic": 0.35, "standard": 0.0, "premium": -0.25, "enterprise": -0.6}
PAYMENT_EFFECT = {
    "credit card": -0.1,
    "bank transfer": -0.2,
    "paypal": 0.1,
    "invoice": 0.55,
}
REGION_EFFECT = {"north": 0.0, "south": 0.15, "east": -0.1, "west": 0.05}

# Share of empty cells per column: missing data is part of the exercise.
MISSING_RATE = {
    "signup_date": 0.05,
    "payment_method": 0.03,
    "region": 0.04,
    "autopay": 0.03,
    "monthly_fee": 0.02,
    "discount": 0.08,
    "total_spend": 0.03,
    "support_tickets": 0.03,
    "logins_last_30d": 0.05,
    "avg_session_minutes": 0.06,
    # A few unlabelled rows: training must drop them, inference must not care.
    "churned": 0.015,
}


def _choice(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    """Draw ``n`` keys of ``options`` with the given probabilities."""
    keys = list(options)
    probs = np.array([options[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=probs)]


def _messy_category(value: str, rng: np.random.Generator) -> str:
    """Write a category the way hand-typed data does: any case, stray spaces."""
    variants = (
        value.upper(),
        value.title(),
        f" {value}",
        f"{value.capitalize()} ",
        value.replace(" ", "  "),
    )
    # Half of the values are left as they are.
    pick = int(rng.integers(0, 2 * len(variants)))
    return variants[pick] if pick < len(variants) else value


def _messy_money(amount: float, rng: np.random.Generator) -> str:
    """Format an amount as text: mostly "$1,029.99", sometimes without "$"."""
    style = rng.integers(0, 10)
    if style == 0:
        return f"{amount:.2f}"
    if style == 1:
        return f" ${amount:,.2f}"
    return f"${amount:,.2f}"


def _messy_percent(value: int, rng: np.random.Generator) -> str:
    """Format a whole percentage as "15%", occasionally "15 %"."""
    return f"{value} %" if rng.integers(0, 12) == 0 else f"{value}%"


def _messy_yes_no(flag: bool, rng: np.random.Generator) -> str:
    """Write a boolean as one of the many spellings of yes and no."""
    spellings = ("Yes", "yes", "Y", "YES") if flag else ("No", "no", "N", "NO")
    return spellings[int(rng.integers(0, len(spellings)))]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate_rows(n_rows: int, seed: int) -> list[list[str]]:
    """Return ``n_rows`` CSV rows (strings, "" for missing), in ``COLUMNS`` order."""
    rng = np.random.default_rng(seed)

    plans = _choice(rng, {k: p for k, (p, _) in PLANS.items()}, n_rows)
    contracts = _choice(rng, CONTRACTS, n_rows)
    payments = _choice(rng, PAYMENT_METHODS, n_rows)
    regions = _choice(rng, REGIONS, n_rows)

    window_days = (LAST_SIGNUP - FIRST_SIGNUP).days
    signup_offsets = rng.integers(0, window_days + 1, size=n_rows)
    tenure_days = np.array(
        [(REFERENCE_DATE - FIRST_SIGNUP).days - int(o) for o in signup_offsets]
    )
    tenure_years = tenure_days / 365.25

    list_prices = np.array(
        [PLANS[p][1][int(rng.integers(0, len(PLANS[p][1])))] for p in plans]
    )
    discounts = np.array(DISCOUNTS)[rng.integers(0, len(DISCOUNTS), size=n_rows)]
    effective_fee = list_prices * (1 - discounts / 100)
    # Lifetime spend follows tenure, with gaps (paused months, refunds).
    total_spend = (
        effective_fee
        * np.maximum(tenure_days / 30.44, 1)
        * rng.uniform(0.8, 1.02, n_rows)
    )

    autopay = rng.random(n_rows) < np.where(contracts == "month-to-month", 0.45, 0.7)
    tickets = rng.poisson(np.where(plans == "basic", 1.6, 1.1))
    logins = rng.poisson(np.where(contracts == "month-to-month", 11, 16))
    session_minutes = np.round(rng.gamma(4.0, 6.0, n_rows), 1)

    logit = (
        INTERCEPT
        + np.array([CONTRACT_EFFECT[c] for c in contracts])
        + np.array([PLAN_EFFECT[p] for p in plans])
        + np.array([PAYMENT_EFFECT[m] for m in payments])
        + np.array([REGION_EFFECT[r] for r in regions])
        - 0.35 * tenure_years
        + 0.45 * tickets
        - 0.08 * (logins - 13)
        - 0.02 * (session_minutes - 24)
        - 0.04 * discounts
        - 0.6 * autopay
    )
    churned = rng.random(n_rows) < _sigmoid(logit)

    rows = []
    for i in range(n_rows):
        signup = FIRST_SIGNUP + dt.timedelta(days=int(signup_offsets[i]))
        row = {
            "customer_id": f"C{i + 1:06d}",
            "signup_date": signup.isoformat(),
            "plan": _messy_category(str(plans[i]), rng),
            "contract": _messy_category(str(contracts[i]), rng),
            "payment_method": _messy_category(str(payments[i]), rng),
            "region": _messy_category(str(regions[i]), rng),
            "autopay": _messy_yes_no(bool(autopay[i]), rng),
            "monthly_fee": _messy_money(float(list_prices[i]), rng),
            "discount": _messy_percent(int(discounts[i]), rng),
            "total_spend": _messy_money(float(total_spend[i]), rng),
            "support_tickets": str(int(tickets[i])),
            "logins_last_30d": str(int(logins[i])),
            "avg_session_minutes": f"{session_minutes[i]:.1f}",
            "churned": "Yes" if churned[i] else "No",
        }
        for column, rate in MISSING_RATE.items():
            if rng.random() < rate:
                row[column] = ""
        rows.append([row[c] for c in COLUMNS])
    return rows


def write_csv(rows: Sequence[Sequence[str]], out: Path) -> None:
    """Write ``rows`` under a header, with "\\n" line endings on every OS."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=_positive_int,
        default=DEFAULT_ROWS,
        help=f"number of customers (default: {DEFAULT_ROWS})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output CSV (default: the template's data/01_raw/customers.csv)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed (default: {DEFAULT_SEED})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the data set and write it to ``--out``."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    rows = generate_rows(args.rows, args.seed)
    write_csv(rows, args.out)
    labelled = [r[-1] for r in rows if r[-1]]
    churn_rate = labelled.count("Yes") / len(labelled) if labelled else math.nan
    logger.info(
        "Wrote %d rows to %s (churn rate %.1f%%)", len(rows), args.out, 100 * churn_rate
    )


if __name__ == "__main__":
    main()
