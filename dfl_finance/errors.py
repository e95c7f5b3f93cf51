"""Named exceptions for failures a user can cause.

They deliberately do not derive from ``ValueError``: pydantic turns a ``ValueError`` raised inside a validator into
a field error, while these must reach the caller as they are, with their list of problems intact.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: At most this many problems are spelt out in an error message; the rest are counted.
MAX_PROBLEMS_SHOWN = 50


class DflFinanceError(Exception):
    """Base of every error a user can cause (bad file, bad field, bad option)."""

    def in_words(self, words: Mapping[str, str]) -> str:
        """The message with each option it names (by its keyword argument, ``min_share``) said as a face says it:
        ``words`` maps an option to the face's word for it (a flag, a label). The message itself here."""
        return str(self)


class OptionError(DflFinanceError):
    """An option of a function that cannot be used as given (not a field of a file): ``option`` is its keyword
    argument (``workers``, ``scheduler``); a face says it in its own words (:meth:`in_words`: the command line its
    flag)."""

    def __init__(self, option: str, message: str) -> None:
        self.option, self.message = option, message
        super().__init__(self.in_words({}))

    def in_words(self, words: Mapping[str, str]) -> str:
        """``<option>: <message>``, the option called ``words[option]`` (its own name when ``words`` lacks it)."""
        return f"{words.get(self.option, self.option)}: {self.message}"


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

    def named(self, words: Mapping[str, str]) -> Problem:
        """The problem as a face says it: a field's problem as it is (an option's names the option in ``words``,
        :class:`OptionProblem`)."""
        return self


@dataclass(frozen=True)
class OptionProblem(Problem):
    """A problem with an option of a function, not with a field of a file: ``path`` is the option's name, its keyword
    argument (``order``, ``start_year``, ``min_share``). The floors below the faces speak in these names; each face
    says them in its own words (:meth:`named`): the command line its flags (``--start-year``), the app its labels."""

    def named(self, words: Mapping[str, str]) -> Problem:
        """The problem with the option called ``words[path]`` (its own name when ``words`` does not name it)."""
        return Problem(words.get(self.path, self.path), self.message, self.value, self.has_value)


_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 3, 6, 6, 4
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 60, 60, 40


def _short_repr(value: object, limit: int = 80) -> str:
    """A bounded ``repr``: nesting, lengths and size are capped (a 5,000-level value prints in constant time)."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def known(names: Iterable[str], limit: int = 12) -> str:
    """``"a, b, c"``; beyond ``limit`` names, ``"a, b, ... and 88 more"``."""
    names = list(names)
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... and {len(names) - limit} more"


class ScenarioError(DflFinanceError):
    """A scenario (file or object) that cannot be used; carries one :class:`Problem` per defect."""

    def __init__(self, problems: list[Problem], file: str | None = None):
        self.problems = list(problems)
        self.file = file
        super().__init__(self._text())

    def with_file(self, file: str) -> "ScenarioError":
        return ScenarioError(self.problems, file=file)

    def problems_in(self, file: str) -> list[Problem]:
        """The problems with ``file`` in front of each path, to report them beside another file's (a portfolio's
        countries, a sweep's scenarios)."""
        return [Problem(f"{file}: {p.path}" if p.path else file, p.message, p.value, p.has_value)
                for p in self.problems]

    def named_by(self, field: str, file: str, value: object) -> list[Problem]:
        """The problems of ``file``, which another file names at ``field`` (``portfolio.toml: country[0].scenario``)
        with ``value``: a problem with the whole file (missing, a folder, not TOML, another kind of file) at that
        field, the file in its message, so that the field that names it is said; a problem inside the file with the
        file in front of its path, as :meth:`problems_in` gives it."""
        return [Problem(f"{file}: {p.path}", p.message, p.value, p.has_value) if p.path
                else Problem(field, f"{file}: {p.message}", value) for p in self.problems]

    def in_words(self, words: Mapping[str, str]) -> str:
        """The message with each option's problem naming the option in ``words`` (:meth:`Problem.named`)."""
        return ScenarioError([p.named(words) for p in self.problems], self.file)._text()

    def _text(self) -> str:
        prefix = f"{self.file}: " if self.file else ""
        lines = [prefix + p.format() for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"{prefix}... and {len(self.problems) - MAX_PROBLEMS_SHOWN} more problems")
        return "\n".join(lines)


class DataError(DflFinanceError):
    """The bundled or user-supplied data in ``data/`` is missing or malformed."""
