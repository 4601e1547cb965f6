"""Unit tests of hooks/pre_gen_project.py, rendered the way cookiecutter renders it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment

HOOK = Path(__file__).resolve().parents[1] / "hooks" / "pre_gen_project.py"


def render_hook(tmp_path: Path, **answers: str):
    """Render the hook with `answers` as cookiecutter would, then import it."""
    env = StrictEnvironment(context={"cookiecutter": answers})
    source = env.from_string(HOOK.read_text()).render(cookiecutter=answers)
    path = tmp_path / "pre_gen_project.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pre_gen_project", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hook(tmp_path):
    return render_hook(tmp_path, python_package="churn", repo_name="churn")


def test_answers_are_read_as_data_not_code(tmp_path):
    tricky = 'x"""; import os; os.exit(3) #\\'
    module = render_hook(tmp_path, python_package=tricky, repo_name="a'b\"c")
    assert module.ANSWERS == {"python_package": tricky, "repo_name": "a'b\"c"}


@pytest.mark.parametrize(
    "name", ["churn", "customer_churn", "churn_2026_v2", "_private", "match"]
)
def test_accepts_usable_package_names(hook, name):
    assert hook.python_package_problem(name) is None


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("2026_churn", "not a valid Python identifier"),
        ("my-churn", "not a valid Python identifier"),
        ("my churn", "not a valid Python identifier"),
        ("", "not a valid Python identifier"),
        ("class", "is a Python keyword"),
        ("None", "is a Python keyword"),
        ("kedro", "would shadow the module 'kedro'"),
        ("kedro_mlflow", "would shadow"),
        ("mlflow", "would shadow"),
        ("sklearn", "would shadow"),
        ("pandas", "would shadow"),
        ("numpy", "would shadow"),
        ("test", "would shadow"),
        ("tests", "would shadow"),
        ("json", "would shadow the module 'json'"),
        ("email", "would shadow"),
        ("logging", "would shadow"),
    ],
)
def test_refuses_bad_package_names(hook, name, rule):
    problem = hook.python_package_problem(name)
    assert problem is not None
    assert repr(name) in problem
    assert rule in problem
    assert "\n" not in problem


@pytest.mark.parametrize("name", ["churn", "customer-churn", "Churn.2026", "a_b-c"])
def test_accepts_usable_folder_names(hook, name):
    assert hook.repo_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "not a usable folder name"),
        (".", "not a usable folder name"),
        ("..", "not a usable folder name"),
        ("-churn", "not a usable folder name"),
        (".hidden", "not a usable folder name"),
        ("churn.", "not a usable folder name"),
        ("my churn", "not a usable folder name"),
        ("a/b", "not a usable folder name"),
        ("a\\b", "not a usable folder name"),
        ("a:b", "not a usable folder name"),
        ("what?", "not a usable folder name"),
        ("con", "reserved device name"),
        ("NUL.txt", "reserved device name"),
        ("x" * 101, "longer than 100 characters"),
    ],
)
def test_refuses_bad_folder_names(hook, name, rule):
    problem = hook.repo_name_problem(name)
    assert problem is not None
    assert repr(name) in problem
    assert rule in problem


def test_main_prints_one_line_and_fails(tmp_path, capsys):
    module = render_hook(tmp_path, python_package="mlflow", repo_name="ok")
    assert module.main() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("ERROR: python_package 'mlflow' would shadow")


def test_main_accepts_good_answers(hook, capsys):
    assert hook.main() == 0
    assert capsys.readouterr().err == ""


def test_hook_uses_the_standard_library_only():
    # cookiecutter's interpreter may not have Kedro or anything else installed.
    imported = {
        line.split()[1].split(".")[0]
        for line in HOOK.read_text().splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported <= set(sys.stdlib_module_names)
