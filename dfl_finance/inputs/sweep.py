"""The sweep file (TOML) as pydantic models::

    [sweep]
    name = "Rwanda: options under uncertainty"
    scenarios = ["../scenarios/rwanda-domestic.toml"]   # relative to this file
    portfolio = "portfolio-east-africa.toml"            # beside or instead of scenarios: its countries
    stresses = ["baseline", "capex_overrun=0.3"]        # baseline, or name[:source][=size]
    seeds = [2026]
    draws = 1000
    chunk = 250                                         # draws per task
    method = "lhs"                                      # lhs | sobol | mc
    basis = "real-lcu"

    [[sweep.override]]                                  # override sets: field paths and values
    name = "growth 3%"
    values = { "context.budget_growth" = 0.03 }

    [[sweep.case]]                                      # optional: these cases instead of the product
    scenario = "../scenarios/rwanda-domestic.toml"      # a scenario file, or a country of the portfolio by name
    override = "growth 3%"
    stress = "capex_overrun=0.3"
    seed = 5

The tables are :class:`SweepFile` and the models it holds, validated as the scenario is (each problem with the
file, the field path and the value: :mod:`dfl_finance.inputs.files`); the rules across fields are
:func:`sweep_problems`. :func:`read_sweep` reads the file and says every problem of the file; what it names (the
scenarios, the portfolio), the override sets applied to them and the stresses checked against them, is read by
:func:`dfl_finance.studies.sweep.load_sweep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, ValidationError

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs.files import (
    FileModel,
    FileName,
    failed_fields,
    field,
    file_problems,
    in_file,
    rule_error,
    valid_part,
    valid_rows,
)
from dfl_finance.inputs.io import read_toml
from dfl_finance.inputs.stress import parse_stress
from dfl_finance.vocabulary import MAX_DRAWS, MAX_SEED, PRICE_BASES, SAMPLING_METHODS, PriceBasis, SamplingMethod

#: Draws per task unless the sweep says otherwise.
DEFAULT_CHUNK = 1000
#: The override set of a sweep that gives none.
AS_WRITTEN = "as written"


def _stress(text: str) -> str:
    """A stress as a sweep names it: ``baseline`` or ``name[:source][=size]``
    (:func:`~dfl_finance.inputs.stress.parse_stress`)."""
    if text != "baseline":
        try:
            parse_stress(text)
        except ScenarioError as exc:
            raise rule_error(exc.problems[0].message) from None
    return text


#: A stress: ``baseline``, or ``name[:source][=size]``.
Stress = Annotated[str, AfterValidator(_stress)]
#: A seed: a whole number from 0 to MAX_SEED (2**64 was taken and every case failed with an OverflowError).
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
SEED_WORDS = f"a whole number from 0 to {MAX_SEED:,}"
PORTFOLIO_WORDS = "a portfolio file (relative to the sweep file)"


class OverrideSet(FileModel):
    """A ``[[sweep.override]]``: field paths of the scenarios and their values, by a name."""

    table_words: ClassVar[str] = "each has a name and values = {path = value, ...}"

    name: str = field(message="each has a name and values = {path = value, ...}",
                      description="The set's name in the cases (cases.csv, quantiles.csv)")
    values: dict[str, Any] = field(default_factory=dict, message="a table of field paths and values",
                                   description="Field paths of the scenarios and their values")


class CaseRow(FileModel):
    """A ``[[sweep.case]]``: one case listed instead of the product of the sweep's scenarios, override sets, stresses
    and seeds."""

    table_words: ClassVar[str] = "each case has scenario and optional override, stress and seed"

    scenario: str = field(message="one of the sweep's scenario files, or a country of its portfolio",
                          description="One of the sweep's scenario files, or a country of its portfolio by name")
    override: str | None = field(None, message="one of the override sets",
                                 description="One of the override sets (default: the first)")
    stress: Stress = Field("baseline", description="baseline, or name[:source][=size]")
    seed: Seed | None = field(None, message=SEED_WORDS, description="The seed (default: the sweep's first)")


class SweepTable(FileModel):
    """``[sweep]``."""

    name: str | None = Field(None, description="The sweep's name (default: the file's name)")
    scenarios: list[FileName] = field(default_factory=list, message="a list of scenario files (relative to the sweep "
                                 "file)", description="Scenario files, relative to the sweep file")
    portfolio: FileName | None = field(None, message=PORTFOLIO_WORDS,
                                  description="A portfolio file whose countries are scenarios of the sweep")
    override: list[OverrideSet] = field(default_factory=lambda: [OverrideSet(name=AS_WRITTEN)],
                                        message="a list of [[sweep.override]] tables")
    stresses: list[Stress] = field(default_factory=lambda: ["baseline"], min_length=1,
                                   message="a list of stresses (baseline, depreciation, ...)")
    seeds: list[Seed] = field(default_factory=lambda: [0], min_length=1,
                              message=f"a list of whole numbers from 0 to {MAX_SEED:,}")
    draws: int = field(100, ge=1, le=MAX_DRAWS, message=f"must be a whole number from 1 to {MAX_DRAWS:,}",
                       description="Draws of each case")
    chunk: int = field(DEFAULT_CHUNK, ge=1, le=MAX_DRAWS, message=f"must be a whole number from 1 to {MAX_DRAWS:,}",
                       description="Draws per task")
    method: SamplingMethod = field("lhs", message=f"must be one of {', '.join(SAMPLING_METHODS)}")
    basis: PriceBasis = field(PRICE_BASES[0], message=f"must be one of {', '.join(PRICE_BASES)}")
    case: list[CaseRow] | None = field(None, min_length=1, message="a list of [[sweep.case]] tables",
                                       description="These cases instead of the product")


class SweepFile(FileModel):
    """A sweep file: its ``[sweep]`` table and nothing else."""

    sweep: SweepTable = field(message="a sweep file has a [sweep] table")

    @classmethod
    def unknown_words(cls, key: str) -> str:
        # ([[override]] for [[sweep.override]] was dropped unsaid; issue 26)
        hint = f" (did you mean [[sweep.{key}]]?)" if key in ("override", "case") else ""
        return ("unknown table: a sweep file has a [sweep] table and its [[sweep.override]] and [[sweep.case]] "
                f"tables, nothing else{hint}")


def sweep_problems(table: SweepTable, overrides: list[tuple[int, OverrideSet]],
                   failed: frozenset[str] = frozenset()) -> list[Problem]:
    """The rules of ``[sweep]`` across its fields (those in ``failed`` did not validate and are left out): scenarios
    or a portfolio, and each override set (of ``overrides``, with its place) with its own name."""
    out = []
    if not {"scenarios", "portfolio"} & failed:
        if not table.scenarios and not table.portfolio:
            out.append(Problem("sweep", "name the scenarios (scenarios = [\"plan.toml\", ...]) or a portfolio "
                               "(portfolio = \"portfolio.toml\"), relative to the sweep file: both are missing or "
                               "empty", has_value=False))
        elif table.portfolio == "":
            out.append(Problem("sweep.portfolio", PORTFOLIO_WORDS, ""))
    first: dict[str, int] = {}  # each set's name, and the first set that has it
    for i, o in overrides:
        if o.name in first:  # the cases, cases.csv and the manifest know a set by its name
            out.append(Problem(f"sweep.override[{i}].name", f"the name of sweep.override[{first[o.name]}]: give "
                               "each set its own name", o.name))
        first.setdefault(o.name, i)
    return out


@dataclass(frozen=True)
class SweepSpec:
    """A sweep file as read: its ``[sweep]`` table (each field that failed validation at its default), the fields
    that failed, its override sets and listed cases that validate (each with its place; ``cases`` None: the sweep
    lists none), and every problem of the file (named by the file and the field)."""

    file: Path
    table: SweepTable
    failed: frozenset[str]
    overrides: list[tuple[int, OverrideSet]]
    cases: list[tuple[int, CaseRow]] | None
    problems: list[Problem]

    @property
    def name(self) -> str:
        return self.table.name if self.table.name is not None else self.file.stem


def read_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file.

    Raises
    ------
    ScenarioError
        The file cannot be read, is not TOML, is a scenario or portfolio file, or has no ``[sweep]`` table. Its other
        problems are in :attr:`SweepSpec.problems`, so that the files it names are checked with it.
    """
    path = Path(path)
    raw = read_toml(path, "sweep file")
    if "sweep" not in raw and {"scenario", "programme", "portfolio"} & set(raw):
        what = "a portfolio" if "portfolio" in raw else "a scenario file"
        hint = (" (to sweep a portfolio, name it in a sweep file: portfolio = \"...\", as "
                "examples/sweep-portfolio-east-africa.toml does)" if "portfolio" in raw else "")
        raise ScenarioError([Problem(str(path), f"this is {what}, not a sweep: a sweep has a [sweep] table naming "
                                     f"its scenarios or its portfolio (docs/method.md, Sweeps){hint}",
                                     has_value=False)])
    failed: frozenset[str] = frozenset()
    inner = raw.get("sweep")
    try:
        table = SweepFile.model_validate(raw).sweep
        problems: list[Problem] = []
    except ValidationError as exc:
        problems = file_problems(exc, SweepFile, raw)
        if not isinstance(inner, dict):
            raise ScenarioError(in_file(problems, path)) from None
        failed = failed_fields(exc, ("sweep",))
        table = valid_part(SweepTable, inner, failed)
    # (a set or case that does not validate is named above; the others are checked)
    given: dict[str, Any] = inner if isinstance(inner, dict) else {}
    overrides = valid_rows(OverrideSet, given.get("override")) if "override" in failed else \
        list(enumerate(table.override))
    cases = valid_rows(CaseRow, given.get("case")) if "case" in failed else \
        None if table.case is None else list(enumerate(table.case))
    problems += sweep_problems(table, overrides, failed)
    return SweepSpec(path, table, failed, overrides, cases, in_file(problems, path))
