"""A budget that includes externally financed projects is netted, unless the scenario says it is gross (issue 23;
docs/method.md, *The budget net of external projects*)."""

import pytest

from dfl_finance import run, scenario_from_dict
from dfl_finance.errors import ScenarioError

pytestmark = pytest.mark.unit


def _one_year(context: dict[str, object]) -> dict[str, object]:
    return {"scenario": {"name": "net", "start_year": 2026, "years": 1, "post_horizon_years": 0},
            "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1_000_000.0, **context},
            "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                           "cost": [{"item": "a", "kind": "fixed_opex", "unit_cost": 100_000.0}]}],
            "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.05}]}


def _first_year(context: dict[str, object]) -> tuple[float, float, float]:
    t = run(scenario_from_dict(_one_year(context))).tables()
    fiscal = t["fiscal"].iloc[0]
    return float(fiscal["education_budget"]), float(fiscal["domestic_outlay"]), float(fiscal["gap"])


def test_external_projects_are_netted_out_of_the_budget_by_hand():
    """USD, flat prices, one year, a cost of 100,000 and a domestic cap of 5% of the budget:

    - budget 1,000,000 of which 200,000 externally financed: the domestic room is 5% x 800,000 = 40,000; the
      budget row of fiscal.csv is 800,000; the gap 100,000 - 40,000 = 60,000;
    - the same budget said to be gross (budget_gross = true): 5% x 1,000,000 = 50,000, gap 50,000;
    - no external part given: as gross, 50,000.
    """
    assert _first_year({"budget_external": 200_000.0}) == pytest.approx((800_000.0, 40_000.0, 60_000.0))
    assert _first_year({"budget_external": 200_000.0, "budget_gross": True}) == pytest.approx(
        (1_000_000.0, 50_000.0, 50_000.0))
    assert _first_year({}) == pytest.approx((1_000_000.0, 50_000.0, 50_000.0))


@pytest.mark.parametrize("external", [1_000_000.0, 2_000_000.0])
def test_an_external_part_as_large_as_the_budget_is_refused(external):
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(_one_year({"budget_external": external}))
    [problem] = [p for p in exc.value.problems if p.path == "context.budget_external"]
    assert problem.value == external and "less than education_budget" in problem.message


def test_the_profile_nets_its_budget_and_a_budget_of_the_file_keeps_its_own():
    # Rwanda's profile: RWF 792.7 bn including RWF 46.5 bn of a World Bank-financed project (a lower bound)
    raw = {"scenario": {"name": "r", "country": "RWA", "start_year": 2026, "years": 2, "currency": "RWF"},
           "programme": [{"template": "emis"}]}
    sc = scenario_from_dict(raw)
    assert (sc.context.education_budget, sc.context.budget_external) == (792.7e9, 46.5e9)
    raw["context"] = {"education_budget": 800e9}  # the file's own budget: no external part unless it says one
    assert scenario_from_dict(raw).context.budget_external is None
    usd = scenario_from_dict({**raw, "scenario": {**raw["scenario"], "currency": "USD"}, "context": {}})
    # in USD both are converted at the profile's rate: the ratio stays 46.5 / 792.7
    assert usd.context.budget_external / usd.context.education_budget == pytest.approx(46.5 / 792.7)
