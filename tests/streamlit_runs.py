"""Counting, in the browser, the script runs Streamlit finishes: the browser tests wait on it and
benchmarks/bench_app_browser.py times it (one decoder for both)."""

from __future__ import annotations

_WRAP = """  const Native = window.WebSocket;
  function varint(b, i) {
    let v = 0, k = 0, x;
    do { x = b[i++]; v += (x & 0x7f) * 2 ** k; k += 7; } while (x & 0x80);
    return [v, i];
  }
  function finishedStatus(b) {  // the status of a script_finished message, else -1
    let i = 0;
    while (i < b.length) {
      let tag, n;
      [tag, i] = varint(b, i);
      const field = Math.floor(tag / 8), wire = tag % 8;
      if (wire === 0) { [n, i] = varint(b, i); if (field === FIELD) return n; }
      else if (wire === 2) { [n, i] = varint(b, i); i += n; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return -1;
    }
    return -1;
  }
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", e => {
        if (e.data instanceof ArrayBuffer) {
          const status = finishedStatus(new Uint8Array(e.data));
          if (status >= 0 && status !== EARLY) { ON_FINISHED }
        }
      });
    }
  };
"""


def finished_runs_js(on_finished: str) -> str:
    """Statements for an init script (run before Streamlit loads) that wrap the page's WebSocket, read the top-level
    fields of each ForwardMsg the server sends and run ``on_finished`` (JavaScript) for each ``script_finished``
    message, unless its status says the run was cut short for another (``FINISHED_EARLY_FOR_RERUN``: st.rerun, or
    a newer request), whose successor is the run that counts. The field number and the status are read from
    Streamlit's own protocol definitions."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    field = ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].number
    return (_WRAP.replace("FIELD", str(field)).replace("EARLY", str(ForwardMsg.FINISHED_EARLY_FOR_RERUN))
            .replace("ON_FINISHED", on_finished))
