"""``run``: scenario -> engine -> :class:`Result`, which presents the arrays as tidy tables; ``compare``.

The tables follow the output contract of DESIGN.md: every table starts with ``scenario``; one row per observation;
amounts in the scenario's currency, rounded to its minor unit (:func:`~dfl_finance.vocabulary.minor_unit_digits`);
unit costs to :data:`~dfl_finance.vocabulary.PRICE_DIGITS` decimals, shares and ratios to
:data:`~dfl_finance.vocabulary.SHARE_DIGITS`; counts and years are integers. Scenario names are data: they appear
in the ``scenario`` column and never become column names.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from dfl_finance.engine import Floats, Ints
from dfl_finance.engine.bond_return import internal_rate_of_return
from dfl_finance.engine.costs import whole_units
from dfl_finance.engine.discount import present_value_at
from dfl_finance.engine.execution import cell_execution, execution_ratio, expected_payments
from dfl_finance.engine.financing import line_cells
from dfl_finance.engine.fiscal import (
    GFS_BALANCES,
    GfsKey,
    Instrument,
    class_spending,
    cost_per_learner_year,
    gap_share,
    gfs_accounts,
    gfs_balances,
    leverage,
    recurrent_metrics,
)
from dfl_finance.engine.loans import pv_at_disbursement, pv_of_new_debt
from dfl_finance.engine.model import AllocationStep, ModelInputs, Simulation, simulate
from dfl_finance.engine.outcomes import co_financing_per_partner_dollar, cost_per_outcome, learner_years_reached
from dfl_finance.errors import DflFinanceError, known
from dfl_finance.inputs import budget
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.paths import leaves
from dfl_finance.inputs.profiles import MacroData
from dfl_finance.inputs.regions import has_regions
from dfl_finance.inputs.rules import comparability
from dfl_finance.inputs.uncertain import drawn_inputs, flat_note
from dfl_finance.model.compile import Samples, build_model_inputs, cell_names
from dfl_finance.model.outcomes import Outcomes, programme_outcomes
from dfl_finance.model.samples import with_point
from dfl_finance.outputs.dli import dli_received, dli_table
from dfl_finance.outputs.formatting import basis_currency, currency_of
from dfl_finance.outputs.regions import empty_regions, regions_by_fiscal_year, regions_df
from dfl_finance.outputs.rounding import add_up, round_cumulative, round_to
from dfl_finance.outputs.tables import BASIS_COLUMNS, MONEY_COLUMNS, SHARE_COLUMNS, TABLE_COLUMNS, columns
from dfl_finance.vocabulary import (
    CHARGES,
    CONCESSIONAL_GRANT_ELEMENT,
    DEFAULT_CHARGE,
    DSF_RATIOS,
    EXTERNAL_CHARGE,
    EXTERNAL_KINDS,
    GAP,
    GFS_ACCOUNTS,
    GFS_CLASSES,
    GFS_CODES,
    HEADLINE_METRICS,
    LINE_CLASS,
    LINE_KINDS,
    METRICS,
    MILESTONES_MET,
    OUTCOME_BASIS_METRICS,
    OUTCOME_MEASURES,
    PRICE_BASES,
    PRICE_DIGITS,
    PUBLIC_DEBT_RATIO,
    PV_RATES,
    SCENARIO_RATE,
    SHARE_DIGITS,
    SOURCE_KINDS,
    USD,
    basis_metric_key,
    cost_per_outcome_key,
    financed_kind,
    metric_definition,
    minor_unit_digits,
    pv_rate_key,
    source_metric_key,
)

#: The default price basis of the tables: constant prices of price_year in the local currency.
DEFAULT_BASIS = "real-lcu"
#: The columns of the tables, views of the registry (:mod:`dfl_finance.outputs.tables`).
COMPARISON_COLUMNS = columns("comparison")
#: The fiscal table's columns on expected spending (docs/method.md, *Budget execution*).
EXPECTED_COLUMNS = ("domestic_outlay_expected", "gap_expected", "government_burden_expected", "burden_share_expected")
#: Money metrics that are present values: amounts of start_year, converted to a basis with that year's factor.
PV_METRICS = ("pv_total_cost", "pv_government_cost", "pv_government_cost_full_delivery",
              *(pv_rate_key(r) for r in PV_RATES))


@dataclass(frozen=True)
class Result:
    """Everything a run of a scenario produced, over all its draws (one for a deterministic run); the tables and
    the summary are those of ``draw`` (:meth:`for_draw`), :meth:`draw_tables` those of every draw."""

    scenario: Scenario
    inputs: ModelInputs
    sim: Simulation
    basis: str = DEFAULT_BASIS
    draw: int = 0  # the draw whose tables and summary this view gives
    #: what the views of one run (other draws, other bases) compute once and share
    shared: dict[tuple[str, str], dict[str, Floats]] = field(default_factory=dict, repr=False, compare=False)
    #: the outcome measures of every draw (counts, the same in every basis), once computed: one for all views
    shared_outcomes: list[Outcomes] = field(default_factory=list, repr=False, compare=False)

    @property
    def draws(self) -> int:
        """How many draws the run has."""
        return int(self.sim.paid.shape[0])

    def for_draw(self, draw: int) -> "Result":
        """The same run, its tables and summary those of ``draw`` (0 .. draws - 1)."""
        if not 0 <= draw < self.draws:
            raise DflFinanceError(f"draw {draw} is not in this run (it has {self.draws})")
        return self if draw == self.draw else replace(self, draw=draw)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def currency(self) -> str:
        """The currency of the amounts in the tables: USD in a USD basis, else the scenario's local currency."""
        return basis_currency(self.basis, self.scenario)

    @property
    def digits(self) -> int:
        """Decimal places of amounts in the tables: the minor unit of their currency."""
        return minor_unit_digits(self.currency)

    def in_basis(self, basis: str) -> "Result":
        """The same run, its tables written in ``basis`` (one of :data:`~dfl_finance.vocabulary.PRICE_BASES`)."""
        if basis not in PRICE_BASES:
            raise DflFinanceError(f"unknown price basis {basis!r}: {known(PRICE_BASES)}")
        return self if basis == self.basis else replace(self, basis=basis)

    def draw_tables(self) -> dict[str, pd.DataFrame]:
        """Every table of every draw, tidy, with a ``draw`` column after ``scenario``."""
        per = []
        for d in range(self.draws):
            tables = self.for_draw(d).tables()
            for df in tables.values():
                df.insert(1, "draw", d)
            per.append(tables)
        return concat_tables(per)

    @cached_property
    def _factors(self) -> Floats:
        """(D, H) what a constant-price local amount of each year is multiplied by to be in the basis."""
        return self.inputs.prices.basis_factor(PRICE_BASES.index(self.basis), self.inputs.horizon)

    @property
    def _factor(self) -> Floats:
        """(H,) :attr:`_factors` of this view's draw."""
        return np.asarray(self._factors[self.draw], dtype=float)

    def _in_basis(self, values: np.ndarray, year_axis: int = 0) -> np.ndarray:
        """``values`` with a year axis (from start_year) converted to the basis."""
        values = np.asarray(values, dtype=float)
        shape = [1] * values.ndim
        shape[year_axis] = values.shape[year_axis]
        return values * self._factor[:values.shape[year_axis]].reshape(shape)

    def _basis_columns(self, df: pd.DataFrame) -> pd.DataFrame:
        df["price_basis"] = self.basis
        df["currency"] = self.currency
        return df

    def _years(self, n: int) -> np.ndarray:
        return np.arange(self.scenario.scenario.start_year, self.scenario.scenario.start_year + n)

    def _rounded(self, df: pd.DataFrame) -> pd.DataFrame:
        """Amounts to the minor unit, unit costs and shares to a fixed number of decimals (no rounding dust)."""
        for col in df.columns:
            if col in MONEY_COLUMNS:
                df[col] = round_to(df[col].to_numpy(dtype=float), self.digits)
            elif col == "unit_cost":
                df[col] = round_to(df[col].to_numpy(dtype=float), PRICE_DIGITS)
            elif col in SHARE_COLUMNS:
                df[col] = round_to(df[col].to_numpy(dtype=float), SHARE_DIGITS)
        return df

    @property
    def payment_years(self) -> int:
        """Years from the first year to the last payment of any loan or PPP (at least the projection); a payment
        counts when it is not zero at the precision of the tables, as in :meth:`debt_service_df`."""
        return max([self.scenario.scenario.years, *(len(rows["disbursed"]) for rows in self._debt_rows.values())])

    def dsf_df(self) -> pd.DataFrame:
        """The debt-sustainability view (LIC-DSF), one row per year and ratio, over the years of the plan and its
        debt: the plan's contribution (``plan``), the country's baseline plus the plan (``total``, empty without a
        baseline), the threshold for the country's capacity, whether the ratio (total, else plan) is above it, and
        the ``headroom``: how much more PV of debt (or debt service) in USD the ratio allows before the threshold.
        ``pv_public_debt_gdp`` is total public debt (external and domestic) against the LIC-DSF benchmark;
        ``ppp_contingent_gdp`` is the LIC-DSF contingent liability of the PPPs (35% of their capital) over GDP;
        ``guaranteed_gdp`` (only with a guaranteed loan) the guaranteed part of the plan's loans over GDP, a
        contingent liability of the guarantors, not the country's (a memo, in no ratio of the country). Empty when
        the scenario has no GDP, exports and revenue ([debt] or the country profile)."""
        if not self.sim.dsf:
            return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "year" else object
                                              if c in ("scenario", "ratio", "currency") else float)
                                 for c in TABLE_COLUMNS["dsf"]})
        d = {k: v[self.draw] for k, v in self.sim.dsf.items()}
        n = self.payment_years
        years = self._years(n)
        thresholds = self.inputs.dsf.thresholds if self.inputs.dsf is not None else np.full(4, np.nan)
        benchmark = self.inputs.dsf.public_benchmark if self.inputs.dsf is not None else np.nan
        base = {"pv_debt_gdp": d["gdp"], "pv_debt_exports": d["exports"], "debt_service_exports": d["exports"],
                "debt_service_revenue": d["revenue"], PUBLIC_DEBT_RATIO: d["gdp"]}
        frames = []
        for r, t in zip((*DSF_RATIOS, PUBLIC_DEBT_RATIO), (*(float(x) for x in thresholds), float(benchmark))):
            plan, total = d[f"plan:{r}"][:n], d[f"total:{r}"][:n]
            ratio = np.where(np.isnan(total), plan, total)
            frames.append(pd.DataFrame({
                "scenario": self.name, "year": years, "ratio": r, "plan": plan, "total": total,
                "threshold": t, "above_threshold": ratio > t if math.isfinite(t) else False,
                "headroom": _headroom(t, ratio, base[r][:n]), "currency": USD}))
        frames.append(pd.DataFrame({
            "scenario": self.name, "year": years, "ratio": "ppp_contingent_gdp", "plan": d["ppp_contingent_gdp"][:n],
            "total": np.nan, "threshold": np.nan, "above_threshold": False, "headroom": np.nan, "currency": USD}))
        if "guaranteed_gdp" in d:  # a guarantee: the guarantors' contingent liability, a memo row (docs/method.md)
            frames.append(pd.DataFrame({
                "scenario": self.name, "year": years, "ratio": "guaranteed_gdp", "plan": d["guaranteed_gdp"][:n],
                "total": np.nan, "threshold": np.nan, "above_threshold": False, "headroom": np.nan, "currency": USD}))
        df = pd.concat(frames, ignore_index=True)[TABLE_COLUMNS["dsf"]]
        df["headroom"] = round_to(df["headroom"].to_numpy(dtype=float), minor_unit_digits(USD))
        for col in ("plan", "total", "threshold"):
            df[col] = round_to(df[col].to_numpy(dtype=float), SHARE_DIGITS)
        return df

    # ----------------------------------------------------------------------------------------- tables
    def costs_df(self) -> pd.DataFrame:
        """Every cost line in every year: ``cost_kind`` is its class (capex/opex, as in financing.csv),
        ``line_kind`` the line's own kind (capex, opex, fixed_capex, fixed_opex)."""
        sc = self.scenario
        years = self._years(sc.scenario.years)
        lines = [(p, c) for p in sc.programme for c in p.cost]
        Y, L = len(years), len(lines)
        proj = self.sim.costs
        kinds = [LINE_KINDS[k] for k in self.inputs.costs.line_kind]
        return self._basis_columns(self._rounded(pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, L),
            "pillar": np.tile([p.pillar for p, _ in lines], Y),
            "programme": np.tile([p.id for p, _ in lines], Y),
            "item": np.tile([c.item for _, c in lines], Y),
            "cost_kind": np.tile([LINE_CLASS[k] for k in kinds], Y),
            "line_kind": np.tile(kinds, Y),
            "quantity": proj.quantity[self.draw].reshape(-1).astype(np.int64),
            "unit_cost": self._in_basis(proj.price[self.draw]).reshape(-1),
            "amount": self._in_basis(proj.amount[self.draw]).reshape(-1),
            **{k: np.tile(v, Y) for k, v in self._line_classes().items()},
        }, columns=TABLE_COLUMNS["costs"])))

    def _line_classes(self) -> dict[str, list[str]]:
        """Each line's budget classification (file order): economic_class, cofog, budget_type, budget_code
        (:mod:`dfl_finance.inputs.budget`)."""
        lines = [(p, c) for p in self.scenario.programme for c in p.cost]
        return {"economic_class": [budget.economic_class(c) for _, c in lines],
                "cofog": [budget.cofog(c) for _, c in lines],
                "budget_type": [budget.budget_type(c) for _, c in lines],
                "budget_code": [budget.budget_code(p, c) for p, c in lines]}

    def outcomes_df(self) -> pd.DataFrame:
        """Reach of every programme that has a driver (``driver = "none"`` programmes reach nothing: they have rows
        only for their outcomes), and the outcome measures each produces (empty where it does not produce one;
        docs/method.md, *Outcomes and cost per outcome*)."""
        sc = self.scenario
        keep = [i for i, p in enumerate(sc.programme) if p.driver != "none" or p.outcome or p.milestone]
        years = self._years(sc.scenario.years)
        Y, K = len(years), len(keep)
        funded = self.sim.reached_funded[self.draw][:, keep]
        count = self.inputs.costs.driver_count[self.draw][keep][None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            funded_share = np.where(count > 0, funded / np.where(count > 0, count, 1.0),
                                    self.sim.costs.reached_share[self.draw][:, keep])
        outcomes = self._outcomes
        measures = {m: _whole_or_empty(outcomes.measures[m][self.draw][:, keep].reshape(-1))
                    if m in outcomes.measures else pd.array([pd.NA] * (Y * K), dtype="Int64")
                    for m in OUTCOME_MEASURES}
        measures[MILESTONES_MET] = _whole_or_empty(outcomes.milestones[:, keep].reshape(-1))
        # a programme without a driver (rows only for its outcomes) reaches no unit: 0, and a share of 0
        none = np.array([sc.programme[i].driver == "none" for i in keep], dtype=bool)[None, :]
        planned_share = np.where(none, 0.0, self.sim.costs.reached_share[self.draw][:, keep])
        funded_share = np.where(none, 0.0, funded_share)
        return self._rounded(pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, K),
            "programme": np.tile([sc.programme[i].id for i in keep], Y),
            "driver": np.tile([sc.programme[i].driver for i in keep], Y),
            "reached": self.sim.costs.reached[self.draw][:, keep].reshape(-1).astype(np.int64),
            "reached_share": planned_share.reshape(-1),
            "reached_funded": funded.reshape(-1).astype(np.int64),
            "reached_funded_share": funded_share.reshape(-1),
            **measures,
        }, columns=TABLE_COLUMNS["outcomes"]))

    @property
    def _outcomes(self) -> Outcomes:
        """The outcome measures of every draw ([[programme.outcome]], [[programme.milestone]]): counts, the same in
        every price basis, so computed once for the run and its views in other bases and draws."""
        if not self.shared_outcomes:
            self.shared_outcomes.append(programme_outcomes(self.scenario, self.sim.costs.reached,
                                                           self.inputs.costs.driver_count,
                                                           self.inputs.costs.start_share, self.inputs.learners))
        return self.shared_outcomes[0]

    def _outcome_metric_arrays(self) -> dict[str, Floats]:
        """(D,) each: ``cost_per_<measure>`` in the basis, the cost of the programmes that produce the measure (the
        sum of their rounded rows of costs.csv) over the measure at the end of the plan; and
        ``cost_per_learner_reached_year``, the total cost over the learner-years reached. docs/method.md,
        *Outcomes and cost per outcome*."""
        key = ("outcome_metrics", self.basis)
        if key not in self.shared:
            by_line = np.asarray(np.sum(self._cost_rows(keep=False), axis=(1,)), dtype=float)  # (D, L)
            line_prog = np.asarray(self.inputs.costs.line_programme)
            P = len(self.scenario.programme)
            by_prog = np.stack([by_line[:, line_prog == p].sum(axis=1) for p in range(P)], axis=1)  # (D, P)
            outcomes = self._outcomes
            out: dict[str, Floats] = {}
            for m, values in outcomes.measures.items():
                end = values[:, -1, :]  # (D, P), NaN where the programme does not produce it
                produces = ~np.isnan(end).all(axis=0)
                out[cost_per_outcome_key(m)] = cost_per_outcome(by_prog[:, produces].sum(axis=1),
                                                                np.nansum(end[:, produces], axis=1))
            out["cost_per_learner_reached_year"] = cost_per_outcome(
                by_prog.sum(axis=1), learner_years_reached(np.nan_to_num(outcomes.learners_reached)))
            self.shared[key] = out
        return dict(self.shared[key])

    def _cost_rows(self, keep: bool = True) -> Floats:
        """(D, Y, L) costs.csv's amounts in the basis rounded to the minor unit, as :func:`_rows_added_up` rounds them
        before it adds them up: made once for the summary's two sums of them (the total cost, and each programme's
        cost in :meth:`_outcome_metric_arrays`), kept until ``keep`` is False (the second)."""
        key = ("cost_rows", self.basis)
        rows = self.shared.get(key, {}).get("rows")
        if rows is None:
            Y = self.scenario.scenario.years
            rows = _rounded_rows(self.sim.costs.amount, self._factors[:, :Y, None], self.digits)
            if keep:
                self.shared[key] = {"rows": rows}
        elif not keep:
            del self.shared[key]
        return rows

    @cached_property
    def _paid(self) -> Floats:
        """(Y, S + 1, C) what each source (file order), then the gap, pays in each cell, rounded to the minor unit."""
        pay, gap = self.sim.allocation.pay[self.draw], self.sim.allocation.gap[self.draw]  # (Y, S, C), (Y, C)
        return round_to(self._in_basis(np.concatenate([pay, gap[:, None, :]], axis=1)), self.digits)

    def financing_df(self) -> pd.DataFrame:
        """Who pays each cost cell in each year; the row with ``source = "gap"`` is what no source pays.

        Only non-zero amounts are written (after rounding): most sources pay only some cells in some years, and a
        row of zeros says nothing that a missing row does not. Sources in paying order, the gap last.
        """
        sc = self.scenario
        cells = cell_names(sc.programme)
        ids = [s.id for s in sc.source] + [GAP]
        kinds = [financed_kind(s.kind) for s in sc.source] + [GAP]
        order = np.array([*self.inputs.sources.order, len(sc.source)], dtype=np.int64)
        years = self._years(sc.scenario.years)
        amounts = self._paid[:, order]  # (Y, S + 1, C), the gap last
        y, s, c = np.nonzero(amounts)
        # each cell's payment split over its lines' classifications (docs/method.md, *Programme budget lines*)
        row, group, part = self._by_class(y, c, amounts[y, s, c])
        y, s, c = y[row], s[row], c[row]
        classes = self._cell_groups()[1]
        on_budget = np.asarray([x.on_budget for x in sc.source] + [None], dtype=object)
        return self._basis_columns(pd.DataFrame({
            "scenario": sc.name,
            "year": years[y],
            "source": np.asarray(ids, dtype=object)[order[s]],
            "source_kind": np.asarray(kinds, dtype=object)[order[s]],
            "programme": np.asarray([n for n, _ in cells], dtype=object)[c],
            "cost_kind": np.asarray([k for _, k in cells], dtype=object)[c],
            "amount": part,
            **{k: np.asarray([g[i] for g in classes], dtype=object)[group]
               for i, k in enumerate(("economic_class", "cofog", "budget_type", "budget_code"))},
            "financed": np.asarray([budget.financed(k) for k in kinds], dtype=object)[order[s]],
            "on_budget": on_budget[order[s]],
        }, columns=TABLE_COLUMNS["financing"]))

    @cached_property
    def _line_group(self) -> tuple[Ints, list[tuple[int, tuple[str, str, str, str]]]]:
        """Each line's classification group (L,) and the groups, ``(cell, (economic_class, cofog, budget_type,
        budget_code))`` in the order of the cells and of their first line."""
        inp = self.inputs
        cell = line_cells(inp.costs.line_programme, inp.costs.line_kind)
        classes = self._line_classes()
        keys = list(zip(classes["economic_class"], classes["cofog"], classes["budget_type"], classes["budget_code"]))
        seen: dict[tuple[int, tuple[str, str, str, str]], int] = {}
        for k in sorted(range(len(keys)), key=lambda j: (int(cell[j]), j)):
            seen.setdefault((int(cell[k]), keys[k]), len(seen))
        return np.array([seen[(int(cell[j]), keys[j])] for j in range(len(keys))], dtype=np.int64), list(seen)

    def _cell_groups(self) -> tuple[Ints, list[tuple[str, str, str, str]]]:
        """The cell of each classification group (G,) and its classification."""
        groups = self._line_group[1]
        return np.array([c for c, _ in groups], dtype=np.int64), [k for _, k in groups]

    def _by_class(self, y: Ints, c: Ints, amount: Floats) -> tuple[Ints, Ints, Floats]:
        """Rows (year ``y``, cell ``c``, rounded ``amount``) split over the classification groups of their cell, pro
        rata to the groups' cost in that year; the parts rounded cumulatively, so that they add up to the row's
        amount to the minor unit. Returns the row of each part, its group and its amount, zero parts left out, in
        the order of the rows and, within a row, of the groups."""
        line_group, groups = self._line_group
        group_cell = self._cell_groups()[0]
        G = len(groups)
        cost = self.sim.costs.amount[self.draw]  # (Y, L)
        by_group = cost @ (line_group[:, None] == np.arange(G)[None, :]).astype(float)  # (Y, G)
        C = int(group_cell.max(initial=-1)) + 1
        cell_total = by_group @ (group_cell[:, None] == np.arange(C)[None, :]).astype(float)  # (Y, C)
        rows, grp, parts = [], [], []
        for cell in np.unique(c):
            r = np.flatnonzero(c == cell)
            gs = np.flatnonzero(group_cell == cell)
            if gs.size <= 1:  # one group (or none: a cell without lines is paid nothing): the row as it is
                rows.append(r)
                grp.append(np.full(r.size, gs[0] if gs.size else 0, dtype=np.int64))
                parts.append(amount[r])
                continue
            total = cell_total[y[r], cell][:, None]
            weight = np.where(total > 0, by_group[y[r]][:, gs] / np.where(total > 0, total, 1.0),
                              np.eye(1, gs.size)[0][None, :])  # (n, k): a cell that costs nothing, its first group
            running = round_to(np.cumsum(amount[r][:, None] * weight, axis=1), self.digits)
            running[:, -1] = amount[r]  # the parts add up to the row's amount exactly
            split = round_to(np.diff(running, axis=1, prepend=0.0), self.digits)
            rows.append(np.repeat(r, gs.size))
            grp.append(np.tile(gs, r.size))
            parts.append(split.reshape(-1))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        row, group, part = np.concatenate(rows), np.concatenate(grp), np.concatenate(parts)
        keep = part != 0
        pos = np.lexsort((group[keep], row[keep]))
        return row[keep][pos], group[keep][pos], part[keep][pos]

    @cached_property
    def _debt_rows(self) -> dict[int, dict[str, Floats]]:
        """Rounded flows of every loan and PPP source that pays, by source index, to its own last payment.

        Every flow is rounded cumulatively (each year's value is the change of its rounded running total), so each
        row is within one minor unit of the exact flow, each column adds up to its rounded total, and
        ``outstanding`` is exactly the running sum of disbursed minus principal, ending at 0.
        """
        out = {}
        for i, ds in sorted({**self.sim.debt, **self.sim.ppp}.items()):
            flows = self._in_basis(_flows(ds, self.draw), year_axis=1)
            n = _last_nonzero(flows, self.digits) + 1
            if n == 0:
                continue
            disbursed, interest, principal, fees = (round_cumulative(f[:n], self.digits) for f in flows[:4])
            # outstanding: in the loan's own currency at current prices, exactly the running sum of disbursed minus
            # principal; in another basis the balance is revalued every year (prices, exchange rate), so it is the
            # converted balance
            own = self.basis.startswith("nominal") and self.currency == self._source_currency(i)
            outstanding = np.cumsum(disbursed - principal) if own else flows[4, :n]
            out[i] = {"disbursed": disbursed, "interest": interest, "principal": principal, "fees": fees,
                      "outstanding": round_to(outstanding, self.digits)}
        return out

    def _source_currency(self, i: int) -> str:
        """The currency of source ``i`` as the engine runs it: USD, the local currency, or another currency with its
        ``[macro.fx.<CODE>]`` path."""
        cur = self.scenario.source_currency(self.scenario.source[i])
        return USD if cur == USD else cur if cur in self.scenario.macro.other_fx else self.scenario.scenario.currency

    def loan_basis(self, i: int) -> str:
        """The basis in which source ``i``'s debt service is its own nominal flows (its currency, current prices);
        a loan in another currency has none of the four (its flows are converted in every basis): nominal-usd."""
        return "nominal-lcu" if self._source_currency(i) == self.scenario.scenario.currency != USD else \
            "nominal-usd"

    def debt_service_df(self) -> pd.DataFrame:
        """Per loan and PPP source, every year from the first to its own last payment; none if it never pays.

        Amounts are in minor units; in the basis of the loan's own currency at current prices
        (:meth:`loan_basis`) every row holds ``outstanding = previous outstanding + disbursed - principal`` exactly
        (see :attr:`_debt_rows`)."""
        sc = self.scenario
        frames = [self._basis_columns(pd.DataFrame({"scenario": sc.name,
                                                    "year": self._years(len(rows["disbursed"])),
                                                    "source": sc.source[i].id, **rows},
                                                   columns=TABLE_COLUMNS["debt_service"]))
                  for i, rows in self._debt_rows.items()]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "year" else object
                                              if c in ("scenario", "source", *BASIS_COLUMNS) else float)
                                 for c in TABLE_COLUMNS["debt_service"]})
        return pd.concat(frames, ignore_index=True)

    def sources_df(self) -> pd.DataFrame:
        """Every source over the plan, in paying order, then the gap: one row each (docs/method.md, *Concessionality
        and sources.csv*).

        ``committed``: the source's commitment, valued at the prices and exchange rate of the first year of its
        window (in the basis of its own currency at current prices, the commitment as written), empty without one;
        ``disbursed``: what it paid over the plan, the sum of its rounded rows of financing.csv (the gap row: what
        no source pays); ``grant_element``: 1 for a grant, a loan's own (:attr:`Simulation.loan_grant_element`, 5%,
        empty if it never disburses), empty for domestic, PPP and the gap; ``concessional``: the grant element as
        written is at least :data:`~dfl_finance.vocabulary.CONCESSIONAL_GRANT_ELEMENT` (empty where it is);
        ``pv_debt_service``: PV at the scenario's discount rate of the debt service (a loan) or availability payments
        (a PPP), an amount of start_year, 0 for a grant, empty for domestic and the gap; ``pv_new_external_debt``:
        for an external loan (or an availability PPP owed abroad), its disbursements in USD at current prices times
        the PV of a tranche when disbursed, at most its face value (:func:`~dfl_finance.engine.loans.pv_of_new_debt`),
        as the optimiser's ``max_pv_debt`` counts it."""
        sc, d, Y = self.scenario, self.draw, self.scenario.scenario.years
        src = self.inputs.sources
        S = len(sc.source)
        f = self._factors[d:d + 1, :Y]
        paid = round_to(np.concatenate([
            _rows_added_up(self.sim.allocation.pay[d:d + 1], f[:, :, None, None], self.digits, (1, 3))[0],
            _rows_added_up(self.sim.allocation.gap[d:d + 1], f[:, :, None], self.digits, (1, 2))]), self.digits)
        if self.sim.results_paid.any():  # what sources pay against results ([[source.dli]]): dli.csv's received
            paid[:S] = round_to(paid[:S] + self._reimbursed(self._factors[d:d + 1], d)[0], self.digits)
        # external loans, and availability PPPs owed abroad (public external debt, GFSM 2014: *Who bears the risk*)
        specs = {s.source: s for s in [*self.inputs.loans, *self.inputs.ppps]}
        users_pay = self._users_pay
        nan = math.nan
        committed, grant, pv_service, pv_new = (np.full(S + 1, nan) for _ in range(4))
        for i, s in enumerate(sc.source):
            commitment = float(src.commitment[d, i])
            if math.isfinite(commitment):
                first = int(np.argmax(src.window[i])) if src.window[i].any() else 0
                to_own = 1.0 if src.conversion is None else float(src.conversion[d, i, first])
                committed[i] = commitment * float(self._factors[d, first]) / to_own
            flows = self.sim.debt.get(i, self.sim.ppp.get(i))
            if flows is not None:
                pv_service[i] = float(present_value_at(flows.payments[d:d + 1], self.inputs.discount[d:d + 1])[0]
                                      * self._factors[d, 0])
            if s.kind == "grant" or i in users_pay:  # (a user-pays PPP: its users pay)
                pv_service[i] = 0.0
            if s.kind == "grant":
                grant[i] = 1.0
            elif i in self.sim.loan_grant_element:
                grant[i] = float(self.sim.loan_grant_element[i][d])
            spec = specs.get(i)
            if spec is not None and spec.external and flows is not None:  # (the loan's or the PPP's flows)
                # in USD (a loan in another currency too: the same PV, converted at the year's rate)
                to_usd = spec.usd or spec.currency is not None
                nominal = flows.disbursed[d:d + 1, :Y] * self.inputs.conversion(to_usd)[d:d + 1, :Y]
                unit = pv_at_disbursement(spec.profile[d], float(spec.rate[d]), spec.front_end_fee,
                                          payments_per_year=spec.payments_per_year)
                pv_new[i] = float(pv_of_new_debt(nominal, unit)[0])
        grant = round_to(grant, SHARE_DIGITS)
        rows = [*(int(i) for i in src.order), S]  # paying order, the gap last
        ids = [s.id for s in sc.source] + [GAP]
        kinds = [financed_kind(s.kind) for s in sc.source] + [GAP]
        own = [self._source_currency(i) for i in range(S)] + [""]
        df = pd.DataFrame({
            "scenario": sc.name,
            "source": [ids[i] for i in rows],
            "source_kind": [kinds[i] for i in rows],
            "currency": self.currency,
            "committed": round_to(committed[rows], self.digits),
            "disbursed": paid[rows],
            "grant_element": grant[rows],
            "concessional": pd.array([None if math.isnan(g) else bool(g >= CONCESSIONAL_GRANT_ELEMENT)
                                      for g in grant[rows]], dtype="boolean"),
            "pv_debt_service": round_to(pv_service[rows], self.digits),
            "price_basis": self.basis,
            "source_currency": [own[i] for i in rows],
            "pv_new_external_debt": round_to(pv_new[rows], minor_unit_digits(USD)),
        }, columns=TABLE_COLUMNS["sources"])
        df.loc[df["source"] == GAP, "source_currency"] = None
        return df

    def fiscal_df(self) -> pd.DataFrame:
        """The budget envelope over the projection and the debt/PPP tail to the last payment (domestic outlay and
        gap are 0 in the tail).

        By the rule of published totals (:func:`~dfl_finance.outputs.rounding.add_up`), ``debt_service`` and
        ``ppp_payments`` are the sums of the rounded rows of ``debt_service.csv`` in that year, and
        ``government_burden`` is the sum of the rounded domestic outlay, debt service, PPP payments and recurrent
        cost after the plan, so the tables add up to the minor unit."""
        n = max(self.payment_years, self._cost_years)
        df = pd.DataFrame({"scenario": self.name, "year": self._years(n)})
        for col in TABLE_COLUMNS["fiscal"][2:]:
            if col in GFS_BALANCES or col in BASIS_COLUMNS or col in EXPECTED_COLUMNS:
                continue  # the GFS columns below, from gfs.csv's rows; the expected spending after them
            values = self.sim.fiscal[col][self.draw, :n]
            df[col] = self._in_basis(values) if col in MONEY_COLUMNS else values
        df = self._rounded(df)
        rows: dict[str, list[Floats]] = {"debt_service": [np.zeros(n)], "ppp_payments": [np.zeros(n)]}
        users_pay = self._users_pay
        for i, flows in self._debt_rows.items():
            if i in users_pay:  # a user-pays PPP: its users pay the operator, not the government
                continue
            for flow in ("interest", "principal", "fees"):
                rows["ppp_payments" if i in self.sim.ppp else "debt_service"].append(
                    np.pad(flows[flow], (0, n - len(flows[flow]))))
        for column, parts in rows.items():
            df[column] = add_up(np.stack(parts), self.digits, axis=0)
        df["government_burden"] = add_up(df[["domestic_outlay", "debt_service", "ppp_payments",
                                             "recurrent_after_plan"]].to_numpy().T, self.digits, axis=0)
        if self.sim.fiscal["results_receipts"].any():  # less what results reimburse: dli.csv's rounded rows
            dli = self.dli_df()
            by_year = dli.groupby("payment_year")["received"].sum()
            received = add_up(np.array([[float(by_year.get(y, 0.0)) for y in df["year"]]]), self.digits, axis=0)
            df["government_burden"] = round_to(df["government_burden"].to_numpy() - received, self.digits)
        # the GFS columns: sums of gfs.csv's rounded rows of each year
        balances = gfs_balances({k: v[None, :n] for k, v in self._gfs_rows.items()}, (1, n))
        for col in GFS_BALANCES:
            df[col] = round_to(balances[col][0], self.digits)
        df = self._expected_columns(df, n)
        return self._basis_columns(df)[TABLE_COLUMNS["fiscal"]]

    # ------------------------------------------------------------------------------------- budget execution
    @cached_property
    def _expected(self) -> dict[str, Floats]:
        """What the sources are expected to spend (docs/method.md, *Budget execution*), every draw, constant local
        prices: ``pay`` (D, Y, S) each source's expected payments, and ``ratio`` (D, S) each source's expected over
        planned payments over the plan (by which its debt service or PPP payments are scaled)."""
        sc, inp = self.scenario, self.inputs
        lines = [c for p in sc.programme for c in p.cost]
        pay = self.sim.allocation.pay  # (D, Y, S, C)
        rate = cell_execution(self.sim.costs.amount, line_cells(inp.costs.line_programme, inp.costs.line_kind),
                              np.array([budget.line_execution(c) for c in lines], dtype=float), pay.shape[3])
        cells = expected_payments(pay, np.array([budget.source_execution(x) for x in sc.source], dtype=float),
                                  rate)  # (D, Y, S, C)
        expected, planned = cells.sum(axis=3), pay.sum(axis=3)
        ratio = np.stack([execution_ratio(planned[:, :, i], expected[:, :, i]) for i in range(planned.shape[2])],
                         axis=1) if planned.shape[2] else np.ones((planned.shape[0], 0))
        return {"cells": cells, "pay": expected, "ratio": ratio}

    def _expected_columns(self, df: pd.DataFrame, n: int) -> pd.DataFrame:
        """The fiscal table's columns on expected spending (:data:`EXPECTED_COLUMNS`), this draw, in the basis,
        rounded; ``government_burden_expected`` the sum of its rounded parts."""
        d, Y, digits = self.draw, self.scenario.scenario.years, self.digits
        exp = self._expected
        domestic = np.array([x.kind == "domestic" for x in self.scenario.source], dtype=bool)
        dom = np.zeros(n)
        dom[:Y] = self._in_basis(exp["pay"][d][:, domestic].sum(axis=1))[:n]
        unexecuted = np.zeros(n)  # what the sources plan to pay and are not expected to spend
        unexecuted[:Y] = self._in_basis(self.sim.allocation.pay[d].sum(axis=(1, 2)) - exp["pay"][d].sum(axis=1))[:n]
        service = [np.zeros(n)]
        users_pay = self._users_pay
        for i, flows in self._debt_rows.items():
            if i in users_pay:
                continue
            paid = sum((np.pad(flows[f], (0, n - len(flows[f]))) for f in ("interest", "principal", "fees")),
                       np.zeros(n))
            service.append(paid * exp["ratio"][d, i])
        df["domestic_outlay_expected"] = round_to(dom, digits)
        df["gap_expected"] = add_up(np.stack([df["gap"].to_numpy(dtype=float), unexecuted]), digits, axis=0)
        df["government_burden_expected"] = add_up(
            np.stack([df["domestic_outlay_expected"].to_numpy(), *service, df["recurrent_after_plan"].to_numpy()]),
            digits, axis=0)
        budget_ = df["education_budget"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(budget_ > 0, df["government_burden_expected"].to_numpy() / np.where(budget_ > 0, budget_,
                                                                                              1.0), np.nan)
        df["burden_share_expected"] = round_to(share, SHARE_DIGITS)
        return df

    @property
    def _all_executed(self) -> bool:
        """Every source and every cost line is expected to spend all it plans (execution 1, the default)."""
        sc = self.scenario
        return all(budget.source_execution(x) == 1.0 for x in sc.source) and all(
            budget.line_execution(c) == 1.0 for p in sc.programme for c in p.cost)

    def _execution_totals(self, factors: Floats, totals: dict[str, Floats]) -> dict[str, Floats]:
        """The summary's metrics on expected spending, (D,) each, from the rows as the fiscal table rounds them:
        ``total_domestic_expected``, ``total_gap_expected``, ``domestic_burden`` (as planned) and
        ``domestic_burden_expected`` (docs/method.md, *Budget execution*)."""
        Y, d = self.scenario.scenario.years, self.digits
        if self._all_executed:  # every rate 1 (the default): what is expected is what is planned
            planned = totals["total_domestic"] + totals["total_debt_service"] + totals["total_ppp_payments"]
            return {"total_domestic_expected": totals["total_domestic"].copy(),
                    "total_gap_expected": totals["total_gap"].copy(), "domestic_burden": planned,
                    "domestic_burden_expected": planned.copy()}
        f = factors[:, :Y]
        exp = self._expected
        domestic = np.array([x.kind == "domestic" for x in self.scenario.source], dtype=bool)
        # as total_domestic and total_gap: sums of rounded (year, source, cell) rows
        dom = _rows_added_up(exp["cells"], f[:, :, None, None], d, (1, 3))[:, domestic].sum(axis=1)
        unexecuted = _rows_added_up(self.sim.allocation.pay - exp["cells"], f[:, :, None, None], d, (1, 2, 3))
        users_pay = self._users_pay
        service = sum((_rounded_totals(ds, factors, d) * exp["ratio"][:, i]
                       for i, ds in {**self.sim.debt, **self.sim.ppp}.items() if i not in users_pay),
                      np.zeros(self.draws))
        return {"total_domestic_expected": dom, "total_gap_expected": totals["total_gap"] + unexecuted,
                "domestic_burden": totals["total_domestic"] + totals["total_debt_service"]
                + totals["total_ppp_payments"], "domestic_burden_expected": dom + service}

    @cached_property
    def _gfs_rows(self) -> dict[GfsKey, Floats]:
        """The plan's transactions in GFS terms (:func:`~dfl_finance.engine.fiscal.gfs_accounts`) of this draw, in
        the basis, rounded to the minor unit, (H,) each: the spending by class of each row rounded year by year, the
        loans' and PPPs' flows those of debt_service.csv (:attr:`_debt_rows`), so that they add up to its rows."""
        sc, inp, d, H = self.scenario, self.inputs, self.draw, self.inputs.horizon
        lines = [c for p in sc.programme for c in p.cost]
        line_class = np.array([GFS_CLASSES.index(budget.economic_class(c)) for c in lines],
                              dtype=np.int64)
        spend = class_spending(self.sim.line_cost[d:d + 1], line_cells(inp.costs.line_programme, inp.costs.line_kind),
                               line_class, self.sim.cells[d:d + 1], self.sim.allocation.pay[d:d + 1], H)
        spend = round_to(spend * self._factor[None, :H, None, None], self.digits)
        kind = np.array([SOURCE_KINDS.index(financed_kind(s.kind)) for s in sc.source], dtype=np.int64)
        charge = np.array([CHARGES.index(s.charged_to or DEFAULT_CHARGE.get(s.kind, CHARGES[0])) for s in sc.source],
                          dtype=np.int64)
        instruments = []
        users_pay = self._users_pay
        for i, rows in self._debt_rows.items():
            flows = {f: np.pad(rows[f], (0, H - len(rows[f])))[None, :] for f in
                     ("disbursed", "interest", "principal", "fees")}
            # a PPP whose asset the government does not own (the operator bears the demand risk: user pays) is not
            # the government's liability; every other PPP is (GFSM 2014 para A4.64)
            on_books = i not in users_pay
            instruments.append(Instrument(i, on_books=on_books, **flows))
        results = None
        if self.sim.dli is not None:  # what the DLI rows give the government: dli.csv's rounded rows
            results = np.zeros((1, H, len(sc.source)))
            index = {s.id: i for i, s in enumerate(sc.source)}
            start = sc.scenario.start_year
            dli = self.dli_df()
            paid = dli[dli["payment_year"].notna() & (dli["received"] != 0)]
            for source, year, amount in zip(paid["source"].tolist(), paid["payment_year"].tolist(),
                                            paid["received"].tolist()):
                results[0, int(year) - start, index[str(source)]] += float(amount)
        return {k: round_to(v[0], self.digits)
                for k, v in gfs_accounts(spend, kind, charge, instruments, results).items()}

    def gfs_df(self) -> pd.DataFrame:
        """The plan's transactions in GFS terms (GFSM 2014), one row per year, account, class, financing and charge
        with an amount (docs/method.md, *Fiscal accounts in GFS terms*); each year's rows add up to the fiscal
        table's GFS columns. Rows in the order of the accounts and classes; only non-zero amounts."""
        n = max(self.payment_years, self._cost_years)
        charges = [*CHARGES, EXTERNAL_CHARGE]
        classes = [*GFS_CLASSES, "interest", "grants", "borrowing", "amortisation"]
        keys = sorted(self._gfs_rows, key=lambda k: (GFS_ACCOUNTS.index(k[0]), classes.index(k[1]),
                                                     SOURCE_KINDS.index(k[2]), charges.index(k[3])))
        frames = []
        for key in keys:
            values = self._gfs_rows[key][:n]
            y = np.flatnonzero(values)
            if y.size:
                account, cls, financed, charged = key
                frames.append(pd.DataFrame({"scenario": self.name, "year": self._years(n)[y], "account": account,
                                            "gfs_class": cls, "gfs_code": GFS_CODES[(account, cls)],
                                            "financed_by": financed, "charged_to": charged, "amount": values[y]}))
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "year" else float if c == "amount" else object)
                                 for c in TABLE_COLUMNS["gfs"]})
        df = pd.concat(frames, ignore_index=True).sort_values("year", kind="stable", ignore_index=True)
        return self._basis_columns(df)[TABLE_COLUMNS["gfs"]]

    @property
    def _users_pay(self) -> set[int]:
        """The sources that are user-pays PPPs (``liability = "user_pays"``: the compiled PPPs the government does not
        pay, :attr:`~dfl_finance.engine.model.LoanSpec.public`)."""
        return {s.source for s in self.inputs.ppps if not s.public}

    @property
    def _cost_years(self) -> int:
        """Years from start_year to the last year in which the plan costs anything (post-horizon years included)."""
        return _last_nonzero(self.sim.plan_cost[self.draw][None, :], self.digits) + 1

    def summary(self) -> dict[str, float | int]:
        """Summary metrics as plain numbers, rounded like the tables, and the grant element of each loan as
        ``grant_element__<id>``. A metric that is not defined for this scenario (no learners, no external finance,
        a loan that never disburses, ...) is absent."""
        raw = {k: float(v[self.draw]) for k, v in self.summary_arrays().items()}
        out: dict[str, float | int] = {}
        for key, value in raw.items():
            if math.isfinite(value):
                digits = minor_unit_digits(self._metric_currency(key, self.currency))
                out[key] = _round_metric(value, metric_definition(key).kind, digits)
        return out

    def summary_arrays(self) -> dict[str, Floats]:
        """The summary's metrics over every draw, before rounding, in the order of ``summary.csv``: the metrics of
        :meth:`metric_arrays` and the headline metrics in every basis."""
        raw = self.metric_arrays()
        for basis in PRICE_BASES:
            other = raw if basis == self.basis else self.in_basis(basis)._headline_arrays()
            for key in HEADLINE_METRICS:
                raw[basis_metric_key(key, basis)] = other.get(key, np.full(self.draws, np.nan))
            outcome = raw if basis == self.basis else self.in_basis(basis)._outcome_metric_arrays()
            for key in OUTCOME_BASIS_METRICS:
                raw[basis_metric_key(key, basis)] = outcome.get(key, np.full(self.draws, np.nan))
        return {key: raw[key] for key in [*METRICS, *(k for k in raw if k not in METRICS)] if key in raw}

    def metric_arrays(self) -> dict[str, Floats]:
        """Every summary metric of every draw in the basis, before rounding, (D,) each: the engine's metrics, present
        values as amounts of start_year, and the totals as the sums of the rounded rows of the tables they
        summarise (as :meth:`summary` reports them). Computed once per basis for all the draws of the run."""
        key = ("metrics", self.basis)
        if key not in self.shared:
            self.shared[key] = self._compute_metric_arrays()
        return dict(self.shared[key])

    def _headline_arrays(self) -> dict[str, Floats]:
        """The :data:`~dfl_finance.vocabulary.HEADLINE_METRICS` of every draw in the basis (what the summary reports
        in every basis): those of :meth:`metric_arrays` (the same arithmetic), without its other metrics."""
        if ("metrics", self.basis) in self.shared:
            return self.metric_arrays()
        key = ("headline", self.basis)
        if key not in self.shared:
            factors = self._factors
            out = {k: np.asarray(v, dtype=float) * factors[:, 0] for k, v in self.sim.metrics.items()
                   if k in HEADLINE_METRICS and k in PV_METRICS}
            totals = self._table_totals(factors, debt=False)
            self.shared[key] = {**out, **{k: v for k, v in totals.items() if k in HEADLINE_METRICS}}
        return dict(self.shared[key])

    def _compute_metric_arrays(self) -> dict[str, Floats]:
        out = {k: np.asarray(v, dtype=float) for k, v in self.sim.metrics.items()}
        for i, ge in self.sim.loan_grant_element.items():
            out[source_metric_key("grant_element", self.scenario.source[i].id)] = np.asarray(ge, dtype=float)
        factors = self._factors
        for i, vfm in self.sim.ppp_value_for_money.items():  # an amount of start_year, like the PVs
            out[source_metric_key("ppp_value_for_money", self.scenario.source[i].id)] = vfm * factors[:, 0]
        for i, irr in self._outcome_bond_irr().items():  # a rate: the same in every basis
            out[source_metric_key("outcome_bond_irr", self.scenario.source[i].id)] = irr
        for key in PV_METRICS:
            if key in out:
                out[key] = out[key] * factors[:, 0]  # an amount of start_year
        out.update(self._table_totals(factors))
        out.update(self._execution_totals(factors, out))
        # the ratios of the totals: the engine's definitions over the totals as published
        out["gap_share"] = gap_share(out["total_gap"], out["total_cost"])
        out["leverage"] = leverage(out["total_external"], out["total_domestic"])
        out["cost_per_learner_year"] = cost_per_learner_year(out["total_cost"], self.inputs.learners,
                                                             self.scenario.scenario.years)
        out["co_financing_per_partner_dollar"] = co_financing_per_partner_dollar(out["total_domestic"],
                                                                                 out["total_external"])
        out.update(self._outcome_metric_arrays())
        # the recurrent cost is a mean of yearly amounts: the engine's rule over the amounts in the basis
        external = np.isin(self.inputs.sources.kind, [SOURCE_KINDS.index(k) for k in EXTERNAL_KINDS])
        recurrent = recurrent_metrics(self.sim.paid[:, :, external].sum(axis=2), self.sim.plan_cost * factors,
                                      self.sim.fiscal["education_budget"] * factors, self.scenario.scenario.years)
        out["recurrent_cost_after_external"] = recurrent["recurrent_cost_after_external"]
        out.update(self._multilateral_metrics(factors))
        out.update(self._instrument_metrics(factors))
        return out

    def _instrument_metrics(self, factors: Floats) -> dict[str, Floats]:
        """The debt service cancelled by swaps (the sum of its rounded yearly amounts in the basis) and the peak of
        the guaranteed part of the loans outstanding (docs/method.md, *Instruments*); 0 without a swap or a
        guarantee (there whatever the sources, as the multilateral metrics)."""
        Y = self.scenario.scenario.years
        cancelled = self.inputs.cancelled_service
        if cancelled is None:
            cancelled = np.zeros((self.draws, Y))
        guaranteed = sum((g * factors for g in self.sim.guaranteed.values()), np.zeros_like(factors))
        plan_loans = sum((_rows_added_up(c, factors, self.digits, (1,)) for c in self.sim.cancelled.values()),
                         np.zeros(self.draws))  # swaps of a plan loan
        return {"total_debt_service_cancelled": _rows_added_up(cancelled, factors[:, :Y], self.digits, (1,))
                + plan_loans,
                "peak_guaranteed_outstanding": np.round(guaranteed.max(axis=1), self.digits) + 0.0}

    def _multilateral_metrics(self, factors: Floats) -> dict[str, Floats]:
        """GPE's domestic-financing check and the interest bought down (docs/method.md, *Multilateral rules*): the
        education share wherever it is known (GPE's benchmark is a yardstick for any plan; the warning is for a
        scenario with a GPE source); the interest bought down by grants (the sum of its rounded yearly amounts in the
        basis; 0 without a buy-down). Both are there whatever the sources, so that the cases of a sweep share their
        columns (a Parquet data set read as one table takes the columns of its first file)."""
        out: dict[str, Floats] = {}
        share = self.scenario.context.education_share
        if share is not None:
            out["education_expenditure_share"] = np.full(self.draws, float(share))
        out["total_interest_bought_down"] = sum(
            (_rows_added_up(r, factors, self.digits, (1,)) for r in self.sim.bought_down.values()),
            np.zeros(self.draws))
        return out

    def _table_totals(self, factors: Floats, debt: bool = True) -> dict[str, Floats]:
        """The summary's totals by the rule of published totals (:func:`~dfl_finance.outputs.rounding.add_up`): sums
        of the rounded rows of the tables they summarise (costs.csv, financing.csv, debt_service.csv), so that a
        reader who adds up the rows finds them to the minor unit. (D,) each; ``factors`` (D, H) turn constant local
        prices into the basis; ``debt`` False leaves out the totals of debt_service.csv."""
        Y, d = self.scenario.scenario.years, self.digits
        f = factors[:, :Y]
        # as summed (rounded=False): the summary rounds them when it reports them
        paid = _rows_added_up(self.sim.allocation.pay, f[:, :, None, None], d, (1, 3))  # (D, S)
        if self.sim.results_paid.any():  # and against results ([[source.dli]], dli.csv's received)
            paid = paid + self._reimbursed(factors)
        cost = np.asarray(np.sum(self._cost_rows(), axis=(1, 2)), dtype=float)  # the rows _outcome_metric_arrays sums
        kinds = np.array([financed_kind(s.kind) for s in self.scenario.source], dtype=object)
        by_kind = {k: paid[:, kinds == k].sum(axis=1) for k in SOURCE_KINDS}  # the sources' totals added up
        out = {"total_cost": cost, "total_external": sum((by_kind[k] for k in EXTERNAL_KINDS), np.zeros_like(cost)),
               "total_gap": _rows_added_up(self.sim.allocation.gap, f[:, :, None], d, (1, 2)),
               **{f"total_{k}": by_kind[k] for k in SOURCE_KINDS}}
        users_pay = self._users_pay
        for key, flows in (("total_debt_service", self.sim.debt), ("total_ppp_payments", self.sim.ppp)) if debt else ():
            # each loan's rows add up to its rounded running totals (_rounded_totals); the loans' totals added up
            # (what the government pays: not a user-pays PPP's)
            out[key] = sum((_rounded_totals(ds, factors, d) for i, ds in flows.items() if i not in users_pay),
                           np.zeros_like(cost))
        return out

    def yearly_arrays(self, years: int | None = None) -> dict[str, Floats]:
        """Each year's cost, gap (D, Y) and burden share (D, n) of every draw, by measure
        (:data:`YEARLY_MEASURES`): cost and gap in the basis over the plan's years, the burden share over ``years``
        years (default: those of draw 0's fiscal table, to its last payment or cost)."""
        Y = self.scenario.scenario.years
        f = self._factors[:, :Y]
        n = max(self.for_draw(0).payment_years, self.for_draw(0)._cost_years) if years is None else years
        return {"cost": self.sim.costs.amount.sum(axis=2) * f, "gap": self.sim.allocation.gap.sum(axis=2) * f,
                "burden_share": self.sim.fiscal["burden_share"][:, :n]}

    def summary_df(self) -> pd.DataFrame:
        """``summary()`` as a table with the unit of each metric (see :data:`~dfl_finance.vocabulary.METRICS`)."""
        cur = self.currency
        summary = self.summary()
        return pd.DataFrame({
            "scenario": self.name,
            "metric": list(summary),
            "label": [metric_definition(m).label for m in summary],
            "value": pd.Series(list(summary.values()), dtype=object),
            "unit": [metric_definition(m).unit_for(self._metric_currency(m, cur)) for m in summary],
        }, columns=TABLE_COLUMNS["summary"])

    def _metric_currency(self, key: str, cur: str) -> str:
        """The currency of a metric: the basis's, or that of the basis a headline metric names."""
        for basis in PRICE_BASES:
            if key in (basis_metric_key(m, basis) for m in (*HEADLINE_METRICS, *OUTCOME_BASIS_METRICS)):
                return basis_currency(basis, self.scenario)
        return cur

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the output contract, by file stem."""
        tables = {"costs": self.costs_df(), "financing": self.financing_df(), "debt_service": self.debt_service_df(),
                  "sources": self.sources_df(),
                  "fiscal": self.fiscal_df(), "outcomes": self.outcomes_df(), "dsf": self.dsf_df(),
                  "summary": self.summary_df(), "gfs": self.gfs_df()}
        tables["regions"] = self.regions_df(tables["costs"], tables["outcomes"])
        if self.sim.dli is not None:  # results-based financing: a table only scenarios with [[source.dli]] rows write
            tables["dli"] = self.dli_df()
        return tables

    def _outcome_bond_irr(self) -> dict[int, Floats]:
        """The investor's internal rate of return of each outcome bond (a grant with ``[source.outcome_bond]``), (D,)
        each (docs/method.md, *Outcome bonds*): out, the principal it pays each year (its payments of cost cells,
        in its currency at current prices of the year); in, the outcome payments its rows earn, in the year paid
        (in its currency at current prices, as dli.csv's ``earned``)."""
        e, rows = self.sim.dli, self.inputs.dli
        bonds = [i for i, s in enumerate(self.scenario.source) if s.outcome_bond is not None]
        if e is None or rows is None or not bonds:
            return {}
        Y = self.scenario.scenario.years
        conv = self.inputs.sources.conversion
        out = {}
        for i in bonds:
            principal = self.sim.allocation.pay[:, :, i, :].sum(axis=2)  # (D, Y), constant local prices
            flows = -principal * (1.0 if conv is None else conv[:, i, :])
            for r in np.flatnonzero(rows.source == i):
                y = e.paid_year[:, r]
                d = np.flatnonzero((y >= 0) & (y < Y) & (e.earned[:, r] > 0))
                np.add.at(flows, (d, y[d]), e.earned[d, r])
            out[i] = internal_rate_of_return(flows)
        return out

    def _reimbursed(self, factors: Floats, draw: int | None = None) -> Floats:
        """(D, S) what each source pays against results that reimburses the government, the sum of dli.csv's rounded
        ``received`` rows (the rule of published totals); ``factors`` (D, H) into the basis; ``draw``: that draw
        only (then D = 1)."""
        e, rows = self.sim.dli, self.inputs.dli
        S = len(self.scenario.source)
        if e is None or rows is None:
            return np.zeros((factors.shape[0], S))
        if draw is not None:
            e = replace(e, **{f: getattr(e, f)[draw:draw + 1] for f in ("amount", "earned", "earned_year",
                                                                       "paid_year", "lapsed", "rolled_over",
                                                                       "result")})
        conv = self.inputs.sources.conversion
        if conv is not None and draw is not None:
            conv = conv[draw:draw + 1]
        sign = np.ones(len(rows.source)) if rows.sign is None else rows.sign
        received = round_to(dli_received(e, [int(k) for k in rows.source], conv, factors,
                                          self.scenario.scenario.years, np.where(sign > 0, 1.0, 0.0)), self.digits)
        out = np.zeros((received.shape[0], S))
        for j, k in enumerate(rows.source):
            out[:, int(k)] += received[:, j]
        return out

    def dli_arrays(self) -> dict[str, Floats]:
        """Every draw's ``earned`` (source currency), ``received`` (the basis) and ``paid_year`` (calendar year, -1:
        never) of each ``[[source.dli]]`` row, (D, R) each; empty without rows (a risk run keeps them:
        dli_at_risk.csv)."""
        e, rows = self.sim.dli, self.inputs.dli
        if e is None or rows is None:
            return {}
        start = self.scenario.scenario.start_year
        return {"earned": e.earned, "paid_year": np.where(e.paid_year >= 0, e.paid_year + start, -1).astype(float),
                "received": dli_received(e, [int(k) for k in rows.source], self.inputs.sources.conversion,
                                         self._factors, self.scenario.scenario.years, rows.sign)}

    def dli_df(self) -> pd.DataFrame:
        """Every ``[[source.dli]]`` row: the result it was judged on, when it was earned and paid, what it earned,
        lapsed or rolled over (in the source's currency, current prices) and what the government received (in the
        basis); docs/method.md, *Results-based financing*. Empty without rows."""
        return dli_table(self.scenario, self.sim.dli, self.draw, self.inputs.sources.conversion, self._factor,
                         self.basis, self.currency)

    def regions_df(self, costs: pd.DataFrame | None = None, outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
        """regions.csv: each programme's cost and reach by region and year (:mod:`dfl_finance.outputs.regions`;
        empty for a scenario without regions); ``costs`` and ``outcomes``: its tables when already made."""
        if not has_regions(self.scenario):
            return empty_regions()
        return regions_df(self.scenario, self.costs_df() if costs is None else costs,
                          self.outcomes_df() if outcomes is None else outcomes, self.digits, self.basis, self.currency)

    def regions_fiscal_df(self, regions: pd.DataFrame | None = None) -> pd.DataFrame:
        """regions.csv by fiscal year (``[scenario] fiscal_year_start``; ``fiscal_year`` in place of ``year``): the
        cost spread as a flow, the reach taken at the end of each fiscal year (a stock), the reach before start_year
        that of the engine (:func:`dfl_finance.outputs.regions.regions_by_fiscal_year`); ``regions``: its regions
        table when already made."""
        sc = self.scenario
        before = whole_units(self.inputs.costs.driver_count[self.draw] * self.inputs.costs.start_share[self.draw])
        return regions_by_fiscal_year(self.regions_df() if regions is None else regions,
                                      sc.scenario.fiscal_year_start, self.digits,
                                      {(sc.name, p.id): float(b) for p, b in zip(sc.programme, before)})


def _headroom(threshold: float, ratio: Floats, base: Floats) -> Floats | float:
    """How much more debt (or service) in USD a ratio allows before its threshold: (threshold - ratio) x its base;
    undefined (NaN) without a threshold, or where the ratio or its base is not finite (a base of 0 makes the ratio
    infinite: no headroom can be read).

    >>> _headroom(0.3, np.array([0.1, np.inf]), np.array([100.0, 0.0])).tolist()
    [20.0, nan]
    """
    if not math.isfinite(threshold):
        return np.nan
    ok = np.isfinite(ratio) & np.isfinite(base)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(ok, (threshold - np.where(ok, ratio, 0.0)) * np.where(ok, base, 0.0), np.nan)


@dataclass(frozen=True)
class RiskDraws:
    """The summary metrics (D,) and yearly measures (D, n) of every draw of a risk run, in one price basis; ``first``
    is the first chunk's run (its draw 0's tables and summary, names and units)."""

    first: Result
    arrays: dict[str, Floats]
    yearly: dict[str, Floats]
    #: results-based financing ([[source.dli]]): ``earned`` (source currency), ``received`` (the basis) and
    #: ``paid_year`` (the calendar year, -1: never) of every row in every draw, (D, R) each; empty without rows
    results: dict[str, Floats] = field(default_factory=dict)

    @property
    def draws(self) -> int:
        return int(next(iter(self.arrays.values())).shape[0])

    @property
    def name(self) -> str:
        return self.first.name

    @property
    def scenario(self) -> Scenario:
        return self.first.scenario

    @property
    def basis(self) -> str:
        return self.first.basis

    @property
    def currency(self) -> str:
        return self.first.currency

    @property
    def digits(self) -> int:
        return self.first.digits

    def summary_arrays(self) -> dict[str, Floats]:
        """Every summary metric of every draw, as :meth:`Result.summary_arrays`."""
        return dict(self.arrays)

    def metric_arrays(self) -> dict[str, Floats]:
        """The same as :meth:`summary_arrays` (the metrics in other bases included)."""
        return dict(self.arrays)

    def yearly_arrays(self) -> dict[str, Floats]:
        """Each year's cost, gap and burden share of every draw, as :meth:`Result.yearly_arrays`."""
        return dict(self.yearly)

    def summary_df(self) -> pd.DataFrame:
        """Draw 0's summary (its units are those of every draw)."""
        return self.first.for_draw(0).summary_df()

    def _metric_currency(self, key: str, cur: str) -> str:
        return self.first._metric_currency(key, cur)

    def _years(self, n: int) -> np.ndarray:
        return self.first._years(n)


def round_statistic(value: float, metric: str, unit: str) -> float:
    """A statistic of a metric over draws (a quantile, a mean) as the quantile tables write it: an amount to the
    minor unit of the currency its ``unit`` names, anything else (a share, years, a count) to
    :data:`~dfl_finance.vocabulary.SHARE_DIGITS` decimals (years and counts become fractional over draws: a mean, an
    interpolated percentile). The one rule of ``quantiles.csv`` (risk, sweep) and ``portfolio_quantiles.csv``."""
    try:
        kind = metric_definition(metric).kind
    except KeyError:  # a sum of metrics (a portfolio's total) or a count
        kind = "money" if currency_of(unit) else "share"
    digits = minor_unit_digits(currency_of(unit) or USD) if kind == "money" else SHARE_DIGITS
    return float(round_to(np.array(value), digits))


def _round_metric(value: float, kind: str, digits: int) -> float | int:
    if kind == "money":
        return float(round_to(np.array(value), digits))
    if kind == "years":
        return int(round(value))
    return float(round_to(np.array(value), SHARE_DIGITS))


def _whole_or_empty(values: Floats) -> pd.arrays.IntegerArray:
    """Counts rounded to whole units, empty (``<NA>``) where NaN (a programme that does not produce the measure)."""
    return pd.array([pd.NA if math.isnan(v) else int(round(v)) for v in values], dtype="Int64")


def _rows_added_up(values: Floats, factors: Floats, digits: int, axis: tuple[int, ...]) -> Floats:
    """``add_up(values * factors, digits, axis, rounded=False)``, the same arithmetic in one temporary array (the
    summary of every draw of every chunk of a risk run makes these sums: fewer passes over fewer arrays).

    Rows that are all zero (a scenario without a gap, a source that pays nothing) add up to 0 in every draw without
    the passes: each rounded row is +0.0 (``factors`` finite), and so is their sum, to the bit."""
    if not values.any() and np.isfinite(factors).all():
        shape = np.broadcast_shapes(values.shape, factors.shape)
        return np.zeros(tuple(n for i, n in enumerate(shape) if i not in axis))
    rows = np.multiply(values, factors)
    np.round(rows, digits, out=rows)
    # round_to's -0.0 -> 0.0 on the sums, not on every row: a -0.0 row adds exactly what a 0.0 row adds to any sum
    # that is not zero (x + -0.0 = x + 0.0 = x), so only the sign of a zero sum can differ, which + 0.0 sets
    return np.asarray(np.sum(rows, axis=axis) + 0.0, dtype=float)


def _rounded_rows(values: Floats, factors: Floats, digits: int) -> Floats:
    """``round_to(values * factors, digits)`` in one temporary array: the rows of a table in a basis, rounded."""
    rows = np.multiply(values, factors)
    np.round(rows, digits, out=rows)
    rows += 0.0  # as round_to: -0.0 becomes 0.0
    return rows


def _rounded_totals(ds: object, factors: Floats, digits: int) -> Floats:
    """(D,) what one loan or PPP source's debt_service.csv rows add up to (interest + principal + fees): each flow is
    rounded cumulatively to its last year with a payment (:meth:`Result._debt_rows`), so its rows add up to its
    rounded running total in that year."""
    flows = np.stack([getattr(ds, f) * factors for f in ("disbursed", "interest", "principal", "fees",
                                                         "outstanding")], axis=1)  # (D, 5, H)
    nonzero = np.any(np.round(flows, digits) != 0, axis=1)  # (D, H): a row that is not 0 once rounded
    last = np.where(nonzero, np.arange(flows.shape[2])[None, :], -1).max(axis=1)  # (D,)
    running = np.cumsum(flows[:, 1:4], axis=2)  # (D, 3, H)
    # the rounded running totals in that year (rounded there only: the same numbers as rounding them all)
    at_last = round_to(np.take_along_axis(running, np.maximum(last, 0)[:, None, None], axis=2)[:, :, 0], digits)
    return np.asarray(np.where(last >= 0, at_last.sum(axis=1), 0.0), dtype=float)


def _flows(ds: object, draw: int = 0) -> Floats:
    """(5, H) the flows of one loan's debt service in one draw: disbursed, interest, principal, fees, outstanding."""
    return np.stack([getattr(ds, f)[draw] for f in ("disbursed", "interest", "principal", "fees", "outstanding")])


def _last_nonzero(flows: Floats, digits: int | None = None) -> int:
    """Index of the last year in which any flow is non-zero (after rounding to ``digits``), else -1."""
    values = flows if digits is None else round_to(flows, digits)
    years = np.flatnonzero(np.any(values != 0, axis=0))
    return int(years[-1]) if years.size else -1


def run(scenario: Scenario, basis: str | None = DEFAULT_BASIS, draws: int = 1, samples: Samples | None = None,
        data: MacroData | None = None, allocation: AllocationStep | None = None) -> Result:
    """Run one scenario and return its :class:`Result`, its tables in ``basis`` (None: :data:`DEFAULT_BASIS`): the one
    way from a scenario to a result, for the faces and for every study.

    ``draws``: how many draws of the engine; ``samples``: the values of the fields that vary between them, by
    location, each (draws,) (:func:`dfl_finance.model.samples.draw_samples`, or a study's own input vectors); without
    samples every draw is the same. ``data``: consumer price indices and DSF thresholds (default: read from data/).
    ``allocation``: the step that decides who pays what (default: the waterfall; the optimiser's mix).

    Raises
    ------
    ScenarioError
        The run would need more memory than the limit (:func:`dfl_finance.model.sizing.check_memory`).
    """
    samples = with_point(scenario, draws, samples)  # the inputs not drawn at their point ([risk] point)
    inputs = build_model_inputs(scenario, draws=draws, data=data, samples=samples)
    return Result(scenario=scenario, inputs=inputs, sim=simulate(inputs, allocation=allocation)).in_basis(
        basis or DEFAULT_BASIS)


#: The statistics of quantiles.csv and yearly_quantiles.csv, in their order: percentiles (numpy's default linear
#: interpolation between order statistics) and the mean over the draws.
STATISTICS = {"p5": 5.0, "p10": 10.0, "p50": 50.0, "p90": 90.0, "p95": 95.0, "mean": None}
#: ``note``: empty, or why the scenario's quantiles are flat (every draw the same:
#: :func:`dfl_finance.inputs.uncertain.flat_note`), in every row of that scenario.
QUANTILE_COLUMNS = columns("quantiles")
YEARLY_QUANTILE_COLUMNS = columns("yearly_quantiles")
#: The yearly measures of yearly_quantiles.csv (:meth:`Result.yearly_arrays`) and the unit of the burden share.
YEARLY_MEASURES = ("cost", "gap", "burden_share")
SHARE_UNIT = "share of education budget"


def _statistics(values: np.ndarray) -> dict[str, np.ndarray]:
    """Each statistic over the draw axis (axis 0) of ``values``; NaN draws (an undefined metric) are left out.

    The percentiles of a column are taken in one partition of its defined draws (``np.percentile`` with every
    percentile at once), not one ``np.nanpercentile`` per percentile: the same order statistics and the same
    interpolation, so the same numbers to the last bit (a test compares them)."""
    values = np.asarray(values, dtype=float)
    qs = [q for q in STATISTICS.values() if q is not None]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, which the tables leave out
        mean = np.nanmean(values, axis=0)
    flat = values.reshape(values.shape[0], -1)
    missing = np.isnan(flat)
    if not missing.any():
        found = np.percentile(flat, qs, axis=0) if flat.shape[0] else np.full((len(qs), flat.shape[1]), np.nan)
    else:
        found = np.full((len(qs), flat.shape[1]), np.nan)
        for j in range(flat.shape[1]):
            defined = flat[~missing[:, j], j]
            if defined.size:
                found[:, j] = np.percentile(defined, qs)
    percentiles = iter(found.reshape((len(qs), *values.shape[1:])))
    return {k: mean if q is None else next(percentiles) for k, q in STATISTICS.items()}


def quantiles_df(result: Result | RiskDraws) -> pd.DataFrame:
    """Every summary metric over the draws of ``result``: one row per metric and statistic (:data:`STATISTICS`),
    in the metric's unit; and ``prob_over_limit``, the share of draws in which the burden exceeds its limit in some
    year. Metrics that no draw defines are left out. ``note`` says, in every row, when every draw is the same
    (:func:`dfl_finance.inputs.uncertain.flat_note`): the quantiles are then flat, not a sign of certainty."""
    arrays = result.summary_arrays()
    note = flat_note(drawn_inputs(result.scenario), arrays)
    rows = []
    for key, values in arrays.items():
        unit = metric_definition(key).unit_for(result._metric_currency(key, result.currency))
        for stat, value in _statistics(values).items():
            if math.isfinite(float(value)):
                rows.append({"scenario": result.name, "metric": key, "statistic": stat,
                             "value": round_statistic(float(value), key, unit), "unit": unit, "note": note})
    over = (arrays["years_over_limit"] > 0).astype(float)
    rows += [{"scenario": result.name, "metric": "prob_over_limit", "statistic": stat,
              "value": float(round_to(np.array(v), SHARE_DIGITS)), "unit": "share of draws", "note": note}
             for stat, v in _statistics(over).items()]
    return pd.DataFrame(rows, columns=QUANTILE_COLUMNS)


def quantiles_note(quantiles: pd.DataFrame) -> str:
    """The ``note`` of one scenario's rows of quantiles.csv (why its quantiles are flat), or ``""``."""
    notes = [str(n) for n in dict.fromkeys(quantiles["note"]) if str(n)] if "note" in quantiles else []
    return notes[0] if notes else ""


def yearly_quantiles_df(result: Result | RiskDraws) -> pd.DataFrame:
    """Each year's cost, gap and burden share over the draws of ``result``: one row per year, measure and
    statistic; cost and gap in the result's basis, over the plan's years, the burden share over the fiscal table's
    years (:meth:`Result.yearly_arrays`)."""
    # the rows in their order, built as columns (one frame, not one per measure and statistic, sorted): by measure
    # (:data:`YEARLY_MEASURES`), then year, then statistic (:data:`STATISTICS`)
    arrays = result.yearly_arrays()
    order = {k: i for i, k in enumerate(YEARLY_MEASURES)}
    years, measures, units, values = [], [], [], []
    for measure in sorted(arrays, key=lambda m: order.get(m, len(order))):
        unit, digits = ((SHARE_UNIT, SHARE_DIGITS) if measure == "burden_share" else
                        (result.currency, result.digits))
        stats = [round_to(v, digits) for v in _statistics(arrays[measure]).values()]
        n = stats[0].shape[0]
        years.append(np.repeat(result._years(n), len(stats)))
        measures += [measure] * (n * len(stats))
        units += [unit] * (n * len(stats))
        values.append(np.stack(stats, axis=1).reshape(-1))  # (years, statistics): a year's statistics together
    rows = len(measures)
    return pd.DataFrame({"scenario": [result.name] * rows, "year": np.concatenate(years), "measure": measures,
                         "statistic": list(STATISTICS) * (rows // len(STATISTICS)), "value": np.concatenate(values),
                         "unit": units}, columns=YEARLY_QUANTILE_COLUMNS)


#: Columns of incremental.csv: a scenario's yearly flows against its ``[scenario] baseline``.
INCREMENTAL_COLUMNS = columns("incremental")
#: The yearly flows incremental.csv compares: the fiscal table's amounts, then what each kind of source pays.
INCREMENTAL_MEASURES = ("plan_cost", "domestic_outlay", "debt_service", "ppp_payments", "government_burden", "gap")


def _yearly_measures(result: Result) -> pd.DataFrame:
    """(year, measure, value) of the fiscal amounts and of what each kind of source pays, in the result's basis: the
    sums of financing.csv's rows by the rule of published totals (:func:`~dfl_finance.outputs.rounding.add_up`)."""
    fiscal = result.fiscal_df()
    rows = fiscal.melt(id_vars=["year"], value_vars=list(INCREMENTAL_MEASURES), var_name="measure")
    fin = result.financing_df()
    fin = fin[fin["source_kind"] != GAP]
    paid = fin.groupby(["year", "source_kind"])["amount"].agg(
        lambda amounts: float(add_up(amounts.to_numpy(dtype=float), result.digits))).reset_index(name="value")
    paid["measure"] = "paid_by_" + paid["source_kind"]
    return pd.concat([rows, paid[["year", "measure", "value"]]], ignore_index=True)


def incremental_df(result: Result, baseline: Result) -> pd.DataFrame:
    """The incremental cost and financing of ``result`` against its baseline scenario (a "do nothing new" or
    "current policy" option): one row per year and measure (the fiscal amounts, and ``paid_by_<kind>`` for each
    kind of source) with both values and ``delta = value - baseline_value``; years and measures that either has,
    the other's value 0. Both in ``result``'s basis.

    Raises
    ------
    DflFinanceError
        The two are in different currencies or start years (their amounts cannot be subtracted).
    """
    reason = comparability([result.scenario, baseline.scenario], [result.currency, baseline.currency])
    if reason:
        raise DflFinanceError(f"{result.name!r} cannot be compared with its baseline {baseline.name!r}: "
                              + reason.removeprefix("no deltas: "))
    mine = _yearly_measures(result)
    theirs = _yearly_measures(baseline.in_basis(result.basis)).rename(columns={"value": "baseline_value"})
    df = mine.merge(theirs, on=["year", "measure"], how="outer").fillna({"value": 0.0, "baseline_value": 0.0})
    order = {m: i for i, m in enumerate([*INCREMENTAL_MEASURES, *(f"paid_by_{k}" for k in SOURCE_KINDS)])}
    df = df.sort_values(["year", "measure"], key=lambda c: c.map(order) if c.name == "measure" else c)
    df["delta"] = round_to((df["value"] - df["baseline_value"]).to_numpy(dtype=float), result.digits)
    df["scenario"], df["baseline"] = result.name, baseline.name
    df["price_basis"], df["currency"] = result.basis, result.currency
    return df[INCREMENTAL_COLUMNS].reset_index(drop=True)


def concat_tables(per: Sequence[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Concatenate the tables of several scenarios, name by name (rows are tagged by scenario name)."""
    names = list(dict.fromkeys(name for t in per for name in t))  # a table some scenarios write (dli.csv)
    return {name: pd.concat([t[name] for t in per if name in t and not t[name].empty]
                            or [next(t[name] for t in per if name in t)], ignore_index=True)
            for name in names}


def combine_tables(results: Sequence[Result]) -> dict[str, pd.DataFrame]:
    """Concatenate the tables of several results (rows tagged by scenario name)."""
    return concat_tables([r.tables() for r in results])


def compare(results: Sequence[Result], baseline: str | None = None) -> pd.DataFrame:
    """Summary metrics side by side, in long format (:data:`COMPARISON_COLUMNS`): one row per metric and
    scenario that defines it, with ``delta`` = the scenario's value minus the baseline's (empty for the baseline
    itself, where the baseline does not define the metric, and in every row when the scenarios are not comparable:
    see :func:`comparability`). The baseline defaults to the first scenario.
    """
    return compare_summaries([r.summary_df() for r in results], baseline,
                             timing_difference([r.scenario for r in results]))


def timing_difference(scenarios: Sequence[Scenario]) -> str | None:
    """Why no amount of the scenarios can be subtracted whatever its currency: different start years (present
    values) or price years (constant prices); None if there is no such reason. (Amounts in different currencies
    cannot be subtracted either: :func:`compare_summaries` leaves those deltas empty row by row.)"""
    return comparability(scenarios, ["same"] * len(scenarios))


def compare_summaries(summaries: Sequence[pd.DataFrame], baseline: str | None = None,
                      not_comparable: str | None = None) -> pd.DataFrame:
    """:func:`compare` from the scenarios' ``summary`` tables (one per scenario, in order); ``not_comparable``
    (a reason, from :func:`comparability` or :func:`timing_difference`) leaves every delta empty. A delta is also
    empty where the scenario's amount and the baseline's are in different currencies (their units differ: a RWF
    and a KES total, while the two USD totals of the same metric have a delta)."""
    if not summaries:
        raise DflFinanceError("nothing to compare")
    names = [str(s["scenario"].iloc[0]) for s in summaries]
    base = names[0] if baseline is None else baseline
    if base not in names:
        raise DflFinanceError(f"baseline {base!r} is not one of the scenarios: {known(names)}")
    values = [dict(zip(s["metric"], s["value"])) for s in summaries]
    units = [dict(zip(s["metric"], s["unit"])) for s in summaries]
    base_values = values[names.index(base)]
    # in the order of the metric definitions, whichever scenario comes first
    order = {m: i for i, m in enumerate(METRICS)}
    metrics = sorted(dict.fromkeys(m for s in summaries for m in s["metric"]), key=lambda m: order.get(m, len(order)))
    rows = []
    for m in metrics:
        definition = metric_definition(m)
        for name, vals, unit in zip(names, values, units):
            value = vals.get(m)
            if value is None:  # not defined for this scenario: no row
                continue
            delta = None
            same_currency = currency_of(unit.get(m, "")) == currency_of(units[names.index(base)].get(m, ""))
            if not_comparable is None and name != base and m in base_values and same_currency:
                delta = _round_metric(value - base_values[m], definition.kind, _digits_of(unit.get(m, "")))
            rows.append({"metric": m, "label": definition.label, "unit": unit.get(m, ""), "scenario": name,
                         "value": value, "baseline": base, "delta": delta})
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    for col in ("value", "delta"):  # keep whole years whole (a float column would write 5 as 5.0)
        out[col] = pd.Series([r[col] for r in rows], dtype=object, index=out.index)
    return out


#: The rates of ranking.csv, in its order: the scenario's own (the headline), then :data:`PV_RATES`.
RANKING_RATES = (SCENARIO_RATE, *PV_RATES)
#: Each rate of the ranking in a few words.
RANKING_WORDS = {SCENARIO_RATE: "its own discount rate", "5pct": "5% in USD",
                 "borrowing_rate": "the borrowing rate", "social_rate": "the social rate"}


def ranking_df(summaries: Sequence[pd.DataFrame], not_comparable: str | None = None) -> pd.DataFrame:
    """Every pair of options ranked by the present value of the government cost at each rate of
    :data:`RANKING_RATES` (ranking.csv): one row per pair (in the order given, each scenario against every later
    one) and rate both define; ``cheaper`` is the option with the lower value (``equal``; empty where the two are
    not comparable: ``not_comparable`` (a reason, from :func:`timing_difference`) or amounts in different
    currencies), ``flips`` whether the cheaper option differs between the rates, ``note`` the pair in words.

    Examples
    --------
    A costs 100 at its own rate and 120 at 5%; B costs 110 at both: A is cheaper at its own rate, B at 5%.

    >>> s = [pd.DataFrame({"scenario": n, "metric": ["pv_government_cost", "pv_government_cost_at_5pct"],
    ...                    "value": v, "unit": "RWF"}) for n, v in (("A", [100, 120]), ("B", [110, 110]))]
    >>> ranking_df(s)[["rate", "cheaper", "difference", "flips"]].values.tolist()
    [['discount_rate', 'A', -10.0, True], ['5pct', 'B', 10.0, True]]
    """
    names = [str(s["scenario"].iloc[0]) for s in summaries]
    values = [dict(zip(s["metric"], s["value"])) for s in summaries]
    units = [dict(zip(s["metric"], s["unit"])) for s in summaries]
    rows: list[dict[str, object]] = []
    for i, j in ((i, j) for i in range(len(names)) for j in range(i + 1, len(names))):
        pair: list[dict[str, object]] = []
        for rate in RANKING_RATES:
            m = pv_rate_key(rate)
            if m not in values[i] or m not in values[j]:
                continue
            a, b = values[i][m], values[j][m]
            unit = units[i].get(m, "")
            ranked = not_comparable is None and currency_of(unit) == currency_of(units[j].get(m, ""))
            diff = _round_metric(float(a) - float(b), "money", _digits_of(unit)) if ranked else None
            cheaper = "" if diff is None else "equal" if diff == 0 else names[i] if diff < 0 else names[j]
            pair.append({"scenario": names[i], "other": names[j], "rate": rate, "metric": m, "value": a,
                         "other_value": b, "difference": diff, "unit": unit, "cheaper": cheaper})
        ranked_by = {str(r["rate"]): str(r["cheaper"]) for r in pair if r["cheaper"] not in ("", "equal")}
        flips = len(set(ranked_by.values())) > 1
        note = _ranking_note(names[i], names[j], ranked_by, not_comparable is None and bool(pair)
                             and all(r["cheaper"] != "" for r in pair))
        rows += [{**r, "flips": flips if r["cheaper"] != "" else None, "note": note} for r in pair]
    out = pd.DataFrame(rows, columns=columns("ranking"))
    for col in ("value", "other_value", "difference", "flips"):
        out[col] = pd.Series([r[col] for r in rows], dtype=object, index=out.index)
    return out


def _ranking_note(a: str, b: str, cheaper: dict[str, str], comparable: bool) -> str:
    """The ranking of options ``a`` and ``b`` in words, from the cheaper option at each rate."""
    if not comparable:
        return f"{a} and {b} are not ranked: their amounts are in different currencies or start years"
    if not cheaper:
        return f"{a} and {b} cost the government the same at every rate"
    winners = list(dict.fromkeys(cheaper.values()))
    if len(winners) == 1:
        return (f"{winners[0]} costs the government less at every rate compared ("
                f"{', '.join(RANKING_WORDS[r] for r in cheaper)}): the ranking does not rest on the choice among them")
    parts = [f"{w} at {' and '.join(RANKING_WORDS[r] for r, c in cheaper.items() if c == w)}" for w in winners]
    headline = cheaper.get(SCENARIO_RATE)
    rests = f"; the headline pv_government_cost ranks {headline} first" if headline else ""
    return f"the ranking flips with the rate: cheaper is {'; '.join(parts)}{rests}"


def _digits_of(unit: str) -> int:
    """Decimals of a difference in ``unit``: the currency's minor unit for money, else those of shares."""
    currency = currency_of(unit)
    return minor_unit_digits(currency) if currency is not None else SHARE_DIGITS


def assumptions_df(scenarios: list[Scenario]) -> pd.DataFrame:
    """Every input of every scenario as ``scenario, field, value`` rows; ``field`` is the canonical field path
    (:func:`dfl_finance.inputs.paths.canonical_path`: ``programme[connectivity].cost[satellite
    terminal].unit_cost``)."""
    rows = [{"scenario": sc.name, "field": leaf.path,
             "value": "" if leaf.value is None else (str(leaf.value) if isinstance(leaf.value, (list, tuple))
                                                     else leaf.value)}
            for sc in scenarios for leaf in leaves(sc)]
    return pd.DataFrame(rows, columns=["scenario", "field", "value"])
