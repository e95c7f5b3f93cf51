"""Export: injection-safe text, all-or-nothing writes (more in test_outputs.py); the app's risk, sensitivity and
stress tables are the command line's."""

import io
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dfl_finance import dump_scenario, load_scenario, run, scenario_from_dict
from dfl_finance.outputs.export import MANIFEST, neutralise_text, table_files, write_atomically, write_tables
from tests.conftest import ROOT, small_scenario_dict


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_like_text_gets_a_quote(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("value", ["School connectivity", "a=b", 3, -2.5, None])
def test_other_values_pass(value):
    assert neutralise_text(value) == value


def test_scenario_name_and_item_are_neutralised_but_numbers_are_not(tmp_path):
    raw = small_scenario_dict()
    raw["scenario"]["name"] = "=HYPERLINK(\"http://x\")"
    raw["programme"][0]["cost"][0]["item"] = "@terminal"
    tables = run(scenario_from_dict(raw)).tables()
    write_tables(tables, tmp_path)
    costs = pd.read_csv(tmp_path / "costs.csv")
    assert costs["scenario"].str.startswith("'=").all()
    assert costs["item"].str.startswith("'@").all()
    assert pd.api.types.is_float_dtype(costs["amount"])


def test_write_atomically_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out"
    write_atomically(out, {"a.csv": lambda p: p.write_text("old")})
    manifest = (out / "manifest.json").read_bytes()

    def fail(path):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomically(out, {"a.csv": lambda p: p.write_text("new"), "b.csv": fail})
    assert (out / "a.csv").read_text() == "old"
    assert (out / "manifest.json").read_bytes() == manifest
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "manifest.json"]


# ------------------------------------------------------------------------------- the app's risk tables

IDA_FILE = ROOT / "scenarios" / "rwanda-ida-credit.toml"
DOMESTIC_FILE = ROOT / "scenarios" / "rwanda-domestic.toml"


def _second_uncertain_file(tmp_path) -> Path:
    """The IDA option under another name and seed: two scenarios with uncertain inputs."""
    raw = tomllib.loads(IDA_FILE.read_text(encoding="utf-8"))
    raw["scenario"]["name"] = "IDA, second look"
    raw["risk"]["seed"] = 11
    path = tmp_path / "second.toml"
    path.write_text(dump_scenario(scenario_from_dict(raw, folder=IDA_FILE.parent), tmp_path), encoding="utf-8")
    return path


def _cli_out(tmp_path, *argv: str) -> tuple[dict[str, bytes], dict]:
    from dfl_finance.cli import main

    out = tmp_path / f"cli-{argv[0]}"
    assert main([*argv, "--out", str(out)]) == 0
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    return files, json.loads(files.pop(MANIFEST))


def test_the_apps_risk_sensitivity_and_stress_csvs_are_the_commands(tmp_path, capsys, monkeypatch):
    """The Export page's tables, made through the app's cached functions, are byte for byte the CSVs of
    `dfl-finance risk`, `sensitivity` and `stress` with the same settings, and its manifest records those settings
    as the commands' manifests do."""
    pytest.importorskip("streamlit")
    from dfl_finance.app.compute import risk_tables_for, sobol_for, stresses_for, tornado_for
    from dfl_finance.app.risk_export import ExtraTables, plan
    from dfl_finance.inputs.io import rebase_text

    workspace = tmp_path / "workspace"
    monkeypatch.setenv("DFL_FINANCE_WORKSPACE", str(workspace))

    def app_text(path: Path) -> str:
        """A file's text as the app sees it: the files it names, named for the workspace."""
        return rebase_text(path.read_text(encoding="utf-8"), path.parent, workspace)

    second = _second_uncertain_file(tmp_path)
    risk_files, risk_meta = _cli_out(tmp_path, "risk", str(IDA_FILE), str(second), "--draws", "64",
                                     "--method", "sobol")
    sens_files, sens_meta = _cli_out(tmp_path, "sensitivity", str(IDA_FILE), "--metric", "total_gap",
                                     "--metric", "pv_total_cost", "--n", "16")
    stress_files, stress_meta = _cli_out(tmp_path, "stress", str(IDA_FILE), str(DOMESTIC_FILE))
    capsys.readouterr()

    extra = ExtraTables()
    for path in (IDA_FILE, second):
        sc, text = load_scenario(path), app_text(path)
        settings = {"draws": 64, "seed": sc.risk.seed, "method": "sobol"}
        extra.add_risk(sc, settings, risk_tables_for(text, 64, sc.risk.seed, "sobol", "real-lcu"))
    ida, ida_text = load_scenario(IDA_FILE), app_text(IDA_FILE)
    metrics = ["total_gap", "pv_total_cost"]
    extra.add_sensitivity(ida, {m: tornado_for(ida_text, m, "real-lcu")["table"] for m in metrics},
                          {m: sobol_for(ida_text, m, 16, "real-lcu") for m in metrics}, 16)
    for path in (IDA_FILE, DOMESTIC_FILE):
        extra.add_stress(load_scenario(path), stresses_for(app_text(path), "real-lcu"))
    files = table_files(extra.tables(), extra.manifest())
    meta = json.loads(files.pop(MANIFEST))

    assert list(files) == ["quantiles.csv", "yearly_quantiles.csv", "tornado.csv", "sobol.csv",
                           "stress_summary.csv", "stress_fiscal.csv", "stress_dsf.csv"]
    for name in ("quantiles.csv", "yearly_quantiles.csv"):
        assert files[name] == risk_files[name], name
    for name in ("tornado.csv", "sobol.csv"):
        assert files[name] == sens_files[name], name
    for name in ("stress_summary.csv", "stress_fiscal.csv", "stress_dsf.csv"):
        assert files[name] == stress_files[name], name
    assert meta["risk"] == risk_meta["risk"]  # draws, seed, method and uncertain paths of each scenario
    assert meta["stress"] == stress_meta["stress"]  # each stress: applied, or why not
    sens = meta["sensitivity"][ida.name]
    assert sens["metrics"] == sens_meta["sensitivity"]["metrics"] == metrics
    assert sens["uncertain"] == sens_meta["sensitivity"]["uncertain"] and sens["n"] == 16
    assert sens["seed"] == sens_meta["seed"] == ida.risk.seed
    # what the page would have asked for: the Risk page's runs as they were, the file's settings otherwise
    assert plan(ida, {"risk": [settings]}, include=False).risk == settings


def test_the_workbook_has_the_risk_sheets_described():
    from openpyxl import load_workbook

    from dfl_finance.outputs.export import TABLE_NOTES, xlsx_bytes
    from dfl_finance.outputs.result import quantiles_df, yearly_quantiles_df
    from dfl_finance.studies.risk import run_risk
    from dfl_finance.studies.risk.sensitivity import sobol_df, tornado

    sc = load_scenario(IDA_FILE)
    res = run_risk(sc, 16)
    sheets = {"quantiles": quantiles_df(res), "yearly_quantiles": yearly_quantiles_df(res),
              "tornado": tornado(sc, ["total_gap"]), "sobol": sobol_df(sc, ["total_gap"], 8)}
    wb = load_workbook(io.BytesIO(xlsx_bytes(sheets)))
    assert wb.sheetnames == ["README", *sheets]
    readme = {row[0]: row[1] for row in wb["README"].iter_rows(min_row=2, values_only=True) if row[0] in sheets}
    assert readme.keys() == sheets.keys() and all(readme[name] == TABLE_NOTES[name][0] for name in sheets)
    assert wb["quantiles"].max_row == len(sheets["quantiles"]) + 1
