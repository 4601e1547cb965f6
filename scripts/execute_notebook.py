"""Execute a notebook top to bottom, as a user would: in a kernel of the
Python running this script, from a given working folder.

    python scripts/execute_notebook.py SOURCE TARGET CWD KERNEL [--no-warnings]

Run with a baked project's virtualenv (tests/test_notebooks.py,
scripts/matrix.sh). The executed copy is written to TARGET, also when a cell
fails, to show what failed. With --no-warnings, it exits 3 when an output has a
line a user would read as a warning.
"""

import re
import sys

import nbformat
from nbclient import NotebookClient

WARNING_EXIT = 3


def warning_lines(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        line
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        for line in (
            output.get("text") or output.get("data", {}).get("text/plain", "")
        ).splitlines()
        if re.search("warning", line, re.IGNORECASE)
    ]


def main(argv: list[str]) -> int:
    source, target, cwd, kernel = argv[:4]
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook, kernel_name=kernel, timeout=900, resources={"metadata": {"path": cwd}}
    )
    try:
        client.execute()
    finally:
        nbformat.write(notebook, target)
    if "--no-warnings" in argv[4:] and (warnings := warning_lines(notebook)):
        print("\n".join(warnings))  # noqa: T201
        return WARNING_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
