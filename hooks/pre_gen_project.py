"""Refuse answers that would bake a project which cannot be imported or installed.

Runs inside cookiecutter's own interpreter, which may not have Kedro: standard
library only. Answers are read as data (``tojson``), never pasted into code, so a
quote in a project name can neither break nor inject into this script.

On a refusal this prints one line naming the value and the rule, and exits 1;
cookiecutter then deletes the project folder it had just created.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

ANSWERS = json.loads(
    r"""{
    "python_package": {{ cookiecutter.python_package | tojson }},
    "repo_name": {{ cookiecutter.repo_name | tojson }}
}"""
)

# What the baked project imports (or installs as a top-level module): a package
# of the same name would shadow it on sys.path.
SHADOWED_IMPORTS = frozenset(
    {
        "IPython",
        "ipykernel",
        "joblib",
        "jupyter",
        "kedro",
        "kedro_datasets",
        "kedro_mlflow",
        "matplotlib",
        "mlflow",
        "numpy",
        "pandas",
        "pyarrow",
        "pytest",
        "ruff",
        "scipy",
        "sklearn",
        "test",
        "tests",
    }
)

# A folder name that works on Linux, macOS and Windows, in a shell without
# quoting, and as a git repository name.
REPO_NAME_RULE = re.compile(r"^[^\W_][\w.-]*$")
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def python_package_problem(name: str) -> str | None:
    """Say why ``name`` cannot be the project's package, or None when it can."""
    if not name.isidentifier():
        return (
            f"python_package {name!r} is not a valid Python identifier: use letters, "
            "digits and underscores, not starting with a digit"
        )
    if keyword.iskeyword(name):
        return f"python_package {name!r} is a Python keyword: choose another name"
    if name in sys.stdlib_module_names or name in SHADOWED_IMPORTS:
        return (
            f"python_package {name!r} would shadow the module {name!r} that the "
            "project imports: choose another name"
        )
    return None


def repo_name_problem(name: str) -> str | None:
    """Say why ``name`` cannot be the project's folder, or None when it can."""
    if not REPO_NAME_RULE.match(name) or name.endswith("."):
        return (
            f"repo_name {name!r} is not a usable folder name: start with a letter "
            "or digit, then use only letters, digits, '.', '_' and '-'"
        )
    if name.split(".", maxsplit=1)[0].lower() in WINDOWS_RESERVED:
        return f"repo_name {name!r} is a reserved device name on Windows"
    if len(name) > 100:  # noqa: PLR2004
        return f"repo_name {name!r} is longer than 100 characters"
    return None


def main() -> int:
    problem = python_package_problem(ANSWERS["python_package"]) or repo_name_problem(
        ANSWERS["repo_name"]
    )
    if problem:
        print(f"ERROR: {problem}.", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
