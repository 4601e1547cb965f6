"""Fixtures shared by the pipeline tests: the project's parameters and data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def parameters() -> dict[str, Any]:
    """The parameters in ``conf/base``, merged as Kedro merges top-level keys."""
    merged: dict[str, Any] = {}
    for path in sorted((PROJECT_ROOT / "conf" / "base").glob("parameters*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


@pytest.fixture(scope="session")
def raw_customers() -> pd.DataFrame:
    """The example data shipped in ``data/01_raw``, read as the catalog reads it."""
    return pd.read_csv(PROJECT_ROOT / "data" / "01_raw" / "customers.csv")
