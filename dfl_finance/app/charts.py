"""Altair chart builders over the tidy tables (no Streamlit here, so they can be tested and reused).

Conventions: money on the y axis in millions of the scenario's currency (the axis title says so), ticks without
spurious decimals (``35,000``, ``2.5``, ``10%``: :data:`MONEY_FORMAT`, :data:`SHARE_FORMAT`), tooltips with readable
amounts ("USD 12.3 M"), programmes and sources by their labels, one colour per programme, per funding source and per
scenario that is the same in every chart of a page (the gap always in the same red), scenarios in facets in the order
given (the baseline first, in the facets and in the colours), laid out with no empty panel.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypedDict, cast

import altair as alt
import pandas as pd

from dfl_finance.inputs.models import Scenario
from dfl_finance.outputs.formatting import format_metric, format_money
from dfl_finance.vocabulary import DSF_RATIOS, GAP, METRICS, PILLARS, PUBLIC_DEBT_RATIO, USD, metric_definition

#: Colours for funding sources, assigned in order of first appearance; the gap has its own.
SOURCE_PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#eeca3b", "#9d755d", "#bab0ac",
                  "#ff9da6", "#79706e", "#1f77b4", "#8c564b"]
GAP_COLOUR = "#d62728"
#: The label of what no source pays, in legends and tooltips.
GAP_LABEL = METRICS["total_gap"].label
#: Colours for programmes, assigned in order of first appearance: Vega's "dark2" scheme, then more, none of them red,
#: so that red means "gap" everywhere.
PROGRAMME_PALETTE: Final = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                            "#1f78b4", "#b2df8a", "#cab2d6", "#80b1d3")
#: Colours for scenarios, assigned in the order of the comparison (the baseline first): Streamlit's own categories.
SCENARIO_PALETTE: Final = ("#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a",
                           "#6d3fc0", "#d5dae5")
#: Axis formats (d3): money in millions with thousands separators and no trailing zeros (35,000 and 2.5, not
#: 35,000.0 and 2.50); shares in percent, to a tenth at most (10%, 2.5%).
MONEY_FORMAT: Final = ",~f"
SHARE_FORMAT: Final = ".1~%"
#: The width of a panel of a facet chart, by its number of columns: one column takes the page's width.
PANEL_WIDTHS: Final = {1: 640, 2: 380, 3: 250}


def _colours(keys: Iterable[str], palette: Sequence[str]) -> dict[str, str]:
    return {k: palette[i % len(palette)] for i, k in enumerate(dict.fromkeys(keys))}


def source_colours(source_ids: list[str]) -> dict[str, str]:
    """One colour per source id (in order of first appearance) and red for the gap."""
    return {**_colours([s for s in source_ids if s != GAP], SOURCE_PALETTE), GAP: GAP_COLOUR}


def programme_colours(programmes: Iterable[str]) -> dict[str, str]:
    """One colour per programme (id or label: as the charts show them), in order of first appearance: the union
    of the programmes of the scenarios compared, so that a programme has its colour in every chart of the page.

    Examples
    --------
    >>> programme_colours(["emis", "devices", "emis"])
    {'emis': '#1b9e77', 'devices': '#d95f02'}
    """
    return _colours(programmes, PROGRAMME_PALETTE)


def scenario_colours(names: Iterable[str]) -> dict[str, str]:
    """One colour per scenario, in the order given (the baseline first), for every chart of a comparison."""
    return _colours(names, SCENARIO_PALETTE)


def _scale(colours: Mapping[str, str], present: Iterable[str]) -> alt.Scale:
    """The colour scale of the keys present in one chart, with the colours they have in every chart."""
    shown = set(present)
    keys = [k for k in colours if k in shown]
    return alt.Scale(domain=keys, range=[colours[k] for k in keys])


def facet_columns(panels: int) -> int:
    """How many columns a facet chart of ``panels`` panels has: two or three when that fills every row, else one,
    so that no panel is left empty.

    Examples
    --------
    >>> [facet_columns(n) for n in range(1, 10)]
    [1, 2, 3, 2, 1, 2, 1, 2, 3]
    """
    for columns in (2, 3):
        if panels >= columns and panels % columns == 0:
            return columns
    return 1


#: The currency of the amounts of a chart: one code for all scenarios, or the code of each scenario by name.
Currency = str | Mapping[str, str]


def _money_columns(df: pd.DataFrame, column: str, currency: Currency) -> pd.DataFrame:
    """``millions`` for the axis and ``amount_text`` ("USD 12.3 M") for the tooltip, in each row's currency."""
    out = df.copy()
    out["millions"] = out[column] / 1e6
    codes = [currency] * len(out) if isinstance(currency, str) else [currency.get(n, "") for n in out["scenario"]]
    out["amount_text"] = [format_money(v, c) for v, c in zip(out[column], codes)]
    return out


def _money_title(what: str, currency: Currency) -> str:
    """``Cost (USD millions)``, or ``Cost (millions, each scenario's currency)`` when the currencies differ."""
    codes = {currency} if isinstance(currency, str) else set(currency.values())
    return f"{what} ({codes.pop()} millions)" if len(codes) == 1 else f"{what} (millions, each scenario's currency)"


def _money_facet(chart: alt.Chart, order: list[str], currency: Currency) -> alt.FacetChart:
    """Panels per scenario; when the scenarios' currencies differ, each with its own money axis and its currency
    in its header (``Kenya: domestic budget only (KES)``)."""
    codes = {currency} if isinstance(currency, str) else set(currency.values())
    if len(codes) <= 1 or isinstance(currency, str):
        return _facet(chart, order)
    named = {n: f"{n} ({currency[n]})" for n in order if currency.get(n)}
    # a Vega expression: the header of each scenario's panel (names as JSON strings, so quotes are safe)
    expr = "".join(f"datum.value === {json.dumps(n)} ? {json.dumps(t)} : " for n, t in named.items())
    # altair's resolve_scale returns its chart, typed as Any
    return cast(alt.FacetChart, _facet(chart, order, label_expr=expr + "datum.value").resolve_scale(y="independent"))


def _order(df: pd.DataFrame, order: Sequence[str] | None) -> list[str]:
    """The scenarios of ``df`` in the order given (the baseline first), else in order of appearance."""
    present = list(dict.fromkeys(df["scenario"]))
    return [n for n in order if n in present] if order is not None else present


def _facet(chart: alt.Chart, order: list[str], label_expr: str | None = None) -> alt.FacetChart:
    """Panels per scenario in ``order``, as many columns as fill every row (:func:`facet_columns`), each panel as
    wide as its column allows."""
    header = alt.Header(labelFontWeight="bold", labelLimit=400, labelExpr=label_expr or alt.Undefined)
    columns = facet_columns(len(order))
    return chart.properties(width=PANEL_WIDTHS[columns]).facet(
        facet=alt.Facet("scenario:N", title=None, sort=order, header=header), columns=columns)


SCENARIO_TIP = alt.Tooltip("scenario:N", title="Scenario")
YEAR_TIP = alt.Tooltip("year:O", title="Year")
#: A Vega expression for the label of the fiscal year that starts in the calendar year ``datum.value``: 2025 ->
#: "2025/26" (:func:`~dfl_finance.engine.calendar.fiscal_year_label`).
FISCAL_YEAR_LABEL = "datum.value + '/' + slice('0' + ((datum.value + 1) % 100), -2)"


def by_fiscal_year(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Tables by fiscal year (a ``fiscal_year`` column, ``"2025/26"``) as the charts read them: the label in the
    ``year`` column, which the bar charts' ordinal axes show as it is (labels sort as their years do) and the line
    charts turn into the year in which the fiscal year starts (:func:`_numeric_years`). Tables by calendar year pass
    unchanged."""
    return {name: df.assign(year=df["fiscal_year"]) if "fiscal_year" in df.columns and "year" not in df.columns
            else df for name, df in tables.items()}


def _numeric_years(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """``df`` with numeric years, and whether they are fiscal years: a fiscal year's label (``"2025/26"``) becomes the
    calendar year in which it starts (2025), the label kept as ``fiscal_year`` for the tooltip."""
    if df.empty or pd.api.types.is_numeric_dtype(df["year"]):
        return df, False
    return df.assign(fiscal_year=df["year"], year=df["year"].astype(str).str[:4].astype(int)), True


def _year_band(df: pd.DataFrame, label_overlap: bool = False) -> tuple[alt.X, alt.Tooltip]:
    """The x axis and the tooltip of a bar chart over the years (ordinal): titled "Fiscal year" when the table is by
    fiscal year (:func:`by_fiscal_year`: labels such as ``2025/26``), else "Year", as before."""
    title = "Year" if df.empty or pd.api.types.is_numeric_dtype(df["year"]) else "Fiscal year"
    axis = alt.Axis(labelOverlap=True) if label_overlap else alt.Undefined
    return alt.X("year:O", title=title, axis=axis), alt.Tooltip("year:O", title=title)


def _year_x(fiscal: bool, label_overlap: bool = False) -> alt.X:
    """The x axis of a line chart over the years (quantitative); by fiscal year labelled ``2025/26``."""
    axis = alt.Axis(format="d", labelOverlap=label_overlap or alt.Undefined,
                    labelExpr=FISCAL_YEAR_LABEL if fiscal else alt.Undefined)
    return alt.X("year:Q", title="Fiscal year" if fiscal else "Year", axis=axis, scale=alt.Scale(nice=False))


def _year_tip(fiscal: bool) -> alt.Tooltip:
    return alt.Tooltip("fiscal_year:N", title="Fiscal year") if fiscal else alt.Tooltip("year:Q", title="Year",
                                                                                        format="d")


def labels_of(scenarios: Iterable[Scenario]) -> dict[str, str]:
    """The label of every programme and source id of ``scenarios`` (the first scenario's wins), distinct: a label
    that two ids share gets the id in brackets. The gap is labelled :data:`GAP_LABEL`."""
    first: dict[str, str] = {GAP: GAP_LABEL}
    for sc in scenarios:
        for ident, label in [*((p.id, p.label) for p in sc.programme), *((s.id, s.label) for s in sc.source)]:
            first.setdefault(ident, label)
    counts: dict[str, int] = {}
    for label in first.values():
        counts[label] = counts.get(label, 0) + 1
    return {i: (f"{label} ({i})" if counts[label] > 1 else label) for i, label in first.items()}


def _labelled(df: pd.DataFrame, column: str, labels: dict[str, str] | None) -> pd.DataFrame:
    return df.assign(**{column: df[column].map(lambda i: (labels or {}).get(i, i))})


def costs_chart(costs: pd.DataFrame, currency: Currency, order: Sequence[str] | None = None,
                labels: dict[str, str] | None = None, colours: Mapping[str, str] | None = None) -> alt.FacetChart:
    """Costs by programme over the years, stacked, grouped by pillar (tooltip), one panel per scenario; ``colours``:
    by programme label (:func:`programme_colours`; by default those of the programmes in ``costs``)."""
    df = costs.groupby(["scenario", "year", "pillar", "programme"], as_index=False, sort=False).agg(
        amount=("amount", "sum"))
    df = _labelled(_money_columns(df, "amount", currency), "programme", labels)
    df["pillar_rank"] = df["pillar"].map({p: i for i, p in enumerate(PILLARS)})
    colours = colours or programme_colours(df["programme"])
    x, year_tip = _year_band(df)
    chart = alt.Chart(df, height=220).mark_bar().encode(
        x=x,
        y=alt.Y("sum(millions):Q", title=_money_title("Cost", currency), axis=alt.Axis(format=MONEY_FORMAT)),
        color=alt.Color("programme:N", title="Programme", scale=_scale(colours, df["programme"]),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=300)),
        order=alt.Order("pillar_rank:Q"),
        tooltip=[SCENARIO_TIP, year_tip, alt.Tooltip("pillar:N", title="Pillar"),
                 alt.Tooltip("programme:N", title="Programme"), alt.Tooltip("amount_text:N", title="Cost")],
    )
    return _money_facet(chart, _order(df, order), currency).properties(title="Costs by programme (stacked by pillar)")


def financing_chart(financing: pd.DataFrame, currency: Currency, colours: dict[str, str],
                    order: Sequence[str] | None = None) -> alt.FacetChart:
    """Who pays each year, stacked by source; the unfunded gap in red on top. ``colours`` is keyed like the
    ``source`` column (ids, or labels once relabelled)."""
    df = financing.groupby(["scenario", "year", "source", "source_kind"], as_index=False, sort=False).agg(
        amount=("amount", "sum"))
    df = _money_columns(df, "amount", currency)
    df["is_gap"] = (df["source_kind"] == GAP).astype(int)
    x, year_tip = _year_band(df)
    chart = alt.Chart(df, height=220).mark_bar().encode(
        x=x,
        y=alt.Y("sum(millions):Q", title=_money_title("Financing", currency), axis=alt.Axis(format=MONEY_FORMAT)),
        color=alt.Color("source:N", title="Source (gap in red)", scale=_scale(colours, df["source"]),
                        legend=alt.Legend(orient="bottom", columns=4, labelLimit=300)),
        order=alt.Order("is_gap:Q"),
        tooltip=[SCENARIO_TIP, year_tip, alt.Tooltip("source:N", title="Source"),
                 alt.Tooltip("source_kind:N", title="Kind"), alt.Tooltip("amount_text:N", title="Amount")],
    )
    return _money_facet(chart, _order(df, order), currency).properties(title="Financing by source, with the gap")


def debt_service_chart(debt: pd.DataFrame, currency: Currency, colours: dict[str, str],
                       order: Sequence[str] | None = None) -> alt.FacetChart | None:
    """Debt service (and PPP availability payments) by source to the last repayment; None without any."""
    if debt.empty:
        return None
    df = debt.assign(payment=debt["interest"] + debt["principal"] + debt["fees"])
    last = df[df["payment"] > 0].groupby("scenario")["year"].max()
    df = df[df["year"] <= df["scenario"].map(last).fillna(df["year"].min())]
    df = _money_columns(df, "payment", currency)
    x, year_tip = _year_band(df, True)
    chart = alt.Chart(df, height=200).mark_bar().encode(
        x=x,
        y=alt.Y("sum(millions):Q", title=_money_title("Payments", currency), axis=alt.Axis(format=MONEY_FORMAT)),
        color=alt.Color("source:N", title="Source", scale=_scale(colours, df["source"]),
                        legend=alt.Legend(orient="bottom", labelLimit=300)),
        tooltip=[SCENARIO_TIP, year_tip, alt.Tooltip("source:N", title="Source"),
                 alt.Tooltip("amount_text:N", title="Payment"),
                 alt.Tooltip("interest:Q", title="Interest / return", format=",.0f"),
                 alt.Tooltip("principal:Q", title="Principal", format=",.0f"),
                 alt.Tooltip("outstanding:Q", title="Outstanding", format=",.0f")],
    )
    return _money_facet(chart, _order(df, order), currency).properties(
        title="Debt service and PPP payments by source, to the last repayment")


#: The lines of the fiscal-accounts chart (:func:`gfs_chart`), by (account, gfs_class) of gfs.csv, in their order:
#: the GFSM 2014 code and name of each outlay; grants received and borrowing (the financing coming in) are not drawn.
GFS_LINES: Final = {
    ("expense", "compensation_of_employees"): "21 Compensation of employees",
    ("expense", "use_of_goods_and_services"): "22 Use of goods and services",
    ("expense", "subsidies"): "25 Subsidies", ("expense", "grants"): "26 Grants",
    ("expense", "social_benefits"): "27 Social benefits", ("expense", "other_expense"): "28 Other expense",
    ("nonfinancial_assets", "nonfinancial_assets"): "31 Nonfinancial assets",
    ("expense", "interest"): "24 Interest", ("financing", "amortisation"): "3304 Amortisation (financing)"}
#: Who bears each outlay (gfs.csv ``charged_to``), in words for the tooltip.
CHARGED_TO_TEXT: Final = {"education_vote": "the education vote", "treasury": "the Treasury (consolidated fund)",
                          "external": "a partner (grant, loan disbursement or PPP operator)"}


def gfs_chart(gfs: pd.DataFrame, currency: Currency, order: Sequence[str] | None = None) -> alt.FacetChart | None:
    """The plan's outlays each year in GFS terms (gfs.csv): expense by economic class, the acquisition of
    nonfinancial assets, interest and amortisation, stacked, to the last payment; the tooltip says who bears each
    (the education vote, the Treasury or a partner). None when there is no outlay."""
    keys = list(zip(gfs["account"], gfs["gfs_class"]))
    df = gfs.assign(line=[GFS_LINES.get(k, "") for k in keys])
    df = df[(df["line"] != "") & (df["amount"] != 0)]
    if df.empty:
        return None
    df = df.groupby(["scenario", "year", "line", "charged_to"], as_index=False, sort=False).agg(
        amount=("amount", "sum"))
    df["who"] = df["charged_to"].map(CHARGED_TO_TEXT).fillna(df["charged_to"])
    df["line_rank"] = df["line"].map({v: i for i, v in enumerate(GFS_LINES.values())})
    df = _money_columns(df, "amount", currency)
    lines = [v for v in GFS_LINES.values() if v in set(df["line"])]
    palette = dict(zip(GFS_LINES.values(), ("#1b9e77", "#66a61e", "#a6761d", "#e6ab02", "#7570b3", "#999999",
                                            "#1f78b4", "#d95f02", "#e7298a")))
    x, year_tip = _year_band(df, True)
    chart = alt.Chart(df, height=200).mark_bar().encode(
        x=x,
        y=alt.Y("sum(millions):Q", title=_money_title("Outlays", currency), axis=alt.Axis(format=MONEY_FORMAT)),
        color=alt.Color("line:N", title="GFS class", sort=lines,
                        scale=alt.Scale(domain=lines, range=[palette[v] for v in lines]),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=300)),
        order=alt.Order("line_rank:Q"),
        tooltip=[SCENARIO_TIP, year_tip, alt.Tooltip("line:N", title="GFS class"),
                 alt.Tooltip("who:N", title="Charged to"), alt.Tooltip("amount_text:N", title="Amount")],
    )
    return _money_facet(chart, _order(df, order), currency).properties(
        title="Outlays by GFS economic class, with interest and amortisation, to the last payment")


#: Dashed limit and threshold lines, and their labels (not a scenario's colour: one line may be several scenarios').
THRESHOLD_COLOUR = "#444444"


def _halo_text(chart: alt.Chart, **mark: Any) -> list[alt.Chart]:
    """A line's label (above it unless ``mark`` says otherwise), over a white halo, so that it stays legible where a
    scenario's line crosses it."""
    style = {"baseline": "bottom", "dy": -3, "fontSize": 11, **mark}
    return [chart.mark_text(stroke="white", strokeWidth=4, strokeJoin="round", **style),
            chart.mark_text(color=THRESHOLD_COLOUR, **style)]


def _percent(share: float) -> str:
    """``0.05`` -> ``5%``, ``0.035`` -> ``3.5%``."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"


def burden_chart(fiscal: pd.DataFrame, order: Sequence[str] | None = None,
                 groups: Mapping[str, str] | None = None, colours: Mapping[str, str] | None = None) -> alt.LayerChart:
    """Government burden as a share of the education budget, each scenario against its limit, from the first year
    to the last payment of any scenario shown. One dashed grey line per distinct limit, labelled with its value and
    whom it applies to (``groups``: a name per scenario, e.g. its country; by default the scenario's name), so that
    the limits of several scenarios neither hide each other nor change colour where one scenario's years end.
    After the plan's last year the burden includes the plan's recurrent cost (``recurrent_after_plan``).
    ``colours``: by scenario name (:func:`scenario_colours`; by default in ``order``)."""
    fiscal, by_fy = _numeric_years(fiscal)
    recurrent = "recurrent_after_plan" in fiscal.columns
    df = fiscal[["scenario", "year", "burden_share", "burden_limit", "government_burden", "education_budget",
                 "domestic_envelope", "debt_service", "ppp_payments", "currency",
                 *(["recurrent_after_plan"] if recurrent else []), *(["fiscal_year"] if by_fy else [])]].copy()
    df["burden_text"] = [format_money(v, c) for v, c in zip(df["government_burden"], df["currency"])]
    df["envelope_text"] = [format_money(v, c) for v, c in zip(df["domestic_envelope"], df["currency"])]
    if recurrent:
        df["recurrent_text"] = [format_money(v, c) if v > 0 else "" for v, c in
                                zip(df["recurrent_after_plan"], df["currency"])]
    last = df.loc[df["government_burden"] > 0, "year"].max()
    df = df[df["year"] <= (last if pd.notna(last) else df["year"].min())]
    title = "Burden (share of the education budget)"
    x = _year_x(by_fy)
    y_format = alt.Axis(format=SHARE_FORMAT)
    shown = _order(df, order)
    colours = colours or scenario_colours(shown)
    line = alt.Chart(df).mark_line(point=True).encode(
        x=x,
        y=alt.Y("burden_share:Q", title=title, axis=y_format),
        # legend on the right: with a bottom legend Streamlit squashes a layered chart's plot area
        color=alt.Color("scenario:N", title="Scenario", sort=shown, scale=_scale(colours, shown),
                        legend=alt.Legend(orient="right", labelLimit=260)),
        tooltip=[SCENARIO_TIP, _year_tip(by_fy),
                 alt.Tooltip("burden_share:Q", title="Burden share", format=".2%"),
                 alt.Tooltip("burden_limit:Q", title="Limit", format=".1%"),
                 alt.Tooltip("burden_text:N", title="Burden"),
                 *([alt.Tooltip("recurrent_text:N", title="Of which the plan's recurrent cost after the plan")]
                   if recurrent else []),
                 alt.Tooltip("envelope_text:N", title="Domestic envelope (what the budget may pay for the plan)")],
    )
    # one line per distinct limit over the years of the scenarios that have it
    names = {n: (groups or {}).get(n, n) for n in df["scenario"].unique()}
    limits = df.dropna(subset=["burden_limit"]).assign(group=lambda d: d["scenario"].map(names))
    per = limits.groupby("burden_limit", sort=False)["group"].agg(lambda g: ", ".join(dict.fromkeys(g)))
    single = len(per) == 1 and len(set(names.values())) == 1
    labels = {v: f"limit {_percent(v)}" + ("" if single else f" ({who})") for v, who in per.items()}
    lines = limits.groupby(["burden_limit", "year"], as_index=False, sort=False).size()
    lines["label"] = lines["burden_limit"].map(labels)
    ends = lines.sort_values("year").groupby("burden_limit", as_index=False, sort=False).last()
    limit = alt.Chart(lines).mark_line(strokeDash=[6, 4], color=THRESHOLD_COLOUR, opacity=0.8).encode(
        x=x, y=alt.Y("burden_limit:Q", title=title, axis=y_format), detail="label:N",
        tooltip=[alt.Tooltip("label:N", title="Burden limit")])
    text = _halo_text(alt.Chart(ends).encode(x=x, y=alt.Y("burden_limit:Q", title=title, axis=y_format),
                                             text="label:N"), align="right", baseline="top", dy=3)
    # sizes on the layer itself: set on the layers, Streamlit draws a layered chart squashed
    return alt.LayerChart(layer=[line, limit, *text]).properties(width=640, height=320)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


#: The LIC-DSF ratios in words, in the order of dsf.csv (from the summary's ``peak_<ratio>`` metric labels): the four
#: of external debt, then total public debt (against its benchmark).
DSF_LABELS: dict[str, str] = {r: _capitalised(METRICS[f"peak_{r}"].label.removeprefix("Peak "))
                              for r in (*DSF_RATIOS, PUBLIC_DEBT_RATIO)}


#: The two panels of each DSF ratio: the ratio the country would have (against its threshold), and the plan's share.
DSF_VIEWS: Final = ("baseline plus plan", "the plan's own contribution")


def _dsf_panel(measure: str, view: str) -> str:
    return f"{measure}: {view}"


def dsf_thresholds(lines: pd.DataFrame) -> dict[str, list[str]]:
    """The header of each panel of the DSF chart that has a threshold: its name, then a line per distinct threshold
    drawn in it (``threshold (dashed): Kenya, medium capacity: 180%``)."""
    return {str(panel): [str(panel), *(f"threshold (dashed): {label}" for label in dict.fromkeys(group["label"]))]
            for panel, group in lines.groupby("panel", sort=False)}


def _header_lines(headers: Mapping[str, list[str]]) -> str:
    """A Vega expression for facet headers: the lines of each panel's header (a list: one line each), else the
    panel's name."""
    return "".join(f"datum.value === {json.dumps(panel)} ? {json.dumps(lines)} : "
                   for panel, lines in headers.items()) + "datum.value"


def dsf_chart(dsf: pd.DataFrame, order: Sequence[str] | None = None,
              threshold_groups: Mapping[str, str] | None = None,
              colours: Mapping[str, str] | None = None) -> alt.FacetChart | None:
    """The LIC-DSF ratios over the years (the four of external debt, and total public debt), two panels each: the
    country's ratio with the plan (its baseline plus the plan where the profile has the baseline, else the plan
    alone) against the threshold for its debt-carrying capacity (dashed), and the plan's own contribution (which the
    baseline would hide: a plan adds less than a percentage point). None when no scenario has DSF data.

    ``threshold_groups``: who each scenario's threshold belongs to, by scenario name (``"Kenya, medium
    capacity"``); one dashed line is drawn per distinct threshold, labelled with the groups that have it (by
    default the scenario names) in its panel's header, under the panel's name: clear of the line and of the
    ratios, wherever they run. ``colours``: by scenario name (:func:`scenario_colours`; by default in ``order``).
    """
    df = dsf[dsf["ratio"].isin(list(DSF_LABELS))].copy()
    if df.empty:
        return None
    df, by_fy = _numeric_years(df)
    with_baseline, own = DSF_VIEWS
    df["measure"] = df["ratio"].map(DSF_LABELS)
    df["headroom_text"] = [format_money(v, USD) if pd.notna(v) else "" for v in df["headroom"]]
    df["status"] = df["above_threshold"].map({True: "above the threshold", False: "below the threshold"})
    df["shown"] = df["total"].notna().map({True: "the baseline plus the plan",
                                           False: "the plan alone (no baseline debt in the country profile)"})
    total = df.assign(view=with_baseline, value=df["total"].where(df["total"].notna(), df["plan"]))
    plan = df.assign(view=own, value=df["plan"], shown="the plan's new debt alone")
    ratios = pd.concat([total, plan], ignore_index=True)
    ratios["panel"] = [_dsf_panel(m, v) for m, v in zip(ratios["measure"], ratios["view"])]
    ratios["layer"] = "ratio"
    # one threshold line per panel and distinct value, named by whom it applies to
    groups = {n: (threshold_groups or {}).get(n, n) for n in df["scenario"].unique()}
    limits = total.dropna(subset=["threshold"]).assign(group=lambda d: d["scenario"].map(groups))
    lines = limits.groupby(["measure", "threshold", "year"], as_index=False, sort=False).agg(
        group=("group", lambda g: ", ".join(dict.fromkeys(g))))
    lines["label"] = [f"{g}: {t:.0%}" for g, t in zip(lines["group"], lines["threshold"])]
    lines["panel"] = [_dsf_panel(m, with_baseline) for m in lines["measure"]]
    lines["layer"] = "threshold"
    data = pd.concat([ratios, lines], ignore_index=True)
    panels = [_dsf_panel(m, v) for m in DSF_LABELS.values() for v in DSF_VIEWS]
    shown = _order(df, order)
    colours = colours or scenario_colours(shown)
    x = _year_x(by_fy, label_overlap=True)
    line = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=x,
        y=alt.Y("value:Q", title="Ratio", axis=alt.Axis(format=".3~%")),
        color=alt.Color("scenario:N", title="Scenario", sort=shown, scale=_scale(colours, shown),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
        tooltip=[SCENARIO_TIP, _year_tip(by_fy),
                 alt.Tooltip("measure:N", title="Ratio"), alt.Tooltip("shown:N", title="Shown"),
                 alt.Tooltip("value:Q", title="Value", format=".2%"),
                 alt.Tooltip("plan:Q", title="The plan's own contribution", format=".3%"),
                 alt.Tooltip("threshold:Q", title="Threshold", format=".0%"),
                 alt.Tooltip("status:N", title="Status (baseline plus plan)"),
                 alt.Tooltip("headroom_text:N", title="Headroom (more debt or service the ratio allows)")],
    ).transform_filter(alt.datum.layer == "ratio")
    threshold = alt.Chart().mark_line(strokeDash=[6, 4], color=THRESHOLD_COLOUR).encode(
        x=x, y=alt.Y("threshold:Q"), detail="label:N",
        tooltip=[alt.Tooltip("label:N", title="Threshold"), alt.Tooltip("measure:N", title="Ratio")],
    ).transform_filter(alt.datum.layer == "threshold")
    header = alt.Header(labelFontWeight="bold", labelLimit=460, labelExpr=_header_lines(dsf_thresholds(lines)))
    facet = alt.layer(line, threshold, data=data).properties(width=PANEL_WIDTHS[2], height=180).facet(
        facet=alt.Facet("panel:N", title=None, sort=panels, header=header), columns=facet_columns(len(panels)),
    ).resolve_scale(y="independent").properties(
        title="Debt sustainability (LIC-DSF): each ratio against its threshold (dashed), and the plan's own "
              "contribution")
    return cast(alt.FacetChart, facet)  # altair's resolve_scale returns its chart, typed as Any


def outcomes_chart(outcomes: pd.DataFrame, order: Sequence[str] | None = None,
                   labels: dict[str, str] | None = None, colours: Mapping[str, str] | None = None
                   ) -> alt.FacetChart:
    """Share of the driver reached by each programme (schools connected, teachers trained, ...); ``colours``: by
    programme label, as in :func:`costs_chart` (the legend says each programme's driver)."""
    # a programme without a driver has rows only for its outcome measures (issue 25): no share to draw
    df = _labelled(outcomes[outcomes["driver"] != "none"], "programme", labels)
    colours = colours or programme_colours(df["programme"])
    drivers = dict(zip(df["programme"], df["driver"]))  # the legend: "School connectivity (schools)"
    legend_expr = "".join(f"datum.value === {json.dumps(p)} ? {json.dumps(f'{p} ({d})')} : "
                          for p, d in drivers.items()) + "datum.value"
    chart = alt.Chart(df, height=220).mark_line(point=True).encode(
        x=alt.X("year:O", title="Year"),
        y=alt.Y("reached_share:Q", title="Share reached", axis=alt.Axis(format=SHARE_FORMAT),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("programme:N", title="Programme (driver)", scale=_scale(colours, df["programme"]),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=480, labelExpr=legend_expr)),
        tooltip=[SCENARIO_TIP, YEAR_TIP, alt.Tooltip("programme:N", title="Programme"),
                 alt.Tooltip("driver:N", title="Driver"),
                 alt.Tooltip("reached_share:Q", title="Share reached", format=".1%"),
                 alt.Tooltip("reached:Q", title="Units reached", format=",.0f")],
    )
    return _facet(chart, _order(df, order)).properties(
        title="Outcomes: share of schools connected, teachers trained, ... by programme")


def table_currencies(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """The currency of each scenario's amounts, by name, as its tables say (their ``currency`` column: the
    :attr:`~dfl_finance.outputs.result.Result.currency` of the basis, USD in a USD basis, else the local currency)."""
    out: dict[str, str] = {}
    for name in ("costs", "fiscal", "financing"):
        df = tables.get(name)
        if df is not None and "currency" in df.columns:
            for scenario, code in zip(df["scenario"], df["currency"]):
                out.setdefault(scenario, code)
    return out


class CompareCharts(TypedDict):
    """The Compare page's charts (:func:`compare_charts`)."""

    costs: alt.FacetChart
    financing: alt.FacetChart
    debt_service: alt.FacetChart | None
    burden: alt.LayerChart
    dsf: alt.FacetChart | None
    outcomes: alt.FacetChart
    gfs: alt.FacetChart | None


def compare_charts(tables: dict[str, pd.DataFrame], currency: Currency | None = None,
                   order: Sequence[str] | None = None, labels: dict[str, str] | None = None,
                   countries: Mapping[str, str] | None = None, threshold_groups: Mapping[str, str] | None = None
                   ) -> CompareCharts:
    """The Compare charts of several scenarios' combined tables, with one colour per source in all of them.

    ``currency``: the currency of the amounts, one code or one per scenario name; by default what the tables say
    (:func:`table_currencies`), so that the money charts of scenarios in different currencies each get their own
    axis, and share one when the basis puts them all in USD.
    ``order``: the scenarios in the order to show them (the baseline first), by default as they appear;
    ``labels``: programme and source labels by id (:func:`labels_of`), by default the ids;
    ``countries``: the country of each scenario, by name, to label the burden limits (:func:`burden_chart`);
    ``threshold_groups``: whose DSF threshold each scenario has, by name (:func:`dsf_chart`).
    Keys: ``costs``, ``financing``, ``debt_service`` (None when no scenario borrows or uses a PPP), ``burden``,
    ``dsf`` (None when no scenario has DSF data), ``outcomes``, ``gfs`` (:func:`gfs_chart`; None without a gfs
    table or an outlay).
    """
    if currency is None:
        currency = table_currencies(tables)
    by_id = source_colours(list(tables["financing"]["source"]))
    colours = {(labels or {}).get(i, i): c for i, c in by_id.items()}
    # one colour per programme (the union of the scenarios' programmes, the baseline's first) and per scenario
    names = list(order) if order is not None else list(dict.fromkeys(tables["fiscal"]["scenario"]))
    rank = {n: i for i, n in enumerate(names)}
    rows = pd.concat([tables[t][["scenario", "programme"]] for t in ("costs", "outcomes")], ignore_index=True)
    rows = rows.assign(rank=rows["scenario"].map(rank).fillna(len(names))).sort_values("rank", kind="stable")
    programmes = programme_colours((labels or {}).get(i, i) for i in rows["programme"])
    scenarios = scenario_colours(names)
    return {
        "costs": costs_chart(tables["costs"], currency, order, labels, programmes),
        "financing": financing_chart(_labelled(tables["financing"], "source", labels), currency, colours, order),
        "debt_service": debt_service_chart(_labelled(tables["debt_service"], "source", labels), currency, colours,
                                           order),
        "burden": burden_chart(tables["fiscal"], order, countries, scenarios),
        "dsf": dsf_chart(tables["dsf"], order, threshold_groups, scenarios),
        "outcomes": outcomes_chart(tables["outcomes"], order, labels, programmes),
        "gfs": gfs_chart(tables["gfs"], currency, order) if "gfs" in tables else None,
    }


# ----------------------------------------------------------------------------------------------- risk

#: The fan chart's bands and lines (the legend's entries) and their colours: the wider band lighter.
FAN_COLOURS: Final = {"P5 to P95": "#c6dbef", "P10 to P90": "#6baed6", "P50 (median)": "#08519c",
                      "Deterministic run": "#444444"}
_FAN_STATS: Final = ("p5", "p10", "p50", "p90", "p95", "mean")


def fan_chart(wide: pd.DataFrame, title: str, axis_title: str, *, share: bool = False, currency: str = "",
              deterministic: pd.DataFrame | None = None, limit: float | None = None) -> alt.LayerChart:
    """A fan chart of one yearly measure over the draws of a risk run: the P5-P95 band (lighter), the P10-P90 band
    and the P50 line, with the deterministic run dashed and, for a share of the budget, the ``limit`` as a rule.

    ``wide``: ``year`` and one column per statistic (:func:`~dfl_finance.app.uncertainty.yearly_wide`);
    ``share``: the values are shares (percent axis), else money (millions of ``currency`` on the axis, amounts in
    the tooltip); ``deterministic``: ``year`` and ``value`` of the deterministic run.
    """
    df = wide.copy()
    scale = 1.0 if share else 1e-6
    for s in _FAN_STATS:
        if s in df.columns:
            df[f"{s}_y"] = df[s] * scale
            df[f"{s}_text"] = [(f"{v:.2%}" if share else format_money(v, currency)) for v in df[s]]
    x = alt.X("year:Q", title="Year", axis=alt.Axis(format="d", labelOverlap=True), scale=alt.Scale(nice=False))
    y_axis = alt.Axis(format=SHARE_FORMAT if share else MONEY_FORMAT)
    colour = alt.Scale(domain=list(FAN_COLOURS), range=list(FAN_COLOURS.values()))
    legend = alt.Legend(title=None, orient="top", direction="horizontal", symbolType="square", labelLimit=300)
    tips = [alt.Tooltip("year:Q", title="Year", format="d"),
            *(alt.Tooltip(f"{s}_text:N", title=s.upper() if s != "mean" else "Mean") for s in _FAN_STATS
              if s in df.columns)]
    base = alt.Chart(df)

    colour_of = alt.Color("entry:N", scale=colour, legend=legend)  # one legend for every layer

    def named(chart: alt.Chart, entry: str) -> alt.Chart:
        return chart.transform_calculate(entry=json.dumps(entry))  # a Vega string literal

    layers: list[alt.Chart] = [
        named(base, "P5 to P95").mark_area(opacity=0.9).encode(
            x=x, y=alt.Y("p5_y:Q", title=axis_title, axis=y_axis), y2="p95_y:Q", color=colour_of,
            tooltip=tips),
        named(base, "P10 to P90").mark_area(opacity=0.9).encode(
            x=x, y=alt.Y("p10_y:Q", title=axis_title), y2="p90_y:Q", color=colour_of, tooltip=tips),
        named(base, "P50 (median)").mark_line(point=alt.OverlayMarkDef(size=18)).encode(
            x=x, y=alt.Y("p50_y:Q", title=axis_title), color=colour_of, tooltip=tips),
    ]
    if deterministic is not None and not deterministic.empty:
        det = deterministic[["year", "value"]].copy()
        det["y"] = det["value"] * scale
        det["text"] = [(f"{v:.2%}" if share else format_money(v, currency)) for v in det["value"]]
        layers.append(named(alt.Chart(det), "Deterministic run").mark_line(strokeDash=[2, 3], strokeWidth=1.5).encode(
            x=x, y=alt.Y("y:Q", title=axis_title), color=colour_of,
            tooltip=[alt.Tooltip("year:Q", title="Year", format="d"),
                     alt.Tooltip("text:N", title="Deterministic run")]))
    if limit is not None:
        rule = pd.DataFrame({"limit": [limit * scale], "label": [f"limit {_percent(limit)}"],
                             "year": [df["year"].max()]})
        rule_chart = alt.Chart(rule)
        layers.append(rule_chart.mark_rule(strokeDash=[6, 4], color=THRESHOLD_COLOUR).encode(
            y=alt.Y("limit:Q", title=axis_title), tooltip=[alt.Tooltip("label:N", title="Burden limit")]))
        layers += _halo_text(rule_chart.encode(x=x, y=alt.Y("limit:Q", title=axis_title), text="label:N"),
                             align="right", baseline="bottom", dy=-3)
    # sizes on the layer itself: set on the layers, Streamlit draws a layered chart squashed
    return alt.LayerChart(layer=layers).properties(width=640, height=300, title=title)


def gap_histogram(bins: pd.DataFrame, currency: str, deterministic: float | None = None,
                  median: float | None = None, title: str | None = None) -> alt.LayerChart:
    """The total funding gap over the draws: draws counted in bins (:func:`~dfl_finance.app.uncertainty.histogram`),
    in millions of ``currency``; the deterministic run and the median as labelled rules."""
    df = bins.copy()
    df["start_m"], df["end_m"] = df["start"] / 1e6, df["end"] / 1e6
    df["range_text"] = [f"{format_money(a, currency)} to {format_money(b, currency)}"
                        for a, b in zip(df["start"], df["end"])]
    axis_title = f"Funding gap, total over the plan ({currency} millions)"
    x = alt.X("start_m:Q", title=axis_title, axis=alt.Axis(format=MONEY_FORMAT), bin="binned")
    # headroom above the highest bar for the lines' labels
    top = max(int(df["draws"].max()) if len(df) else 1, 1)
    bars = alt.Chart(df).mark_bar(color=GAP_COLOUR, opacity=0.85).encode(
        x=x, x2="end_m:Q", y=alt.Y("draws:Q", title="Draws", scale=alt.Scale(domain=[0, math.ceil(top * 1.3)])),
        tooltip=[alt.Tooltip("range_text:N", title="Total gap"), alt.Tooltip("draws:Q", title="Draws", format=","),
                 alt.Tooltip("share:Q", title="Share of draws", format=".1%")])
    layers: list[alt.Chart] = [bars]
    marks = [(v, f"{label}: {format_money(v, currency)}") for v, label in
             ((deterministic, "deterministic run"), (median, "median")) if v is not None]
    if marks:
        rules = pd.DataFrame({"x": [v / 1e6 for v, _ in marks], "label": [t for _, t in marks],
                              "dy": list(range(len(marks)))})
        rule = alt.Chart(rules)
        layers.append(rule.mark_rule(color=THRESHOLD_COLOUR, strokeDash=[6, 4]).encode(
            x=alt.X("x:Q", title=axis_title), tooltip=[alt.Tooltip("label:N", title="Line")]))
        for i in range(len(marks)):  # one label under the other, at the top of the plot
            layers += _halo_text(rule.transform_filter(alt.datum.dy == i).encode(
                x=alt.X("x:Q", title=axis_title), y=alt.value(8 + 14 * i), text="label:N"),
                align="left", dx=4, baseline="middle", dy=0)
    return alt.LayerChart(layer=layers).properties(width=640, height=260,
                                                   title=title or "Total funding gap over the draws")


#: The colours of the disbursement-at-risk chart: what the draws earn on average, what is at risk.
DLI_COLOURS = {"Earned (mean over the draws)": "#54a24b", "At risk (amount less the mean earned)": GAP_COLOUR}


def dli_at_risk_chart(table: pd.DataFrame) -> alt.Chart:
    """Results-based financing under risk (dli_at_risk.csv): for each DLI row, what it earns on average over the
    draws and the disbursement at risk (its amount less that), stacked, in millions of the source's currency; the
    tooltip adds the probability that it is earned and its P5."""
    currencies = sorted(set(table["source_currency"]))
    unit = currencies[0] if len(currencies) == 1 else "source currency"
    rows = []
    for r in table.to_dict("records"):
        label = f"{r['source']} DLI {r['dli']}: {r['programme']}"
        cur = str(r["source_currency"])
        for part, value in zip(DLI_COLOURS, (float(r["earned_mean"]), max(float(r["at_risk_mean"]), 0.0))):
            rows.append({"dli": label, "part": part, "value_m": value / 1e6, "value_text": format_money(value, cur),
                         "amount_text": format_money(float(r["amount"]), cur),
                         "probability": float(r["probability_earned"]),
                         "p5_text": format_money(float(r["earned_p5"]), cur)})
    df = pd.DataFrame(rows)
    chart: alt.Chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("dli:N", title=None, sort=None, axis=alt.Axis(labelLimit=360)),  # whole labels, never "connect…"
        x=alt.X("value_m:Q", title=f"Disbursement ({unit} millions)", stack="zero",
                axis=alt.Axis(format=MONEY_FORMAT)),
        color=alt.Color("part:N", title=None, scale=alt.Scale(domain=list(DLI_COLOURS),
                                                             range=list(DLI_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        order=alt.Order("part:N", sort="descending"),
        tooltip=[alt.Tooltip("dli:N", title="DLI"), alt.Tooltip("part:N", title="Part"),
                 alt.Tooltip("value_text:N", title="Amount"), alt.Tooltip("amount_text:N", title="Of the DLI's"),
                 alt.Tooltip("probability:Q", title="Probability earned", format=".0%"),
                 alt.Tooltip("p5_text:N", title="Earned, P5")],
    ).properties(width=640, height=alt.Step(30),  # a step per DLI: a fixed height squashes the bands in Streamlit
                 title="Results-based financing: disbursement at risk")
    return chart


# ------------------------------------------------------------------------------------------ sensitivity

#: The colours of a tornado bar's two ends: the input at its low, at its high.
TORNADO_COLOURS = {"Input at its low (P5)": "#4c78a8", "Input at its high (P95)": "#f58518"}
#: The colours of the Sobol indices.
SOBOL_COLOURS = {"First-order": "#4c78a8", "Total": "#72b7b2"}


def _metric_scale(kind: str, currency: str) -> tuple[float, str, str]:
    """How a metric's values are drawn: a factor, the axis format and the unit words of the axis title."""
    if kind == "money":
        return 1e-6, MONEY_FORMAT, f"{currency} millions" if currency else "millions"
    if kind == "share":
        return 1.0, SHARE_FORMAT, "share"
    return 1.0, ",.2~f" if kind != "years" else ",d", kind


def tornado_chart(rows: pd.DataFrame, metric: str, base: float | None, currency: str = "") -> alt.LayerChart:
    """A tornado chart of one metric: for each uncertain input (``rows``:
    :func:`~dfl_finance.app.sensitivity.tornado_frame`, in rank order, largest swing at the top) a bar from the
    metric with the input at its low to the metric with it at its high, split at the deterministic value ``base``
    (every input at the scenario's own value), which a rule marks; money in millions of ``currency``."""
    d = metric_definition(metric)
    scale, fmt, unit = _metric_scale(d.kind, currency)
    centre = 0.0 if base is None or not math.isfinite(base) else float(base)
    low_end, high_end = list(TORNADO_COLOURS)

    def text(v: float) -> str:
        return format_metric(v, d.kind, currency)

    parts = []
    for _, r in rows.iterrows():
        common = {"input": r["input"], "low_input": r["low_input_text"], "high_input": r["high_input_text"],
                  "low_text": text(r["low_value"]), "high_text": text(r["high_value"]),
                  "swing_text": text(r["swing"]), "base_y": centre * scale}
        for end, value in ((low_end, r["low_value"]), (high_end, r["high_value"])):
            parts.append({**common, "end": end, "y": float(value) * scale if pd.notna(value) else None})
    df = pd.DataFrame(parts, columns=["input", "low_input", "high_input", "low_text", "high_text", "swing_text",
                                      "base_y", "end", "y"])
    order = list(dict.fromkeys(rows["input"]))
    axis_title = f"{d.label} ({unit})"
    y = alt.Y("input:N", title=None, sort=order, axis=alt.Axis(labelLimit=360))
    tips = [alt.Tooltip("input:N", title="Input"),
            alt.Tooltip("low_input:N", title="Input's low (P5)"),
            alt.Tooltip("high_input:N", title="Input's high (P95)"),
            alt.Tooltip("low_text:N", title=f"{d.label} at the low"),
            alt.Tooltip("high_text:N", title=f"{d.label} at the high"),
            alt.Tooltip("swing_text:N", title="Swing")]
    colour = alt.Color("end:N", scale=alt.Scale(domain=list(TORNADO_COLOURS), range=list(TORNADO_COLOURS.values())),
                       legend=alt.Legend(title=None, orient="top", direction="horizontal", symbolType="square"))
    bars = alt.Chart(df).mark_bar(height={"band": 0.7}).encode(
        x=alt.X("y:Q", title=axis_title, axis=alt.Axis(format=fmt)), x2="base_y:Q", y=y, color=colour,
        tooltip=tips)
    label = f"deterministic run: {text(centre)}"
    rule_df = pd.DataFrame({"x": [centre * scale], "label": [label]})
    rule = alt.Chart(rule_df)
    layers: list[alt.Chart] = [
        bars,
        rule.mark_rule(color=THRESHOLD_COLOUR, strokeDash=[6, 4]).encode(
            x=alt.X("x:Q", title=axis_title), tooltip=[alt.Tooltip("label:N", title="Line")]),
        *_halo_text(rule.encode(x=alt.X("x:Q", title=axis_title), y=alt.value(-6), text="label:N"),
                    align="left", dx=4, baseline="bottom", dy=0),
    ]
    # a step per input: a fixed height squashes a layered chart's bands in Streamlit
    return alt.LayerChart(layer=layers).properties(
        width=640, height=alt.Step(36), title=f"What moves the {_lower_first(d.label)} most")


def _lower_first(text: str) -> str:
    """A label inside a sentence: its first letter small unless the first word is an acronym (``PV``)."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() and len(first) > 1 else text[:1].lower() + text[1:]


def sobol_chart(rows: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Sobol indices of one metric (``rows``: :func:`~dfl_finance.app.sensitivity.sobol_frame`): per input a bar of
    its first-order and of its total index, each with its confidence interval as an error bar."""
    label = metric_definition(metric).label
    df = rows.copy()
    order = list(dict.fromkeys(df["input"]))
    y = alt.Y("input:N", title=None, sort=order, axis=alt.Axis(labelLimit=360))
    colour = alt.Color("index:N", scale=alt.Scale(domain=list(SOBOL_COLOURS), range=list(SOBOL_COLOURS.values())),
                       legend=alt.Legend(title=None, orient="top", direction="horizontal", symbolType="square"))
    offset = alt.YOffset("index:N", sort=list(SOBOL_COLOURS))
    tips = [alt.Tooltip("input:N", title="Input"), alt.Tooltip("index:N", title="Index"),
            alt.Tooltip("value:Q", title="Value", format=".3f"), alt.Tooltip("low:Q", title="Low (95%)", format=".3f"),
            alt.Tooltip("high:Q", title="High (95%)", format=".3f")]
    x_title = "Share of the variance of " + _lower_first(label)
    base = alt.Chart(df)
    bars = base.mark_bar().encode(x=alt.X("value:Q", title=x_title, axis=alt.Axis(format=".0%")), y=y,
                                  yOffset=offset, color=colour, tooltip=tips)
    errors = base.mark_rule(color=THRESHOLD_COLOUR).encode(x=alt.X("low:Q", title=x_title), x2="high:Q", y=y,
                                                           yOffset=offset, tooltip=tips)
    return alt.LayerChart(layer=[bars, errors]).properties(
        width=640, height=alt.Step(20), title=f"Sobol indices of the {_lower_first(label)}")


# ------------------------------------------------------------------------------------------------ optimiser

#: The colours of the current mix (the waterfall) and the optimal mix, in that order.
MIX_COLOURS: Final = ("#a5a5a5", "#4c78a8")
#: The colours of the shadow-price chart's measures: the PV cost saved, and the gap closed (red, as the gap).
SHADOW_COLOURS: Final = ("#4c78a8", GAP_COLOUR)


def _money_unit(values: Iterable[float], currency: str) -> tuple[float, str, str]:
    """A factor, the unit words and the axis format for amounts of this size: millions, thousands or units."""
    top = max((abs(float(v)) for v in values), default=0.0)
    if top >= 1e6:
        return 1e-6, f"{currency} millions", MONEY_FORMAT
    if top >= 1e3:
        return 1e-3, f"{currency} thousands", MONEY_FORMAT
    return 1.0, currency, MONEY_FORMAT


def mix_totals_chart(totals: pd.DataFrame, currency: str, mixes: Sequence[str]) -> alt.LayerChart:
    """What each source pays over the plan in the current and the optimal mix, side by side, and the gap
    (``totals``: :func:`~dfl_finance.app.optimising.mix_totals`; ``mixes``: the two mixes' names in order, the
    current first); money in millions of ``currency``."""
    df = totals.copy()
    df["millions"] = df["amount"] / 1e6
    df["amount_text"] = [format_money(v, currency) for v in df["amount"]]
    order = list(dict.fromkeys(df["label"]))
    colour = alt.Color("mix:N", title=None, sort=list(mixes),
                       scale=alt.Scale(domain=list(mixes), range=list(MIX_COLOURS)),
                       legend=alt.Legend(orient="top", direction="horizontal", symbolType="square", labelLimit=300))
    top = float(df["millions"].abs().max()) if len(df) else 0.0
    base = alt.Chart(df).encode(
        x=alt.X("millions:Q", title=f"Paid over the plan ({currency} millions)",
                axis=alt.Axis(format=MONEY_FORMAT, tickCount=8),
                scale=alt.Scale(domain=[0, top * 1.15 if top > 0 else 1])),  # room for the labels
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=360)),
        yOffset=alt.YOffset("mix:N", sort=list(mixes)),
        tooltip=[alt.Tooltip("label:N", title="Source"), alt.Tooltip("mix:N", title="Mix"),
                 alt.Tooltip("amount_text:N", title="Paid over the plan"),
                 alt.Tooltip("share:Q", title="Share of the plan's cost", format=".1%")],
    )
    # each bar's amount at its end, so that a small one (a gap next to the budget) can be read too
    labels = base.mark_text(align="left", baseline="middle", dx=4, fontSize=11, color=THRESHOLD_COLOUR).encode(
        text="amount_text:N")
    # sizes on the layer itself, a step per bar: set on the layers, Streamlit draws a layered chart squashed
    return alt.LayerChart(layer=[base.mark_bar().encode(color=colour), labels]).properties(
        width=640, height=alt.Step(18), title="What each source pays over the plan: current and optimal mix")


def shadow_price_chart(rows: pd.DataFrame, currency: str) -> alt.Chart:
    """The binding constraints' shadow prices, ranked (worth the most on top): what one more step of each saves of
    PV government cost and, when any closes a gap, the gap it closes (``rows``:
    :func:`~dfl_finance.app.optimising.shadow_chart_rows`), in ``currency`` per step (each constraint's step in
    the tooltip)."""
    df = rows.copy()
    scale, unit, fmt = _money_unit(df["value"], currency)
    df["x"] = df["value"] * scale
    order = list(dict.fromkeys(df.sort_values("rank", kind="stable")["constraint_text"]))
    measures = list(dict.fromkeys(df["measure"]))
    colour = alt.Color("measure:N", title=None, sort=measures,
                       scale=alt.Scale(domain=measures, range=list(SHADOW_COLOURS[:len(measures)])),
                       legend=alt.Legend(orient="top", direction="horizontal", symbolType="square", labelLimit=300))
    bars: alt.Chart = alt.Chart(df).mark_bar()  # altair's mark methods return the chart, typed as Any
    return bars.encode(
        x=alt.X("x:Q", title=f"Worth of one more step of the constraint ({unit}, present value)",
                axis=alt.Axis(format=fmt, tickCount=8)),
        y=alt.Y("constraint_text:N", title=None, sort=order, axis=alt.Axis(labelLimit=360)),
        yOffset=alt.YOffset("measure:N", sort=measures),
        color=colour,
        tooltip=[alt.Tooltip("constraint_text:N", title="Constraint"), alt.Tooltip("step:N", title="One step"),
                 alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("value_text:N", title="Worth"),
                 alt.Tooltip("reading:N", title="Reading")],
    ).properties(width=640, height=alt.Step(22 if len(measures) == 1 else 14),
                 title="What one more step of each binding constraint is worth (shadow prices)")


#: The two stages of a country's gap in the portfolio chart: before the fund (the need) and after.
PORTFOLIO_STAGES = ("Gap before the fund", "Gap after the fund")
PORTFOLIO_COLOURS = ("#f4a3a3", GAP_COLOUR)
REACH_COLOUR = "#54a24b"


def portfolio_chart(rows: pd.DataFrame) -> alt.HConcatChart:
    """Country by country: the funding gap before and after the fund (USD, current prices) and, beside it, the share
    of schools the country's connectivity programme reaches by the end (``rows``:
    :func:`~dfl_finance.app.portfolio.chart_rows`)."""
    df = rows.copy()
    scale, unit, fmt = _money_unit(df["gap"], "USD")
    df["x"] = df["gap"] * scale
    df["gap_text"] = [format_money(v, "USD") for v in df["gap"]]
    df["reach_text"] = [_percent(v) if v == v else "no school programme" for v in df["reach"]]
    order = list(dict.fromkeys(df["country"]))
    stages = list(PORTFOLIO_STAGES)
    y = alt.Y("country:N", title=None, sort=order, axis=alt.Axis(labelLimit=240))
    gaps = alt.Chart(df).mark_bar().encode(
        x=alt.X("x:Q", title=f"Funding gap ({unit}, current prices)", axis=alt.Axis(format=fmt, tickCount=6)),
        y=y, yOffset=alt.YOffset("stage:N", sort=stages),
        color=alt.Color("stage:N", title=None, sort=stages, scale=alt.Scale(domain=stages,
                                                                            range=list(PORTFOLIO_COLOURS)),
                        legend=alt.Legend(orient="top", direction="horizontal", symbolType="square")),
        tooltip=[alt.Tooltip("country:N", title="Country"), alt.Tooltip("stage:N", title="Stage"),
                 alt.Tooltip("gap_text:N", title="Gap")],
    ).properties(width=480, height=alt.Step(22), title="The funding gap before and after the fund")
    reach = alt.Chart(df.drop_duplicates("country")).mark_bar(color=REACH_COLOUR).encode(
        x=alt.X("reach:Q", title="Schools reached by the end", axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("country:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)),
        tooltip=[alt.Tooltip("country:N", title="Country"), alt.Tooltip("reach_text:N", title="Reached by the end")],
    ).properties(width=220, height=alt.Step(44), title="Reach with the fund")
    both = alt.hconcat(gaps, reach).resolve_scale(y="independent")
    return cast(alt.HConcatChart, both)  # altair's resolve_scale returns its chart, typed as Any


def regions_chart(regions: pd.DataFrame, currency: Currency, order: Sequence[str] | None = None,
                  labels: dict[str, str] | None = None, colours: Mapping[str, str] | None = None) -> alt.FacetChart:
    """Each region's cost over the plan (regions.csv summed over the years), stacked by programme, the regions with
    the largest cost first, one panel per scenario that has regions; ``colours``: by programme label, as in
    :func:`costs_chart`. Each panel has its own money axis when the scenarios' currencies differ."""
    df = regions.groupby(["scenario", "region", "programme"], as_index=False, sort=False).agg(cost=("cost", "sum"))
    df = _labelled(_money_columns(df, "cost", currency), "programme", labels)
    colours = colours or programme_colours(df["programme"])
    tallest = int(df.groupby("scenario")["region"].nunique().max()) if len(df) else 1
    chart = alt.Chart(df, height=max(120, 16 * tallest)).mark_bar().encode(
        y=alt.Y("region:N", title="Region", sort="-x"),
        x=alt.X("sum(millions):Q", title=_money_title("Cost over the plan", currency),
                axis=alt.Axis(format=MONEY_FORMAT)),
        color=alt.Color("programme:N", title="Programme", scale=_scale(colours, df["programme"]),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=300)),
        tooltip=[SCENARIO_TIP, alt.Tooltip("region:N", title="Region"),
                 alt.Tooltip("programme:N", title="Programme"), alt.Tooltip("amount_text:N", title="Cost")],
    )
    facet = _facet(chart, _order(df, order))
    codes = {currency} if isinstance(currency, str) else {currency.get(n) for n in df["scenario"]}
    if len(codes) > 1:  # altair's resolve_scale returns its chart, typed as Any
        facet = cast(alt.FacetChart, facet.resolve_scale(x="independent"))
    return facet.properties(title="Cost by region over the plan (regions.csv)")
