"""Below the faces, options are named by their keyword arguments, never by a face's flags (issue 20; README, *How the
code is laid out*): ``inputs/``, ``engine/``, ``model/``, ``outputs/`` and ``studies/`` say ``start_year`` in a
problem (:class:`~dfl_finance.errors.OptionProblem`), and each face says it in its own words: the command line
``--start-year`` (:data:`dfl_finance.cli.commands.FLAGS`), the app its widget's label.

The walk reads every string literal of those floors (an f-string by its first part) and fails on one that starts
with ``--`` and a letter, as ``Problem("--order", ...)`` did; a flag inside a sentence (a docstring, a field's
description) is a mention, not a name, and passes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dfl_finance"
#: The floors below the faces.
FLOORS = ("inputs", "engine", "model", "outputs", "studies")
FLAG = re.compile(r"--[A-Za-z][\w-]*")
#: The flags still written in a floor below the faces, by module: the sweep's messages about its Dask options. Their
#: engineer converts them (with the sweep file's checks) and empties this; an entry left when its flags are gone fails.
ALLOWED: dict[str, set[str]] = {}


def flag_literals(path: Path) -> list[tuple[int, str]]:
    """``(line, text)`` of each string literal in the module at ``path`` that starts with ``--`` and a letter (an
    f-string by its first part)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values[1:]}
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner
                  and FLAG.match(node.value))


def _modules() -> list[Path]:
    return sorted(p for floor in FLOORS for p in (PACKAGE / floor).rglob("*.py"))


def test_no_floor_below_the_faces_names_a_flag():
    found, written = [], {}
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        literals = [(line, text, FLAG.match(text).group(0)) for line, text in flag_literals(path)]
        written[rel] = {flag for _, _, flag in literals}
        found += [f"dfl_finance/{rel}:{line}: {text[:60]!r}" for line, text, flag in literals
                  if flag not in ALLOWED.get(rel, set())]
    assert not found, ("name the option by its keyword argument (an OptionProblem), and map it to the flag in "
                       "dfl_finance/cli/commands.py FLAGS:\n" + "\n".join(found))
    stale = {rel: sorted(flags - written.get(rel, set())) for rel, flags in ALLOWED.items()
             if flags - written.get(rel, set())}
    assert not stale, f"no longer written there: remove them from ALLOWED: {stale}"


@pytest.mark.parametrize(("source", "found"), [
    ('Problem("--order", "unknown order", order)\n', ["--order"]),
    ('raise DflFinanceError(f"--workers must be between 1 and {n}")\n', ["--workers must be between 1 and "]),
    ('Problem("order", "unknown order", order)\n', []),
    ('x = f"{name} --flag in the middle"\n', []),
    ('x = "the minimum share (--min-share)"\n', []),
    ('x = "---"\nx = "-- 2"\n', []),
    ('def f():\n    """--help starts a docstring: a mention, not a message."""\n', ["--help starts"]),
])
def test_the_walk_finds_a_literal_that_starts_with_a_flag(tmp_path, source, found):
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    texts = [text for _, text in flag_literals(path)]
    assert len(texts) == len(found) and all(t.startswith(f) for t, f in zip(texts, found)), texts


def _option_problem_names() -> set[str]:
    """The option named by each ``OptionProblem("name", ...)`` in the floors below the faces."""
    names = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    == "OptionProblem" and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    return names


def _optimiser_limit_options() -> set[str]:
    """The options of the limits that an optimisation names when they cannot hold."""
    from dfl_finance.studies.optimise import _constraint_words

    sc = SimpleNamespace(source=[SimpleNamespace(id="gpe")], scenario=SimpleNamespace(start_year=2026))
    options = {_constraint_words(sc, name)[1] for name in ("min_share[0]", "burden_limit[2]", "max_debt", "dsf[x]")}
    assert None not in options
    return options


def test_the_command_line_has_a_flag_for_every_option_a_floor_below_names():
    from dfl_finance.cli.commands import FLAGS
    from dfl_finance.cli.parser import build_parser

    named = _option_problem_names() | _optimiser_limit_options()
    assert {"order", "years", "start_year", "stress", "min_share", "programme"} <= named  # the walk finds them
    assert not named - set(FLAGS), f"options without a flag in cli/commands.py FLAGS: {sorted(named - set(FLAGS))}"
    parser = build_parser()
    flags = {option for sub in parser._subparsers._group_actions[0].choices.values()
             for action in sub._actions for option in action.option_strings}
    assert not set(FLAGS.values()) - flags, f"not flags of dfl-finance: {sorted(set(FLAGS.values()) - flags)}"


def test_the_apps_labels_are_keyed_by_option_names():
    pytest.importorskip("streamlit")
    from dfl_finance.app.optimising import OPTION_LABELS as OPTIMISE
    from dfl_finance.app.schools import OPTION_LABELS as SCHOOLS

    named = _option_problem_names() | _optimiser_limit_options()
    for labels in (OPTIMISE, SCHOOLS):
        assert not set(labels) - named, f"labels of no option: {sorted(set(labels) - named)}"
