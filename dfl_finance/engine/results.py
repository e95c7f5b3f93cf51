"""Results-based financing: when each disbursement-linked indicator (DLI) is earned, what it earns and when it is
paid (docs/method.md, *Results-based financing*). Pure numpy, leading draw axis D.

A DLI row ``r`` looks at one path of results ``value[:, :, r]`` (D, Y): a programme's reach by the end of each year
(a share of its driver's units, or the units). In a draw the result may come ``delay`` years later than the path
says (the year ``y`` sees ``value[y - delay]``; before the first year, the reach before the plan), or not at all
(``achieved`` 0). Then, over the years up to its ``deadline``:

- the row is **earned** in the first year its result reaches the ``target``, for its full amount;
- else, a **scalable** row earns at the deadline ``(result - floor) / (target - floor)`` of its amount (0 at or
  below the floor);
- what is not earned at the deadline **lapses**, or **rolls over** to the row ``next_row[r]`` (a later row of the
  same source on the same result), whose amount it raises; rows are settled in order, so a roll-over reaches a row
  before that row is settled;
- the earned amount is **paid** ``lag`` years after the end of the year it is earned (the verification).

Amounts are in the source's currency at current prices of the year of payment; :func:`payments` turns them into
constant local prices with the source's conversion of that year.

Examples
--------
A row of 10 with target 0.5, lag 1, deadline year 2 (0-based), on a reach of 0.2, 0.5, 0.8: earned in year 1,
paid in year 2.

>>> rows = DliRows(source=np.array([0]), target=np.array([0.5]), amount=np.array([10.0]),
...                scalable=np.array([False]), floor=np.array([0.0]), lag=np.array([1]), deadline=np.array([2]),
...                next_row=np.array([-1]))
>>> e = earn(np.array([[[0.2], [0.5], [0.8]]]), np.array([[0.0]]), rows)
>>> int(e.earned_year[0, 0]), int(e.paid_year[0, 0]), float(e.earned[0, 0])
(1, 2, 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfl_finance.engine import Bools, Floats, Ints

#: A result within this of its target counts as reached (shares and counts computed in floating point).
TARGET_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DliRows:
    """The DLI rows of a scenario, R rows in file order (source by source)."""

    source: Ints  # (R,) index of the paying source
    target: Floats  # (R,) the result that earns the row
    amount: Floats  # (R,) what it pays when the target is reached, in the source's currency (current prices)
    scalable: Bools  # (R,) pro rata above the floor at the deadline
    floor: Floats  # (R,)
    lag: Ints  # (R,) years from the end of the year earned to the payment
    deadline: Ints  # (R,) the last year (0-based from start_year) in which it can be earned
    next_row: Ints  # (R,) the row an unearned amount rolls over to (> r), -1: it lapses
    programme: Ints | None = None  # (R,) the programme whose reach is the result (model.simulate reads it)
    share: Bools | None = None  # (R,) the result is the share of the driver's units reached, else the units
    #: (R,) +1: the payment reimburses the government (results-based financing); -1: an outcome bond's outcome
    #: payment that the government makes; 0: one that a partner makes (None: all +1)
    sign: Floats | None = None
    achieved: Floats | None = None  # (D, R) 1 where the result comes at all in the draw, 0 where not; None: all 1
    delay: Ints | None = None  # (D, R) years the result comes later than the path; None: 0
    #: (D, S) what each source may pay against its rows in all, in its currency at current prices (its commitment
    #: as a pledge draw or a stress leaves it; inf: no limit; None: no limit for any source): its rows are paid in
    #: the order of their payment years (file order within a year) until it is reached, and the rest lapses
    commitment: Floats | None = None


@dataclass(frozen=True)
class DliEarnings:
    """What each row earns in each draw, (D, R) each; amounts in the source's currency at current prices."""

    amount: Floats  # its own amount plus what rolled over to it
    earned: Floats
    earned_year: Ints  # 0-based year in which it is earned; -1: never
    paid_year: Ints  # earned_year + lag; -1: never
    lapsed: Floats  # not earned and lost
    rolled_over: Floats  # not earned and added to next_row
    result: Floats  # the result in the year it is judged (the year earned, else the deadline)


def delayed(value: Floats, before: Floats, delay: Ints) -> Floats:
    """The result path (D, Y) of one row when the result comes ``delay`` (D,) years later: year ``y`` sees
    ``value[y - delay]``, and ``before`` (D,) (the reach before the plan) where ``y - delay < 0``."""
    D, Y = value.shape
    src = np.arange(Y)[None, :] - delay[:, None]
    got = np.take_along_axis(value, np.clip(src, 0, Y - 1), axis=1)
    return np.where(src >= 0, got, before[:, None])


def earn(value: Floats, before: Floats, rows: DliRows, slack: Floats | None = None) -> DliEarnings:
    """Settle every row in every draw: ``value`` (D, Y, R) the result path of each row, ``before`` (D, R) its
    result before the first year; ``slack`` (D, R): a result this close below the target reaches it (half a unit
    where results are counted in whole units: 95% of 6,756 schools is reached with 6,418 of them). See the module's
    notes for the rules."""
    D, Y, R = value.shape
    near = np.zeros((D, R)) if slack is None else slack
    achieved = np.ones((D, R)) if rows.achieved is None else rows.achieved
    delay = np.zeros((D, R), dtype=np.int64) if rows.delay is None else rows.delay
    amount = np.repeat(rows.amount[None, :].astype(float), D, axis=0)
    earned = np.zeros((D, R))
    earned_year = np.full((D, R), -1, dtype=np.int64)
    lapsed = np.zeros((D, R))
    rolled = np.zeros((D, R))
    result = np.zeros((D, R))
    years = np.arange(Y)
    for r in range(R):
        path = delayed(value[:, :, r], before[:, r], delay[:, r])
        dl = int(rows.deadline[r])
        hit = ((path >= rows.target[r] - near[:, r:r + 1] - TARGET_TOLERANCE) & (years[None, :] <= dl)
               & (achieved[:, r:r + 1] > 0))
        reached = hit.any(axis=1)
        first = np.where(reached, hit.argmax(axis=1), dl)
        at = path[np.arange(D), first]
        share = np.where(reached, 1.0, 0.0)
        if rows.scalable[r]:
            span = rows.target[r] - rows.floor[r]
            partial = np.clip((at - rows.floor[r]) / span, 0.0, 1.0) * (achieved[:, r] > 0)
            share = np.where(reached, 1.0, partial)
        earned[:, r] = share * amount[:, r]
        earned_year[:, r] = np.where(share > 0, first, -1)
        result[:, r] = np.where(achieved[:, r] > 0, at, before[:, r])
        left = amount[:, r] - earned[:, r]
        nxt = int(rows.next_row[r])
        if nxt > r:
            rolled[:, r] = left
            amount[:, nxt] += left
        else:
            lapsed[:, r] = left
    paid_year = np.where(earned_year >= 0, earned_year + rows.lag[None, :], -1)
    if rows.commitment is not None:
        over = beyond_commitment(earned, paid_year, rows.source, rows.commitment)
        earned = earned - over
        lapsed = lapsed + over
        earned_year = np.where(earned > 0, earned_year, -1)
        paid_year = np.where(earned > 0, paid_year, -1)
    return DliEarnings(amount=amount, earned=earned, earned_year=earned_year, paid_year=paid_year, lapsed=lapsed,
                       rolled_over=rolled, result=result)


def beyond_commitment(earned: Floats, paid_year: Ints, source: Ints, commitment: Floats) -> Floats:
    """(D, R) what each row earns beyond its source's ``commitment`` (D, S): the rows of a source are paid in the
    order of their payment years (``paid_year`` (D, R), file order within a year) while the commitment lasts.

    Examples
    --------
    Two rows of one source, 6 paid in year 3 and 5 paid in year 2, a commitment of 8: the row paid first (the
    second) gets its 5, the other 3 of its 6, so 3 is beyond.

    >>> beyond_commitment(np.array([[6.0, 5.0]]), np.array([[3, 2]]), np.array([0, 0]), np.array([[8.0]])).tolist()
    [[3.0, 0.0]]
    """
    D, R = earned.shape
    over = np.zeros((D, R))
    for r in range(R):
        same = source == source[r]
        q = np.arange(R)
        before = same[None, :] & ((paid_year < paid_year[:, r:r + 1])
                                  | ((paid_year == paid_year[:, r:r + 1]) & (q < r)[None, :]))
        prior = np.where(before, earned, 0.0).sum(axis=1)
        room = np.maximum(commitment[:, int(source[r])] - prior, 0.0)
        over[:, r] = np.maximum(earned[:, r] - room, 0.0)
    return over


def payments(e: DliEarnings, rows: DliRows, conversion: Floats | None, sources: int, years: int,
             only: Bools | None = None) -> Floats:
    """(D, Y, S) what each source pays against its rows in each year, in constant local prices: each row's earned
    amount in its payment year, divided by the source's ``conversion`` (D, S, Y) of that year (constant local prices
    -> the source's currency; None: 1). A payment after the last year is not in the array (the rules keep the
    deadline plus the lag inside the plan). ``only`` (R,): the rows to count (default: all)."""
    D, R = e.earned.shape
    out = np.zeros((D, years, sources))
    for r in range(R):
        if only is not None and not only[r]:
            continue
        s = int(rows.source[r])
        y = e.paid_year[:, r]
        ok = (y >= 0) & (y < years) & (e.earned[:, r] > 0)
        d = np.flatnonzero(ok)
        conv = 1.0 if conversion is None else conversion[d, s, y[d]]
        np.add.at(out, (d, y[d], np.full(d.size, s)), e.earned[d, r] / conv)
    return out
