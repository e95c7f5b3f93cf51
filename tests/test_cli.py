"""The command line, run as a user would: in a subprocess, reading the CSVs back with pandas."""

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dfl_finance.cli import main
from dfl_finance.outputs.result import TABLE_COLUMNS
from tests.conftest import ROOT

BUNDLED = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
INVALID = ROOT / "tests" / "data" / "invalid"


def _cli() -> list[str]:
    """The installed console script (beside the running interpreter, else on PATH)."""
    script = Path(sys.executable).with_name("dfl-finance")
    found = str(script) if script.exists() else shutil.which("dfl-finance")
    if not found:
        pytest.fail("the dfl-finance console script is not installed; run `pip install -e .[test]`")
    return [found]


def _sh(*args, cwd=None):
    return subprocess.run(_cli() + list(args), capture_output=True, text=True, cwd=cwd, timeout=120)


def test_run_writes_contract_tables(tmp_path):
    out = tmp_path / "new" / "results"  # a missing folder is created
    proc = _sh("run", *BUNDLED, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Total cost" in proc.stdout and "Funding gap" in proc.stdout  # labels from the metric definitions
    for name, columns in TABLE_COLUMNS.items():
        df = pd.read_csv(out / f"{name}.csv")
        assert list(df.columns) == columns, name
        assert len(df) > 0 or name == "regions", name  # no bundled scenario is split by region: the header alone
    costs = pd.read_csv(out / "costs.csv")
    summary = pd.read_csv(out / "summary.csv")
    for scenario, total in summary[summary.metric == "total_cost"].set_index("scenario")["value"].items():
        # amounts are rounded to the cent: the rows add up to the total within a cent per row
        assert abs(costs.loc[costs.scenario == scenario, "amount"].sum() - total) <= 0.01 * len(costs)
    assert set(costs["cost_kind"]) <= {"capex", "opex"}
    assert set(costs["line_kind"]) <= {"capex", "opex", "fixed_capex", "fixed_opex"}
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["version"] and meta["scenarios"] and len(meta["inputs"]) == len(BUNDLED)
    assert all(len(i["sha256"]) == 64 for i in meta["inputs"])
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "staging folder left behind"


def test_validate_ok_and_errors():
    proc = _sh("validate", *BUNDLED)
    assert proc.returncode == 0
    assert proc.stdout.count("ok") == len(BUNDLED)
    bad = INVALID / "negative_cost.toml"
    proc = _sh("validate", BUNDLED[0], str(bad))
    assert proc.returncode == 2
    assert "programme[1].cost[0].unit_cost" in proc.stderr and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_and_malformed_toml_exit_2_without_traceback(tmp_path):
    proc = _sh("run", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "missing.toml: file not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _sh("validate", str(INVALID / "malformed_toml.toml"))
    assert proc.returncode == 2 and "line 6" in proc.stderr and "Traceback" not in proc.stderr


def test_failed_run_writes_nothing(tmp_path):
    out = tmp_path / "out"
    code = main(["run", BUNDLED[0], str(INVALID / "share_above_one.toml"), "--out", str(out)])
    assert code == 2
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["run", BUNDLED[0], str(INVALID / "share_above_one.toml"), "--out", str(out)]) == 2
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_duplicate_scenario_names_are_an_error(tmp_path, capsys):
    copy = tmp_path / "copy.toml"
    copy.write_text(Path(BUNDLED[0]).read_text())
    assert main(["run", BUNDLED[0], str(copy), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "scenario.name" in err and "copy.toml" in err
    assert main(["validate", BUNDLED[0], str(copy)]) == 2


def test_help_on_every_command():
    for args in (["--help"], ["run", "--help"], ["validate", "--help"], ["compare", "--help"]):
        proc = _sh(*args)
        assert proc.returncode == 0 and "usage: dfl-finance" in proc.stdout


def test_unwritable_output_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["run", BUNDLED[0], "--out", str(blocker / "sub")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_xlsx_has_a_sheet_per_table(tmp_path):
    assert main(["run", BUNDLED[0], "--out", str(tmp_path), "--xlsx"]) == 0
    sheets = pd.read_excel(tmp_path / "dfl-finance.xlsx", sheet_name=None)
    assert set(TABLE_COLUMNS) <= set(sheets)


def test_compare_deltas_are_differences_of_the_scenarios_own_summaries(tmp_path):
    base = "Rwanda: IDA credit-led"
    rwanda = [f for f in BUNDLED if "rwanda" in str(f)]  # one currency, so the deltas exist
    proc = _sh("compare", *rwanda, "--out", str(tmp_path), "--baseline", base)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(table.columns) == ["metric", "label", "unit", "scenario", "value", "baseline", "delta"]
    names = list(dict.fromkeys(table["scenario"]))
    assert base in names and len(names) == len(rwanda)
    assert (table["baseline"] == base).all()
    from dfl_finance import load_scenario, run

    summaries = {run(load_scenario(f)).name: run(load_scenario(f)).summary() for f in rwanda}
    for row in table.itertuples():
        assert row.value == pytest.approx(summaries[row.scenario][row.metric], rel=1e-12, abs=1e-9)
        if row.scenario == base or row.metric not in summaries[base]:
            assert pd.isna(row.delta)
        else:
            expected = summaries[row.scenario][row.metric] - summaries[base][row.metric]
            assert row.delta == pytest.approx(expected, rel=1e-9, abs=0.011)


def test_compare_unknown_baseline_is_an_error(tmp_path):
    proc = _sh("compare", *BUNDLED, "--out", str(tmp_path / "o"), "--baseline", "Nope")
    assert proc.returncode == 2 and "baseline" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_compare_xlsx_has_comparison_tables_and_assumptions(tmp_path):
    assert main(["compare", *BUNDLED, "--out", str(tmp_path), "--xlsx"]) == 0
    sheets = pd.read_excel(tmp_path / "dfl-finance.xlsx", sheet_name=None)
    assert {"comparison", "assumptions", *TABLE_COLUMNS} <= set(sheets)
    fields = set(sheets["assumptions"]["field"])
    # canonical field paths: programmes and sources by id, cost lines by item (dfl_finance.inputs.paths)
    assert {"scenario.start_year", "programme[connectivity].cost[satellite terminal].unit_cost",
            "source[mof].kind", "source[ida].schedule"} <= fields
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comparison.csv", "dfl-finance.xlsx", "manifest.json",
                                                               "ranking.csv"]


def test_countries_and_templates_are_listed():
    proc = _sh("countries")
    assert proc.returncode == 0
    for iso3 in ("RWA", "KEN", "NPL", "BGD", "PER"):
        assert iso3 in proc.stdout
    assert "placeholder" in proc.stdout
    proc = _sh("templates")
    assert proc.returncode == 0
    for name in ("connectivity-satellite", "connectivity-mixed", "emis", "devices", "teacher-data-skills",
                 "officials-data-literacy", "data-governance"):
        assert name in proc.stdout


def test_compare_prints_a_readable_table():
    import tempfile

    rwanda = [f for f in BUNDLED if "rwanda-" in f]
    with tempfile.TemporaryDirectory() as out:
        proc = _sh("compare", *rwanda, "--out", out)
    assert proc.returncode == 0
    assert "[1] Rwanda: domestic budget only (baseline)" in proc.stdout
    assert " M " in proc.stdout or " M\n" in proc.stdout  # money in millions
    assert "%" in proc.stdout  # shares in percent
    assert " pp" in proc.stdout  # differences of shares in percentage points
    assert "Gap share" in proc.stdout and "gap_share" not in proc.stdout  # labels, not keys


# ------------------------------------------------------------------------------------------- the README's commands

#: Options whose value a command writes (an output folder or file), not a file it reads.
OUTPUT_OPTIONS = {"--out", "--write-scenario"}
#: What a README command may name without a file behind it: an option's value that is not a path.
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$")  # FILE, COMMAND, SPEC: the reader's own


def _readme_commands() -> list[list[str]]:
    """Every ``dfl-finance`` command in the README's ``bash`` blocks, its words as the shell gives them (comments
    left out, ``*`` expanded in the repository, as a shell in it would)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.lstrip().startswith("#"):
                continue
            for part in re.sub(r"\s+#.*$", "", line).split("&&"):
                words = shlex.split(part)
                if words[:1] != ["dfl-finance"]:
                    continue
                expanded: list[str] = []
                for w in words[1:]:
                    found = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(w)) if "*" in w else []
                    expanded += found or [w]
                out.append(expanded)
    return out


def _inputs(words: list[str]) -> list[str]:
    """The words of a command that name a file it reads: paths (with a folder or a file suffix), not an option's
    output, not a URL."""
    out = []
    for before, w in zip([None, *words], words):
        if w.startswith("-") or before in OUTPUT_OPTIONS or "://" in w or _PLACEHOLDER.match(w):
            continue
        if "/" in w or Path(w).suffix in (".toml", ".csv", ".parquet"):
            out.append(w)
    return out


def test_every_readme_command_names_files_that_exist_and_the_cheap_ones_run(tmp_path, monkeypatch, capsys):
    from dfl_finance.studies.sweep import load_sweep

    commands = _readme_commands()
    assert len(commands) >= 15 and any(c[0] == "sweep" for c in commands)
    missing = [(" ".join(c), f) for c in commands for f in _inputs(c) if not (ROOT / f).exists()]
    assert not missing, missing
    # run them from the repository, as the README's reader would, their outputs in a temporary folder
    monkeypatch.chdir(ROOT)
    ran = set()
    for words in commands:
        if any(_PLACEHOLDER.match(w) for w in words):
            continue  # FILE, COMMAND: the reader's own
        if words[0] == "sweep":  # minutes of draws on a cluster: the sweep file and every file it names are read
            load_sweep(words[1])
            continue
        args = [str(tmp_path / w) if before in OUTPUT_OPTIONS else w for before, w in zip([None, *words], words)]
        if words[0] == "verify":  # the folder that an earlier command of the README wrote
            args = ["verify", str(tmp_path / words[1])]
        if words[0] == "sensitivity":
            args.append("--no-sobol")  # the tornado only: the Sobol indices take seconds more
        assert main(args) == 0, " ".join(words)
        ran.add(words[0])
    capsys.readouterr()
    assert {"validate", "run", "compare", "risk", "stress", "sensitivity", "optimise", "schools", "portfolio",
            "countries", "templates", "data-check", "verify"} <= ran
