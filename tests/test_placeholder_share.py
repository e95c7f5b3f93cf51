"""The placeholder share of a plan (``dfl-finance data-check``; docs/method.md, *Placeholder share*)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance.inputs.profiles import country_profiles
from dfl_finance.studies.placeholder_share import commented_placeholders, plan_share, profile_share
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SMALL = '''
[scenario]
name = "small"
start_year = 2026
years = 2

[context]
schools = 0
learners = 0
teachers = 0
education_budget = 1000000.0

[[programme]]
id = "a"
pillar = "governance"
driver = "none"
  [[programme.cost]]
  item = "office"
  kind = "fixed_opex"
  unit_cost = 1000.0
  source_note = "PLACEHOLDER: assumed"
  [[programme.cost]]
  item = "audit"
  kind = "fixed_opex"
  unit_cost = 3000.0
  source_note = "a public tender (training_day_low is confidence M)"

[[programme]]
id = "b"
pillar = "governance"
driver = "none"
name = "b"          # PLACEHOLDER: the whole programme rests on an assumed scope
  [[programme.cost]]
  item = "standards"
  kind = "fixed_opex"
  unit_cost = 2000.0
  source_note = "a public document"

[[programme]]
id = "c"
pillar = "infrastructure"
driver = "none"
  [[programme.cost]]
  item = "laptops"
  kind = "fixed_opex"
  unit_cost = 1000.0
  source_note = "OLPC price (unit_costs.csv laptop, confidence L)"
  [[programme.cost]]
  item = "bags"
  kind = "fixed_opex"
  unit_cost = 500.0     # PLACEHOLDER: assumed
  source_note = "a public catalogue"
'''


def test_placeholder_share_of_a_small_plan_by_hand(tmp_path):
    """Two years of fixed costs, every amount paid in both years (USD, flat prices):

    - a/office   1,000 x 2 = 2,000  placeholder (its source_note says PLACEHOLDER)
    - a/audit    3,000 x 2 = 6,000  sourced (names training_day_low, confidence M: not low-confidence)
    - b/standards 2,000 x 2 = 4,000 placeholder (a field of programme b has a PLACEHOLDER comment)
    - c/laptops  1,000 x 2 = 2,000  sourced, low-confidence (names unit_costs.csv row laptop, confidence L)
    - c/bags       500 x 2 = 1,000  placeholder (its unit_cost has a PLACEHOLDER comment)

    total 15,000; on placeholders 2,000 + 4,000 + 1,000 = 7,000 -> 7 / 15 = 46.67%; low-confidence 2,000 / 15,000 =
    13.33%; lines on placeholders 3 of 5 = 60%.
    """
    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    share = plan_share(f)
    assert share.total_cost == pytest.approx(15000.0)
    assert share.cost_share == pytest.approx(7 / 15)
    assert share.low_confidence_share == pytest.approx(2 / 15)
    assert share.value_share == pytest.approx(3 / 5)
    by_item = {x.item: x for x in share.lines}
    assert by_item["office"].reasons == ("source_note says PLACEHOLDER",)
    assert by_item["standards"].reasons == ("programme field name marked PLACEHOLDER",)
    assert by_item["bags"].reasons == ("cost line field unit_cost marked PLACEHOLDER",)
    assert by_item["laptops"].low_confidence == ("laptop",) and not by_item["laptops"].placeholder
    assert not by_item["audit"].placeholder and not by_item["audit"].low_confidence


def test_a_placeholder_count_that_drives_a_line_puts_it_on_a_placeholder(tmp_path, monkeypatch):
    # a copy of data/ in which Rwanda's teacher count is a placeholder: a line driven by teachers rests on it
    import shutil

    import pandas as pd

    from dfl_finance.inputs.profiles import clear_caches

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    df = pd.read_csv(data / "country_profiles.csv", dtype=str, keep_default_na=False)
    at = (df.iso3 == "RWA") & (df.field == "teachers")
    df.loc[at, "placeholder"] = "true"
    df.loc[at, "source"] = "PLACEHOLDER: for the test"
    df.to_csv(data / "country_profiles.csv", index=False)
    monkeypatch.setenv("DFL_FINANCE_DATA", str(data))
    clear_caches()
    try:
        f = tmp_path / "t.toml"
        f.write_text('[scenario]\nname = "t"\ncountry = "RWA"\nstart_year = 2026\nyears = 1\ncurrency = "USD"\n'
                     '[[programme]]\nid = "t"\npillar = "capacities"\ndriver = "teachers"\nrollout = "immediate"\n'
                     '  [[programme.cost]]\n  item = "course"\n  kind = "opex"\n  unit_cost = 10.0\n'
                     '  source_note = "a public price"\n')
        (line,) = plan_share(f).lines
        assert line.reasons == ("context.teachers is a profile placeholder",)
    finally:
        monkeypatch.delenv("DFL_FINANCE_DATA")
        clear_caches()


def test_the_bundled_rwanda_plan_rests_on_placeholders_only_for_emis_governance_and_the_officials():
    # issue 23's target is under 10%: after the sourced training days, refresh cycle, trainee-day, teacher count and
    # solar share, only EMIS, governance and the officials' count remain: 8.9% when measured, 10.3% once the one
    # connectivity price basis lowered the connectivity lines; 7.8% (the target met) once the EMIS roll-out left out
    # the schools already in SDMS and the central platform took Kenya's NEMIS cost (costs23; a ratchet: no more)
    share = plan_share(ROOT / "scenarios" / "rwanda-domestic.toml")
    assert share.cost_share < 0.079
    assert {x.programme for x in share.lines if x.placeholder} == {"emis", "data_governance",
                                                                   "officials_data_literacy"}


def test_comments_name_the_marked_fields():
    text = ('[[programme]]\ntemplate = "solar-power"\nid = "solar_power"\ntarget_share = 0.2  # PLACEHOLDER: assumed\n'
            '[[programme]]\ntemplate = "emis"   # sourced\n')
    assert commented_placeholders(text) == {"solar_power": {"programme": ["target_share"]}}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.booleans()), min_size=1, max_size=6))
def test_shares_are_fractions_and_add_up(tmp_path_factory, lines):
    # the share on placeholders is the placeholder lines' cost over the total, between 0 and 1, whatever the lines
    # (whole amounts: the costs table rounds to the minor unit)
    body = ['[scenario]\nname = "p"\nstart_year = 2026\nyears = 1\n[context]\nschools = 0\nlearners = 0\n'
            'teachers = 0\neducation_budget = 1.0\n[[programme]]\nid = "p"\npillar = "governance"\ndriver = "none"\n']
    for i, (cost, marked) in enumerate(lines):
        note = "PLACEHOLDER: x" if marked else "sourced"
        body.append(f'  [[programme.cost]]\n  item = "l{i}"\n  kind = "fixed_opex"\n  unit_cost = {float(cost)!r}\n'
                    f'  source_note = "{note}"\n')
    f = tmp_path_factory.mktemp("p") / "p.toml"
    f.write_text("".join(body))
    share = plan_share(f)
    expected = sum(c for c, m in lines if m) / sum(c for c, _ in lines)
    assert share.cost_share == pytest.approx(expected)
    assert 0.0 <= share.cost_share <= 1.0


def test_profile_share_counts_placeholders_and_low_confidence_apart():
    # the Rwanda profile: every row is either a placeholder, low-confidence (L) or neither, never counted twice
    p = country_profiles()["RWA"]
    share = profile_share(p)
    assert share.rows == len(p.values)
    assert share.placeholders == sum(v.placeholder for v in p.values.values())
    assert share.placeholders + share.low_confidence <= share.rows


def test_data_check_prints_the_shares_of_every_bundled_scenario(capsys):
    from dfl_finance.cli import main

    assert main(["data-check"]) == 0
    out = capsys.readouterr().out
    assert "placeholder shares" in out
    assert out.count("of the plan's cost on placeholders") == len(list((ROOT / "scenarios").glob("*.toml")))
    assert "profile RWA:" in out


OUTCOMES = '''
[scenario]
name = "outcomes"
start_year = 2026
years = 2

[context]
schools = 0
learners = 0
teachers = 100
education_budget = 1000000.0

[[programme]]
id = "t"
pillar = "capacities"
driver = "teachers"
  [[programme.cost]]
  item = "workshop"
  kind = "capex"
  unit_cost = 10.0
  source_note = "a public tender"
  [[programme.outcome]]
  measure = "teachers_trained"
  attrition = 0.05
  source_note = "attrition 5% a year is a PLACEHOLDER"
  [[programme.milestone]]
  name = "standards adopted"
  year = 2027          # PLACEHOLDER: assumed
  source_note = "the ministry's plan"
  [[programme.milestone]]
  name = "census published"
  offset = 1
  source_note = "the census calendar"
'''


def test_outcome_placeholders_are_counted_apart_from_the_cost(tmp_path):
    """By hand: three outcome and milestone rows; the outcome's note says PLACEHOLDER, the first milestone's year is
    commented PLACEHOLDER, the second is sourced: 2 of 3 on placeholders. They price nothing: the one cost line is
    sourced, so the cost share stays 0% and the value share 0 of 1 line. data-check prints the count."""
    from dfl_finance.studies.placeholder_share import share_lines

    f = tmp_path / "o.toml"
    f.write_text(OUTCOMES)
    share = plan_share(f)
    assert (share.cost_share, share.value_share) == (0.0, 0.0)
    assert share.outcome_placeholders == 2 and len(share.outcomes) == 3
    assert [(o.row, o.reasons) for o in share.outcomes if o.placeholder] == [
        ("outcome teachers_trained", ("source_note says PLACEHOLDER",)),
        ("milestone standards adopted", ("field year marked PLACEHOLDER",))]
    lines = share_lines([share], [])
    assert "outcome parameters: 2 of 3 outcome and milestone rows on placeholders" in "\n".join(lines)


def test_the_bundled_rwanda_outcome_placeholders():
    """The Rwanda plan's templates: teacher attrition, the officials' 500 a year and attrition, the EMIS census
    year and the three data-governance years are placeholders (6 rows); the connectivity, EMIS coverage and
    devices rows are not."""
    share = plan_share(ROOT / "scenarios" / "rwanda-domestic.toml")
    assert {(o.programme, o.row) for o in share.outcomes if o.placeholder} == {
        ("emis", "milestone annual school census published within the school year"),
        ("teacher_data_skills", "outcome teachers_trained"),
        ("officials_data_literacy", "outcome officials_trained"),
        ("data_governance", "milestone data-protection framework covering education data"),
        ("data_governance", "milestone data protection authority's education desk operating"),
        ("data_governance", "milestone first cyber-security audit of the EMIS")}


# ------------------------------------------------------------------------------------------- issue 23: under 10%

@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")) + sorted(
    (ROOT / "scenarios" / "instruments").glob("*.toml")), ids=lambda p: p.stem)
def test_every_bundled_plan_rests_under_ten_percent_on_placeholders(path):
    # issue 23's target, measured as data-check measures it: Rwanda 7.8%, Kenya 5.0% (costs23); what is left is the
    # EMIS roll-out and hosting, data governance and the officials' count, in both countries
    share = plan_share(path)
    assert share.cost_share < 0.10, f"{path.name}: {share.cost_share:.1%} of the plan's cost on placeholders"
    assert {x.programme for x in share.lines if x.placeholder} <= {"emis", "data_governance",
                                                                   "officials_data_literacy"}


def _programme(path, template):
    from dfl_finance.model.load import load_scenario

    (prog,) = [p for p in load_scenario(path).programme if p.template == template]
    return prog


def test_kenya_start_shares_are_the_derivations_their_comments_show():
    """Known answers (costs23), against the KEN profile's counts, so that a new count is seen to move them:
    - devices: 1,168,789 DLP devices (ICT Authority, 2021) / 8,600,000 public primary learners (the profile) =
      0.135906 -> 0.136;
    - connectivity: 353 / 1,000 public primary schools online (Elimu Yetu Coalition survey, 2024) = 0.353, the
      profile's connected_share."""
    ken = country_profiles()["KEN"].values
    assert ken["learners"].value == 8_600_000, "the KEN learners moved: re-derive the devices start_share (0.136)"
    assert round(1_168_789 / ken["learners"].value, 3) == 0.136
    assert ken["connected_share"].value == 353 / 1000 and not ken["connected_share"].placeholder
    for name in ("kenya-domestic", "kenya-ida-gpe", "kenya-jica-yen"):
        path = ROOT / "scenarios" / f"{name}.toml"
        assert _programme(path, "devices").start_share == 0.136
        assert _programme(path, "connectivity-satellite").start_share == ken["connected_share"].value


def test_rwanda_emis_start_share_is_the_schools_already_in_sdms():
    """Known answer (costs23): 8,159 of 8,626 school leaders trained in SDMS data use (94.586%), of 4,970 schools
    (MINEDUC/ADEA, November-December 2025): 4,970 x 8,159 / 8,626 = 4,700.93 schools / 6,756 (the RWA profile) =
    0.69582 -> 0.696."""
    schools = country_profiles()["RWA"].values["schools"].value
    assert schools == 6756, "the RWA school count moved: re-derive the EMIS start_share (0.696)"
    assert round(4970 * 8159 / 8626 / schools, 3) == 0.696
    for path in sorted((ROOT / "scenarios").glob("rwanda-*.toml")):
        assert _programme(path, "emis").start_share == 0.696, path.name
