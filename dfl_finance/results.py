"""``run``: scenario -> engine -> :class:`Result`, which presents the arrays as tidy tables; ``compare``.

The tables follow the output contract of DESIGN.md: every table starts with ``scenario``; one row per observation;
amounts in the scenario's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .costs import LINE_KINDS
from .financing import cell_names, line_cells
from .model import ModelInputs, Simulation, build_model_inputs, simulate
from .schema import Scenario

#: Unit of each summary metric; ``{cur}`` is the scenario's currency.
METRIC_UNITS = {
    "total_cost": "{cur}",
    "pv_total_cost": "{cur}",
    "cost_per_learner_year": "{cur}/learner-year",
    "total_domestic": "{cur}",
    "total_grant": "{cur}",
    "total_loan": "{cur}",
    "total_ppp": "{cur}",
    "total_external": "{cur}",
    "total_gap": "{cur}",
    "gap_share": "share of total_cost",
    "total_debt_service": "{cur}",
    "total_ppp_payments": "{cur}",
    "pv_government_cost": "{cur}",
    "grant_element_external": "share",
    "leverage": "{cur} external per {cur} domestic",
    "peak_burden_share": "share of education budget",
    "years_over_limit": "years",
    "years_to_last_payment": "years",
}
LOAN_GE_UNIT = "share"

TABLE_COLUMNS = {
    "costs": ["scenario", "year", "pillar", "programme", "item", "cost_kind", "quantity", "unit_cost", "amount"],
    "financing": ["scenario", "year", "source", "source_kind", "programme", "cost_kind", "amount"],
    "debt_service": ["scenario", "year", "source", "disbursed", "interest", "principal", "fees", "outstanding"],
    "fiscal": ["scenario", "year", "education_budget", "domestic_outlay", "debt_service", "ppp_payments",
               "government_burden", "burden_share", "burden_limit", "over_limit", "gap"],
    "outcomes": ["scenario", "year", "programme", "driver", "reached", "reached_share"],
    "summary": ["scenario", "metric", "value", "unit"],
}


@dataclass(frozen=True)
class Result:
    """Everything one deterministic run of a scenario produced (draw axis of size 1)."""

    scenario: Scenario
    inputs: ModelInputs
    sim: Simulation

    @property
    def name(self) -> str:
        return self.scenario.name

    def _years(self, n: int) -> np.ndarray:
        return np.arange(self.scenario.scenario.start_year, self.scenario.scenario.start_year + n)

    # ----------------------------------------------------------------------------------------- tables
    def costs_df(self) -> pd.DataFrame:
        sc = self.scenario
        years = self._years(sc.scenario.years)
        lines = [(p, c) for p in sc.programme for c in p.cost]
        Y, L = len(years), len(lines)
        proj = self.sim.costs
        return pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, L),
            "pillar": np.tile([p.pillar for p, _ in lines], Y),
            "programme": np.tile([p.id for p, _ in lines], Y),
            "item": np.tile([c.item for _, c in lines], Y),
            "cost_kind": np.tile([LINE_KINDS[k].removeprefix("fixed_") for k in self.inputs.costs.line_kind], Y),
            "quantity": proj.quantity[0].reshape(-1),
            "unit_cost": proj.price[0].reshape(-1),
            "amount": proj.amount[0].reshape(-1),
        }, columns=TABLE_COLUMNS["costs"])

    def outcomes_df(self) -> pd.DataFrame:
        """Reach of every programme that has a driver (``driver = "none"`` programmes reach nothing)."""
        sc = self.scenario
        keep = [i for i, p in enumerate(sc.programme) if p.driver != "none"]
        years = self._years(sc.scenario.years)
        Y, K = len(years), len(keep)
        return pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, K),
            "programme": np.tile([sc.programme[i].id for i in keep], Y),
            "driver": np.tile([sc.programme[i].driver for i in keep], Y),
            "reached": self.sim.costs.reached[0][:, keep].reshape(-1),
            "reached_share": self.sim.costs.reached_share[0][:, keep].reshape(-1),
        }, columns=TABLE_COLUMNS["outcomes"])

    def financing_df(self) -> pd.DataFrame:
        """Who pays each cost cell in each year; the row with ``source = "gap"`` is what no source pays.

        Cells that never cost anything (a programme without opex lines, say) are left out.
        """
        sc = self.scenario
        cells = cell_names(sc.programme)
        keep = np.unique(line_cells(self.inputs.costs.line_programme, self.inputs.costs.line_kind))
        ids = [s.id for s in sc.source] + ["gap"]
        kinds = [s.kind for s in sc.source] + ["gap"]
        order = list(self.inputs.sources.order) + [len(sc.source)]
        amounts = np.concatenate([self.sim.allocation.pay[0], self.sim.allocation.gap[0][:, None, :]], axis=1)
        amounts = amounts[:, order][:, :, keep]  # (Y, S + 1, K) in paying order
        years = self._years(sc.scenario.years)
        Y, S1, K = amounts.shape
        return pd.DataFrame({
            "scenario": sc.name,
            "year": np.repeat(years, S1 * K),
            "source": np.tile(np.repeat([ids[i] for i in order], K), Y),
            "source_kind": np.tile(np.repeat([kinds[i] for i in order], K), Y),
            "programme": np.tile([cells[c][0] for c in keep], Y * S1),
            "cost_kind": np.tile([cells[c][1] for c in keep], Y * S1),
            "amount": amounts.reshape(-1),
        }, columns=TABLE_COLUMNS["financing"])

    def debt_service_df(self) -> pd.DataFrame:
        """Per loan and PPP source, every year from the first to the last repayment of the whole scenario."""
        sc = self.scenario
        years = self._years(self.inputs.horizon)
        frames = []
        for i, ds in sorted({**self.sim.debt, **self.sim.ppp}.items()):
            frames.append(pd.DataFrame({
                "scenario": sc.name, "year": years, "source": sc.source[i].id,
                "disbursed": ds.disbursed[0], "interest": ds.interest[0], "principal": ds.principal[0],
                "fees": ds.fees[0], "outstanding": ds.outstanding[0],
            }, columns=TABLE_COLUMNS["debt_service"]))
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=float if c not in ("scenario", "source") else object)
                                 for c in TABLE_COLUMNS["debt_service"]})
        return pd.concat(frames, ignore_index=True)

    def fiscal_df(self) -> pd.DataFrame:
        """The budget envelope over the projection and the debt/PPP tail (domestic outlay and gap are 0 there)."""
        df = pd.DataFrame({"scenario": self.name, "year": self._years(self.inputs.horizon)})
        for col in TABLE_COLUMNS["fiscal"][2:]:
            df[col] = self.sim.fiscal[col][0]
        return df

    def summary(self) -> dict[str, float]:
        """Summary metrics as plain numbers, with the grant element of each loan as ``grant_element[<id>]``."""
        out = {k: float(v[0]) for k, v in self.sim.metrics.items()}
        for i, ge in self.sim.loan_grant_element.items():
            out[f"grant_element[{self.scenario.source[i].id}]"] = float(ge[0])
        return out

    def summary_df(self) -> pd.DataFrame:
        cur = self.scenario.scenario.currency
        summary = self.summary()
        return pd.DataFrame({
            "scenario": self.name,
            "metric": list(summary),
            "value": list(summary.values()),
            "unit": [METRIC_UNITS.get(m, LOAN_GE_UNIT).format(cur=cur) for m in summary],
        }, columns=TABLE_COLUMNS["summary"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the output contract, by file stem."""
        return {"costs": self.costs_df(), "financing": self.financing_df(), "debt_service": self.debt_service_df(),
                "fiscal": self.fiscal_df(), "outcomes": self.outcomes_df(), "summary": self.summary_df()}


def run(scenario: Scenario) -> Result:
    """Run one scenario deterministically and return its :class:`Result`."""
    inputs = build_model_inputs(scenario, draws=1)
    return Result(scenario=scenario, inputs=inputs, sim=simulate(inputs))


def concat_tables(per: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Concatenate the tables of several scenarios, name by name (rows are tagged by scenario name)."""
    return {name: pd.concat([t[name] for t in per if not t[name].empty] or [per[0][name]], ignore_index=True)
            for name in per[0]}


def combine_tables(results: list[Result]) -> dict[str, pd.DataFrame]:
    """Concatenate the tables of several results (rows tagged by scenario name)."""
    return concat_tables([r.tables() for r in results])


def compare(results: list[Result], baseline: str | None = None) -> pd.DataFrame:
    """Summary metrics side by side: ``metric, unit``, one column per scenario, and ``delta_vs_<baseline> (<name>)``
    (= that scenario's value minus the baseline's) for every other scenario. The baseline defaults to the first.
    """
    return compare_summaries([r.summary_df() for r in results], baseline)


def compare_summaries(summaries: list[pd.DataFrame], baseline: str | None = None) -> pd.DataFrame:
    """:func:`compare` from the scenarios' ``summary`` tables (one frame per scenario, in column order)."""
    from .errors import DflFinanceError

    if not summaries:
        raise DflFinanceError("nothing to compare")
    names = [str(s["scenario"].iloc[0]) for s in summaries]
    base = names[0] if baseline is None else baseline
    if base not in names:
        raise DflFinanceError(f"baseline {base!r} is not one of the scenarios: {', '.join(names)}")
    summary = pd.concat(summaries, ignore_index=True)
    units = summary.drop_duplicates("metric").set_index("metric")["unit"]
    wide = summary.pivot(index="metric", columns="scenario", values="value")
    metrics = list(dict.fromkeys(summary["metric"]))
    out = pd.DataFrame({"metric": metrics, "unit": units.reindex(metrics).to_numpy()})
    for n in names:
        out[n] = wide.reindex(metrics)[n].to_numpy()
    for n in names:
        if n != base:
            out[f"delta_vs_{base} ({n})"] = out[n] - out[base]
    return out


def assumptions_df(scenarios: list[Scenario]) -> pd.DataFrame:
    """Every input of every scenario as ``scenario, field, value`` rows (field paths as in error messages)."""
    rows = []

    def walk(name: str, prefix: str, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(name, f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, v in enumerate(value):
                walk(name, f"{prefix}[{i}]", v)
        else:
            rows.append({"scenario": name, "field": prefix,
                         "value": "" if value is None else (str(value) if isinstance(value, (list, tuple))
                                                            else value)})

    for sc in scenarios:
        walk(sc.name, "", sc.model_dump())
    return pd.DataFrame(rows, columns=["scenario", "field", "value"])

