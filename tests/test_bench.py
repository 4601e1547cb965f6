"""The benchmark runs and reports what it promises (not how fast)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import TEMPLATE_DIR, clean_env


def test_bench_quick_json_has_the_promised_shape():
    out = subprocess.run(
        [
            sys.executable,
            str(TEMPLATE_DIR / "benchmarks" / "bench.py"),
            "--quick",
            "--json",
            "--repeats",
            "1",
            "--only",
            "bake",
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
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
    out = subprocess.run(
        [
            sys.executable,
            str(TEMPLATE_DIR / "benchmarks" / "bench.py"),
            "--only",
            "bak",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "--only bak: unknown figure(s) bak" in out.stderr


@pytest.mark.slow
def test_bench_measures_lineage_and_runs_tracked_against_untracked():
    out = subprocess.run(
        [
            sys.executable,
            str(TEMPLATE_DIR / "benchmarks" / "bench.py"),
            "--json",
            "--repeats",
            "1",
            "--only",
            "run,lineage",
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results["run_ratio"] > 0
    assert results["lineage"]["100x"]["median"] > results["lineage"]["1x"]["median"]
    assert results["lineage_100x_ratio"] == results["lineage"]["ratio"]
