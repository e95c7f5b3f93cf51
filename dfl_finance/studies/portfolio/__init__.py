"""A donor's portfolio: country scenarios, a pooled fund shared by a rule, pooled procurement; each country run with
its share, and the view across countries.

The portfolio file (its format, its countries given by a scenario file or by a country profile with a plan template)
is :mod:`dfl_finance.inputs.portfolio`. Here:

- :mod:`.load`: the file made into a :class:`Portfolio` (:func:`load_portfolio`: each country's scenario, its label,
  income group and weight; the fund and the pooled discounts checked against them);
- :mod:`.transforms`: a country's scenario with the pooled discounts (:func:`discounted`) and with the fund
  (:func:`with_fund`);
- :mod:`.response`: a country's :class:`Response` to the fund, measured with the engine (:func:`fund_response`), and
  what each programme reaches (:func:`programme_reach`);
- :mod:`.allocation`: the rules that share the envelope (:func:`allocate_envelope`, :func:`allocate_optimal`);
- :mod:`.run`: :func:`run_portfolio` and the tables across countries (:class:`PortfolioRun`).

**Need** is what the fund would pay a country if it had no limit, in nominal USD, after the pooled discounts: its
funding gap before the fund, less what the fund unlocks from the grants it co-finances. **Rules**
(:func:`allocate_envelope`): ``need`` shares the envelope in proportion to need; ``per-learner`` in proportion to
learners (``per_learner`` USD each, the envelope permitting); ``weighted`` in proportion to need x weight. A country's
**weight** is its own ``weight``; without one, its income group's weight in ``[fund] group_weights`` when the fund
gives them (a country whose group has no weight there, or that has no group, is an error naming it), else 1
(:func:`~dfl_finance.studies.portfolio.load.weights_from_groups`). Every rule caps a country at its need and its
ceiling, gives it at least its floor (never above its need), and hands what a capped country cannot take to the
others in the same proportions (water-filling), so the shares add up to the envelope, or to the total need when that
is smaller. ``optimal`` (:func:`allocate_optimal`) measures each country's :class:`Response` to the fund with the
engine (:func:`fund_response`: the gap left and the learners reached, at amounts of the share) and gives the shares
that reach the most learners, then close the most gap (or the other way round), then come closest to sharing by
need. The fund joins each country's scenario as a grant in USD with its share as commitment, paying after every
other source (what they leave: the gap).

**Reach.** The optimal rule's ``reach`` counts the learners of the schools connected (:func:`learners_reached`): one
count, since the units of different programmes do not add up. What the fund reaches in every programme, in its
driver's units, is :meth:`PortfolioRun.reach_df` (portfolio_reach.csv): each country's run with its share against its
run without the fund (:func:`programme_reach`).
"""

from __future__ import annotations

from dfl_finance.inputs.portfolio import FUND_KINDS, OBJECTIVES, RULES, WEIGHT_WORDS, is_weight
from dfl_finance.studies.portfolio.allocation import SNAP, allocate_envelope, allocate_optimal
from dfl_finance.studies.portfolio.fund import CountryEntry, Fund, Portfolio
from dfl_finance.studies.portfolio.load import load_portfolio
from dfl_finance.studies.portfolio.response import (
    Response,
    fund_response,
    learners_reached,
    programme_reach,
    reach_programme,
)
from dfl_finance.studies.portfolio.run import (
    ALLOCATION_COLUMNS,
    EQUITY_COLUMNS,
    GROUP_COLUMNS,
    REACH_COLUMNS,
    PortfolioRun,
    run_portfolio,
)
from dfl_finance.studies.portfolio.transforms import discounted, with_fund

__all__ = ["ALLOCATION_COLUMNS", "EQUITY_COLUMNS", "FUND_KINDS", "GROUP_COLUMNS", "OBJECTIVES", "REACH_COLUMNS",
           "RULES", "SNAP", "WEIGHT_WORDS", "CountryEntry", "Fund", "Portfolio", "PortfolioRun", "Response",
           "allocate_envelope", "allocate_optimal", "discounted", "fund_response", "is_weight", "learners_reached",
           "load_portfolio", "programme_reach", "reach_programme", "run_portfolio", "with_fund"]
