"""The benchmark runs and reports what it promises (not how fast)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import TEMPLATE_DIR, clean_env


def bench(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(TEMPLATE_DIR / "benchmarks" / "bench.py"), *args],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bench_quick_json_has_the_promised_shape():
    out = bench("--quick", "--json", "--repeats", "1", "--only", "bake")
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results["repeats"] == 1
    assert isinstance(results["machine"], str)
    assert isinstance(results["bake_ratio"], float)
    for side in ("tracked", "untracked"):
        stats = results["bake"][side]
        assert set(stats) == {"median", "min", "max"}
        assert 0 < stats["min"] <= stats["median"] <= stats["max"]


def test_bench_refuses_bad_arguments():
    out = bench("--only", "bak")
    assert out.returncode == 2
    assert "--only bak: unknown figure(s) bak" in out.stderr


@pytest.mark.slow
def test_bench_measures_lineage_and_runs_tracked_against_untracked():
    out = bench(
        "--json",
        "--repeats",
        "1",
        "--only",
        "run,scale,cell,lineage,store,validate",
        timeout=2400,
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results["run_ratio"] > 0
    # The same pair on the example table made 10 and 100 times larger.
    for size in ("10x", "100x"):
        assert results[f"run_ratio_{size}"] == results["scale"][size]["ratio"] > 0
    assert (
        results["scale"]["100x"]["untracked"]["median"]
        > results["scale"]["10x"]["untracked"]["median"]
        > results["run"]["untracked"]["median"]
    )
    assert results["lineage"]["100x"]["median"] > results["lineage"]["1x"]["median"]
    assert results["lineage_100x_ratio"] == results["lineage"]["ratio"]
    # Each cell of a notebook, with the project loaded, in a large repository.
    assert results["cell_overhead_ms"] == results["cell"]["overhead_ms"]
    assert results["cell"]["cells"] == 50
    assert 0 < results["store_backup_s"] < results["store_backup_100mib_s"]
    assert 0 < results["validate_s"] < results["validate_100x_s"]
