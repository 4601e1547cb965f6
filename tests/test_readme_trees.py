"""Fast tier: the file trees drawn in both READMEs match a default bake.

A tree is a fenced block drawn with "├──" / "└──": its first line is the root
(the project folder, or "."), each entry a name, optionally followed by two or
more spaces and a comment. Every entry must exist in the bake (a name ending
in "/" as a folder). The baked README's tree must also show every top-level
entry of the project that git keeps, and every entry of src/<package>/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import DEFAULT_PACKAGE, TEMPLATE_DIR

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
ENTRY = re.compile(r"^((?:│   |    )*)[├└]── (.*)$")


def trees(markdown: str) -> list[tuple[str, list[str]]]:
    """(root, entries) of each tree in `markdown`; an entry is a path relative
    to the root, ending in "/" for a folder."""
    found = []
    for block in FENCE.findall(markdown):
        if "├── " not in block and "└── " not in block:
            continue
        lines = [line for line in block.splitlines() if line.strip()]
        root, entries, parents = lines[0].strip(), [], []
        for line in lines[1:]:
            match = ENTRY.match(line)
            if match is None:  # a comment carried over to the next line
                continue
            depth = len(match.group(1)) // 4
            name = re.split(r"\s{2,}", match.group(2).strip())[0]
            parents[depth:] = [name]
            entries.append("".join(parents))
        found.append((root, entries))
    return found


def missing_from(project: Path, entries: list[str]) -> list[str]:
    """The entries of a tree that the project does not have, as drawn."""
    return [
        entry
        for entry in entries
        if not (
            (project / entry).is_dir()
            if entry.endswith("/")
            else (project / entry).is_file()
        )
    ]


def kept_by_git(project: Path, names: list[str]) -> list[str]:
    """`names` (relative to `project`) but those its .gitignore ignores."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    ignored = subprocess.run(
        ["git", "-C", str(project), "check-ignore", "--stdin"],
        input="\n".join(names),
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [name for name in names if name not in ignored]


@pytest.fixture(scope="module")
def project(bake) -> Path:
    return bake()


@pytest.fixture(scope="module")
def baked_trees(project: Path) -> list[tuple[str, list[str]]]:
    found = trees((project / "README.md").read_text())
    assert len(found) == 1, "the baked README draws one tree, its Layout"
    return found


@pytest.fixture(scope="module")
def template_trees() -> list[tuple[str, list[str]]]:
    found = trees((TEMPLATE_DIR / "README.md").read_text())
    assert found, "the template README draws what a bake gives"
    return found


def test_every_entry_of_the_baked_readme_tree_exists(project, baked_trees):
    for root, entries in baked_trees:
        assert root == "."
        missing = missing_from(project, entries)
        assert not missing, f"README.md's tree shows what a bake lacks: {missing}"


def test_every_entry_of_the_template_readme_tree_exists(project, template_trees):
    for root, entries in template_trees:
        assert root == f"{project.name}/"
        missing = missing_from(project, entries)
        assert not missing, (
            f"the template README's tree shows what a bake lacks: {missing}"
        )


def shown(entries: list[str], folder: str) -> set[str]:
    """The names a tree shows directly in `folder` ("" for the root), folders
    with a trailing "/"; an entry drawn as a longer path shows its first part."""
    names = set()
    for entry in entries:
        if entry.startswith(folder) and entry != folder:
            first, slash, _ = entry[len(folder) :].partition("/")
            names.add(first + slash)
    return names


def actual(project: Path, folder: str) -> set[str]:
    return {
        path.name + ("/" if path.is_dir() else "")
        for path in (project / folder).iterdir()
        if path.name != "__pycache__"
    }


def test_the_baked_readme_tree_shows_every_top_level_entry(project, baked_trees):
    [(_, entries)] = baked_trees
    kept = kept_by_git(project, sorted(actual(project, "")))
    unshown = set(kept) - {".git/"} - shown(entries, "")
    assert not unshown, f"README.md's tree does not show {sorted(unshown)}"


def test_the_baked_readme_tree_shows_every_entry_of_the_package(project, baked_trees):
    [(_, entries)] = baked_trees
    package = f"src/{DEFAULT_PACKAGE}/"
    unshown = actual(project, package) - shown(entries, package)
    assert not unshown, f"README.md's tree does not show {package}: {sorted(unshown)}"
