"""The engine behind the app, cached on the scenario's content (its TOML text)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..results import compare_summaries, concat_tables, run
from ..schema import parse_scenario


@st.cache_data(max_entries=128, show_spinner=False)
def tables_for(toml_text: str) -> dict[str, pd.DataFrame]:
    """All output tables of one scenario; the same text is computed once per server."""
    return run(parse_scenario(toml_text)).tables()


def combined_tables(toml_texts: list[str]) -> dict[str, pd.DataFrame]:
    """The tables of several scenarios, rows tagged by scenario name."""
    return concat_tables([tables_for(t) for t in toml_texts])


def comparison(toml_texts: list[str], baseline: str | None, not_comparable: str | None = None) -> pd.DataFrame:
    """The comparison table (long format) of several scenarios; ``not_comparable`` leaves the deltas empty."""
    return compare_summaries([tables_for(t)["summary"] for t in toml_texts], baseline, not_comparable)
