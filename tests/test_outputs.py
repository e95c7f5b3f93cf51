"""What the tool writes: CSV quoting and formula guards, all-or-nothing commits of an output folder, its manifest
and ``verify``, stale and foreign files, a closed stdout, reproducible workbooks and their formats, Excel CSVs."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dfl_finance import compare, dump_scenario, run, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.inputs.profiles import data_dir
from dfl_finance.outputs import export as ex
from dfl_finance.outputs.export import (
    FORMULA_PREFIXES,
    csv_text,
    file_sha256,
    neutralise_text,
    verify_outputs,
    write_tables,
    write_xlsx,
    zip_tables,
)
from dfl_finance.outputs.result import TABLE_COLUMNS
from tests.conftest import ROOT, small_scenario_dict

BUNDLED = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
DATA_FILES = ["country_profiles.csv", "unit_costs.csv", "loan_terms.csv", "templates.toml", "price_history.csv",
              "dsf_thresholds.csv", "ida_terms_by_risk.csv", "unit_cost_ranges.csv"]
NASTY = ["Plan B\r=2+5", "line one\n=HYPERLINK(\"http://x\")", "a\r\n@cmd", "-2+3\n\t+x", 'say "hi", then\n-1',
         "plain", "\r\r=x"]


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("dfl-finance")
    return [str(script) if script.exists() else shutil.which("dfl-finance")]


def _tables(unit_cost: float = 500.0, name: str = "Test") -> dict[str, pd.DataFrame]:
    raw = small_scenario_dict()
    raw["scenario"]["name"] = name
    raw["programme"][0]["cost"][0]["unit_cost"] = unit_cost
    return run(scenario_from_dict(raw)).tables()


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def _staging(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".dfl-finance-")]


def _lines_of_cells(rows: list[list[str]]):
    for row in rows:
        for cell in row:
            yield from re.split(r"\r\n|\r|\n", cell)


# ------------------------------------------------------------------------------------- 1. formula injection
@pytest.mark.parametrize("text, expected", [
    ("Plan B\r=2+5", "Plan B\r'=2+5"),
    ("a\n+b", "a\n'+b"),
    ("=a\n-b\r\n@c", "'=a\n'-b\r\n'@c"),
    ("\r\r=x", "'\r'\r'=x"),
    ("a\nb=c", "a\nb=c"),
])
def test_a_formula_after_a_line_break_is_neutralised(text, expected):
    assert neutralise_text(text) == expected


def _nasty_table() -> pd.DataFrame:
    return pd.DataFrame({"scenario": NASTY, "item": list(reversed(NASTY)), "year": range(2026, 2026 + len(NASTY)),
                         "amount": [1.5, -2.0, 3.25, 0.0, 1e20, float("nan"), 7.0]})


def test_csv_text_cannot_start_a_row_or_a_line_with_a_formula(tmp_path):
    df = _nasty_table()
    write_tables({"summary": df}, tmp_path)
    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == len(df) + 1 and all(len(r) == len(df.columns) for r in rows)
    assert rows[0] == list(df.columns)
    assert [r[0] for r in rows[1:]] == [neutralise_text(t) for t in NASTY]  # the text survives, quoted
    text_cells = [r[:2] for r in rows[1:]]  # the numbers are numbers: "-2.0" is not text
    assert not [line for line in _lines_of_cells(text_cells) if line.startswith(FORMULA_PREFIXES)]
    assert rows[1][3] == "1.5" and rows[2][3] == "-2.0"  # numbers are not text: no quote
    back = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert back["item"].tolist() == [neutralise_text(t) for t in reversed(NASTY)]


def test_free_text_with_line_breaks_is_quoted_and_guarded_in_every_line():
    df = pd.DataFrame({"field": ["programme[0].description", "source[0].source_note"],
                       "value": ["Connect schools.\n=cmd|' /C calc'!A0", "IDA\n+ GPE, 2025"]})
    rows = list(csv.reader(io.StringIO(csv_text(df), newline="")))
    assert len(rows) == 3
    assert rows[1][1] == "Connect schools.\n'=cmd|' /C calc'!A0" and rows[2][1] == "IDA\n'+ GPE, 2025"


def test_the_fast_and_the_field_by_field_writer_agree():
    # csv_text hands tables without a carriage return to pandas; the writer for any text must give the same bytes
    from dfl_finance.outputs.export import _csv_text_by_field

    nasty = _nasty_table()
    no_cr = nasty.assign(**{c: nasty[c].map(lambda v: v.replace("\r", "") if isinstance(v, str) else v)
                            for c in nasty.columns})
    for name, df in {**_tables(), "nasty": no_cr}.items():
        assert csv_text(df) == _csv_text_by_field(df), name


def test_plain_tables_are_written_as_pandas_writes_them():
    results = [run(scenario_from_dict(small_scenario_dict(scenario={"name": n, "start_year": 2026, "years": 5})))
               for n in ("A", "B")]
    tables = {**_tables(), "comparison": compare(results)}  # deltas: None for the baseline, numbers otherwise
    for name, df in tables.items():
        assert csv_text(df) == df.to_csv(index=False, lineterminator="\n"), name


def test_the_app_zip_and_the_command_line_write_the_same_csv_bytes(tmp_path):
    tables = {"summary": _nasty_table(), **_tables()}
    write_tables(tables, tmp_path)
    with zipfile.ZipFile(io.BytesIO(zip_tables(tables, {"scenarios": ["Test"]}))) as zf:
        for name in tables:
            assert zf.read(f"{name}.csv") == (tmp_path / f"{name}.csv").read_bytes(), name
        meta = json.loads(zf.read("manifest.json"))
    assert {o["path"] for o in meta["outputs"]} == {f"{n}.csv" for n in tables}


def test_the_app_export_page_builds_its_zip_with_the_shared_writer():
    page = (ROOT / "dfl_finance" / "app" / "pages" / "export.py").read_text()
    assert "zip_tables(" in page and "to_csv(" not in page


# ------------------------------------------------------------------------------------- 2. all or nothing
def _previous_run(out: Path) -> dict[str, bytes | None]:
    """A folder holding a previous run with a workbook, and the user's own notes."""
    write_tables(_tables(), out, meta={"scenarios": ["Test"]}, xlsx="dfl-finance.xlsx")
    (out / "notes.txt").write_text("mine")
    return _snapshot(out)


def _replace_failing_at(monkeypatch, fail_at: int | None) -> list:
    real, calls = os.replace, []

    def replace(src, dst, *args, **kwargs):
        calls.append((src, dst))
        if len(calls) == fail_at:
            raise PermissionError(13, "simulated: the file is open in another program", str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_a_blocked_target_leaves_the_previous_outputs_as_they_were(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["run", BUNDLED[0], "--out", str(out)]) == 0
    before = _snapshot(out)
    blocked = str(out / "debt_service.csv")  # e.g. open in Excel on Windows: it can be neither moved nor replaced
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if blocked in (str(src), str(dst)):
            raise PermissionError(13, "The process cannot access the file", blocked)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    capsys.readouterr()
    assert main(["run", BUNDLED[1], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "debt_service.csv" in err and "Traceback" not in err
    assert _snapshot(out) == before
    assert verify_outputs(out) == []


def test_a_failure_at_any_step_of_the_commit_restores_the_folder_exactly(tmp_path, monkeypatch):
    template = tmp_path / "template"
    _previous_run(template)
    new = _tables(unit_cost=900.0)
    calls = _replace_failing_at(monkeypatch, None)
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    write_tables(new, probe, meta={"scenarios": ["Test"]})
    steps = len(calls)
    assert steps >= 8  # the old manifest, 6 tables (moved aside and in), the stale workbook, the new manifest
    for fail_at in range(1, steps + 1):
        out = tmp_path / f"out{fail_at}"
        shutil.copytree(template, out)
        before = _snapshot(out)
        _replace_failing_at(monkeypatch, fail_at)
        with pytest.raises(OSError):
            write_tables(new, out, meta={"scenarios": ["Test"]})
        monkeypatch.undo()
        assert _snapshot(out) == before, f"step {fail_at} of {steps}"


def test_manifest_lists_every_output_with_its_hash_and_verify_checks_them(tmp_path, capsys):
    assert main(["run", BUNDLED[0], "--out", str(tmp_path), "--xlsx"]) == 0
    meta = json.loads((tmp_path / "manifest.json").read_text())
    listed = {o["path"]: o["sha256"] for o in meta["outputs"]}
    assert set(listed) == {f"{t}.csv" for t in TABLE_COLUMNS} | {"dfl-finance.xlsx"}
    assert all(listed[name] == file_sha256(tmp_path / name) for name in listed)
    assert verify_outputs(tmp_path) == []
    capsys.readouterr()
    assert main(["verify", str(tmp_path)]) == 0
    assert "ok" in capsys.readouterr().out

    (tmp_path / "fiscal.csv").write_text("edited", encoding="utf-8")
    (tmp_path / "costs.csv").unlink()
    problems = verify_outputs(tmp_path)
    assert len(problems) == 2
    assert any("fiscal.csv" in p and "sha256" in p for p in problems)
    assert any("costs.csv" in p and "missing" in p for p in problems)
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "fiscal.csv" in err and "costs.csv" in err

    (tmp_path / "manifest.json").unlink()
    assert ["manifest.json" in p for p in verify_outputs(tmp_path)] == [True]
    assert main(["verify", str(tmp_path / "nowhere")]) == 2


def test_verify_is_documented():
    proc = subprocess.run(_cli() + ["--help"], capture_output=True, text=True, timeout=60)
    assert "verify" in proc.stdout
    proc = subprocess.run(_cli() + ["verify", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "manifest.json" in proc.stdout
    readme = (ROOT / "README.md").read_text()
    assert "dfl-finance verify" in readme


@pytest.mark.parametrize("die_at", [2, 5])
def test_a_killed_run_is_rolled_back_by_the_next_write(tmp_path, die_at):
    out = tmp_path / "out"
    before = _previous_run(out)
    script = (
        "import os, sys\n"
        "from dfl_finance.outputs.export import write_tables\n"
        "from tests.test_outputs import _tables\n"
        "tables = _tables(unit_cost=900.0)\n"
        "real, n = os.replace, [0]\n"
        "def dying(src, dst):\n"
        "    n[0] += 1\n"
        f"    if n[0] == {die_at}:\n"
        "        os._exit(9)\n"
        "    real(src, dst)\n"
        "os.replace = dying\n"
        f"write_tables(tables, {str(out)!r}, meta={{}})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    assert len(_staging(out)) == 1  # the dead run's staging folder, holding what it had moved aside
    ex._clean_stale_staging(out)
    assert _snapshot(out) == before
    write_tables(_tables(unit_cost=700.0), out, meta={})
    assert verify_outputs(out) == [] and not _staging(out)


def test_stale_staging_folders_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    names = {
        "dead": ex._staging_prefix(dead_pid) + "a1",
        "no_such_pid": ex._staging_prefix(10**30) + "e5",
        "live": ex._staging_prefix(os.getpid()) + "b2",
        "other_host_recent": ex._staging_prefix(12345, host="elsewhere") + "c3",
        "other_host_old": ex._staging_prefix(12345, host="elsewhere") + "d4",
        "old_format_old": ".dfl-finance-x8k2j3",
    }
    for key, name in names.items():
        (tmp_path / name / "new").mkdir(parents=True)
        (tmp_path / name / "new" / "costs.csv").write_text("half written")
        if key.endswith("_old"):
            two_days_ago = time.time() - 2 * 86400
            os.utime(tmp_path / name, (two_days_ago, two_days_ago))
    write_tables(_tables(), tmp_path, meta={})
    assert sorted(_staging(tmp_path)) == sorted([names["live"], names["other_host_recent"]])


def test_a_failed_run_removes_every_folder_it_created(tmp_path, monkeypatch, capsys):
    def disk_full(sheets, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex, "write_xlsx", disk_full)
    assert main(["run", BUNDLED[0], "--out", str(tmp_path / "a" / "b" / "c"), "--xlsx"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------- 3. stale and foreign files
def test_a_second_run_removes_the_first_runs_workbook_but_not_the_users_files(tmp_path):
    assert main(["run", BUNDLED[0], "--out", str(tmp_path), "--xlsx"]) == 0
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["run", BUNDLED[0], "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{t}.csv" for t in TABLE_COLUMNS] + ["manifest.json", "notes.txt"])
    assert verify_outputs(tmp_path) == []


def test_a_stale_output_the_user_changed_is_kept(tmp_path):
    write_tables(_tables(), tmp_path, meta={}, xlsx="dfl-finance.xlsx")
    (tmp_path / "dfl-finance.xlsx").write_bytes(b"the user's own edits")
    write_tables(_tables(), tmp_path, meta={})
    assert (tmp_path / "dfl-finance.xlsx").read_bytes() == b"the user's own edits"
    assert "dfl-finance.xlsx" not in {o["path"] for o in json.loads((tmp_path / "manifest.json").read_text())[
        "outputs"]}


def test_a_manifest_cannot_make_the_writer_remove_files_outside_the_folder(tmp_path):
    out = tmp_path / "out"
    write_tables(_tables(), out, meta={})
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    meta = json.loads((out / "manifest.json").read_text())
    meta["outputs"].append({"path": "../victim.txt", "sha256": file_sha256(victim)})
    meta["outputs"].append({"path": str(victim), "sha256": file_sha256(victim)})
    (out / "manifest.json").write_text(json.dumps(meta))
    problems = verify_outputs(out)
    assert len(problems) == 2 and all("victim.txt" in p and "not a file of this folder" in p for p in problems)
    write_tables(_tables(), out, meta={})
    assert victim.read_text() == "keep me"


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, capsys):
    mine = tmp_path / "summary.csv"
    mine.write_text("my own summary")
    before = _snapshot(tmp_path)
    assert main(["run", BUNDLED[0], "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(mine) in err and "Traceback" not in err
    assert _snapshot(tmp_path) == before


def test_refuses_a_manifest_it_did_not_write(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('{"something": "else"}')
    before = _snapshot(tmp_path)
    assert main(["run", BUNDLED[0], "--out", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_an_empty_out_is_refused(tmp_path):
    proc = subprocess.run(_cli() + ["run", BUNDLED[0], "--out", ""], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 2 and "--out" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ex.OutputError):
        write_tables(_tables(), "", meta={})


# ------------------------------------------------------------------------------------- 4. a closed stdout
def test_a_closed_pipe_ends_quietly_with_status_141(tmp_path):
    proc = subprocess.Popen(_cli() + ["run", *BUNDLED, "--out", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # like `| head` exiting before the summary is printed
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert verify_outputs(tmp_path) == []
    assert "141" in (ROOT / "README.md").read_text()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("command", [["run", BUNDLED[0], "--out", "{out}"], ["validate", BUNDLED[0]], ["countries"]])
def test_standard_output_that_cannot_be_written_is_a_message_not_a_traceback(tmp_path, command):
    args = [a.replace("{out}", str(tmp_path / "out")) for a in command]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(_cli() + args, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "error: cannot write the output: No space left on device"


# ------------------------------------------------------------------------------------- 5. reproducibility
def test_manifest_records_the_data_files_and_the_library_versions(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    monkeypatch.setenv("DFL_FINANCE_DATA", str(data))
    assert main(["run", BUNDLED[0], "--out", str(tmp_path / "one")]) == 0
    first = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert first["data"]["folder"] == str(data.resolve())
    assert {f["path"]: f["sha256"] for f in first["data"]["files"]} == {
        name: file_sha256(data / name) for name in DATA_FILES}
    assert {"python", "numpy", "pandas", "scipy", "pydantic", "openpyxl", "dfl-finance"} <= set(first["versions"])
    assert all(first["versions"].values())

    costs = (data / "unit_costs.csv").read_text().splitlines()
    costs[1] = re.sub(r",(\d+(\.\d+)?),", lambda m: f",{float(m.group(1)) + 1},", costs[1], count=1)
    (data / "unit_costs.csv").write_text("\n".join(costs) + "\n")
    assert main(["run", BUNDLED[0], "--out", str(tmp_path / "two")]) == 0
    second = json.loads((tmp_path / "two" / "manifest.json").read_text())
    changed = [a["path"] for a, b in zip(first["data"]["files"], second["data"]["files"]) if a != b]
    assert changed == ["unit_costs.csv"]


def test_the_workbook_is_byte_identical_between_runs(tmp_path, monkeypatch):
    assert main(["compare", *BUNDLED[:2], "--out", str(tmp_path / "one"), "--xlsx"]) == 0
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)  # zip entries are stamped with the time of writing
    assert main(["compare", *BUNDLED[:2], "--out", str(tmp_path / "two"), "--xlsx"]) == 0
    one, two = (tmp_path / d / "dfl-finance.xlsx" for d in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()
    with zipfile.ZipFile(one) as zf:
        core = zf.read("docProps/core.xml").decode()
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert str(time.gmtime().tm_year) not in core  # no time of writing in the document properties


# ------------------------------------------------------------------------------------- 6. the workbook
def _column(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name) + 1


def test_workbook_has_a_readme_formats_widths_and_frozen_headers(tmp_path):
    assert main(["run", BUNDLED[0], BUNDLED[1], "--out", str(tmp_path), "--xlsx"]) == 0
    wb = openpyxl.load_workbook(tmp_path / "dfl-finance.xlsx")
    assert wb.sheetnames[0] == "README"
    assert set(TABLE_COLUMNS) | {"assumptions"} <= set(wb.sheetnames)
    readme = "\n".join(str(c.value) for row in wb["README"].iter_rows() for c in row if c.value is not None)
    assert "price_basis" in readme and "constant prices of the scenario's price_year" in readme
    assert "minor unit" in readme
    for name in wb.sheetnames[1:]:
        assert name in readme
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title

    fiscal = wb["fiscal"]
    assert fiscal.cell(2, _column(fiscal, "year")).number_format == "0"
    assert "%" in fiscal.cell(2, _column(fiscal, "burden_share")).number_format
    assert "%" in fiscal.cell(2, _column(fiscal, "burden_limit")).number_format
    assert fiscal.cell(2, _column(fiscal, "education_budget")).number_format.startswith("#,##0")
    costs = wb["costs"]
    assert costs.cell(2, _column(costs, "quantity")).number_format == "#,##0"
    assert costs.cell(2, _column(costs, "amount")).number_format.startswith("#,##0")
    assert "%" in wb["outcomes"].cell(2, _column(wb["outcomes"], "reached_share")).number_format
    summary = wb["summary"]
    col = {c.value: c.column for c in summary[1]}
    formats = {summary.cell(r, col["unit"]).value: summary.cell(r, col["value"]).number_format
               for r in range(2, summary.max_row + 1)}
    assert "%" in formats["share of total cost"] and "%" in formats["share of education budget"]
    assert formats["years"] == "0" and formats["USD"].startswith("#,##0")

    for ws in (costs, fiscal, summary):
        for col, header in enumerate(ws[1], start=1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
            texts = [c.value for c in next(ws.iter_cols(min_col=col, max_col=col)) if isinstance(c.value, str)]
            longest = max(len(line) for t in texts for line in t.splitlines())
            assert len(header.value) <= width <= 60, (ws.title, header.value, width)
            assert width >= min(longest, 50), (ws.title, header.value, width)


def test_workbook_text_is_kept_as_text_and_control_characters_cannot_crash_it(tmp_path):
    # in a workbook, text is stored as text (never a formula) and shown as written, with Excel's text prefix where
    # a spreadsheet would run it as a formula; a CSV has no such type, so there the leading ' stays
    df = pd.DataFrame({"scenario": ["=1+1", "a\n=b", "bell\x07 and \x1b escape", "fine"], "amount": [1, 2, 3, 4]})
    write_xlsx({"summary": df}, tmp_path / "w.xlsx")
    cells = openpyxl.load_workbook(tmp_path / "w.xlsx")["summary"]["A"][1:]
    assert [c.value for c in cells] == ["=1+1", "a\n=b", "bell\ufffd and \ufffd escape", "fine"]
    assert all(c.data_type == "s" for c in cells)  # text, not a formula
    assert [c.quotePrefix for c in cells] == [True, True, False, False]


# ------------------------------------------------------------------------------------- 7. CSVs for Excel
def test_excel_csv_starts_with_a_bom_and_keeps_accents(tmp_path):
    raw = small_scenario_dict()
    raw["scenario"]["name"] = "Côte d'Ivoire: écoles connectées"
    scenario_file = tmp_path / "civ.toml"
    scenario_file.write_text(dump_scenario(scenario_from_dict(raw)), encoding="utf-8")
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "excel"), "--excel-csv"]) == 0
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "plain")]) == 0
    for table in TABLE_COLUMNS:
        data = (tmp_path / "excel" / f"{table}.csv").read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), table
        assert data[3:] == (tmp_path / "plain" / f"{table}.csv").read_bytes()
        back = pd.read_csv(tmp_path / "excel" / f"{table}.csv")
        assert list(back.columns) == TABLE_COLUMNS[table]
        assert set(back["scenario"]) <= {"Côte d'Ivoire: écoles connectées"}
    assert verify_outputs(tmp_path / "excel") == []
    assert main(["compare", str(scenario_file), "--out", str(tmp_path / "cmp"), "--excel-csv"]) == 0
    assert (tmp_path / "cmp" / "comparison.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_workbook_formats_follow_the_unit_not_the_value(tmp_path):
    # every amount in a currency gets that currency's format, whatever its digits (190,446,560.05 and 185,357,291.58
    # were shown with 0 and 1 decimals); shares in percent, years whole, ratios with two decimals
    from openpyxl import load_workbook

    assert main(["run", *BUNDLED, "--out", str(tmp_path), "--xlsx"]) == 0
    ws = load_workbook(tmp_path / "dfl-finance.xlsx")["summary"]
    header = [c.value for c in ws[1]]
    value, unit = header.index("value"), header.index("unit")
    formats: dict[str, set[str]] = {}
    for row in ws.iter_rows(min_row=2):
        if row[value].value is not None:
            formats.setdefault(row[unit].value, set()).add(row[value].number_format)
    assert formats["USD"] == {"#,##0.00"}  # the headline metrics in USD
    assert formats["KES"] == {"#,##0.00"} and formats["RWF"] == {"#,##0"}  # the franc has no minor unit
    assert formats["years"] == {"0"}
    assert all(f == {"0.0%"} for u, f in formats.items() if u.startswith("share"))
    assert formats["RWF external per RWF domestic"] == {"#,##0.00"}
