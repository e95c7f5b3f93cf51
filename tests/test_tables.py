"""The registry of output tables (:mod:`dfl_finance.outputs.tables`): the README's table is written from it, each
column says its unit, and the column lists the modules keep are the registry's.

That every table a command writes has the registry's columns is checked on the written files
(``tests/test_written_tables.py``).
"""

from pathlib import Path

import pytest

from dfl_finance.outputs import tables
from dfl_finance.outputs.tables import TABLES, Table

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_table_of_outputs_is_written_from_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{tables.BEGIN}\n\n{tables.readme_markdown()}\n{tables.END}" in readme, (
        "regenerate with: python -m dfl_finance.outputs.tables")


def test_the_generator_writes_the_table_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{tables.BEGIN}\nOLD TABLE\n{tables.END}\n\nafter\n", encoding="utf-8")
    assert tables.main([str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "OLD TABLE" not in text and tables.readme_markdown() in text and text.endswith(f"{tables.END}\n\nafter\n")


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_each_column_says_its_unit(table: Table):
    """Every number that is not a count or a year has a unit, or names the columns that give it; those columns
    are in the table (as every command writes it); names are unique; a table has a line of what it holds."""
    assert table.note and table.units and table.commands
    for command in table.commands:
        names = table.names(command)
        assert len(names) == len(set(names)), names
        for c in table.columns_for(command):
            if c.kind in ("money", "price", "share", "number"):
                assert c.unit or c.unit_from, f"{table.name}.{c.name} has no unit"
            assert set(c.unit_from) <= set(names), f"{table.name}.{c.name}: {c.unit_from} not in {names}"
            assert not (c.unit and c.unit_from), f"{table.name}.{c.name}: a unit and columns that give it"


def test_amount_tables_say_their_price_basis_and_currency():
    """A table with an amount in the price basis has the price_basis and currency columns."""
    for t in TABLES.values():
        if any(c.unit_from == ("price_basis", "currency") for c in t.columns):
            assert {"price_basis", "currency"} <= set(t.names()), t.name


def test_the_run_tables_are_those_of_a_result_with_the_registrys_columns():
    from dfl_finance import load_scenario, run

    result = run(load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml"))
    assert {name: list(df.columns) for name, df in result.tables().items()} == {
        name: tables.columns(name) for name in tables.RUN_TABLES}


def test_the_rounding_sets_are_the_run_tables_money_and_share_columns():
    assert tables.MONEY_COLUMNS == {
        "amount", "disbursed", "interest", "principal", "fees", "outstanding", "education_budget", "domestic_outlay",
        "debt_service", "ppp_payments", "government_burden", "gap", "domestic_envelope", "plan_cost", "headroom",
        "recurrent_after_plan"} | {  # the GFS columns of fiscal.csv
        "expense", "net_acquisition_nfa", "grant_revenue", "deficit_effect", "borrowing", "amortisation", "debt_effect",
        "charged_to_vote", "charged_to_treasury"} | {
        "committed", "pv_debt_service", "pv_new_external_debt"} | {  # sources.csv
        "cost",  # regions.csv
        "domestic_outlay_expected", "gap_expected", "government_burden_expected"}  # fiscal.csv: budget execution
    assert tables.SHARE_COLUMNS == {"burden_share", "burden_limit", "reached_share", "reached_funded_share", "plan",
                                    "total", "threshold",
                                    "grant_element",  # sources.csv
                                    "burden_share_expected"}  # fiscal.csv: budget execution


def test_the_modules_column_lists_are_the_registrys():
    """The constants the modules use are views of the registry; those of modules that cannot read it (the school
    model is below the outputs) or that still keep their own list are equal to it."""
    from dfl_finance.model.schools import SCHOOL_COLUMNS
    from dfl_finance.outputs import result, schools
    from dfl_finance.studies import optimise, portfolio, sweep
    from dfl_finance.studies.risk import sensitivity, stress

    assert result.TABLE_COLUMNS == {name: tables.columns(name) for name in tables.RUN_TABLES}
    for constant, name, command in [
        (result.COMPARISON_COLUMNS, "comparison", None), (result.QUANTILE_COLUMNS, "quantiles", None),
        (result.YEARLY_QUANTILE_COLUMNS, "yearly_quantiles", None), (result.INCREMENTAL_COLUMNS, "incremental", None),
        (sensitivity.TORNADO_COLUMNS, "tornado", None), (sensitivity.SOBOL_COLUMNS, "sobol", None),
        (stress.SUMMARY_COLUMNS, "stress_summary", None), (optimise.SHADOW_COLUMNS, "shadow_prices", None),
        (schools.SEGMENT_COLUMNS, "segments", None), (schools.EQUITY_COLUMNS, "equity", None),
        (SCHOOL_COLUMNS, "schools", None),
        (portfolio.ALLOCATION_COLUMNS, "allocation", None), (portfolio.EQUITY_COLUMNS, "portfolio_equity", None),
        (portfolio.REACH_COLUMNS, "portfolio_reach", None), (portfolio.GROUP_COLUMNS, "portfolio_groups", None),
        (sweep.PORTFOLIO_QUANTILE_COLUMNS, "portfolio_quantiles", None), (sweep.LABELS, "sweep_draws", None),
        (["case", *result.QUANTILE_COLUMNS], "quantiles", "sweep"),
    ]:
        assert list(constant) == tables.columns(name, command), name
    assert sensitivity.SOBOL_INDEX_COLUMNS == ["first_order", "total_order", "first_order_low", "first_order_high",
                                               "total_order_low", "total_order_high"]


def test_the_workbook_readme_sheet_reads_the_registry():
    from dfl_finance.outputs.export import TABLE_NOTES

    assert TABLE_NOTES["costs"] == tables.workbook_row("costs") == (
        TABLES["costs"].note, TABLES["costs"].units, TABLES["costs"].source)
    assert tables.workbook_row("shadow_prices") == ("", "", "")  # no row in the README sheet yet
    assert tables.workbook_row("not a table") == ("", "", "")
