"""Fast tier: the baked project, outside its tests/, reaches into no library's
internals. Nothing imports or reads an underscore name of kedro, kedro-mlflow,
kedro-datasets, mlflow or IPython, nor assigns to an attribute of their
objects: the next release of any of them may rename or rework what is not
public, and a project that patches them breaks without warning.

The check reads the code (Python files, and the code cells of the notebooks)
with `ast`. It follows names bound to those libraries through imports and
simple assignments: a name imported from them, and any name assigned from an
expression that uses one (``shell = get_ipython()``, ``copy =
copy.copy(kedro_command)``), or a parameter annotated with one of their types.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import nbformat
import pytest

LIBRARIES = {"kedro", "kedro_mlflow", "kedro_datasets", "mlflow", "IPython"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def library_module(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in LIBRARIES


class InternalsFinder(ast.NodeVisitor):
    """Collects, for one module, every use of a library's internals."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.library_names: set[str] = set()
        # Stack of (class subclasses a library class) for the enclosing classes.
        self.classes: list[bool] = []

    def flag(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"line {node.lineno}: {what}")

    def uses_library(self, node: ast.AST | None) -> bool:
        return node is not None and any(
            isinstance(sub, ast.Name) and sub.id in self.library_names
            for sub in ast.walk(node)
        )

    def root_name(self, node: ast.AST) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) else None

    # --- imports ---------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if library_module(alias.name):
                if any(is_private(part) for part in alias.name.split(".")):
                    self.flag(node, f"import {alias.name}")
                self.library_names.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not library_module(node.module):
            return
        if any(is_private(part) for part in node.module.split(".")):
            self.flag(node, f"from {node.module} import ...")
        for alias in node.names:
            if is_private(alias.name):
                self.flag(node, f"from {node.module} import {alias.name}")
            self.library_names.add(alias.asname or alias.name)

    # --- names bound to library objects ------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.check_target(target)
        if self.uses_library(node.value):
            for target in node.targets:
                self.bind(target)
        self.generic_visit(node)

    def bind(self, target: ast.AST) -> None:
        """Mark the names ``target`` binds (``x``, ``x, y``) as library objects."""
        if isinstance(target, ast.Name):
            self.library_names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind(element)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.check_target(node.target)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        if self.uses_library(node.value):
            self.library_names.add(node.target.id)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None and self.uses_library(item.context_expr):
                self.bind(item.optional_vars)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            annotation = arg.annotation
            if isinstance(annotation, ast.Constant) and isinstance(
                annotation.value, str
            ):
                annotation = ast.parse(annotation.value, mode="eval").body
            if self.uses_library(annotation):
                self.library_names.add(arg.arg)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(any(self.uses_library(base) for base in node.bases))
        self.generic_visit(node)
        self.classes.pop()

    # --- reads and writes ------------------------------------------------------------

    def own_attribute(self, node: ast.Attribute) -> bool:
        """``self._x`` in a class of the project's own, not a library's subclass."""
        return (
            isinstance(node.value, ast.Name)
            and node.value.id in {"self", "cls"}
            and bool(self.classes)
            and not self.classes[-1]
        )

    def check_target(self, target: ast.AST) -> None:
        for sub in ast.walk(target):
            if not isinstance(sub, ast.Attribute):
                continue
            root = self.root_name(sub)
            in_library_subclass = bool(self.classes) and self.classes[-1]
            if root in self.library_names or (
                root in {"self", "cls"} and in_library_subclass and is_private(sub.attr)
            ):
                self.flag(sub, f"assigns {ast.unparse(sub)}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if is_private(node.attr) and not self.own_attribute(node):
            self.flag(node, f"reads {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        attr = func.attr if isinstance(func, ast.Attribute) else None
        if name in {"getattr", "setattr", "delattr", "hasattr"} and len(node.args) > 1:
            key = node.args[1]
            if isinstance(key, ast.Constant) and is_private(str(key.value)):
                self.flag(node, f"{name}(..., {key.value!r})")
            if name in {"setattr", "delattr"} and self.uses_library(node.args[0]):
                self.flag(node, f"{name}({ast.unparse(node.args[0])}, ...)")
        if attr in {"__setattr__", "__delattr__"}:
            self.flag(node, f"calls {ast.unparse(func)}")
        if (
            (name == "import_module" or attr == "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and library_module(str(node.args[0].value))
            and any(is_private(p) for p in str(node.args[0].value).split("."))
        ):
            self.flag(node, f"imports {node.args[0].value}")
        self.generic_visit(node)


def internals_in(source: str) -> list[str]:
    finder = InternalsFinder()
    finder.visit(ast.parse(source))
    return finder.problems


def notebook_code(path: Path) -> str:
    """The code cells of a notebook, without IPython's magics and shell lines."""
    notebook = nbformat.read(path, as_version=4)
    lines = [
        line
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    return "\n".join(lines)


def project_sources(project: Path) -> dict[str, str]:
    """Every piece of code of the baked project outside tests/."""
    sources = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if relative.parts[0] == "tests" or not path.is_file():
            continue
        if path.suffix == ".py":
            sources[relative.as_posix()] = path.read_text()
        elif path.suffix == ".ipynb":
            sources[relative.as_posix()] = notebook_code(path)
    return sources


def test_baked_project_uses_no_library_internals(bake):
    sources = project_sources(bake())
    # The places that matter are all looked at.
    assert {
        ".ipython/profile_default/ipython_config.py",
        "notebooks/02_tune_hyperparameters.ipynb",
        "scripts/promote.py",
        "src/customer_churn/cli.py",
        "src/customer_churn/mlflow_wiring/interactive.py",
        "src/customer_churn/settings.py",
    } <= sources.keys()
    found = {
        name: problems
        for name, source in sources.items()
        if (problems := internals_in(source))
    }
    assert found == {}


# What the check must catch: the patches this project once shipped, and their kin.
PATCHES = {
    "private import": """
        from mlflow.tracking.context.registry import _run_context_provider_registry
    """,
    "private module": """
        from mlflow.utils._spark_utils import something
    """,
    "replace a method": """
        from kedro.framework.session import KedroSession
        KedroSession.run = lambda self: None
    """,
    "replace a module function": """
        from kedro.framework.cli import jupyter as kedro_jupyter
        kedro_jupyter._create_kernel = print
    """,
    "read a private function": """
        from kedro.framework.cli import jupyter as kedro_jupyter
        create = getattr(kedro_jupyter, "_create_kernel", None)
    """,
    "call a private method": """
        from kedro.config import OmegaConfigLoader
        class Loader(OmegaConfigLoader):
            def path(self):
                return self._get_conf_env_path("local")
    """,
    "write into a registry": """
        import mlflow
        registry = mlflow.tracking.context.registry
        registry.providers = []
    """,
    "edit a copy of a library object": """
        import copy
        from kedro.framework.cli.project import ipython
        wrapped = copy.copy(ipython)
        wrapped.callback = print
    """,
    "set an attribute on a library's object": """
        from kedro.framework.context import KedroContext
        def hook(context: KedroContext) -> None:
            context.__setattr__("extra", 1)
            context.extra = 2
    """,
    "import a private module by name": """
        import importlib
        importlib.import_module("IPython.core._private")
    """,
    "override a private method's internals": """
        from kedro_mlflow.io.models import MlflowModelRegistryDataset
        class Dataset(MlflowModelRegistryDataset):
            def _load(self):
                return super()._load()
    """,
}


@pytest.mark.parametrize("source", PATCHES.values(), ids=PATCHES.keys())
def test_check_flags_a_patch(source):
    assert internals_in(textwrap.dedent(source))


def test_check_passes_public_use_and_own_private_names():
    source = """
        import json
        from urllib.parse import urlsplit
        import mlflow
        from kedro.io import AbstractDataset

        c = get_config()
        c.InteractiveShellApp.extensions = ["kedro.ipython"]

        class Hooks:
            def __init__(self):
                self._runs = []

            def run(self):
                self._runs.append(mlflow.active_run())
                return self._runs

        class Dataset(AbstractDataset):
            def __init__(self, name):
                self.name = name

            def _describe(self):
                return {"name": self.name}

        def _helper(uri):
            return urlsplit(uri).password

        run = mlflow.active_run()
        print(run.info.run_id, _helper("http://a:b@c"), json.dumps({}))
    """
    assert internals_in(textwrap.dedent(source)) == []
