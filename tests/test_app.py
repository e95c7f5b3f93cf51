"""The Streamlit app with streamlit.testing.v1.AppTest: every page, edits, errors, uploads and the workspace."""

import re

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfl_finance import load_scenario, run  # noqa: E402
from dfl_finance.app import PAGES  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

RWANDA = "Rwanda: domestic budget only"
SLUG = "rwanda-domestic-budget-only"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("DFL_FINANCE_WORKSPACE", str(tmp_path / "workspace"))
    return tmp_path / "workspace"


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _open(at: AppTest, name: str) -> AppTest:
    at.selectbox(key="current").set_value(name).run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label_start: str) -> float:
    """A headline metric as a number ("1.12 bn" -> 1.12e9, "232.4 M" -> 2.324e8)."""
    (m,) = [m for m in at.metric if m.label.startswith(label_start)]
    number, unit = re.fullmatch(r"(-?[\d,.]+)\s*(bn|M|k)?", m.value).groups()
    return float(number.replace(",", "")) * {"bn": 1e9, "M": 1e6, "k": 1e3, None: 1.0}[unit]


def _key(path: str, version: int = 0) -> str:
    return f"{SLUG}:{version}:{path}"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_runs(workspace, page):
    at = _app()
    at.switch_page(PAGES[page]).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_opens_on_the_bundled_scenarios(workspace):
    at = _app()
    options = at.selectbox(key="current").options
    assert any(RWANDA in o for o in options) and len(options) == len(list((ROOT / "scenarios").glob("*.toml")))
    assert _metric(at, "Total cost") > 0


def test_raising_a_unit_cost_raises_the_total_cost(workspace):
    at = _open(_app(), RWANDA)
    before = _metric(at, "Total cost")
    field = at.number_input(key=_key("programme[0].cost[0].unit_cost"))
    field.set_value(field.value * 3)
    at.button(key=f"apply:{SLUG}:0").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _metric(at, "Total cost")
    assert after > before
    # the edit is kept in the session and saved to the workspace
    saved = load_scenario(workspace / f"{SLUG}.toml")
    assert saved.programme[0].cost[0].unit_cost == pytest.approx(3 * 515.0)
    assert run(saved).summary()["total_cost"] == pytest.approx(after, rel=0.01)


def test_invalid_edit_shows_the_error_and_keeps_the_last_valid_scenario(workspace):
    at = _open(_app(), RWANDA)
    before = _metric(at, "Total cost")
    at.number_input(key=_key("programme[0].target_share")).set_value(0.1)  # below start_share 0.556
    at.button(key=f"apply:{SLUG}:0").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "programme[0].target_share" in errors and "start_share" in errors
    assert _metric(at, "Total cost") == before
    assert not (workspace / f"{SLUG}.toml").exists()  # nothing saved
    # the typed value stays in the widget, so the user can correct it
    assert at.number_input(key=_key("programme[0].target_share")).value == pytest.approx(0.1)


def test_upload_of_a_broken_toml_shows_the_parse_error(workspace):
    at = _app()
    broken = (ROOT / "tests/data/invalid/malformed_toml.toml").read_bytes()
    at.file_uploader(key="upload").set_value(("broken.toml", broken, "application/toml"))
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "broken.toml" in errors and "line 6" in errors
    assert not any(workspace.glob("*.toml"))


def test_upload_of_a_valid_toml_adds_it_under_a_new_name(workspace):
    at = _app()
    data = (ROOT / "scenarios/rwanda-ida-credit.toml").read_bytes()
    at.file_uploader(key="upload").set_value(("mine.toml", data, "application/toml"))
    at.run()
    assert not at.exception
    assert "Rwanda: IDA credit-led (2)" in at.selectbox(key="current").options[-1]
    assert (workspace / "rwanda-ida-credit-led-2.toml").exists()


def test_a_reload_keeps_the_work(workspace):
    at = _open(_app(), RWANDA)
    at.number_input(key=_key("context.burden_limit")).set_value(0.07)
    at.button(key=f"apply:{SLUG}:0").click().run()
    assert not at.error
    again = _open(_app(), RWANDA)  # a new session, as after a browser reload
    assert again.number_input(key=_key("context.burden_limit")).value == pytest.approx(0.07)


def test_invalid_toml_edit_keeps_the_scenario(workspace):
    at = _open(_app(), RWANDA)
    at.segmented_control(key="scenario_view").set_value("TOML file").run()
    area = at.text_area(key=f"toml:{SLUG}:0")
    area.set_value(area.value.replace("years = 10", "years = 0")).run()
    at.button(key=f"apply_toml:{SLUG}:0").click().run()
    assert "scenario.years" in " ".join(e.value for e in at.error)
    assert not (workspace / f"{SLUG}.toml").exists()


def test_new_scenario_from_templates(workspace):
    at = _app()
    at.text_input(key="new_name").set_value("Nepal: starter plan")
    at.selectbox(key="new_country").set_value("NPL")
    at.button[[b.label for b in at.button].index("Create scenario")].click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="current").value == "Nepal: starter plan"
    assert (workspace / "nepal-starter-plan.toml").exists()


def test_compare_shows_the_table_and_charts(workspace):
    at = _app()
    at.switch_page(PAGES["compare"]).run()
    assert not at.exception
    assert len(at.multiselect(key="compare_pick").value) == 2
    assert len(at.dataframe) >= 1
    at.multiselect(key="compare_pick").set_value([RWANDA, "Rwanda: IDA credit-led"]).run()
    assert not at.exception
    assert at.selectbox(key="compare_baseline").value == RWANDA


def test_applying_without_changes_saves_nothing(workspace):
    for name, slug in [(RWANDA, SLUG), ("Kenya: domestic budget only", "kenya-domestic-budget-only")]:
        at = _open(_app(), name)
        at.button(key=f"apply:{slug}:0").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert "Nothing changed." in [i.value for i in at.info]
    assert not any(workspace.glob("*.toml"))


def test_valid_toml_edit_applies(workspace):
    at = _open(_app(), RWANDA)
    at.segmented_control(key="scenario_view").set_value("TOML file").run()
    area = at.text_area(key=f"toml:{SLUG}:0")
    area.set_value(area.value.replace("burden_limit = 0.05", "burden_limit = 0.06")).run()
    at.button(key=f"apply_toml:{SLUG}:0").click().run()
    assert not at.exception and not at.error
    assert load_scenario(workspace / f"{SLUG}.toml").context.burden_limit == 0.06


def test_tables_view_renders_the_editors(workspace):
    at = _open(_app(), RWANDA)
    at.segmented_control(key="scenario_view").set_value("Programmes and sources (tables)").run()
    assert not at.exception
    assert len(at.data_editor) == 3


def test_reset_to_the_bundled_version_forgets_the_edit(workspace):
    at = _open(_app(), RWANDA)
    at.number_input(key=_key("context.burden_limit")).set_value(0.07)
    at.button(key=f"apply:{SLUG}:0").click().run()
    assert (workspace / f"{SLUG}.toml").exists()
    at.segmented_control(key="scenario_view").set_value("TOML file").run()
    at.button(key=f"reset:{SLUG}:1").click().run()
    assert not at.exception
    assert not (workspace / f"{SLUG}.toml").exists()
    at.segmented_control(key="scenario_view").set_value("Key assumptions").run()
    assert at.number_input(key=_key("context.burden_limit", 2)).value == pytest.approx(0.05)
