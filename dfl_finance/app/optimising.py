"""The Optimise page's parts (no Streamlit here): the optimiser's options in the app's words, the key metrics of the
current and the optimal mix side by side, what each source pays in each, and the binding constraints' shadow prices
ready for their chart (:mod:`dfl_finance.studies.optimise` computes them all)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from dfl_finance.errors import DflFinanceError, Problem
from dfl_finance.outputs.formatting import format_delta, format_metric, format_money
from dfl_finance.vocabulary import GAP, metric_definition

#: The objectives of the optimiser's first stage (:data:`~dfl_finance.engine.optimise.FIRST_STAGES`), in words.
OBJECTIVES = {"gap": "Smallest funding gap (its total over the plan)",
              "pv-gap": "Smallest funding gap in present value (earlier years' gap weighs more)"}
#: The two mixes, as the table's columns and the charts' legends name them.
CURRENT, OPTIMAL = "Current mix (waterfall)", "Optimal mix"
MIXES = (CURRENT, OPTIMAL)
#: The metrics of the side-by-side table, in its order.
KEY_METRICS = ("total_gap", "pv_government_cost", "total_domestic", "total_grant", "total_loan", "total_ppp",
               "peak_burden_share")
#: The options (:func:`~dfl_finance.studies.optimise.options_for`'s keywords) as the page labels them, for the
#: optimiser's messages (which name the options by those keywords).
OPTION_LABELS = {"objective": "Objective", "burden_limit": "Keep the burden within the limit",
                 "max_debt": "Cap on new debt", "min_share": "Minimum shares",
                 "late_weight": "Weight on later years", "max_pv_debt": "Ceiling on the PV of new external debt"}
#: The binding constraints the shadow-price chart shows at most (the table lists them all).
CHART_ROWS = 20
#: The measures of the shadow-price chart: what one more step of a constraint saves, and the gap it closes.
SAVES, CLOSES = "PV government cost saved", "Gap closed"


def in_app_words(problems: Sequence[Problem]) -> list[Problem]:
    """The optimiser's problems with its options named as the page labels them: ``min_share: must be ...`` ->
    ``Minimum shares: must be ...``."""
    return [p.named(OPTION_LABELS) for p in problems]


def error_words(exc: DflFinanceError) -> str:
    """An error of the optimiser with its option named as the page labels it, quoted within the sentence: ``the
    minimum share of `gpe` (min_share) cannot hold`` -> ``the minimum share of `gpe` ("Minimum shares") cannot
    hold``."""
    return exc.in_words({option: f'"{label}"' for option, label in OPTION_LABELS.items()})


#: The optimiser's options as :func:`options_key` gives them.
OptionsKey = tuple[str, bool, float | None, tuple[tuple[str, float], ...], float, float | None]


def options_key(objective: str, burden_limit: bool, max_debt: float | None, min_share: Mapping[str, float],
                late_weight: float, max_pv_debt: float | None = None) -> OptionsKey:
    """The options as the arguments of :func:`~dfl_finance.app.compute.checked_optimum` (hashable, in order):
    ``min_share`` by source id, shares of the plan's cost (0-1); ``max_pv_debt`` in USD."""
    return (objective, bool(burden_limit), None if max_debt is None else float(max_debt),
            tuple((sid, float(share)) for sid, share in min_share.items()), float(late_weight),
            None if max_pv_debt is None else float(max_pv_debt))


# ----------------------------------------------------------------------------------------------- the two mixes

def metrics_table(comparison: pd.DataFrame, waterfall: str, optimum: str,
                  metrics: Sequence[str] = KEY_METRICS) -> pd.DataFrame:
    """The key metrics of the current and the optimal mix, formatted, with the change (optimal minus current;
    shares in percentage points). ``comparison``: :meth:`~dfl_finance.studies.optimise.Optimum.comparison_df`, whose
    scenarios are named ``waterfall`` and ``optimum``. A metric the scenario does not define is left out."""
    cells = {(r.metric, r.scenario): r for r in comparison.itertuples(index=False)}
    rows = []
    for metric in metrics:
        current, best = cells.get((metric, waterfall)), cells.get((metric, optimum))
        if current is None or best is None:
            continue
        d = metric_definition(metric)
        rows.append({"Metric": d.label, "Unit": str(best.unit),
                     CURRENT: format_metric(float(current.value), d.kind),  # type: ignore[arg-type]
                     OPTIMAL: format_metric(float(best.value), d.kind),  # type: ignore[arg-type]
                     "Change": format_delta(None if pd.isna(best.delta) else float(best.delta),  # type: ignore[arg-type]
                                            d.kind)})
    return pd.DataFrame(rows, columns=["Metric", "Unit", CURRENT, OPTIMAL, "Change"])


def _mixes(financing: pd.DataFrame, waterfall: str, optimum: str) -> pd.DataFrame:
    """The financing rows of the two runs, their ``scenario`` the mix's name (:data:`MIXES`)."""
    names = {waterfall: CURRENT, optimum: OPTIMAL}
    df = financing[financing["scenario"].isin(names)].copy()
    df["scenario"] = df["scenario"].map(names)
    return df


def mix_totals(financing: pd.DataFrame, waterfall: str, optimum: str, sources: Sequence[tuple[str, str]],
               labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """What each source pays over the plan in each mix, and the gap: ``source`` (id), ``label``, ``mix``,
    ``amount``, ``share`` (of the plan's cost). Every source of the scenario (``sources``: ids and kinds, in the
    file's order) has a row in both mixes, 0 where it pays nothing; the gap has rows when either mix has one.
    ``financing``: both runs' financing.csv (:meth:`~dfl_finance.outputs.result.Result.financing_df`)."""
    df = _mixes(financing, waterfall, optimum)
    paid = df.groupby(["scenario", "source"])["amount"].sum()
    cost = df.groupby("scenario")["amount"].sum()
    ids = [sid for sid, _ in sources]
    kinds = dict(sources)
    if (df["source"] == GAP).any() and float(df.loc[df["source"] == GAP, "amount"].abs().sum()) > 0:
        ids.append(GAP)
        kinds[GAP] = GAP
    rows = []
    for sid in ids:
        for mix in MIXES:
            amount = float(paid.get((mix, sid), 0.0))
            total = float(cost.get(mix, 0.0))
            rows.append({"source": sid, "label": (labels or {}).get(sid, sid), "kind": kinds[sid], "mix": mix,
                         "amount": amount, "share": amount / total if total > 0 else 0.0})
    return pd.DataFrame(rows, columns=["source", "label", "kind", "mix", "amount", "share"])


def mix_by_year(financing: pd.DataFrame, waterfall: str, optimum: str,
                labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Both runs' financing.csv for :func:`~dfl_finance.app.charts.financing_chart`: ``scenario`` the mix's name,
    ``source`` its label."""
    df = _mixes(financing, waterfall, optimum)
    df["source"] = df["source"].map(lambda i: (labels or {}).get(i, i))
    return df


# ----------------------------------------------------------------------------------------------- shadow prices

_WHAT = {"commitment": "commitment", "annual_cap": "annual cap", "envelope": "budget room",
         "match_ratio": "match ratio", "min_share": "minimum share"}


def constraint_words(kind: str, source: str | None, year: int | None, labels: Mapping[str, str] | None = None
                     ) -> str:
    """A constraint of shadow_prices.csv in words: ``GPE multiplier grant: commitment``, ``Education budget:
    budget room, 2028``, ``Burden limit, 2029``, ``Cap on new debt``."""
    year_text = "" if year is None or pd.isna(year) else f", {int(year)}"
    if kind == "burden_limit":
        return f"Burden limit{year_text}"
    if kind == "max_debt":
        return "Cap on new debt"
    if kind == "max_pv_debt":
        return "Ceiling on the PV of new external debt"
    what = _WHAT.get(kind, kind.replace("_", " "))
    if source is None or pd.isna(source):
        return f"{what[:1].upper()}{what[1:]}{year_text}"
    return f"{(labels or {}).get(source, source)}: {what}{year_text}"


def _step(unit: str) -> str:
    """What one step of the constraint is, from shadow_prices.csv's ``unit``: ``RWF of PV per USD 1 M of
    commitment`` -> ``USD 1 M of commitment``."""
    return unit.split(" per ", 1)[1] if " per " in unit else unit


def shadow_frame(shadow_prices: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The binding constraints of shadow_prices.csv (:meth:`~dfl_finance.studies.optimise.Optimum.shadow_prices_df`),
    ranked by what one more step of each is worth (the PV government cost it saves plus the gap it closes, in
    size), with ``constraint_text`` (:func:`constraint_words`), ``step`` (what one more step is) and ``rank``
    (1 = worth the most); the other columns as in the table."""
    binding = shadow_prices[shadow_prices["binding"] == "yes"].copy()
    binding["constraint_text"] = [constraint_words(k, s, y, labels) for k, s, y in
                                  zip(binding["constraint"], binding["source"], binding["year"])]
    binding["step"] = [_step(str(u)) for u in binding["unit"]]
    binding["worth"] = binding["value"].abs() + binding["gap_value"].abs()
    binding = binding.sort_values("worth", ascending=False, kind="stable").reset_index(drop=True)
    binding["rank"] = range(1, len(binding) + 1)
    return binding


def shadow_chart_rows(frame: pd.DataFrame, currency: str, limit: int = CHART_ROWS) -> pd.DataFrame:
    """The rows of the shadow-price chart: the first ``limit`` constraints of :func:`shadow_frame`, one row per
    measure (:data:`SAVES`, and :data:`CLOSES` when any of them closes a gap), with the value and its text."""
    top = frame.head(limit)
    measures = [(SAVES, "value")] + ([(CLOSES, "gap_value")] if (top["gap_value"] != 0).any() else [])
    rows = []
    for _, r in top.iterrows():
        for measure, column in measures:
            value = float(r[column])
            rows.append({"constraint_text": r["constraint_text"], "rank": int(r["rank"]), "measure": measure,
                         "value": value, "value_text": format_money(value, currency), "step": f"per {r['step']}",
                         "reading": r["reading"]})
    return pd.DataFrame(rows, columns=["constraint_text", "rank", "measure", "value", "value_text", "step",
                                       "reading"])


def outcome_words(comparison: pd.DataFrame, waterfall: str, optimum: str, currency: str) -> str:
    """What the optimum changes, in a sentence: the gap it closes (or leaves as it is) and the PV government cost
    it saves (or adds)."""
    values = comparison.set_index(["metric", "scenario"])["value"]

    def pair(metric: str) -> tuple[float, float]:
        return float(values.get((metric, waterfall), 0.0)), float(values.get((metric, optimum), 0.0))

    (gap_w, gap_o), (pv_w, pv_o) = pair("total_gap"), pair("pv_government_cost")
    if gap_o < gap_w:
        gap = (f"closes {format_money(gap_w - gap_o, currency)} of the funding gap"
               + (" (all of it)" if gap_o == 0 else f" (it leaves {format_money(gap_o, currency)})"))
    elif gap_o > gap_w:  # only under limits the waterfall does not keep
        gap = f"leaves {format_money(gap_o - gap_w, currency)} more of the funding gap, to keep the limits"
    else:
        gap = "leaves the same funding gap" + ("" if gap_w else " (none)")
    if pv_o < pv_w:
        pv = f"costs the government {format_money(pv_w - pv_o, currency)} less in present value"
    elif pv_o > pv_w:
        pv = f"costs the government {format_money(pv_o - pv_w, currency)} more in present value"
    else:
        pv = "costs the government as much in present value"
    return (f"The optimal mix {gap} and {pv} ({format_money(pv_o, currency)} instead of "
            f"{format_money(pv_w, currency)}).")


def readings(frame: pd.DataFrame, limit: int = CHART_ROWS) -> str:
    """The readings of the first ``limit`` binding constraints of :func:`shadow_frame`, as a Markdown list."""
    return "\n".join(f"{int(r['rank'])}. {r['reading']}" for _, r in frame.head(limit).iterrows())


def readings_table(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The binding constraints in rank order, each with what one more step saves of PV government cost (and the gap
    it closes, when any closes one) and its reading."""
    table = pd.DataFrame({
        "Rank": frame["rank"].astype(int),
        "Constraint": frame["constraint_text"],
        "One more step": frame["step"],
        f"PV cost saved ({currency})": [format_money(float(v)) for v in frame["value"]],
        f"Gap closed ({currency})": [format_money(float(v)) for v in frame["gap_value"]],
        "Reading": frame["reading"],
    })
    return table if (frame["gap_value"] != 0).any() else table.drop(columns=f"Gap closed ({currency})")


def lp_words(size: Sequence[int]) -> str:
    """``Linear programme: 144 rows, 251 columns, 572 non-zeros, solved by HiGHS.``"""
    rows, columns, nonzeros = size
    return f"Linear programme: {rows:,} rows, {columns:,} columns, {nonzeros:,} non-zeros, solved by HiGHS."


def reproduction_words(note: str | None) -> str:
    """Whether the waterfall reproduces the optimal mix written as a scenario (its
    :attr:`~dfl_finance.studies.optimise.Optimum.reproduction_note`), in a sentence."""
    if note is None:
        return ("The waterfall reproduces the optimal mix: the new scenario gives each source a cap per year (what it "
                "pays in the optimum, in its own currency at current prices) and a paying order, so running it gives "
                "the optimal mix's numbers.")
    return f"The waterfall does not reproduce the optimal mix exactly: {note}."
