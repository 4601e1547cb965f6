"""Fast tier: scripts/matrix.sh refuses what it cannot run before doing any work
(its legs themselves run in CI, see .ci/run and the README)."""

from __future__ import annotations

import subprocess

import pytest
from conftest import TEMPLATE_DIR


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--legs", "3.9"],
            "matrix.sh: unknown leg '3.9' (legs: 3.10 3.11 3.12 3.13 lowest)",
        ),
        (
            ["--python", "3.12"],
            "matrix.sh: unknown argument '--python' (use --legs LEG... with LEG "
            "in: 3.10 3.11 3.12 3.13 lowest)",
        ),
    ],
)
def test_bad_arguments_are_refused_in_one_line(tmp_path, args, message):
    work = tmp_path / "matrix"
    result = subprocess.run(
        ["bash", str(TEMPLATE_DIR / "scripts" / "matrix.sh"), *args],
        env={"PATH": "/usr/bin:/bin", "MATRIX_DIR": str(work)},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert not work.exists()
