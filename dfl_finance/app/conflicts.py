"""This session's edit that was not saved because another session changed the scenario first: shown beside the
version on disk, with the three ways out (every page that saves edits shows it)."""

from __future__ import annotations

import difflib

import streamlit as st

from dfl_finance.app import state
from dfl_finance.app.ui import as_text


def show_conflict() -> None:
    """This session's edit that was not saved, beside the version on disk, with the three ways out."""
    found = state.conflict()
    if found is None:
        return
    theirs, mine_text = found.theirs, found.mine or ""  # an edit's conflict (a delete's is a notice)
    gone = theirs is None
    what = "deleted or renamed" if gone else "changed"
    st.warning(f"**{as_text(found.base.name)}** was {what} by another session after you opened it, so your edit "
               "was not saved. Nothing is lost: choose which version to keep.",
               icon=":material/sync_problem:")
    if theirs is not None:
        diff = "\n".join(difflib.unified_diff((theirs.text or "").splitlines(), mine_text.splitlines(), "on disk",
                                              "your edit", lineterm="", n=1))
        st.markdown("**What differs** (`-` on disk, `+` your edit)")
        st.code(diff or "(the same text)", language="diff")
    c = st.columns(3)
    c[0].button("Keep it deleted" if gone else "Keep the version on disk", key="conflict_keep",
                on_click=state.keep_theirs)
    c[1].button("Save mine as a copy", key="conflict_copy", on_click=state.save_mine_as_copy, type="primary")
    c[2].button("Save mine again" if gone else "Overwrite with mine", key="conflict_overwrite",
                on_click=state.overwrite)
    mine, on_disk = st.columns(2)
    mine.markdown("**Your edit (not saved)**")
    mine.code(mine_text, language="toml", height=360)
    on_disk.markdown("**Deleted**" if gone else "**On disk now (saved by the other session)**")
    if theirs is None:
        on_disk.info("Another session deleted or renamed this scenario.")
    else:
        on_disk.code(theirs.text or "", language="toml", height=360)
    st.divider()
