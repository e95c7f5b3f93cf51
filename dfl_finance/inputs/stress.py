"""The ``[[stress]]`` rows of a scenario and the stresses named on the command line: the built-in stresses
(:data:`STRESSES`), what their sizes mean and may be, and their rules (checked with the rest of the scenario). The
stresses themselves, and a scenario run under each, are a study (:mod:`dfl_finance.studies.risk.stress`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dfl_finance.errors import OptionProblem, Problem, ScenarioError, known
from dfl_finance.inputs.paths import did_you_mean
from dfl_finance.vocabulary import STRESS_NAMES

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario


#: The families of stress tests: the LIC-DSF's standardised tests (IMF and World Bank, Guidance Note on the Bank-Fund
#: Debt Sustainability Framework for Low Income Countries, 2018), its tailored contingent-liabilities test, and the
#: plan's own.
STANDARDISED, TAILORED, PLAN = "LIC-DSF standardised", "LIC-DSF tailored", "plan"
STRESS_GROUPS = (STANDARDISED, TAILORED, PLAN)


@dataclass(frozen=True)
class StressTest:
    """A built-in stress: its name, what its ``size`` means, the default size and the allowed sizes."""

    name: str
    size_words: str
    default_size: float
    low: float  # sizes must be > low (or >= low when low_closed)
    high: float  # and <= high
    low_closed: bool = False
    whole: bool = False  # the size is a whole number (years)
    takes_source: bool = False
    default_targets: tuple[str, ...] = ()  # kinds of source stressed when no source is named
    group: str = PLAN  # which family of tests it belongs to (:data:`STRESS_GROUPS`)


#: What each standardised shock moves, in the order of [debt.sd] and [debt.shock] (the combination takes them all).
SHOCKS = {"gdp_growth": ("gdp_growth", "real GDP growth"), "primary_balance": ("primary_balance", "the primary "
          "balance"), "exports": ("exports_growth", "the growth of exports"), "other_flows": ("other_flows",
          "current transfers and FDI")}


def _sd_test(name: str) -> StressTest:
    field, what = SHOCKS[name]
    return StressTest(name, f"the fall of {what} in the plan's second and third years, in standard deviations "
                      f"([debt.sd] {field})", 1.0, 0.0, 10.0, group=STANDARDISED)


#: The built-in stresses, in the order of the built-in set.
STRESSES: dict[str, StressTest] = {t.name: t for t in (
    *(_sd_test(name) for name in SHOCKS),
    StressTest("depreciation", "the rise of the exchange rate (local currency per USD)", 0.3, 0.0, 10.0,
               group=STANDARDISED),
    StressTest("combined", "the share of each standardised shock (the four above by their standard deviations, and "
               "the 30% depreciation) applied together", 0.5, 0.0, 1.0, group=STANDARDISED),
    StressTest("contingent_liabilities", "the public debt added in the plan's second year besides 35% of the PPP "
               "capital stock, as a share of GDP (the guidance's defaults: state-owned enterprises 2%, financial "
               "market 5%)", 0.07, 0.0, 1.0, low_closed=True, group=TAILORED),
    StressTest("budget_growth", "the fall of the real budget growth in the plan's second and third years, in "
               "standard deviations ([context] budget_growth_sd)", 1.0, 0.0, 10.0),
    StressTest("capex_overrun", "the rise of every capex and fixed_capex unit cost", 0.2, 0.0, 10.0),
    StressTest("pledge_shortfall", "the share of the pledge that does not come", 0.5, 0.0, 1.0, takes_source=True,
               default_targets=("grant",)),
    StressTest("delay", "the years by which the window of payments moves", 2.0, 1.0, 60.0, low_closed=True,
               whole=True, takes_source=True, default_targets=("grant", "loan")),
    StressTest("results_delay", "the years by which every result of a [[source.dli]] row comes later (its "
               "deadline stays)", 1.0, 1.0, 60.0, low_closed=True, whole=True, takes_source=True),
)}
if tuple(STRESSES) != STRESS_NAMES:  # pragma: no cover - the vocabulary and this table name the same stresses
    raise RuntimeError("STRESSES and vocabulary.STRESS_NAMES differ")


def _number(x: float) -> str:
    return f"{x:g}"


def _percent(x: float) -> str:
    return f"{x * 100:g}%"


@dataclass(frozen=True)
class StressSpec:
    """One stress to run: a built-in ``name``, the ``source`` it targets (pledge_shortfall and delay; None: the
    default targets) and its ``size`` (None: the default).

    Examples
    --------
    >>> StressSpec("pledge_shortfall", "ida").key, StressSpec("depreciation", size=0.5).key
    ('pledge_shortfall:ida', 'depreciation=0.5')
    >>> StressSpec("delay").description
    'every grant and loan pays 2 years later (its window of payments moved, clipped to the plan)'
    """

    name: str
    source: str | None = None
    size: float | None = None

    @property
    def test(self) -> StressTest:
        return STRESSES[self.name]

    @property
    def amount(self) -> float:
        """The size in effect: the given one, else the default."""
        return self.test.default_size if self.size is None else float(self.size)

    @property
    def key(self) -> str:
        """How the stress is named in the tables and on the command line: ``name[:source][=size]``, the size only
        where it is not the default."""
        text = self.name + (f":{self.source}" if self.source else "")
        return text if self.amount == self.test.default_size else f"{text}={_number(self.amount)}"

    @property
    def description(self) -> str:
        """The stress in one line."""
        size = self.amount
        kinds = self.test.default_targets
        who = f"source `{self.source}`" if self.source else "every " + " and ".join(kinds)
        if self.name in SHOCKS:
            field, what = SHOCKS[self.name]
            return (f"{what} {_number(size)} standard deviation{'' if size == 1 else 's'} ([debt.sd] {field}) lower "
                    "in the plan's second and third years (LIC-DSF standardised test)")
        if self.name == "combined":
            return (f"{_number(size)} of each LIC-DSF standardised shock together: GDP growth, primary balance, "
                    f"exports and other flows {_number(size)} standard deviation lower in the second and third years, "
                    f"and a {_percent(0.3 * size)} depreciation where the scenario has an exchange rate")
        if self.name == "contingent_liabilities":
            return (f"contingent liabilities of {_percent(size)} of GDP and 35% of the PPP capital stock become public "
                    "debt in the plan's second year (LIC-DSF tailored test)")
        if self.name == "depreciation":
            return (f"a one-off {_percent(size)} nominal depreciation of the local currency against the USD in the "
                    "plan's second year, kept after (LIC-DSF standardised test)")
        if self.name == "budget_growth":
            return (f"the real growth of the education budget {_number(size)} standard deviation"
                    f"{'' if size == 1 else 's'} lower in the plan's second and third years (LIC-DSF standard shock)")
        if self.name == "capex_overrun":
            return f"every capex and fixed_capex unit cost {_percent(size)} higher"
        if self.name == "pledge_shortfall":
            return f"{who} delivers {_percent(1.0 - size)} of its pledge (its commitment and annual cap scaled)"
        if self.name == "results_delay":
            whose = f"of source `{self.source}`" if self.source else "of every [[source.dli]] row"
            return (f"every result {whose} comes {_number(size)} year{'' if size == 1 else 's'} later, its deadline "
                    "unchanged (results-based financing paid later, or lost)")
        return (f"{who} pays {_number(size)} years later (its window of payments moved, clipped to the plan)")


#: The stresses run when a scenario has no ``[[stress]]`` rows and none is named on the command line.
BUILT_IN: tuple[StressSpec, ...] = tuple(StressSpec(name) for name in STRESSES if name != "results_delay")
#: The built-in set of a scenario with results-based financing ([[source.dli]] rows): the results_delay stress too.
BUILT_IN_RESULTS: tuple[StressSpec, ...] = (*BUILT_IN, StressSpec("results_delay"))


def parse_stress(text: str) -> StressSpec:
    """A stress written ``name[:source][=size]`` (``pledge_shortfall:ida``, ``depreciation=0.5``).

    Raises
    ------
    ScenarioError
        An unknown name or a size that is not a number; the problem names the option ``stress`` (an
        :class:`~dfl_finance.errors.OptionProblem`).

    Examples
    --------
    >>> parse_stress("delay:ida=3")
    StressSpec(name='delay', source='ida', size=3.0)
    """
    head, eq, size_text = text.partition("=")
    name, colon, source = head.partition(":")
    name, source = name.strip(), source.strip()
    if name not in STRESSES:
        raise ScenarioError([OptionProblem("stress", f"unknown stress `{name}` (known: {known(STRESS_NAMES)})"
                                           + did_you_mean(name, STRESS_NAMES), text)])
    if colon and not source:
        raise ScenarioError([OptionProblem("stress", "write a source id after the colon (name:source)", text)])
    size = None
    if eq:
        try:
            size = float(size_text)
        except ValueError:
            raise ScenarioError([OptionProblem("stress", "the size after `=` must be a number", text)]) from None
    return StressSpec(name, source or None, size)


def _spec_problems(spec: StressSpec, sc: Scenario) -> list[tuple[str, str, object]]:
    """``(field, message, value)`` of what is wrong with a stress for a scenario: a source where the stress takes
    none, a source the scenario does not have, a size outside the stress's range."""
    out: list[tuple[str, str, object]] = []
    test = spec.test
    if spec.source is not None:
        ids = [s.id for s in sc.source]
        if not test.takes_source:
            out.append(("source", f"{spec.name} takes no source (only pledge_shortfall and delay do)", spec.source))
        elif spec.source not in ids:
            out.append(("source", f"no source with this id (known: {known(ids)})" + did_you_mean(spec.source, ids),
                        spec.source))
    if spec.size is not None:
        size = float(spec.size)
        above = size >= test.low if test.low_closed else size > test.low
        if not (math.isfinite(size) and above and size <= test.high) or (test.whole and not size.is_integer()):
            what = "a whole number from" if test.whole else "a number >" + ("=" if test.low_closed else "")
            rng = (f"{what} {_number(test.low)} to {_number(test.high)}" if test.whole
                   else f"{what} {_number(test.low)} and <= {_number(test.high)}")
            out.append(("size", f"the size of {spec.name} is {test.size_words}: {rng}", spec.size))
    return out


def stress_problems(sc: Scenario) -> list[Problem]:
    """Every problem of the ``[[stress]]`` rows (checked with the rest of the scenario): a source that does not
    exist or that the stress does not take, a size outside its range, the same stress twice."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(sc.stress):
        spec = StressSpec(row.name, row.source, row.size)
        out += [Problem(f"stress[{i}].{field}", message, value) for field, message, value in _spec_problems(spec, sc)]
        if spec.key in seen:
            out.append(Problem(f"stress[{i}].name", f"the same stress as stress[{seen[spec.key]}]", row.name))
        seen.setdefault(spec.key, i)
    return out


def check_stresses(specs: Sequence[StressSpec], sc: Scenario) -> list[Problem]:
    """What is wrong with stresses given as options (not ``[[stress]]`` rows) for a scenario, each problem naming the
    option ``stress``."""
    return [OptionProblem("stress", f"{spec.key}: {field}: {message}", value)
            for spec in specs for field, message, value in _spec_problems(spec, sc)]


def stresses_of(sc: Scenario) -> list[StressSpec]:
    """The scenario's ``[[stress]]`` rows, or the built-in set (:data:`BUILT_IN`; :data:`BUILT_IN_RESULTS` with
    [[source.dli]] rows) when it has none."""
    if not sc.stress:
        return list(BUILT_IN_RESULTS if any(s.dli for s in sc.source) else BUILT_IN)
    return [StressSpec(row.name, row.source, row.size) for row in sc.stress]
