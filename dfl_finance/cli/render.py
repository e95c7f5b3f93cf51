"""The command line's words: the tables and sentences that ``dfl-finance`` prints (the files it writes hold every
number; these show the main ones, aligned, with their units)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dfl_finance.outputs.formatting import currency_of, format_delta, format_metric, format_money, scenarios_words
from dfl_finance.vocabulary import SCHOOL_EXISTING as EXISTING
from dfl_finance.vocabulary import metric_definition

if TYPE_CHECKING:  # pandas and the engine are imported by the commands that need them (fast --help, validate)
    import pandas as pd

    from dfl_finance.inputs.models import Scenario
    from dfl_finance.studies.risk.stress import StressRun


def _legend(names: list[str], baseline: str | None = None) -> tuple[list[str], str]:
    keys = [f"[{i + 1}]" for i in range(len(names))]
    lines = [f"  {k} {n}{' (baseline)' if n == baseline else ''}" for k, n in zip(keys, names)]
    return keys, "\n".join(["Scenarios:", *lines])


def _unit_cells(units: dict[str, str], kind: str) -> tuple[str, dict[str, str]]:
    """The unit column of a metric's row, and the currency to print with each scenario's value: one unit for
    all, or (when the scenarios' currencies differ) "each scenario's own" and the code beside every amount."""
    distinct = list(dict.fromkeys(u for u in units.values() if u))
    if len(distinct) <= 1:
        return (distinct[0] if distinct else ""), {}
    codes = {n: currency_of(u) or "" for n, u in units.items()} if kind == "money" else {}
    return "each scenario's own", codes


def summary_text(summary: pd.DataFrame) -> str:
    """A compact table: one row per metric (label and unit), one column per scenario (named in a legend above)."""
    names = list(dict.fromkeys(summary["scenario"]))
    keys, legend = _legend(names)
    rows = []
    for m, g in summary.groupby("metric", sort=False):
        d = metric_definition(str(m))
        values = dict(zip(g["scenario"], g["value"]))
        unit, codes = _unit_cells(dict(zip(g["scenario"], g["unit"])), d.kind)
        row = {"metric": d.label, "unit": unit}
        for n, k in zip(names, keys):
            row[k] = format_metric(number(values.get(n)), d.kind, codes.get(n, ""))
        rows.append(row)
    return f"{legend}\n\n{table_text(rows)}"


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison with scenarios as [1], [2], ... and the deltas as [k]-[baseline]."""
    names = list(dict.fromkeys(table["scenario"]))
    baseline = str(table["baseline"].iloc[0]) if len(table) else (names[0] if names else "")
    keys, legend = _legend(names, baseline)
    base_key = keys[names.index(baseline)] if baseline in names else ""
    rows = []
    for m, g in table.groupby("metric", sort=False):
        d = metric_definition(str(m))
        cells = {str(r.scenario): r for r in g.itertuples()}
        unit, codes = _unit_cells(dict(zip(g["scenario"], g["unit"])), d.kind)
        row = {"metric": d.label, "unit": unit}
        for n, k in zip(names, keys):
            row[k] = format_metric(number(cells[n].value), d.kind, codes.get(n, "")) if n in cells else "n/a"
        for n, k in zip(names, keys):
            if n != baseline:
                row[f"{k}-{base_key}"] = format_delta(number(cells[n].delta), d.kind) if n in cells else ""
        rows.append(row)
    return f"{legend}\n\n{table_text(rows)}"


def ranking_text(ranking: pd.DataFrame, scenarios: list[Scenario]) -> str:
    """Which rate the comparison's ranking rests on, and each pair of options in words (ranking.csv's notes)."""
    from dfl_finance.model.compile import borrowing_rate  # the engine loads when a command runs, not at --help

    def rates(sc: Scenario) -> str:
        meta = sc.scenario
        words = [f"its own {meta.discount_rate:.2%} {meta.discount_basis} (the headline pv_government_cost)",
                 "5% nominal in USD"]
        bond = borrowing_rate(sc)
        words.append("no borrowing rate" if bond is None else f"borrowing {bond:.2%} nominal")
        social = meta.social_discount_rate
        words.append("no social rate" if social is None else f"social {social:.2%} real")
        return ", ".join(words)

    lines = ["", "Ranking by the present value of the government cost (ranking.csv), at four rates:"]
    lines += [f"  {sc.name}: {rates(sc)}" for sc in scenarios]
    notes = list(dict.fromkeys(zip(ranking["scenario"], ranking["other"], ranking["note"])))
    if notes:
        lines.append("")
    lines += [f"  {a} vs {b}: {note}" for a, b, note in notes]
    return "\n".join(lines)


def number(value: Any) -> float | None:
    """A table cell as a number, None where it is empty."""
    x = None if value is None else float(value)
    return None if x is None or math.isnan(x) else x


def table_text(rows: list[dict[str, str]], left: tuple[str, ...] = ("metric", "unit")) -> str:
    """Rows of text as an aligned table: the ``left`` columns (text) aligned left, the others (numbers) right."""
    if not rows:
        return ""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(cells.get(c, "").ljust(widths[c]) if c in left else cells.get(c, "").rjust(widths[c])
                         for c in columns).rstrip()

    return "\n".join([line({c: c for c in columns}), *(line(r) for r in rows)])


def basis_note(basis: str, scenarios: list[Scenario]) -> str:
    """``Amounts: constant 2026 prices, RWF (--basis real-lcu).``"""
    return f"\nAmounts: {scenarios_words(basis, scenarios)} (--basis {basis}; the metrics named in another basis " \
        "are in it)."


#: The metrics `dfl-finance risk` prints (quantiles.csv has them all).
RISK_SHOWN = ("total_cost", "total_gap", "pv_government_cost", "peak_burden_share", "years_over_limit")


def quantiles_text(q: pd.DataFrame, deterministic: pd.DataFrame | None = None,
                   points: dict[str, str] | None = None) -> str:
    """A compact table of the main metrics' statistics, one block per scenario, values with their units; with the
    ``deterministic`` run's summary (summary.csv's rows), its figure in the first column and, under the block, why
    it, the P50 and the mean differ where they do (:func:`~dfl_finance.outputs.point.why_apart`; ``points``: each
    scenario's ``[risk] point``, by name)."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.point import POINT_WORDS, why_apart
    from dfl_finance.outputs.result import STATISTICS, quantiles_note

    blocks = []
    for name, g in q.groupby("scenario", sort=False):
        rows = []
        det: dict[str, float] = {}
        if deterministic is not None:
            mine = deterministic[deterministic["scenario"] == name]
            det = {str(k): float(v) for k, v in zip(mine["metric"], mine["value"])}
        point = (points or {}).get(str(name), "mean")
        why: list[str] = []
        for metric in [*RISK_SHOWN, "prob_over_limit"]:
            m = g[g["metric"] == metric]
            if m.empty:
                continue
            kind = "share" if metric == "prob_over_limit" else metric_definition(metric).kind
            label = "Probability over the burden limit" if metric == "prob_over_limit" else \
                metric_definition(metric).label
            values = dict(zip(m["statistic"], m["value"]))
            cur = currency_of(str(m["unit"].iloc[0])) or ""
            kind = "share" if kind == "years" else kind  # fractional over draws: shown with decimals
            if metric == "prob_over_limit":  # a share of draws: only its mean means something
                values = {k: v for k, v in values.items() if k == "mean"}
            if det and metric in det:
                values = {"deterministic": det[metric], **values}
                if "p50" in values and "mean" in values:
                    reason = why_apart(point, det[metric], float(values["p50"]), float(values["mean"]))
                    if reason:
                        why.append(f"  {label}: {reason}.")
            shown = [*(["deterministic"] if det else []), *STATISTICS]
            rows.append({"metric": label, **{k: "" for k in shown}, **{
                k: (format_metric(values[k], kind, cur) if kind != "share" or metric in ("prob_over_limit",
                                                                                           "peak_burden_share")
                    else f"{values[k]:.2f}") for k in shown if k in values}})
        note = quantiles_note(g)
        head = f"{name}: {note}" if note else str(name)  # a flat block says so in its first line
        text = f"{head}\n" + pd.DataFrame(rows).to_string(index=False)
        if why:
            text += (f"\nThe deterministic run takes {POINT_WORDS.get(point, point)} ([risk] point = {point}); where "
                     "it, the P50 and the mean differ:\n" + "\n".join(why))
        blocks.append(text)
    return "\n\n".join(blocks)


#: The metrics `dfl-finance optimise` prints (comparison.csv has them all).
OPTIMISE_SHOWN = ("total_gap", "pv_government_cost", "total_domestic", "total_grant", "total_loan", "total_ppp",
                  "peak_burden_share", "grant_element_external")


#: The shadow prices `dfl-finance optimise` prints (shadow_prices.csv has them all).
SHADOW_SHOWN = 8


def shadow_text(table: pd.DataFrame) -> str:
    """The binding constraints worth the most, in words, ranked by what they save."""
    binding = table[(table["binding"] == "yes") & (table["reading"] != "")]
    worth = binding["value"].abs() + binding["gap_value"].abs()
    ranked = binding.assign(worth=worth)[worth > 0].sort_values("worth", ascending=False, kind="stable")
    if ranked.empty:
        return ("\nno constraint is worth anything at the margin: more of any would not lower the cost"
                + (f" ({len(binding)} bind, with other constraints taking over)" if len(binding) else ""))
    lines = [f"  {r}" for r in ranked["reading"].head(SHADOW_SHOWN)]
    more = len(ranked) - SHADOW_SHOWN
    return "\nshadow prices (what one more unit of a binding constraint is worth):\n" + "\n".join(lines) + (
        f"\n  ... and {more} more in shadow_prices.csv" if more > 0 else "")


def schools_text(tables: dict[str, pd.DataFrame], budget: float | None = None) -> str:
    """Schools by technology (assigned, and connected within the plan's years and budget), connection by area at the
    end, and the equity measures in words."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.schools import equity_sentences, technology_counts, technology_label

    seg = tables["segments"]
    first, last = int(seg["year"].min()), int(seg["year"].max())
    counts = technology_counts(tables["schools"])
    rows = []
    for r in counts.to_dict("records"):
        before = r["technology"] == EXISTING  # connected before the plan: all of them, none in it
        assigned = int(r["schools"])
        connected = assigned if before else int(r["connected_in_plan"])
        learners = int(r["learners"] if before else r["learners_in_plan"])
        rows.append({"technology": technology_label(str(r["technology"])), "schools assigned": f"{assigned:,}",
                     f"connected by {last}": f"{connected:,}" + (" (before)" if before else ""),
                     f"not connected by {last}": f"{assigned - connected:,}",
                     f"learners connected by {last}": f"{learners:,}",
                     "capex of those connected": format_money(float(r["capex_in_plan"]), "USD"),
                     "capex of the rest": format_money(float(r["capex"]) - float(r["capex_in_plan"]), "USD")})
    limit = f" and a yearly capex budget of {format_money(budget, 'USD')}" if budget is not None else ""
    head = (f"schools by technology: each school is assigned its least-cost technology; connected by {last}: within "
            f"the plan's years ({first}-{last}){limit}")
    last_rows = seg[(seg["segment_type"].isin(["all", "area"])) & (seg["year"] == last)]
    area = [{"segment": str(a["segment"]), "connected": f"{a['share_connected']:.1%}",
             "capex per learner": format_money(float(a["cost_per_learner"]), "USD")
             if pd.notna(a["cost_per_learner"]) else "n/a"} for a in last_rows.to_dict("records")]
    equity = "\n".join(f"  {sentence}" for sentence in equity_sentences(tables["equity"], seg))
    return (f"{head}\n{table_text(rows)}\n\nat the end of {last}:\n{table_text(area)}\n\n"
            f"equity:\n{equity}")


def above_one(sobol: pd.DataFrame, n: int) -> list[str]:
    """A note for each Sobol index above 1 (100%), sobol.csv's ``note``: small samples do this; raise ``--n``."""
    out = []
    noted = sobol[sobol["note"].astype(str) != ""]
    for metric, name, s1, st in zip(noted["metric"], noted["input_label"], noted["first_order"].astype(float),
                                    noted["total_order"].astype(float)):
        which = [f"{kind} {v:.2f}" for kind, v in (("first-order", s1), ("total", st)) if v > 1.0]
        label = metric_definition(str(metric)).label
        label = label if label[:2].isupper() else label[:1].lower() + label[1:]  # "PPP payments" stays
        out.append(f"note: the Sobol index of the {label} to {name} is above 1 "
                   f"(100%: {', '.join(which)}), which a share of the variance cannot be: small samples do this; "
                   f"raise the sample size with --n (now {n}; e.g. --n {4 * n})")
    return out


#: The metrics `dfl-finance stress` prints per stress (stress_summary.csv has them all).
STRESS_SHOWN = ("total_gap", "pv_government_cost", "peak_burden_share", "peak_pv_debt_gdp")


def stress_text(runs: list[StressRun]) -> str:
    """One block per scenario: a row per stress (the baseline first) with the main metrics and, for a stress, the
    change from the baseline in brackets; then what each stress does, and why a stress does not apply."""
    import pandas as pd

    blocks = []
    for r in runs:
        table = r.summary_df()
        shown = [m for m in STRESS_SHOWN if m in set(table["metric"])]
        rows = []
        for stress, g in table.groupby("stress", sort=False):
            cells = {str(row.metric): row for row in g.itertuples()}
            row = {"stress": str(stress)}
            for m in shown:
                d = metric_definition(m)
                if m not in cells:
                    row[d.label] = "n/a"
                    continue
                c = cells[m]
                cur = currency_of(str(c.unit)) or ""
                text = format_metric(number(c.value), d.kind, cur)
                if number(c.delta) is not None:
                    text += f" ({format_delta(number(c.delta), d.kind, cur)})"
                row[d.label] = text
            rows.append(row)
        lines = [r.name, pd.DataFrame(rows).to_string(index=False)]
        lines += [f"  {o.spec.key}: {o.spec.description}" for o in r.applied()]
        lines += [f"  {o.spec.key}: not applied: {o.note}" for o in r.outcomes if o.result is None]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def tornado_text(t: pd.DataFrame, s: pd.DataFrame | None) -> str:
    """The ranked tornado of each metric (with the Sobol indices beside it), values in the metric's unit."""
    blocks = []
    for metric, g in t.groupby("metric", sort=False):
        d = metric_definition(str(metric))
        cur = currency_of(str(g["unit"].iloc[0])) or ""
        kind = "share" if d.kind == "years" else d.kind

        def value(x: Any) -> str:
            n = number(x)
            return "n/a" if n is None else format_metric(n, kind, cur)

        idx = s[s["metric"] == metric].set_index("path") if s is not None else None
        labels = list(g["input_label"])
        rows = []
        for r in g.itertuples():
            # the input in words (tornado.csv keeps its path), its path too where two inputs read the same
            label = str(r.input_label) + (f" [{r.path}]" if labels.count(r.input_label) > 1 else "")
            unit = f" {r.input_unit}" if str(r.input_unit) else ""
            row = {"rank": str(r.rank), "input": label, "low .. high input": f"{r.low_input:,.4g} .. "
                   f"{r.high_input:,.4g}{unit}", "metric at low": value(r.low_value),
                   "metric at high": value(r.high_value), "swing": value(r.swing)}
            if idx is not None:
                for col, name in (("first_order", "S1"), ("total_order", "ST")):
                    v = number(idx.at[r.path, col])
                    row[name] = "n/a" if v is None else f"{v:.2f}"
            rows.append(row)
        base = t.attrs.get("base", {}).get(metric)
        head = f"{d.label} ({metric}, {g['unit'].iloc[0]})" + (f": {value(base)} with every input at its own value"
                                                                if base is not None else "")
        blocks.append(f"{head}\n{table_text(rows)}")
    return "\n\n".join(blocks)


def mtef_text(overview: pd.DataFrame, digits: int) -> str:
    """The MTEF's totals, ceilings and what is over them (:func:`dfl_finance.outputs.budget.overview`) as a table."""
    rows = []
    for r in overview.to_dict("records"):
        rows.append({str(k): (v if isinstance(v, str) else "" if v is None or v != v else f"{v:,.{digits}f}")
                     for k, v in r.items()})
    return table_text(rows, left=("budget_code", "programme", "economic_class"))
