"""The memory guard: the size of a run, estimated from the scenario's counts before any array is allocated.

Pure Python (no numpy), so ``dfl-finance validate`` can apply it and still start fast.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dfl_finance.errors import DflFinanceError, Problem, ScenarioError

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario

#: Environment variable with the memory limit of one run, in GiB (default :data:`DEFAULT_MEMORY_LIMIT_GIB`).
MEMORY_LIMIT_ENV = "DFL_FINANCE_MEMORY_GIB"
DEFAULT_MEMORY_LIMIT_GIB = 4.0


@dataclass(frozen=True)
class Sizes:
    """The sizes that set the memory of a run."""

    draws: int
    years: int  # Y, the projection
    horizon: int  # H, to the last repayment
    programmes: int  # P (cells C = 2 P)
    lines: int  # L
    sources: int  # S
    loans: int  # loans and PPP sources

    def describe(self) -> str:
        return (f"{self.sources:,} sources x {2 * self.programmes:,} cost cells x {self.years} years x "
                f"{self.draws:,} draws, {self.lines:,} cost lines, {self.loans:,} loans over {self.horizon} years")


def sizes(scenario: Scenario, draws: int = 1) -> Sizes:
    # the cost projection runs over the plan and its post-horizon years
    post = scenario.scenario.post_horizon_years
    Y = scenario.scenario.years + post
    tails = [s.maturity_years or 0 for s in scenario.source if s.kind == "loan"]
    tails += [s.contract_years or 0 for s in scenario.source if s.kind == "ppp"]
    bond = scenario.context.gap_financing
    extra = [post] + ([bond.maturity_years] if bond is not None else [])
    return Sizes(draws=draws, years=Y, horizon=scenario.scenario.years + max(tails + extra),
                 programmes=len(scenario.programme),
                 lines=sum(len(p.cost) for p in scenario.programme), sources=len(scenario.source),
                 loans=len(tails))


#: Bytes per row of a result table (numbers and the text columns pandas holds per row). Measured: a run with 51
#: sources x 400 cost cells x 30 years (624,000 financing rows) peaked at 78 MiB (tracemalloc), about 100 bytes a
#: row with the engine's arrays; 150 leaves a margin.
TABLE_ROW_BYTES = 150


def memory_estimate(z: Sizes) -> int:
    """Peak memory of one run [bytes]: the engine's arrays and the result tables built from them.

    Counts, in float64: the replacement matrices (L Y Y) and about ten (D, Y, L) arrays of the cost projection; three
    copies of the allocation (D, Y, S, C) and four of the cell costs; per loan three (H, Y) convolution matrices and
    eight (D, H) flows; the fiscal table; and the rows of the tables (financing Y (S + 1) C, costs Y L, ...).
    """
    D, Y, H, C, L, S, N = z.draws, z.years, z.horizon, 2 * z.programmes, z.lines, z.sources, z.loans
    floats = (L * Y * Y + 10 * D * Y * L + 3 * D * Y * S * C + 4 * D * Y * C + N * (3 * H * Y + 8 * D * H)
              + 12 * D * H + 4 * D * Y * S)
    rows = Y * (S + 1) * C + Y * L + N * H + H + Y * z.programmes + S
    return 8 * floats + TABLE_ROW_BYTES * rows


def memory_limit() -> int:
    """The memory limit of one run [bytes], from :data:`MEMORY_LIMIT_ENV` (GiB) or the default.

    Raises
    ------
    DflFinanceError
        The variable is set but is not a positive number.
    """
    text = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if not text:
        return int(DEFAULT_MEMORY_LIMIT_GIB * 2**30)
    try:
        gib = float(text)
    except ValueError:
        gib = math.nan
    if not math.isfinite(gib) or gib <= 0:
        raise DflFinanceError(f"{MEMORY_LIMIT_ENV} must be a positive number of GiB, such as 8 (got {text!r})")
    return int(gib * 2**30)


def check_memory(scenario: Scenario, draws: int = 1) -> None:
    """Refuse (ScenarioError) a run whose arrays would need more memory than :func:`memory_limit`."""
    z = sizes(scenario, draws)
    need, limit = memory_estimate(z), memory_limit()
    if need > limit:
        raise ScenarioError([Problem("", f"too large to run: it needs about {need / 2**30:,.1f} GiB of memory "
                                     f"({z.describe()}); the limit is {limit / 2**30:,.1f} GiB (set "
                                     f"{MEMORY_LIMIT_ENV} to change it)", has_value=False)])


#: At most this much memory (bytes, estimated) per engine call of a run of many draws (risk, sensitivity): more
#: draws run in chunks, each draw's numbers the same as in one call (the engine treats every draw alone).
CHUNK_MEMORY = 2**30


def chunk_draws(scenario: Scenario, memory: int = CHUNK_MEMORY, most: int | None = None) -> int:
    """The most draws one engine call of ``scenario`` runs within ``memory`` bytes (at least 1, at most
    ``most``), from the growth of :func:`memory_estimate` between 1,000 and 2,000 draws."""
    one, two = memory_estimate(sizes(scenario, 1000)), memory_estimate(sizes(scenario, 2000))
    per_draw = max((two - one) / 1000, 1.0)
    n = max(1, int((memory - max(one - 1000 * per_draw, 0.0)) // per_draw))
    return n if most is None else max(1, min(n, most))


#: Bytes per school and plan year of a school plan: the (N, Y) arrays of the rollout and of the cost lines it writes
#: (when each school buys its equipment, when it is connected; about six float64 arrays), with a margin.
SCHOOL_YEAR_BYTES = 64
#: Bytes per school of a school plan whatever its years: the table's columns, the (N, T) cost options of the four
#: technologies and the result rows (schools.csv), with a margin.
SCHOOL_BYTES = 2_000


def school_plan_memory(schools: int, years: int) -> int:
    """Peak memory of a school plan of ``schools`` schools over ``years`` years [bytes] (an estimate, see the
    constants above)."""
    return schools * (SCHOOL_BYTES + SCHOOL_YEAR_BYTES * years)


def check_school_plan(schools: int, years: int, where: str = "schools") -> None:
    """Refuse (ScenarioError) a school plan that would need more memory than :func:`memory_limit`, before any
    array is made; ``where`` names the table."""
    need, limit = school_plan_memory(schools, years), memory_limit()
    if need > limit:
        raise ScenarioError([Problem(where, f"too large to plan: {schools:,} schools over {years} years need about "
                                     f"{need / 2**30:,.1f} GiB of memory; the limit is {limit / 2**30:,.1f} GiB (set "
                                     f"{MEMORY_LIMIT_ENV} to change it)", has_value=False)])
