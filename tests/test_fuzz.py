"""Fuzz: mutated bundled scenarios through the command line, in-process.

A seeded generator takes a bundled scenario, applies one to three mutations (a number replaced by inf, NaN, a
negative, a huge or a tiny value; text replaced by blanks, control characters or formula-like text; a key deleted,
renamed or added; a list emptied or an entry duplicated; or the TOML text itself cut or corrupted), and runs
``dfl-finance run`` on it (every tenth case with ``--xlsx``). Every case must end in one of two ways:

- exit 0, with every table written, finite numbers only (no NaN, no inf) and a manifest; or
- exit 2, with a message naming the file and the field (or saying the TOML is malformed), and no output folder.

Never a traceback (an exception out of ``main``), never a partial output folder. ``dfl-finance validate`` agrees
with ``run``: a file that validates runs, and a file that is refused is refused by both (issue 19: copies outside
``scenarios/`` validated, then failed to run, through their ``[scenario] baseline``). Half the cases are written
beside copies of the bundled files (a baseline found), half alone (not found). Reproduce a case with its index:
``pytest tests/test_fuzz.py -k "case-17"``.
"""

import contextlib
import copy
import io
import math
import random
import shutil
import tomllib

import numpy as np
import pandas as pd
import pytest
import tomli_w

from dfl_finance.cli import main
from dfl_finance.vocabulary import MILESTONES_MET, OUTCOME_MEASURES
from tests.conftest import ROOT

BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))
CASES = 400
SEED = 20261129

NUMBERS = [math.inf, -math.inf, math.nan, -1, -1e-9, 0, 0.0, 1e-320, 1e-300, 1e306, 10**30, 2**63, 1e18, 0.5, 3, 61,
           2200]
TEXTS = ["", "   ", "\r=2+5", "Plan\tB", "=HYPERLINK(\"x\")", "@cmd", "x" * 5000, "Côte d'Ivoire", "名前", "..",
         "metric", "gap", "a__b", "line\nbreak", "\x00", "\u202e"]
OTHER = [[], {}, True, [[1, 2]], {"a": 1}, [math.nan], ["unknown"], [[7, 31, 0.5]]]


def _paths(node, prefix=()):
    """Every (path, value) in a parsed TOML document, tables and lists included."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _parent(doc, path):
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _plausible(value, rng: random.Random):
    """A value of the same type, often valid, sometimes at an edge (0, tiny, huge) that the engine must survive."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return max(0, value + rng.choice([-3, -1, 0, 1, 2, 10]))
    if 0 < value <= 1:
        return rng.choice([0.0, 1.0, rng.random(), value / 2, 1e-12])
    return value * rng.choice([0.0, 1e-9, 0.5, 2.0, 10.0, 1e6, 1e9])


def _mutate(doc: dict, rng: random.Random) -> None:
    everything = [(p, v) for p, v in _paths(doc) if p]
    numbers = [(p, v) for p, v in everything if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numbers and rng.random() < 0.6:  # most often a number changed within its type: runs that reach the engine
        path, value = rng.choice(numbers)
        _parent(doc, path)[path[-1]] = _plausible(value, rng)
        return
    path, value = rng.choice(everything)
    parent, key = _parent(doc, path), path[-1]
    action = rng.random()
    if action < 0.1 and isinstance(parent, dict):
        del parent[key]
    elif action < 0.15 and isinstance(parent, dict):
        parent[f"{key}x" if rng.random() < 0.5 else "unknown_key"] = value
    elif action < 0.2 and isinstance(parent, list):
        parent.append(copy.deepcopy(value))
    elif isinstance(value, bool) or isinstance(value, (int, float)):
        parent[key] = rng.choice(NUMBERS + (TEXTS[:3] if rng.random() < 0.2 else []))
    elif isinstance(value, str):
        parent[key] = rng.choice(TEXTS + ([rng.choice(NUMBERS)] if rng.random() < 0.2 else []))
    else:
        parent[key] = copy.deepcopy(rng.choice(OTHER + NUMBERS[:3] + TEXTS[:2]))


def _case(index: int) -> tuple[str, str]:
    """(name of the bundled file, TOML text of the mutated scenario) for case ``index`` (deterministic)."""
    rng = random.Random(SEED + index)
    source = rng.choice(BUNDLED)
    text = source.read_text(encoding="utf-8")
    if rng.random() < 0.15:  # corrupt the text itself
        cut = rng.randrange(len(text))
        text = rng.choice([text[:cut], text[:cut] + rng.choice(["[", "=", "\"", "\x00", "]]"]) + text[cut:],
                           text.replace("=", "==", 1), "\ufeff" + text])
        return source.name, text
    doc = tomllib.loads(text)
    for _ in range(rng.randint(1, 4)):
        _mutate(doc, rng)
    try:
        return source.name, tomli_w.dumps(doc)
    except (TypeError, ValueError):  # a value TOML cannot hold (a list of mixed tables, say): write it as text
        return source.name, text + f"\nmutation = {rng.choice(['nan', 'inf', '-inf', '1e400', '[[]]'])}\n"


def _run_cli(args):
    """``dfl-finance ARGS`` in this process: (exit status, stdout, stderr). An option that argparse refuses ends in
    SystemExit(2) with its message, as the command does; any other exception is a traceback and fails the case."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


#: Columns that hold text; every other column of a written table must hold a finite number in every row.
TEXT_COLUMNS = {"scenario", "pillar", "programme", "item", "cost_kind", "line_kind", "source", "source_kind",
                "driver", "metric", "unit", "label", "baseline", "over_limit", "price_basis", "currency",
                "service_over_envelope", "ratio", "above_threshold", "measure",
                "account", "gfs_class", "gfs_code", "financed_by", "charged_to",  # gfs.csv
                "concessional", "source_currency",  # sources.csv
                "economic_class", "cofog", "budget_type", "budget_code", "financed", "on_budget",  # budget lines
                "role", "region", "fiscal_year"}  # dli.csv, regions.csv, a table by fiscal year
#: Columns that may be empty: the domestic envelope when no domestic source has a budget cap; in dsf.csv, what the
#: profile does not know (the baseline, the threshold of an unknown capacity).
MAY_BE_EMPTY = {("fiscal.csv", "domestic_envelope"), ("dsf.csv", "total"), ("dsf.csv", "threshold"),
                ("dsf.csv", "headroom"),
                # sources.csv: what does not apply to a kind of source (a domestic source's grant element, ...)
                ("sources.csv", "committed"), ("sources.csv", "grant_element"), ("sources.csv", "pv_debt_service"),
                ("sources.csv", "pv_new_external_debt"),
                # dli.csv: a result never reached has no year earned or paid
                ("dli.csv", "earned_year"), ("dli.csv", "payment_year")} | {
    # outcomes.csv: a programme that does not produce a measure (issue 25) has no value of it
    ("outcomes.csv", m) for m in (*OUTCOME_MEASURES, MILESTONES_MET)}


def _assert_finite_table(csv, text_columns=TEXT_COLUMNS, may_be_empty=frozenset()) -> pd.DataFrame:
    """Every cell of every column of ``csv`` but ``text_columns`` a finite number; those of ``may_be_empty`` a
    finite number or empty. Returns the table as text."""
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for col in df.columns:
        if col in text_columns:
            continue
        cells = df[col][df[col] != ""] if col in may_be_empty else df[col]
        values = pd.to_numeric(cells, errors="coerce")  # an empty cell (a NaN written out) fails here too
        assert values.notna().all(), (csv.name, col, cells[values.isna()].head(3).tolist())
        assert np.isfinite(values.to_numpy(dtype=float)).all(), (csv.name, col)
    return df


def _assert_finite_tables(folder, text_columns=TEXT_COLUMNS, may_be_empty=MAY_BE_EMPTY):
    """A manifest and a summary, and every table of ``folder`` finite (:func:`_assert_finite_table`; ``may_be_empty``
    holds (file, column) pairs)."""
    written = sorted(p.name for p in folder.iterdir())
    assert "manifest.json" in written and "summary.csv" in written, written
    for csv in folder.glob("*.csv"):
        _assert_finite_table(csv, text_columns, {col for name, col in may_be_empty if name == csv.name})


@pytest.mark.parametrize("index", range(CASES), ids=[f"case-{i}" for i in range(CASES)])
def test_mutated_scenario_runs_cleanly_or_is_refused_with_a_named_field(index, tmp_path):
    name, text = _case(index)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if index % 2 == 0:
        for sibling in (ROOT / "scenarios").glob("*.toml"):  # a [scenario] baseline names a file beside it
            if not (tmp_path / sibling.name).exists():
                shutil.copy(sibling, tmp_path / sibling.name)
    out = tmp_path / "out"
    workbook = ["--xlsx"] if index % 10 == 0 else []  # the workbook writer refuses some text that CSV takes
    checked, _, check_err = _run_cli(["validate", str(path)])
    code, stdout, stderr = _run_cli(["run", str(path), "--out", str(out), *workbook])  # an exception: a traceback
    assert code in (0, 2), (code, stderr)
    assert "Traceback" not in stderr
    if not workbook:
        assert (checked == 0) == (code == 0), ("validate and run disagree", check_err, stderr)
    if code == 0:
        _assert_finite_tables(out)
    else:
        assert not out.exists(), "a refused run must not leave an output folder"
        first = next(line for line in stderr.splitlines() if not line.startswith("warning: "))
        assert first.startswith(f"{path}: "), first
        assert "malformed TOML" in first or first.split(": ")[1].strip(), first  # a field path after the file


# ------------------------------------------------------------------------------------ holes the fuzz found (issue 19)

def test_a_budget_whose_shares_would_overflow_is_refused_and_the_engine_never_writes_inf(tmp_path):
    """context.education_budget = 1e-300 gave inf in fiscal.csv and summary.csv: the schema refuses a budget below
    1, and the engine reports a share that overflows as undefined (NaN, an empty cell), never inf."""
    from dfl_finance.engine.fiscal import financing_metrics, fiscal_arrays

    text = (ROOT / "scenarios" / "rwanda-domestic.toml").read_text(encoding="utf-8").replace(
        "burden_limit = 0.05", "burden_limit = 0.05\neducation_budget = 1e-300", 1)
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    code, _, err = _run_cli(["validate", str(path)])
    assert code == 2 and "context.education_budget" in err and "1e-300" in err
    H = 4
    fiscal = fiscal_arrays(np.full((1, H), 1e-300), np.full((1, 2), 1e10), np.zeros((1, H)), np.zeros((1, H)),
                           np.zeros((1, 2)), np.array([0.05]), recurrent=np.full((1, H), 1e10))
    assert np.isnan(fiscal["burden_share"]).all() and fiscal["over_limit"].all()
    metrics = financing_metrics(np.array([2e10]), np.zeros((1, 2, 1)), np.array([0]), np.zeros((1, 2)), fiscal,
                                np.ones((1, H)), (1,))
    assert np.isnan(metrics["peak_burden_share"]).all()
    assert not any(np.isinf(np.asarray(v, dtype=float)).any() for v in metrics.values())


def test_a_chain_of_matched_grants_longer_than_the_sources_allowed_is_refused_at_once():
    """A chain of 1,500 matched grants ran for more than 30 s; a scenario may have at most MAX_SOURCES sources, and
    the file is refused with the count (tests/data/invalid/too_many_sources.toml)."""
    from dfl_finance.vocabulary import MAX_SOURCES

    path = ROOT / "tests" / "data" / "invalid" / "too_many_sources.toml"
    code, _, err = _run_cli(["validate", str(path)])
    assert code == 2 and f"{path}: source: has 1,501 entries; at most {MAX_SOURCES} are allowed" in err
