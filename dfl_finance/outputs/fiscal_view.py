"""The yearly tables by fiscal year (``--years fiscal``): each table's calendar rows converted column by column by the
rules of the table registry (:data:`~dfl_finance.outputs.tables.FISCAL_RULES`; docs/method.md, *Fiscal years*).

A flow is spread evenly over the months of its calendar year (:func:`~dfl_finance.engine.calendar.to_fiscal_years`);
a loan's instalments and interest fall in the fiscal year of their payment dates
(:func:`~dfl_finance.engine.fiscal_years.dated_to_fiscal_years`); a stock is the value at the end of the fiscal year
(:func:`~dfl_finance.engine.fiscal_years.stock_to_fiscal_years`); ratios are recomputed from their converted
numerator and denominator, totals from their converted parts. Flows are rounded so that their running total is the
rounded running total (:func:`~dfl_finance.outputs.rounding.round_cumulative`): the total over the horizon of every
flow is the same in both calendars to the minor unit. Present values and the summary are not yearly: they stay as
they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dfl_finance.engine.calendar import MONTHS, fiscal_year_label, fiscal_year_labels, to_fiscal_years
from dfl_finance.engine.costs import whole_units
from dfl_finance.engine.fiscal_years import dated_to_fiscal_years, stock_to_fiscal_years
from dfl_finance.outputs.regions import regions_by_fiscal_year
from dfl_finance.outputs.rounding import round_cumulative, round_to
from dfl_finance.outputs.tables import FISCAL_NONZERO, FISCAL_RULES, FISCAL_YEAR, TABLES, fiscal_rule
from dfl_finance.vocabulary import CHARGES, DEFAULT_CHARGE, PRICE_DIGITS, SHARE_DIGITS, minor_unit_digits

if TYPE_CHECKING:
    from dfl_finance.outputs.result import Result

__all__ = ["YEAR_CALENDARS", "FiscalContext", "context_of", "fiscal_table", "fiscal_tables", "fiscal_year_label"]

#: The calendars a command can write its yearly tables in (``--years``).
YEAR_CALENDARS = ("calendar", "fiscal")


@dataclass(frozen=True)
class FiscalContext:
    """What the conversion needs beyond the tables: each scenario's fiscal year (``months``: scenario name ->
    month), the payment months of each loan the government pays (``payment_months``: (scenario, source) ->
    months), and the stocks before the first year (``before``: (table, scenario, row keys) -> {column: value}; 0 when
    not given)."""

    months: Mapping[str, int]
    payment_months: Mapping[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    before: Mapping[tuple[str, ...], Mapping[str, float]] = field(default_factory=dict)
    #: Each (scenario, programme)'s national reach before the first year, in whole units: where regions.csv's reach
    #: starts (:func:`~dfl_finance.outputs.regions.regions_by_fiscal_year`).
    regions_before: Mapping[tuple[str, str], float] = field(default_factory=dict)
    #: The rows of gfs.csv that each dated loan's interest and amortisation fall in: (scenario, source) ->
    #: (financed_by, charged_to), its kind and what it is charged to.
    gfs_keys: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: The calendar-year debt service (debt_service.csv's rows) of the baselines of incremental.csv, by scenario name,
    #: with their months and dated loans in ``months`` and ``payment_months``: a baseline's debt service is placed on
    #: its dates too (without it, spread evenly).
    baseline_debt: Mapping[str, pd.DataFrame] = field(default_factory=dict)


def context_of(results: Sequence[Result], baselines: Sequence[Result] = ()) -> FiscalContext:
    """The :class:`FiscalContext` of some runs (their loans' payment dates from the engine's loan specs; the reach
    before the first year from the rollout's start share), and of the baselines of their incremental.csv (their
    months, loans' payment dates and debt service)."""
    months: dict[str, int] = {}
    payment: dict[tuple[str, str], tuple[int, ...]] = {}
    before: dict[tuple[str, ...], dict[str, float]] = {}
    regions_before: dict[tuple[str, str], float] = {}
    gfs_keys: dict[tuple[str, str], tuple[str, str]] = {}
    baseline_debt: dict[str, pd.DataFrame] = {}
    for res in baselines:
        months.setdefault(res.scenario.name, res.scenario.scenario.fiscal_year_start)
        payment.update(_payment_months(res))
        baseline_debt[res.scenario.name] = res.debt_service_df()
    for res in results:
        sc, inp, d = res.scenario, res.inputs, res.draw
        months[sc.name] = sc.scenario.fiscal_year_start
        for key, dates in _payment_months(res).items():
            payment[key] = dates
            source = next(s for s in sc.source if s.id == key[1])
            gfs_keys[key] = (source.kind, source.charged_to or DEFAULT_CHARGE.get(source.kind, CHARGES[0]))
        count, share = inp.costs.driver_count[d], inp.costs.start_share[d]
        regions_before.update({(sc.name, p.id): float(b) for p, b in zip(sc.programme, whole_units(count * share))})
        for i, p in enumerate(sc.programme):
            units = float(np.floor(count[i] * share[i] + 1e-9))
            before[("outcomes", sc.name, p.id)] = {"reached": units, "reached_funded": units,
                                                   "reached_share": float(share[i]),
                                                   "reached_funded_share": float(share[i])}
            # issue 25: the outcome measures before the first year (milestones: none met before the plan)
            for measure, start in res._outcomes.before.items():
                if not np.isnan(start[d, i]):
                    before[("outcomes", sc.name, p.id)][measure] = float(start[d, i])
    return FiscalContext(months, payment, before, regions_before, gfs_keys, baseline_debt)


def _payment_months(res: Result) -> dict[tuple[str, str], tuple[int, ...]]:
    """The payment months of each loan the government pays (not a PPP), by (scenario, source)."""
    sc = res.scenario
    return {(sc.name, sc.source[spec.source].id): spec.payment_months for spec in res.inputs.loans
            if spec.public and spec.source not in res.sim.ppp}


def fiscal_tables(tables: Mapping[str, pd.DataFrame], context: FiscalContext) -> dict[str, pd.DataFrame]:
    """Every yearly table of ``tables`` by fiscal year (a ``fiscal_year`` column in place of ``year``); the others
    (summary, sources, comparison, ...) as they are."""
    out = {name: (df if name not in FISCAL_RULES or "year" not in df.columns else
                  _regions(df, context) if name == "regions" else fiscal_table(name, df, context))
           for name, df in tables.items()}
    if "fiscal" in out and "debt_service" in tables and "fiscal" in FISCAL_RULES and "year" in tables["fiscal"]:
        out["fiscal"] = _fiscal_on_dates(tables["fiscal"], tables["debt_service"], out["fiscal"], context)
    debt = tables.get("debt_service")
    if "gfs" in out and debt is not None and "year" in tables["gfs"]:
        out["gfs"] = _gfs_on_dates(tables["gfs"], debt, out["gfs"], context)
    if "incremental" in out and "year" in tables["incremental"]:
        out["incremental"] = _incremental_on_dates(tables["incremental"], debt, out["incremental"], context)
    return out


def _regions(df: pd.DataFrame, context: FiscalContext) -> pd.DataFrame:
    """regions.csv by each scenario's fiscal year, by its own rule (its regions add up to the nation to the minor
    unit: :func:`~dfl_finance.outputs.regions.regions_by_fiscal_year`) rather than the registry's column rules."""
    if df.empty:
        return regions_by_fiscal_year(df, 1, 2)
    return pd.concat([regions_by_fiscal_year(g, int(context.months.get(str(name), 1)), _digits(g),
                                             dict(context.regions_before))
                      for name, g in df.groupby("scenario", sort=False)], ignore_index=True)


# ------------------------------------------------------------------------------------------------ one table

def _weights(start_month: int) -> tuple[float, float]:
    """(share of calendar year t in FY (t-1)/t, share in FY t/(t+1))."""
    return (start_month - 1) / MONTHS, (MONTHS + 1 - start_month) / MONTHS


def _mean(values: np.ndarray, start_month: int) -> np.ndarray:
    """Month-weighted mean of the calendar values in each fiscal year (NaN ignored; NaN where none)."""
    if start_month == 1:
        return values.copy()
    ends, starts = _weights(start_month)
    v = np.concatenate([[np.nan], values, [np.nan]])
    a, b = v[:-1], v[1:]  # FY k: calendar years k - 1 (its months from m) and k (to m - 1)
    wa, wb = np.where(np.isnan(a), 0.0, starts), np.where(np.isnan(b), 0.0, ends)
    total = wa + wb
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.nan_to_num(a) * wa + np.nan_to_num(b) * wb) / np.where(total > 0, total, 1),
                        np.nan)


def _any(values: np.ndarray, start_month: int) -> np.ndarray:
    flags = np.asarray(pd.Series(values).fillna(False).astype(bool))
    if start_month == 1:
        return flags.copy()
    return np.asarray(np.concatenate([flags, [False]]) | np.concatenate([[False], flags]), dtype=bool)


def _flow(values: np.ndarray, start_month: int) -> np.ndarray:
    if np.isnan(values).all():
        return np.full(len(values) + (start_month != 1), np.nan)
    return np.asarray(to_fiscal_years(np.nan_to_num(values)[None, :], start_month)[0], dtype=float)


def _dated(interest: np.ndarray, principal: np.ndarray, outstanding: np.ndarray, months: tuple[int, ...],
           start_month: int) -> tuple[np.ndarray, np.ndarray]:
    """A loan's interest and principal (calendar years) on their payment dates: each year's principal in ``n`` equal
    instalments, its interest in parts that follow the balance of each period (``o - i P / n`` for the i-th period,
    ``o`` the balance at the end of the year before): the schedule of :func:`~dfl_finance.engine.loans.
    repayment_profile` paid ``n`` times a year."""
    n = len(months)
    prev = np.concatenate([[0.0], np.nan_to_num(outstanding)[:-1]])
    p = np.nan_to_num(principal)
    weights = np.stack([prev - i * p / n for i in range(n)])  # (n, T)
    total = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, weights / np.where(total > 0, total, 1.0), 1.0 / n)
    i_parts = share * np.nan_to_num(interest)[None, :]
    p_parts = np.repeat(p[None, :] / n, n, axis=0)
    return (dated_to_fiscal_years(i_parts[None], months, start_month)[0],
            dated_to_fiscal_years(p_parts[None], months, start_month)[0])


def _expression(rule: str, cols: Mapping[str, np.ndarray]) -> np.ndarray:
    """``sum:a+b-c``."""
    terms = rule.removeprefix("sum:").replace("-", "+-").split("+")
    total = np.zeros_like(next(iter(cols.values())), dtype=float)
    for t in (t for t in terms if t):
        sign, name = (-1.0, t[1:]) if t.startswith("-") else (1.0, t)
        total = total + sign * np.nan_to_num(cols[name])
    return total


def _round(table: str, column: str, values: np.ndarray, digits: int, flow: bool) -> np.ndarray:
    kind = TABLES[table].column(column).kind
    if kind == "money":
        if flow and not np.isnan(values).all():
            return round_cumulative(values, digits)
        return round_to(values, digits)
    if kind == "count":
        rounded = round_cumulative(values, 0) if flow else round_to(values, 0)
        return rounded
    if kind == "share":
        return round_to(values, SHARE_DIGITS)
    if kind == "price":
        return round_to(values, PRICE_DIGITS)
    return values


def _digits(df: pd.DataFrame) -> int:
    cur = df["currency"].iloc[0] if "currency" in df.columns and len(df) else None
    return minor_unit_digits(str(cur)) if isinstance(cur, str) and cur else 2


def fiscal_table(name: str, df: pd.DataFrame, context: FiscalContext) -> pd.DataFrame:
    """One yearly table by fiscal year: its rows converted group by group (the rows of a scenario with the same
    keys), each column by its rule (:func:`~dfl_finance.outputs.tables.fiscal_rule`)."""
    table = TABLES[name]
    names = [c for c in table.names() if c in df.columns] + [c for c in df.columns if c not in table.names()]
    out_names = [FISCAL_YEAR.name if c == "year" else c for c in names]
    rules = {c: fiscal_rule(name, c) if c in table.names() else "key" for c in names if c != "year"}
    keys = [c for c, r in rules.items() if r == "key"]
    if df.empty:
        empty = df.drop(columns=["year"]).copy()
        empty.insert(names.index("year"), FISCAL_YEAR.name, pd.Series(dtype=object))
        return empty[out_names]
    frames = []
    for scenario, rows in df.groupby("scenario", sort=False):
        m = int(context.months.get(str(scenario), 1))
        digits = _digits(rows)
        years = np.arange(int(rows["year"].min()), int(rows["year"].max()) + 1)
        labels = fiscal_year_labels(int(years[0]), len(years), m)
        for key, group in rows.groupby(keys, sort=False, dropna=False):
            key_values = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
            g = group.set_index("year").reindex(years)
            cols = _convert(name, g, rules, m, digits, key_values, context)
            frame = pd.DataFrame({FISCAL_YEAR.name: labels, **cols})
            for k, v in key_values.items():
                frame[k] = pd.Series([v] * len(frame), dtype=object)
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    if name in FISCAL_NONZERO:
        out = out[out[FISCAL_NONZERO[name]].fillna(0.0) != 0.0]
    if name == "debt_service":
        out = _trim(out, keys)
    for c in out_names:
        if c in df.columns and c != "year" and df[c].dtype == np.int64:
            out[c] = out[c].astype(np.int64)
        elif c in df.columns and str(df[c].dtype) == "boolean":
            out[c] = out[c].astype("boolean")
        elif c in df.columns and str(df[c].dtype) == "Int64":  # counts that may be empty (outcomes.csv's measures)
            out[c] = pd.array([pd.NA if pd.isna(v) else int(round(float(v))) for v in out[c]], dtype="Int64")
    return out[out_names].reset_index(drop=True)


def _trim(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """A loan's rows to its own last fiscal year with a flow (it ends with its last payment, as by calendar year)."""
    money = ["disbursed", "interest", "principal", "fees", "outstanding"]
    active = (df[money].fillna(0.0) != 0.0).any(axis=1)
    keep = active.groupby([df[k] for k in keys], sort=False, dropna=False).transform(
        lambda s: s.to_numpy()[::-1].cumsum()[::-1] > 0)
    return df[keep.astype(bool)]


def _convert(name: str, g: pd.DataFrame, rules: Mapping[str, str], m: int, digits: int,
             key_values: Mapping[str, object], context: FiscalContext) -> dict[str, np.ndarray]:
    """The columns of one group (indexed by every calendar year of its scenario) by fiscal year."""
    cols: dict[str, np.ndarray] = {}
    values = {c: g[c].to_numpy(dtype=float) for c, r in rules.items() if r != "key" and r != "any"}
    source = (str(key_values.get("scenario")), str(key_values.get("source")))
    dates = context.payment_months.get(source) if name == "debt_service" else None
    before_key = (name, str(key_values.get("scenario")), *(str(v) for k, v in key_values.items()
                                                           if k not in ("scenario", "driver", "price_basis",
                                                                        "currency")))
    before = context.before.get(before_key, {})
    derived = []
    for c, rule in rules.items():
        if rule == "key":
            continue
        if rule == "any":
            cols[c] = _any(g[c].to_numpy(dtype=object), m)
        elif rule == "flow" or (rule == "dated" and dates is None):
            cols[c] = _round(name, c, _flow(values[c], m), digits, flow=True)
        elif rule == "dated" and dates is not None:
            if c == "interest":
                interest, principal = _dated(values["interest"], values["principal"], values["outstanding"], dates, m)
                cols["interest"] = _round(name, "interest", interest, digits, flow=True)
                cols["principal"] = _round(name, "principal", principal, digits, flow=True)
        elif rule == "stock" and np.isnan(values[c]).all():  # a measure the row does not have (outcomes.csv)
            cols[c] = np.full(len(values[c]) + (m != 1), np.nan)
        elif rule == "stock":
            cols[c] = _round(name, c, stock_to_fiscal_years(np.nan_to_num(values[c])[None, :], m,
                                                            before.get(c, 0.0))[0], digits, flow=False)
        elif rule == "mean":
            cols[c] = _round(name, c, _mean(values[c], m), digits, flow=False)
        else:
            derived.append((c, rule))
    for c, rule in derived:
        if rule == "balance":
            own = np.allclose(np.nan_to_num(values[c]), np.cumsum(np.nan_to_num(values["disbursed"])
                                                                  - np.nan_to_num(values["principal"])), atol=1e-6)
            cols[c] = (round_to(np.cumsum(cols["disbursed"] - cols["principal"]), digits) if own else
                       round_to(stock_to_fiscal_years(np.nan_to_num(values[c])[None, :], m)[0], digits))
        elif rule.startswith("sum:"):
            cols[c] = round_to(_expression(rule, cols), digits)
        elif rule.startswith("ratio:"):
            a, b = rule.removeprefix("ratio:").split("/")
            with np.errstate(invalid="ignore", divide="ignore"):
                cols[c] = round_to(np.where(cols[b] > 0, cols[a] / np.where(cols[b] > 0, cols[b], 1.0), np.nan),
                                   SHARE_DIGITS)
        elif rule.startswith("above:"):
            a, b = rule.removeprefix("above:").split(">")
            cols[c] = np.nan_to_num(cols[a], nan=-np.inf) > np.nan_to_num(cols[b], nan=np.inf)
        else:
            raise ValueError(f"{name}.{c}: unknown fiscal-year rule {rule!r}")
    return cols


def _on_dates(total: np.ndarray, dated: np.ndarray, dated_fiscal: np.ndarray, m: int, digits: int) -> np.ndarray:
    """A flow by fiscal year of which a part is paid on dates: what is not (``total - dated``, calendar years) spread
    evenly and rounded as a flow, plus the dated part by fiscal year as debt_service.csv's rounded rows give it
    (``dated_fiscal``), so that the tables agree row by row. Both parts keep their totals, so the whole does."""
    rest = round_cumulative(_flow(round_to(total - dated, digits), m), digits)
    return round_to(rest + dated_fiscal, digits)


def _dated_parts(debt: pd.DataFrame, dated: pd.DataFrame, scenario: object, sources: Sequence[str],
                 years: Sequence[int], labels: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The interest and principal of the loans ``sources`` of ``scenario``: by calendar year (``years``, from
    debt_service.csv's rows ``debt``) and by fiscal year on their dates (``labels``, from those rows by fiscal year,
    ``dated``), each summed over the loans; 0 where a loan pays nothing."""
    cal = debt[(debt["scenario"] == scenario) & debt["source"].isin(list(sources))]
    fy = dated[(dated["scenario"] == scenario) & dated["source"].isin(list(sources))]
    return {c: (np.asarray(cal.groupby("year")[c].sum().reindex(list(years)).fillna(0.0), dtype=float),
                np.asarray(fy.groupby(FISCAL_YEAR.name)[c].sum().reindex(list(labels)).fillna(0.0), dtype=float))
            for c in ("interest", "principal")}


def _fiscal_on_dates(calendar: pd.DataFrame, debt: pd.DataFrame, converted: pd.DataFrame,
                     context: FiscalContext) -> pd.DataFrame:
    """fiscal.csv's debt service by fiscal year on the loans' payment dates: what is not on dates (fees, other
    payments: the calendar column less the dated loans' interest and principal) spread evenly, plus the dated loans'
    rows of debt_service.csv by fiscal year; its GFS interest and amortisation the same way (:func:`_on_dates`), so
    that they agree with gfs.csv; the government burden, its share, over_limit, deficit_effect and debt_effect
    recomputed. The totals are unchanged: both parts keep their totals."""
    if debt.empty or not context.payment_months:
        return converted
    out = converted.copy()
    dated = fiscal_table("debt_service", debt, context)
    for scenario, rows in calendar.groupby("scenario", sort=False):
        m = int(context.months.get(str(scenario), 1))
        loans = [s for (sc, s) in context.payment_months if sc == scenario]
        if m == 1 or not loans:
            continue
        mask = out["scenario"] == scenario
        labels = out.loc[mask, FISCAL_YEAR.name].tolist()
        digits = _digits(rows)
        ordered = rows.sort_values("year")
        parts = _dated_parts(debt, dated, scenario, loans, ordered["year"].tolist(), labels)
        paid = parts["interest"][0] + parts["principal"][0], parts["interest"][1] + parts["principal"][1]
        out.loc[mask, "debt_service"] = _on_dates(ordered["debt_service"].to_numpy(dtype=float), *paid, m, digits)
        for column, part in (("interest", "interest"), ("amortisation", "principal")):
            if column in out.columns:
                out.loc[mask, column] = _on_dates(ordered[column].to_numpy(dtype=float), *parts[part], m, digits)
        sub = out.loc[mask]
        for column, rule in FISCAL_RULES["fiscal"].items():
            if rule.startswith("sum:") and column in out.columns and column != "government_burden":
                terms = rule.removeprefix("sum:").replace("-", "+-").split("+")
                if any(t.lstrip("-") in ("interest", "amortisation") for t in terms):
                    cols = {t.lstrip("-"): sub[t.lstrip("-")].to_numpy(dtype=float) for t in terms if t}
                    out.loc[mask, column] = round_to(_expression(rule, cols), digits)
        burden = round_to(sub[["domestic_outlay", "debt_service", "ppp_payments",
                               "recurrent_after_plan"]].fillna(0.0).sum(axis=1).to_numpy(), digits)
        out.loc[mask, "government_burden"] = burden
        budget = sub["education_budget"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = round_to(np.where(budget > 0, burden / np.where(budget > 0, budget, 1.0), np.nan), SHARE_DIGITS)
        out.loc[mask, "burden_share"] = share
        out.loc[mask, "over_limit"] = np.nan_to_num(share, nan=-np.inf) > np.nan_to_num(
            sub["burden_limit"].to_numpy(dtype=float), nan=np.inf)
    return out


#: The rows of gfs.csv that a loan's payments make, (account, gfs_class), and the column of debt_service.csv each is.
GFS_DATED = {("expense", "interest"): "interest", ("financing", "amortisation"): "principal"}


def _gfs_on_dates(calendar: pd.DataFrame, debt: pd.DataFrame, converted: pd.DataFrame,
                  context: FiscalContext) -> pd.DataFrame:
    """gfs.csv by fiscal year with the dated loans' interest and amortisation on their payment dates: each row of
    :data:`GFS_DATED` by :func:`_on_dates`, its dated part the loans of its ``financed_by`` and ``charged_to``
    (:attr:`FiscalContext.gfs_keys`); the other rows (and what of those rows has no date: an on-books PPP's)
    spread evenly. Adds up by fiscal year to fiscal.csv's interest and amortisation; rows that come to 0 are left
    out, and the rows keep the order :func:`fiscal_table` gives them (by scenario and row keys as the calendar table
    has them, then fiscal year)."""
    if debt.empty or calendar.empty or not context.gfs_keys:
        return converted
    dated = fiscal_table("debt_service", debt, context)
    keys = ["scenario", "account", "gfs_class", "financed_by", "charged_to"]
    drop = pd.Series(False, index=converted.index)
    frames = []
    for scenario, rows in calendar.groupby("scenario", sort=False):
        m = int(context.months.get(str(scenario), 1))
        loans = {s: key for (sc, s), key in context.gfs_keys.items() if sc == scenario}
        if m == 1 or not loans:
            continue
        digits = _digits(rows)
        years = list(range(int(rows["year"].min()), int(rows["year"].max()) + 1))
        labels = fiscal_year_labels(years[0], len(years), m)
        for (_, account, cls, financed, charged), group in rows.groupby(keys, sort=False):
            part = GFS_DATED.get((str(account), str(cls)))
            mine = [s for s, key in loans.items() if key == (financed, charged)]
            if part is None or not mine:
                continue
            dated_cal, dated_fy = _dated_parts(debt, dated, scenario, mine, years, labels)[part]
            total = np.asarray(group.groupby("year")["amount"].sum().reindex(years).fillna(0.0), dtype=float)
            first = group.iloc[0]
            frame = pd.DataFrame({c: pd.Series([first[c]] * len(labels), dtype=converted[c].dtype)
                                  for c in converted.columns if c not in (FISCAL_YEAR.name, "amount")})
            frame[FISCAL_YEAR.name] = labels
            frame["amount"] = _on_dates(total, dated_cal, dated_fy, m, digits)
            frames.append(frame[list(converted.columns)])
            drop |= ((converted["scenario"] == scenario) & (converted["account"] == account)
                     & (converted["gfs_class"] == cls) & (converted["financed_by"] == financed)
                     & (converted["charged_to"] == charged))
    if not frames:
        return converted
    out = pd.concat([converted[~drop], *frames], ignore_index=True)
    out = out[out["amount"].fillna(0.0) != 0.0]
    order = {k: i for i, k in enumerate(dict.fromkeys(zip(*(calendar[c] for c in keys))))}
    rank = [order[k] for k in zip(*(out[c] for c in keys))]
    return out.assign(_rank=rank).sort_values(["_rank", FISCAL_YEAR.name], kind="stable").drop(
        columns="_rank").reset_index(drop=True)


#: The measures of incremental.csv that hold a loan's debt service.
INCREMENTAL_DATED = ("debt_service", "government_burden")


def _incremental_on_dates(calendar: pd.DataFrame, debt: pd.DataFrame | None, converted: pd.DataFrame,
                          context: FiscalContext) -> pd.DataFrame:
    """incremental.csv by fiscal year with its loans' debt service on their payment dates: ``value`` of the
    measures :data:`INCREMENTAL_DATED` (debt service, and the burden that holds it) by :func:`_on_dates` with the
    scenario's dated loans (as fiscal.csv), ``baseline_value`` with the baseline's where the context holds its debt
    service (:attr:`FiscalContext.baseline_debt`; else spread evenly), ``delta`` their difference."""
    if calendar.empty or not context.payment_months:
        return converted
    out = converted.copy()
    for (scenario, baseline), rows in calendar.groupby(["scenario", "baseline"], sort=False):
        m = int(context.months.get(str(scenario), 1))
        if m == 1:
            continue
        digits = _digits(rows)
        years = list(range(int(rows["year"].min()), int(rows["year"].max()) + 1))
        labels = fiscal_year_labels(years[0], len(years), m)
        sides = []
        own = [s for (sc, s) in context.payment_months if sc == scenario]
        if own and debt is not None and not debt.empty:
            sides.append(("value", scenario, debt, context))
        theirs = [s for (sc, s) in context.payment_months if sc == baseline]
        base_debt = context.baseline_debt.get(str(baseline))
        if theirs and base_debt is not None and not base_debt.empty:
            sides.append(("baseline_value", baseline, base_debt,
                          replace(context, months={**context.months, str(baseline): m})))
        changed = False
        for column, name, table, ctx in sides:
            loans = [s for (sc, s) in context.payment_months if sc == name]
            parts = _dated_parts(table, fiscal_table("debt_service", table, ctx), name, loans, years, labels)
            paid = parts["interest"][0] + parts["principal"][0], parts["interest"][1] + parts["principal"][1]
            for measure in INCREMENTAL_DATED:
                at = (out["scenario"] == scenario) & (out["baseline"] == baseline) & (out["measure"] == measure)
                rows_of = rows[rows["measure"] == measure]
                if not at.any() or rows_of.empty:
                    continue
                total = np.asarray(rows_of.groupby("year")[column].sum().reindex(years).fillna(0.0), dtype=float)
                values = pd.Series(_on_dates(total, *paid, m, digits), index=labels)
                out.loc[at, column] = values.reindex(out.loc[at, FISCAL_YEAR.name]).fillna(0.0).to_numpy()
                changed = True
        if changed:
            at = (out["scenario"] == scenario) & (out["baseline"] == baseline)
            out.loc[at, "delta"] = round_to((out.loc[at, "value"] - out.loc[at, "baseline_value"]).to_numpy(
                dtype=float), digits)
    return out
