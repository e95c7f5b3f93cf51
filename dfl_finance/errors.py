"""Named exceptions for failures a user can cause.

They deliberately do not derive from ``ValueError``: pydantic turns a ``ValueError`` raised inside a validator into
a field error, while these must reach the caller as they are, with their list of problems intact.
"""

from __future__ import annotations

from dataclasses import dataclass


class DflFinanceError(Exception):
    """Base of every error a user can cause (bad file, bad field, bad option)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (dotted field path), the value found, and what is wrong."""

    path: str
    message: str
    value: object = None
    has_value: bool = True

    def format(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} (got {_short_repr(self.value)})" if self.has_value else text


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ScenarioError(DflFinanceError):
    """A scenario (file or object) that cannot be used; carries one :class:`Problem` per defect."""

    def __init__(self, problems: list[Problem], file: str | None = None):
        self.problems = list(problems)
        self.file = file
        super().__init__(self._text())

    def with_file(self, file: str) -> "ScenarioError":
        return ScenarioError(self.problems, file=file)

    def _text(self) -> str:
        prefix = f"{self.file}: " if self.file else ""
        return "\n".join(prefix + p.format() for p in self.problems)


class DataError(DflFinanceError):
    """The bundled or user-supplied data in ``data/`` is missing or malformed."""
