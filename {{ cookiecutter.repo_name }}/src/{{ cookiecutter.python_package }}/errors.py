"""Mistakes a user can fix, as one error type that says what to do.

A ``ProjectError`` is a mistake in the data, the configuration or the order of
commands, not a bug: ``kedro run`` (see cli.py) prints it in a few lines, what
went wrong, where and the command that fixes it, instead of a traceback.
``kedro run --verbose`` and the log file keep the full traceback.
"""

from __future__ import annotations

# A message stays short: the first problems are enough to start fixing.
MAX_PROBLEMS_SHOWN = 5


class ProjectError(Exception):
    """A mistake the user can fix: what went wrong, where, and how to fix it.

    Args:
        problem: What went wrong, naming the value, file or column.
        fix: The command or change that fixes it, if there is one.
    """

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__(problem, fix)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return self.problem if not self.fix else f"{self.problem}\n{self.fix}"


class DataQualityError(ProjectError):
    """Rows refused by the schema of raw data (see pipelines/preprocessing/schema.py).

    ``source`` names the data: the catalog entry, until ``kedro run`` replaces
    it with the file the entry reads (see cli.py).
    """

    def __init__(self, source: str, problems: list[str], fix: str | None = None):
        super().__init__("; ".join(problems), fix)
        self.source = source
        self.problems = problems

    def __reduce__(self):
        return (type(self), (self.source, self.problems, self.fix))

    def __str__(self) -> str:
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        if len(self.problems) == 1:
            lines = [f"{self.source}: {self.problems[0]}"]
        else:
            lines = [f"{self.source}: refused, {len(self.problems)} problems:"]
            lines += [f"  {problem}" for problem in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines if not self.fix else [*lines, self.fix])
