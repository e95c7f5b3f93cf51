"""Schools: a school table (the bundled synthetic one or an upload), the least-cost technology of each school and
the year the plan connects it; a map, who is connected by the end (by area and region, and the equity measures in
words), the cost curve in connection order, the schools by technology, and the tables to download."""

import streamlit as st

from dfl_finance.app import PAGES
from dfl_finance.app.compute import checked_school_results
from dfl_finance.app.editing import parse_number
from dfl_finance.app.schools import (
    CURVE_MAX_SEGMENTS,
    OPTION_LABELS,
    ORDER_LABELS,
    SYNTHETIC_TABLE,
    TECHNOLOGY_TABLE_COLUMNS,
    cost_curve,
    cost_curve_chart,
    equity_sentences,
    headline,
    option_problems,
    school_map,
    segment_table,
    technology_chart,
    technology_counts,
    technology_label,
    technology_table,
    zip_of,
)
from dfl_finance.app.ui import problem_list
from dfl_finance.errors import DflFinanceError, ScenarioError
from dfl_finance.inputs.profiles import data_dir
from dfl_finance.inputs.schools import GIGA_ALIASES, OPTIONAL, REQUIRED
from dfl_finance.outputs.formatting import format_money
from dfl_finance.vocabulary import SCHOOL_ORDERS as ORDERS
from dfl_finance.vocabulary import SCHOOL_TECHNOLOGIES as TECHNOLOGIES

BUNDLED, UPLOAD = "The synthetic Rwanda table (bundled)", "Upload a table (CSV or Parquet)"
#: Largest upload [MB]: a table of 100,000 schools is about 10 MB as CSV.
MAX_UPLOAD_MB = 100

st.title("Schools")
st.caption("School by school: the least-cost way to connect each school (fibre, cellular, point-to-point microwave or "
           "satellite, with a solar kit where there is no electricity), the year the plan connects it, and who is "
           "left out. The same model as `dfl-finance schools`. Amounts are in US dollars (the technologies' prices), "
           "whatever the price basis in the sidebar.")
st.page_link(PAGES["about"], label="How the technology is chosen and the schools ordered (method: Schools)",
             icon=":material/menu_book:")

# ----------------------------------------------------------------------------------------- the table
source = st.radio("School table", [BUNDLED, UPLOAD], key="schools_source", horizontal=True)
if source == BUNDLED:
    path = data_dir() / SYNTHETIC_TABLE
    try:
        data, name = path.read_bytes(), SYNTHETIC_TABLE
    except OSError:
        st.info(f"The bundled table {SYNTHETIC_TABLE} is not in the data folder ({path.parent}); upload a table.")
        st.stop()
else:
    uploaded = st.file_uploader(
        "School table (CSV or Parquet)", type=["csv", "parquet", "pq"], key="schools_upload",
        max_upload_size=MAX_UPLOAD_MB,
        help="One row per school. The Giga school data's column names are read too (e.g. `school_id_giga`, "
             "`latitude`, `num_students`); other columns are left out.")
    with st.expander("The columns a school table needs"):
        st.markdown(
            "Required: " + ", ".join(f"`{c}`" for c in REQUIRED) + ", and `fiber_distance_km` (km to the nearest fibre "
            "node). Optional: " + ", ".join(f"`{c}`" for c in OPTIONAL if c != "fiber_distance_km") + ". `area` is "
            "`urban`, `rural` or `remote`; `electricity` true or false; `connectivity` `none` or the technology "
            "already there; `coverage` `none`, `2G`, `3G`, `4G` or `5G`. The Giga names read as ours: "
            + ", ".join(f"`{k}` → `{v}`" for k, v in GIGA_ALIASES.items()) + ".")
    if uploaded is None:
        st.info("Upload a school table to plan it, or pick the synthetic Rwanda table above.")
        st.stop()
    data, name = uploaded.getvalue(), uploaded.name
note = st.container()

# ----------------------------------------------------------------------------------------- the options
st.subheader("Plan")
c = st.columns(4)
years = c[0].number_input("Horizon (years)", min_value=1, max_value=50, value=10, step=1, key="schools_years",
                          help="The plan's years; the cost of each technology counts its capex, replacements and "
                               "opex over them.")
start_year = c[1].number_input("Start year", min_value=2000, max_value=2200, value=2026, step=1,
                               key="schools_start")
order = c[2].selectbox("Rollout order", list(ORDERS), format_func=ORDER_LABELS.get, key="schools_order",
                       help="The order in which schools are connected. Regions take turns: every region's k-th school "
                            "(by cost per learner) before any region's next. The priority order needs a `priority` "
                            "column in the table.")
rate = c[3].number_input("Discount rate", min_value=0.0, max_value=0.5, value=0.0, step=0.01, format="%.3f",
                         key="schools_rate",
                         help="Discounts the cost over the horizon that decides each school's technology (0: none).")
c = st.columns(4, vertical_alignment="bottom")
budget_text = c[0].text_input(OPTION_LABELS["budget"], key="schools_budget", placeholder="none",
                              help="The capex the plan may spend a year (solar kits included); a school is connected "
                                   "in the first year by whose end the cumulative capex up to it fits in the "
                                   "cumulative budget. Empty: the same number of schools each year.")
target_text = c[1].text_input("Target year", key="schools_target", placeholder="none",
                              help="Without a budget: every school that can be connected is, in equal numbers each "
                                   "year until this year (empty: the last year of the plan).")
prefer = c[2].multiselect("Preferred technologies", list(TECHNOLOGIES), format_func=technology_label,
                          key="schools_prefer",
                          help="Take the first feasible technology in the order picked instead of the cheapest "
                               "(empty: the cheapest over the horizon).")
with c[3]:
    extend_fibre = st.checkbox("Extend fibre via schools", key="schools_extend_fibre",
                               help="A school that takes fibre becomes a node for the others: each school measures "
                                    "its way to the nearest node or school on fibre and chooses again, until no more "
                                    "schools take fibre (each pays only its own link).")
field_errors = []
try:
    budget = parse_number(budget_text, integer=False, optional=True)
except ValueError as exc:
    field_errors.append(f"{OPTION_LABELS['budget']}: {exc} (got {budget_text!r})")
    budget = None
try:
    target_year = parse_number(target_text, integer=True, optional=True)
except ValueError as exc:
    field_errors.append(f"Target year: {exc} (got {target_text!r})")
    target_year = None
if field_errors:
    st.error("Please correct:\n\n" + "\n".join(f"- {e}" for e in field_errors))
    st.stop()

try:
    with st.spinner("Planning the schools..."):
        results = checked_school_results(data, name, int(years), int(start_year), order,
                                         None if budget is None else float(budget),
                                         None if target_year is None else int(target_year), float(rate),
                                         tuple(prefer) if prefer else None, bool(extend_fibre))
except ScenarioError as exc:
    found = option_problems(exc.problems)
    in_table = any(p.path == name or p.path.startswith(f"{name}:") for p in found)
    st.error(("The school table cannot be used; please correct it:\n\n" if in_table else
              "The plan cannot be made; please correct:\n\n") + problem_list(found))
    st.stop()
except DflFinanceError as exc:  # pragma: no cover - _checked turns these into a ScenarioError
    st.error(str(exc))
    st.stop()

tables = results["tables"]
schools, segments, equity = tables["schools"], tables["segments"], tables["equity"]
top = headline(tables)
last_year = int(top["last_year"])
with note:
    learners = int(schools["learners"].sum())
    already = int((schools["technology"] == "existing").sum())
    if source == BUNDLED:
        st.info(f"**Synthetic data.** This table is made up, calibrated to public totals: {len(schools):,} schools "
                f"and {learners:,} learners (Rwanda's counts), {already / len(schools):.1%} of them already "
                "connected (MINICT, February 2023), in 30 regions drawn around Rwanda's centre; each school's area, "
                "size, power, distances to fibre and to a tower and its coverage are drawn at random (seed 2026). It "
                "shows how the model works; it is not a map of Rwanda's schools.", icon=":material/science:")
    else:
        st.caption(f"{name}: {len(schools):,} schools, {learners:,} learners, {already:,} already connected.")

# ----------------------------------------------------------------------------------------- headline numbers
c = st.columns(5)
c[0].metric("Schools in the table", f"{int(top['schools']):,}")
c[1].metric("Connected in the plan", f"{int(top['connected_in_plan']):,}",
            help="Schools connected in a year of the plan (not those connected before it).")
c[2].metric(f"Connected by {last_year}", f"{top['share_connected_end']:.1%}",
            help="The share of all schools connected by the end of the plan, those connected before it included.")
c[3].metric("Capex of the plan [USD]", format_money(top["capex"]),
            help="The installation cost of the schools connected in the plan, solar kits included.")
c[4].metric("Opex a year [USD]", format_money(top["opex_end"]),
            help=f"What the schools connected in the plan cost to run a year once all are connected ({last_year}): "
                 "bandwidth, fibre upkeep, solar kits.")
if top["unserved"]:
    st.caption(f"{int(top['unserved']):,} school{'s' if top['unserved'] != 1 else ''} no technology can serve (too far "
               "from fibre and towers, without coverage, or needing more bandwidth than a satellite gives) stay "
               "unconnected.")

# ----------------------------------------------------------------------------------------- map
st.subheader("Map")
colour_by = st.radio("Colour by", ["Technology", "Year connected"], key="schools_colour", horizontal=True)
points = results["points"]
st.altair_chart(school_map(points, "technology" if colour_by == "Technology" else "year"), key="schools_map",
                width="content")
shown = len(points)
total = int(points.attrs.get("total", shown))
st.caption("Each dot is a school, at its longitude and latitude (degrees at equal scale at the table's latitude; no "
           "basemap). Hover for its technology, year and capex."
           + (f" Showing {shown:,} of {total:,} schools, a random sample (the same each time); the tables and the "
              "download hold every school." if shown < total else ""))

# ----------------------------------------------------------------------------------------- segments and equity
st.subheader(f"Who is connected by the end of {last_year}")
st.markdown("\n".join(f"- {s}" for s in equity_sentences(equity, segments)))
cfg = st.column_config
number = cfg.NumberColumn(format="localized")
by_segment = segment_table(segments)
regions = by_segment["segment_type"] == "region"


def segment_view(rows):
    """The rows as the page shows them: thousands separated, a dash where the plan connects no school (the grid
    shows an empty number as "None", so the two ratios are text)."""
    rows = rows.drop(columns="segment_type").assign(**{
        col: ["–" if v != v else f"{v:,.{places}f}" for v in rows[col]]
        for col, places in (("Capex per school [USD]", 0), ("Capex per learner [USD]", 2))})
    return rows.style.format({"Schools": "{:,}", "Connected": "{:,}", "Connected [%]": "{:.1f}",
                              "Capex [USD]": "{:,.0f}"})


right = cfg.TextColumn(alignment="right")
segment_config = {"Segment": cfg.TextColumn(pinned=True), "Capex per school [USD]": right,
                  "Capex per learner [USD]": right}
st.markdown("**By area**")
st.dataframe(segment_view(by_segment[~regions]), hide_index=True, key="schools_areas", column_config=segment_config)
st.markdown(f"**By region** ({int(regions.sum()):,})")
st.dataframe(segment_view(by_segment[regions]), hide_index=True, key="schools_regions", column_config=segment_config,
             height=min(38 + 35 * int(regions.sum()), 400))
st.caption("Connected: by the end of the plan, those connected before it included. Capex: of the schools connected "
           "in the plan (solar kits included); per school and per learner: of those schools (a dash where the plan "
           "connects none). segments.csv in the download has every year.")

# ----------------------------------------------------------------------------------------- cost curve
st.subheader("Cost curve: the last mile")
curve = cost_curve(schools, results["sequence"])
if curve.empty:
    st.info("No school is connected in the plan: every school is connected already, no technology serves the others, "
            "or the budget buys none within the horizon.")
else:
    st.altair_chart(cost_curve_chart(curve), key="schools_curve", width="stretch")
    n = int(curve["x1"].max())
    st.caption(f"The capex of the schools connected so far against their number, in the order the plan connects "
               f"them ({ORDER_LABELS[order].lower()}); the slope is the capex per school, so the steeper the end, the "
               f"dearer the last schools. Each segment is a school"
               + (f" (runs of schools in a plan of more than {CURVE_MAX_SEGMENTS:,})" if n > CURVE_MAX_SEGMENTS else "")
               + f" in the colour of its technology; the dots mark the end of each year. The curve ends at "
               f"{format_money(float(curve['y1'].iloc[-1]), 'USD')}, the capex of the {n:,} schools connected in the "
               "plan.")

# ----------------------------------------------------------------------------------------- technologies
st.subheader("Schools by technology")
counts = technology_counts(schools)
st.altair_chart(technology_chart(counts), key="schools_technologies", width="content")
st.dataframe(technology_table(counts), hide_index=True, key="schools_technology_table", column_config={
    "Technology": cfg.TextColumn(pinned=True),
    **{col: number for col in TECHNOLOGY_TABLE_COLUMNS}})
st.caption("Each school is assigned the technology that costs least over the horizon (capex, replacements and opex, "
             "discounted at the rate above), or the first feasible one in the preferred order; a school already "
             "connected keeps its connection. Of the schools assigned a technology, those connected in the plan are "
             "the ones its years and yearly budget reach. Capex and opex include solar kits.")

# ----------------------------------------------------------------------------------------- download
st.subheader("Download")
st.download_button("schools.csv, segments.csv and equity.csv (zip)", data=lambda: zip_of(results),
                   file_name="dfl-finance-schools.zip", mime="application/zip", key="schools_download",
                   type="primary", on_click="ignore")
st.caption("The tables of `dfl-finance schools` with these options, and a manifest.json with the table's sha256 and "
           "the options: one row per school (technology, capex, opex a year, cost over the horizon, year connected), "
           "per segment and year, and per equity measure. Amounts in USD.")
