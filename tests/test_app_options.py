"""The bundled instrument options (scenarios/instruments/, issue 25) on the Scenarios page: listed without being
loaded, opened into the workspace when chosen (streamlit AppTest); the app's default pick unchanged."""

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfl_finance.app import DEFAULT_SCENARIO  # noqa: E402
from dfl_finance.app.options import instrument_options  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.slow  # the app's pages in AppTest (as test_app.py)


def test_the_options_are_listed_by_file_with_their_names():
    names = {o.path.name: o.name for o in instrument_options()}
    assert names == {
        "kenya-debt-swap.toml": "Kenya: education budget with a debt swap",
        "kenya-guaranteed-loan.toml": "Kenya: education budget with an IDA-guaranteed loan",
        "kenya-ida-buy-down.toml": names["kenya-ida-buy-down.toml"],
        "kenya-usf-levy.toml": names["kenya-usf-levy.toml"]}
    assert all(n.startswith("Kenya") for n in names.values())


def test_an_option_is_opened_and_picked_and_the_default_pick_is_unchanged(workspace):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="current").value == DEFAULT_SCENARIO
    # the options are not in the catalogue until chosen (the start-up does not load them)
    assert not any(n.startswith("Kenya: education budget with a debt swap") for n in at.selectbox(key="current")
                   .options)
    options = instrument_options()
    swap = next(i for i, o in enumerate(options) if o.path.name == "kenya-debt-swap.toml")
    at.selectbox(key="instrument_option").set_value(swap)
    next(b for b in at.button if b.label == "Open the option").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert at.selectbox(key="current").value == "Kenya: education budget with a debt swap"
    assert len(list(workspace.glob("*.toml"))) == 1
    # opened again: picked, not copied twice
    at.selectbox(key="instrument_option").set_value(swap)
    next(b for b in at.button if b.label == "Open the option").click().run()
    assert not at.exception
    assert len(list(workspace.glob("*.toml"))) == 1
