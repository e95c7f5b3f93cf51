"""Cut data/raw/wdi/WDICSV_slice.csv from the World Development Indicators mirror
(datasets/world-development-indicators).

    python data/raw/wdi/slice.py MIRROR_GIT_DIR [COMMIT]

MIRROR_GIT_DIR is a clone (or bare snapshot) of https://github.com/datasets/world-development-indicators; COMMIT
defaults to the one LICENSE.md names. The slice keeps the indicators of INDICATORS, the economies already in the
slice (the profiled countries and the United States) and the years 2010-2025, values unchanged, in the layout of the
WDI bulk download (WDICSV.csv: one row per economy and indicator, one column per year, the rows sorted by economy
code and indicator code; an economy without a value of an indicator in those years has no row).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLICE = HERE / "WDICSV_slice.csv"
COMMIT = "4ebec5a2273f531ba238a34dbe440394dc5a6c4b"
YEARS = [str(y) for y in range(2010, 2026)]
INDICATORS = ("DT.DOD.DPPG.CD", "DT.TDS.DECT.EX.ZS", "FP.CPI.TOTL.ZG", "GC.DOD.TOTL.GD.ZS", "GC.REV.XGRT.GD.ZS",
              "NE.EXP.GNFS.ZS", "NY.GDP.MKTP.CD", "NY.GDP.MKTP.KD.ZG", "PA.NUS.FCRF", "SE.PRM.ENRL.TC.ZS",
              "SE.XPD.TOTL.GB.ZS", "SE.XPD.TOTL.GD.ZS", "SP.POP.0014.TO.ZS", "SP.POP.TOTL",
              # the LIC-DSF stress tests' primary-balance and other-flows standard deviations (issue 22)
              "GC.NLD.TOTL.GD.ZS", "BX.KLT.DINV.CD.WD", "BX.TRF.PWKR.CD.DT")


def _show(git: Path, commit: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(git), "show", f"{commit}:{path}"], check=True, capture_output=True,
                          text=True).stdout


def main(argv: list[str]) -> int:
    git, commit = Path(argv[1]), (argv[2] if len(argv) > 2 else COMMIT)
    with SLICE.open(newline="", encoding="utf-8") as f:
        economies = {row["Country Code"]: row["Country Name"] for row in csv.DictReader(f)}
    rows = []
    for code in INDICATORS:
        folder = f"indicators/{code.lower()}"
        title = json.loads(_show(git, commit, f"{folder}/datapackage.json"))["title"]
        values: dict[str, dict[str, str]] = {}
        for row in csv.DictReader(io.StringIO(_show(git, commit, f"{folder}/data.csv"))):
            if row["Country Code"] in economies and row["Year"] in YEARS:
                values.setdefault(row["Country Code"], {})[row["Year"]] = row["Value"]
        for iso3, by_year in values.items():
            rows.append([economies[iso3], iso3, title, code, *(by_year.get(y, "") for y in YEARS)])
    rows.sort(key=lambda r: (r[1], r[3]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Country Name", "Country Code", "Indicator Name", "Indicator Code", *YEARS])
    writer.writerows(rows)
    SLICE.write_text(out.getvalue(), encoding="utf-8")
    print(f"{SLICE}: {len(rows)} rows, {len(INDICATORS)} indicators, {len(economies)} economies")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
