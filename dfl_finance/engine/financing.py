"""Sources, eligibility, caps and match rules -> allocation of every cost cell, and the gap.

The waterfall of DESIGN.md, vectorised over draws, years and cost cells; the only Python loop is over sources.

For one source, in the order of the cost cells (programme order, capex before opex) and of the years:
``pay = min(eligible remaining x share_cap, remaining annual cap, remaining commitment)``. A greedy fill under an
annual cap is ``diff(min(cumsum(want over cells), cap))``; the commitment is then the same clip over the
flattened (year, cell) sequence. The two clips in a row give exactly the cell-by-cell greedy result, because the
commitment only binds once and every later cell then gets nothing.

Match rules. A grant with ``match = {sources, ratio}`` pays at most ``ratio x`` what the listed sources pay in the
same year; that is one more annual cap. When the matched sources pay *before* the grant, their payments are known
at its turn. When some pay *after* it, the grant's cap depends on payments that its own payment reduces (what it
pays is no longer left for them). We then solve for that fixed point: starting from the matched payments with the
grant held at zero (an upper bound), the estimate of the matched payments is updated (a damped step
``w = 1 / (1 + ratio)`` first, then secant steps per year and draw) until it agrees with the payments it produces
(to 1e-9 of the cost); a final pass uses ``min(estimate, payments)``, which can only lower the grant's cap.
Whatever is still above ``ratio x`` the matched payments after that (rounding, or a case where the iteration did
not converge in :data:`MAX_MATCH_ITERATIONS`) is taken off the grant and left in the gap, so the ratio holds
exactly and sources + gap = cost in every cell.

Currencies. Costs and payments are in constant local prices. A source's ``annual_cap`` and ``commitment`` are in
its own currency at current prices: ``conversion`` turns each year's payments into that currency before they are
held against them.

The net envelope. A domestic source's ``budget_share_cap x budget`` is, when ``net_envelope``, reduced by the debt
service and PPP payments of the year (``service``: each loan's terms, as a function of its annual disbursements;
several capped domestic sources share the deduction in proportion to their caps). Loans that pay before the domestic
source are known at its turn; for one that pays after it, its payments are estimated from the previous pass (debt
service in a year depends only on earlier disbursements, so each pass settles at least one more year). A final trim
makes the envelope hold exactly, what comes off staying in the gap.

Programme priority. ``cell_order`` pays the cells in the programmes' priority order, so the gap falls on the last.

The cost of the match iteration (issue 21). The draws are allocated in blocks of about 4 MiB per array
(:data:`BLOCK_BYTES`), so that a block's arrays stay in cache and its passes stop at the slowest draw of the block,
not of the run; within a block the draws that have converged drop out of later passes. The sources that pay before
the first grant with a forward match pay the same in every pass and are paid once; the first pass (grants held at
zero) skips the held grants and stops at the last matched source. None of this changes the arithmetic a draw goes
through: every draw's payments are those of the pre-issue-21 waterfall to the last bit
(tests/test_waterfall_reference.py).

The cost in the number of programmes (issue 21: linear). A block's draws shrink as the cells grow (its bytes are
fixed), so what is paid in Python calls per cell or per row grew faster than the cells. Three changes, each the same
arithmetic in the same order: from 64 draws a source's offered amounts are laid out cells first, so the running sum
over the cells adds one contiguous vector a cell; a source's turn stops at the last cell it pays in, in any year and
draw (a source whose annual cap binds pays in the first few cells of a large plan; the cells after it are left as
they are, where the whole turn would subtract, add and store zeros), and its running sum stops, in chunks of
:data:`FILL_CHUNK` cells, once it has reached the cap in every year and draw; and the commitment's running total
skips the rows where nothing is paid (adding +0.0 leaves a total as it is). A turn then costs in the cells a source
pays, not in all the cells of the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dfl_finance.engine import Bools, Floats, Ints
from dfl_finance.engine.loans import ServiceTerms
from dfl_finance.vocabulary import LINE_CLASS, LINE_KINDS, SOURCE_KINDS

DOMESTIC = SOURCE_KINDS.index("domestic")
GRANT = SOURCE_KINDS.index("grant")
LOAN = SOURCE_KINDS.index("loan")
PPP = SOURCE_KINDS.index("ppp")
MAX_MATCH_ITERATIONS = 200
#: Per line kind (index into LINE_KINDS): 0 for a capex cell, 1 for an opex cell.
_OPEX_CLASS = np.array([LINE_CLASS[k] == "opex" for k in LINE_KINDS], dtype=np.int64)


@dataclass(frozen=True)
class SourceInputs:
    """Arrays that define the sources of one scenario. ``S`` sources (file order), ``C`` cost cells."""

    order: Ints  # (S,) indices in paying order
    kind: Ints  # (S,) index into SOURCE_KINDS
    eligible: Bools  # (S, C)
    window: Bools  # (S, Y) years in which it pays
    share_cap: Floats  # (D, S) share
    annual_cap: Floats  # (D, S) currency/yr, or (D, S, Y) a cap per year; inf = none
    budget_share_cap: Floats  # (D, S) share of the education budget, inf = none
    commitment: Floats  # (D, S) currency, inf = none
    match_ratio: Floats  # (S,) 0 = no match rule
    match_on: Bools  # (S, S) match_on[g, m]: grant g is matched on source m
    conversion: Floats | None = None  # (D, S, Y) constant local prices -> the source's nominal currency; None = 1
    cell_order: Ints | None = None  # (C,) the order in which cells are paid (programme priority); None = as given
    net_envelope: bool = False  # a domestic budget_share_cap is net of the debt service and PPP payments
    service: tuple[ServiceTerms, ...] = ()  # the loans and PPPs whose payments the net envelope deducts
    draw_window: Bools | None = None  # (D, S, Y) the years each source pays in each draw (a delayed pledge)
    #: (D, Y, S) what sources disburse outside the waterfall (a loan's payments against results, [[source.dli]]):
    #: they pay no cell, but the net envelope deducts the debt service of these disbursements too
    disbursed_outside: Floats | None = None


@dataclass(frozen=True)
class Allocation:
    pay: Floats  # (D, Y, S, C) what each source pays in each cell
    gap: Floats  # (D, Y, C) what no source pays
    iterations: int  # passes used to resolve forward match rules (1 if there were none)


@dataclass(frozen=True)
class _Caps:
    """Per-draw caps with the draw axis *last* (S, D), the layout the waterfall runs in: every cumulative sum then
    runs over long contiguous vectors of draws instead of many short rows of cells."""

    share: Floats
    annual: Floats  # (S, Y, D)
    budget_share: Floats
    commitment: Floats
    conversion: Floats | None  # (S, Y, D)
    service: tuple[ServiceTerms, ...]
    domestic: Bools | None = None  # (S,) the domestic sources
    window: Bools | None = None  # (S, Y, D) the years each source pays in each draw, where they differ
    outside: Floats | None = None  # (Y, S, D) disbursements outside the waterfall, whose service is owed too

    @classmethod
    def of(cls, src: SourceInputs) -> "_Caps":
        conv = None if src.conversion is None else np.ascontiguousarray(src.conversion.transpose(1, 2, 0))
        share, budget_share, commitment = (np.ascontiguousarray(a.T) for a in (
            src.share_cap, src.budget_share_cap, src.commitment))
        annual = np.asarray(src.annual_cap, dtype=float)
        if annual.ndim == 2:
            annual = np.repeat(annual[:, :, None], src.window.shape[1], axis=2)
        annual = np.ascontiguousarray(annual.transpose(1, 2, 0))  # (S, Y, D)
        window = None if src.draw_window is None else np.ascontiguousarray(src.draw_window.transpose(1, 2, 0))
        outside = None if src.disbursed_outside is None else np.ascontiguousarray(
            src.disbursed_outside.transpose(1, 2, 0))
        return cls(share, annual, budget_share, commitment, conv, src.service, src.kind == DOMESTIC, window,
                   outside)

    def take(self, draws: Ints | slice) -> "_Caps":
        """The caps of some draws: views when ``draws`` is a slice (a block of draws), copies when an index."""
        return _Caps(self.share[:, draws], self.annual[:, :, draws], self.budget_share[:, draws],
                     self.commitment[:, draws], None if self.conversion is None else self.conversion[:, :, draws],
                     tuple(t.take(draws) for t in self.service), self.domestic,
                     None if self.window is None else self.window[:, :, draws],
                     None if self.outside is None else self.outside[:, :, draws])

    def owed(self, annual: Floats) -> Floats:
        """Debt service and PPP payments (Y, D) in constant local prices from annual payments (Y, S, D)."""
        out = np.zeros((annual.shape[0], annual.shape[2]))
        for t in self.service:
            paid = annual[:, t.source]
            if self.outside is not None and self.outside[:, t.source].any():
                paid = paid + self.outside[:, t.source]
            out += t.payments(paid)
        return out


def _running_sum(x: Floats, axis: int) -> Floats:
    """``np.cumsum`` along an axis that is not the last, as one vector add per step when the vectors are long.

    numpy accumulates a non-last axis element by element (about 15 times slower for 10,000 draws); adding whole
    slices in the same order gives the same numbers to the last bit, so a draw's result does not depend on how many
    draws it runs with. Returns a new array.
    """
    if x.shape[-1] < 64 or x.shape[axis] < 2:
        return np.cumsum(x, axis=axis)
    out = np.empty_like(x)  # in x's memory layout: a row of cells-first cells is one contiguous vector
    view, given = np.moveaxis(out, axis, 0), np.moveaxis(x, axis, 0)
    view[0] = given[0]
    rows = list(view)  # the views of the rows made once, in C: a step is then one add (a fifth less for 2,000 rows)
    for before, row, total in zip(rows, given[1:], rows[1:]):
        np.add(before, row, out=total)
    return out


def _cells_first(y: int, c: int, d: int) -> Floats:
    """An empty (y, c, d) array laid out cells first in memory (c, y, d).

    The running sum over the cells then adds one contiguous (y, D) vector a cell instead of y strided pieces (2.5x
    faster for 200 cells of 250 draws, issue 21); the arithmetic of every element is the same, so are the bits.
    The sum over the cells (``p.sum(axis=1)``) keeps its order too: the draws are the inner loop in either layout
    (used from 64 draws, where the running sum loops over rows; a shorter run keeps numpy's own layout).
    """
    return np.empty((c, y, d)).transpose(1, 0, 2)


def _cell_range(block: tuple[Ints | slice, ...], a: int, b: int) -> tuple[Ints | slice, ...]:
    """Cells ``a:b`` of a step's (years, cells) block: a slice, an index, or the cells of ``np.ix_``."""
    years, cells = block
    if isinstance(cells, slice):
        return years, slice(cells.start + a, cells.start + b)
    return years, (cells[:, a:b] if cells.ndim == 2 else cells[a:b])


#: A turn of this many cells or more looks for the last cell the source pays in (a look costs one pass over the
#: payments; in a turn of a few cells it would seldom save one).
TRIM_CELLS = 8
#: Cells a source's running sum adds between two looks at whether it has reached the cap in every year and draw.
FILL_CHUNK = 16


def _offered_until_full(remaining: Floats, block: tuple[Ints | slice, ...], share: Floats, cap: Floats, y: int,
                        c: int, d: int) -> tuple[Floats, Floats]:
    """What a source is offered (``remaining[block] x share``) and its running sum over the cells, both (y, e, d)
    laid out cells first: for all ``c`` cells, or for the first ``e``, the end of the first chunk of
    :data:`FILL_CHUNK` cells after which the running sum is at or above ``cap`` (y, d) in every year and draw.

    The source pays nothing in a cell after that: ``min(total, cap)`` no longer moves, and ``cap - cap`` is +0.0,
    what the cell would get. The products and sums computed are those of the whole turn, in the same order, so the
    same bits; the offered amounts of the later cells are not computed at all.
    """
    by_cell, sums = np.empty((c, y, d)), np.empty((c, y, d))  # in memory cells first; seen as (y, c, d) below
    want, total = by_cell.transpose(1, 0, 2), sums.transpose(1, 0, 2)
    offered, running = list(by_cell), list(sums)  # the rows' views made once, in C
    for a in range(0, c, FILL_CHUNK):
        b = min(a + FILL_CHUNK, c)
        if b - a == c:  # one chunk: the whole block
            np.multiply(remaining[block], share, out=want)
        else:
            np.multiply(remaining[_cell_range(block, a, b)], share, out=want[:, a:b])
        if a == 0:
            np.copyto(running[0], offered[0])
        for k in range(max(a, 1), b):
            np.add(running[k - 1], offered[k], out=running[k])
        if b < c and bool((running[b - 1] >= cap).all()):
            return want[:, :b], total[:, :b]
    return want, total


def _diff(cum: Floats, axis: int) -> Floats:
    """Inverse of ``cumsum`` along ``axis`` (``np.diff`` with a leading zero, without the concatenation)."""
    out = np.empty_like(cum)
    first = [slice(None)] * cum.ndim
    lead = [slice(None)] * cum.ndim
    lag = [slice(None)] * cum.ndim
    first[axis], lead[axis], lag[axis] = slice(0, 1), slice(1, None), slice(None, -1)
    out[tuple(first)] = cum[tuple(first)]
    np.subtract(cum[tuple(lead)], cum[tuple(lag)], out=out[tuple(lead)])
    return out


def _clip_running_total(x: Floats, limit: Floats) -> Floats:
    """``diff(min(cumsum(x, axis=0), limit))`` for ``x`` (R, D) C-contiguous and ``limit`` (D,): what is paid of
    each row when the running total is held to ``limit``. Returns a new array.

    Rows where ``x`` is +0.0 in every draw are left out of the running sum (issue 21): adding +0.0 leaves a running
    total as it is, and the difference of two equal totals is +0.0, which the skipped row receives. The rows that
    are summed are summed in the same order, so the result is that of the whole sum to the last bit; the cost is
    in the rows where something is paid (a source whose annual cap or commitment binds pays nothing in most cells
    of a large plan), not in all of them: a Python-level add per row is what made the commitment grow faster than
    the number of programmes (its rows are draw blocks, shorter as the cells grow).
    """
    if x.shape[-1] < 64 or x.shape[0] < 64:  # one cumsum, or a few rows: the whole sum costs less than a look
        flat = _running_sum(x, axis=0)
        np.minimum(flat, limit, out=flat)
        return _diff(flat, axis=0)
    live_rows: Bools = np.asarray(x.view(np.int64).any(axis=1))  # not +0.0 in some draw (a -0.0 counts as live)
    live_rows[:1] = True  # the running total starts from the first row's, as the whole sum's does (a -0.0 stays)
    live = np.flatnonzero(live_rows)
    if live.size * 4 >= x.shape[0] * 3:  # most rows live: the whole sum (no gather, no scatter)
        flat = _running_sum(x, axis=0)
        np.minimum(flat, limit, out=flat)
        return _diff(flat, axis=0)
    out = np.zeros(x.shape)
    if live.size:
        flat = _running_sum(x[live], axis=0)
        np.minimum(flat, limit, out=flat)
        out[live] = _diff(flat, axis=0)
    return out


@dataclass(frozen=True)
class _Step:
    """What one source needs at its turn, prepared once per allocation. Contiguous years or cells are slices, so
    that the pass reads and writes views instead of gathered copies."""

    s: int
    years: Ints | slice
    n_years: int
    n_cells: int
    block: tuple[Ints | slice, ...]  # (years, cells) of a (Y, C, ...) array
    match: Ints | None  # the matched sources, or None: a pass reads only their payments (linear in the matches)


def _compact(index: Ints) -> Ints | slice:
    """A slice when ``index`` is a run of consecutive integers, else the index itself."""
    if index.size and index[-1] - index[0] == index.size - 1:
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _plan(src: SourceInputs) -> list[_Step]:
    steps = []
    window = src.window if src.draw_window is None else src.window | src.draw_window.any(axis=0)
    for s in src.order:
        cells, years = np.flatnonzero(src.eligible[s]), np.flatnonzero(window[s])
        if cells.size and years.size:
            ys, cs = _compact(years), _compact(cells)
            block = np.ix_(years, cells) if not isinstance(ys, slice) and not isinstance(cs, slice) else (ys, cs)
            steps.append(_Step(int(s), ys, int(years.size), int(cells.size), block,
                               np.flatnonzero(src.match_on[s]) if src.match_ratio[s] > 0 else None))
    return steps


@dataclass(frozen=True)
class _State:
    """Where a pass stands after some sources: what is left of each cell (Y, C, D), the annual payments (Y, S, D),
    the sources that have paid (S,), and (if kept) the payments (Y, S, C, D)."""

    remaining: Floats
    annual: Floats
    done: Bools
    pay: Floats | None = None

    def take(self, draws: Ints) -> "_State":
        return _State(self.remaining[:, :, draws], self.annual[:, :, draws], self.done,
                      None if self.pay is None else self.pay[..., draws])


def _one_pass(cost: Floats, src: SourceInputs, steps: list[_Step], caps: _Caps, budget: Floats,
              estimate: Floats, keep_pay: bool = False, start: _State | None = None,
              held: frozenset[int] = frozenset(), out: Floats | None = None,
              trim: bool = False) -> tuple[Floats, Floats, Floats]:
    """The waterfall once, draw axis last: cost (Y, C, D), budget (Y, D), estimate (Y, S, D) standing in for the
    annual payments of sources not yet applied. Returns pay (Y, S, C, D; empty unless ``keep_pay``), remaining
    (Y, C, D) and the annual payments (Y, S, D).

    ``start``: the state after the sources that pay before ``steps`` (computed once, in :func:`_allocate_block`).
    ``held``: sources whose annual cap is zero in this pass; they pay nothing, so their turn is skipped (a cap of
    zero gives exactly zero in every cell, and the cells are left as they were). ``out``: a zeroed (Y, S, C, D)
    array (or view) to write the payments in, when kept. ``trim``: from 64 draws, a source's turn stops at the last
    cell it pays in (:attr:`_Order.trim`).
    """
    Y, C, D = cost.shape
    S = src.kind.shape[0]
    if start is None:
        remaining = cost.copy()
        annual = np.zeros((Y, S, D))
        done = np.zeros(S, dtype=bool)
    else:
        remaining, annual, done = start.remaining.copy(), start.annual.copy(), start.done.copy()
    pay = out if keep_pay and out is not None else np.zeros((Y, S, C, D) if keep_pay else (0, 0, 0, 0))
    if keep_pay and start is not None and start.pay is not None:
        pay[:, done] = start.pay[:, done]
    for step in steps:
        s = step.s
        if s in held:
            done[s] = True
            continue
        conv = None if caps.conversion is None else caps.conversion[s][step.years]  # (y, D)
        cap = caps.annual[s][step.years] if conv is None else caps.annual[s][step.years] / conv
        share = caps.budget_share[s]
        if np.isfinite(share).any():
            finite = np.isfinite(share)
            room = np.where(finite, share, 0.0) * budget[step.years]
            if src.net_envelope and src.kind[s] == DOMESTIC and caps.service:
                known = np.where(done[None, :, None], annual, estimate)
                room = np.maximum(room - caps.owed(known)[step.years] * _envelope_share(caps, s), 0.0)
            cap = np.minimum(cap, np.where(finite, room, np.inf))
        if step.match is not None:
            m = step.match
            basis = np.where(done[m][None, :, None], annual[step.years][:, m], estimate[step.years][:, m]).sum(axis=1)
            cap = np.minimum(cap, src.match_ratio[s] * basis)
        cap = np.broadcast_to(cap, (step.n_years, D))
        if caps.window is not None:  # a delayed pledge pays nothing outside its draw's window
            cap = np.where(caps.window[s][step.years], cap, 0.0)
        block = step.block
        if trim and D >= 64:  # (y, c, D) laid out cells first, up to the cell where the cap is reached
            want, filled = _offered_until_full(remaining, block, caps.share[s], cap, step.n_years, step.n_cells, D)
            if want.shape[1] < step.n_cells:
                block = _cell_range(block, 0, want.shape[1])
        else:
            if D >= 64:  # (y, c, D) laid out cells first
                want = _cells_first(step.n_years, step.n_cells, D)
                np.multiply(remaining[block], caps.share[s], out=want)
            else:
                want = remaining[block] * caps.share[s]  # (y, c, D)
            filled = _running_sum(want, axis=1)
        np.minimum(filled, cap[:, None, :], out=filled)
        p = _diff(filled, axis=1)
        if trim and D >= 64 and p.shape[1] >= TRIM_CELLS:
            # the cells after the last one the source pays in (in any year and draw) are left as they are: a
            # source whose cap binds pays in the first few cells of a large plan, and the steps below would only
            # subtract, add and store zeros there (issue 21: the cost grew with all the cells, not the paid ones)
            paid = np.flatnonzero(p.view(np.int64).any(axis=(0, 2)))  # not +0.0 somewhere (-0.0 counts)
            n = int(paid[-1]) + 1 if paid.size else 0
            if n < p.shape[1]:
                p, want, block = p[:, :n], want[:, :n], _cell_range(block, 0, n)
        if np.isfinite(caps.commitment[s]).any():
            # the commitment is in the source's nominal currency: clip the running total of the payments in it
            # (without a conversion the factor is 1, and multiplying or dividing by 1 changes no bit)
            k = None if conv is None else conv[:, None, :]
            p = _clip_running_total((p if k is None else p * k).reshape(-1, D), caps.commitment[s]).reshape(p.shape)
            if k is not None:
                p /= k
        # cumsum/diff rounding: a source never pays more than it was offered, and a cell it fills is filled
        # exactly (no 1e-9 dust left in the gap)
        np.maximum(p, 0.0, out=p)  # np.clip(p, 0.0, want) in two in-place steps (the same bits, faster)
        np.minimum(p, want, out=p)
        np.copyto(p, want, where=want - p <= 1e-12 * want)
        remaining[block] -= p
        annual[step.years, s] = p.sum(axis=1)
        if keep_pay:
            pay[:, s][block] = p
        done[s] = True
    return pay, remaining, annual


#: Draws per block, at most. A large run is allocated one block of draws at a time: the arrays of a block stay in
#: the processor's cache, and the match iteration of a block stops at its own slowest draw. Every draw goes through
#: the same arithmetic whatever block it is in, so the blocks change no bit of the result.
DRAW_BLOCK = 16384
#: A block holds about this many bytes per (year, cell) array (4 MiB: 8,192 draws of 10 years x 6 cells), and at
#: least 256 draws (shorter vectors cost more in calls than they save in cache). Measured on the six-source
#: benchmark: 1 MiB blocks cost 15% more per draw at 10,000 draws (more blocks, each with its own last few passes
#: over a handful of draws), one block of 100,000 draws 2.5x more (its arrays no longer fit in the cache).
BLOCK_BYTES = 1 << 22


@dataclass(frozen=True)
class _Order:
    """The paying order's consequences, worked out once per allocation (they do not depend on the draws)."""

    steps: list[_Step]
    forward: Bools  # (S, S) grant g is matched on a source that pays after it
    net: bool  # a domestic envelope is net of debt service and PPP payments
    late: list[int]  # loans and PPPs that pay after a domestic source whose envelope is net of their service
    first: int  # steps[:first] pay before the first grant with a forward match: they do not depend on the estimate
    #: a source's turn may stop at the last cell it pays in: the cells after it are left exactly as they are. Off
    #: when a cost or a share is negative or -0.0 (adding or subtracting a zero could flip the sign of a zero), or a
    #: share above 1 (what is left of a cell could turn negative, and a running sum that reached the cap fall back).
    trim: bool = True

    @classmethod
    def of(cls, src: SourceInputs, caps: _Caps, trim: bool = True) -> "_Order":
        S = src.kind.shape[0]
        steps = _plan(src)
        position = np.empty(S, dtype=int)
        position[src.order] = np.arange(S)
        forward = src.match_on & (position[None, :] > position[:, None])  # matched on a source that pays later
        net = src.net_envelope and bool(caps.service) and bool(np.isfinite(src.budget_share_cap).any())
        late = [t.source for t in caps.service
                if net and any(position[t.source] > position[d] for d in np.flatnonzero(src.kind == DOMESTIC))]
        grants = np.flatnonzero(forward.any(axis=1))
        first = 0
        if grants.size and not late:  # with late loans, every pass reads estimates from the first source on
            lead = position[grants].min()
            first = sum(1 for st in steps if position[st.s] < lead)
        return cls(steps, forward, net, late, first, trim)


def allocate(cost: Floats, src: SourceInputs, budget: Floats) -> Allocation:
    """Allocate every cost cell to the sources in their paying order; what is left is the gap.

    Parameters
    ----------
    cost : ndarray (D, Y, C)
        Cost of each cell (programme x capex/opex) in each year [currency].
    src : SourceInputs
    budget : ndarray (D, Y)
        Education budget, for ``budget_share_cap`` [currency/yr].

    Returns
    -------
    Allocation
        ``pay.sum(axis=2) + gap == cost`` (to rounding) in every draw, year and cell; ``gap >= 0``.

    Notes
    -----
    The draws are allocated in blocks of at most :data:`DRAW_BLOCK` (all at once when loans pay after a net
    envelope: their passes stop on a test over all the draws).
    """
    D, Y, C = cost.shape
    S = src.kind.shape[0]
    if S == 0:
        return Allocation(pay=np.zeros((D, Y, 0, C)), gap=cost.copy(), iterations=1)
    if src.cell_order is not None:
        # pay the cells in the programmes' priority order, then put them back in the given order
        order = src.cell_order
        inverse = np.argsort(order)
        inner = allocate(cost[:, :, order], replace(src, eligible=src.eligible[:, order], cell_order=None), budget)
        return Allocation(pay=inner.pay[:, :, :, inverse], gap=inner.gap[:, :, inverse],
                          iterations=inner.iterations)
    cost_t = np.ascontiguousarray(cost.transpose(1, 2, 0))  # (Y, C, D)
    budget_t = np.ascontiguousarray(budget.T)  # (Y, D)
    caps = _Caps.of(src)
    # (under 64 draws the turns are not cut: no look). A turn stops early only where what is offered cannot be
    # negative: costs and shares not negative (nor -0.0), and shares at most 1, so that nothing left is negative
    trim = D >= 64 and not (np.signbit(cost_t).any() or np.signbit(caps.share).any() or (caps.share > 1.0).any())
    plan = _Order.of(src, caps, trim=trim)
    block_draws = max(min(DRAW_BLOCK, BLOCK_BYTES // (8 * Y * C)), min(DRAW_BLOCK, 256), 1)
    # two draws a block at least: numpy sums an array of one draw in another order (pairwise along what is then a
    # contiguous axis, e.g. the cost of a draw in the match tolerance), which would change last bits
    n_blocks = 1 if plan.late else max(min(-(-D // block_draws), D // 2), 1)
    pay = np.zeros((Y, S, C, D))  # each block's last pass writes its payments in place
    if n_blocks == 1:
        gap, iterations = _allocate_block(cost_t, src, plan, caps, budget_t, pay)
    else:
        gap = np.empty((Y, C, D))
        iterations = 1
        bounds = [D * i // n_blocks for i in range(n_blocks + 1)]  # blocks of (nearly) equal size
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            block = slice(lo, hi)
            gap[..., block], it = _allocate_block(cost_t[..., block], src, plan, caps.take(block),
                                                  budget_t[:, block], pay[..., block])
            iterations = max(iterations, it)
    return Allocation(pay=pay.transpose(3, 0, 1, 2), gap=gap.transpose(2, 0, 1), iterations=iterations)


def _allocate_block(cost_t: Floats, src: SourceInputs, plan: _Order, caps: _Caps, budget_t: Floats,
                    out: Floats) -> tuple[Floats, int]:
    """:func:`allocate` of some draws, draw axis last: the payments written in ``out`` (Y, S, C, D, zeroed), the
    gap (Y, C, D) and the passes used returned."""
    Y, C, D = cost_t.shape
    S = src.kind.shape[0]
    steps, late = plan.steps, plan.late
    estimate = np.zeros((Y, S, D))
    iterations = 1
    # the sources before the first grant with a forward match pay the same in every pass: once, here
    start = None
    if plan.first:
        pay0, remaining0, annual0 = _one_pass(cost_t, src, steps[:plan.first], caps, budget_t, estimate,
                                              keep_pay=True, trim=plan.trim)
        done0 = np.zeros(S, dtype=bool)
        done0[[st.s for st in steps[:plan.first]]] = True
        start = _State(remaining0, annual0, done0, pay0)
    rest = steps[plan.first:]
    # debt service in year y depends only on disbursements before y (and the front-end fee of y), so each pass
    # settles at least one more year: at most Y + 1 passes, fewer when the payments stop changing
    for _ in range(Y + 1 if late else 1):
        if plan.forward.any():
            estimate, iterations = _solve_forward_matches(cost_t, src, plan, caps, budget_t, estimate, start)
        pay, gap, annual = _one_pass(cost_t, src, rest, caps, budget_t, estimate, keep_pay=True, start=start,
                                     out=out, trim=plan.trim)
        if not late:
            break
        tol = 1e-12 * max(float(np.abs(annual).max(initial=0.0)), 1.0)
        if np.abs(annual[:, late] - estimate[:, late]).max(initial=0.0) <= tol:
            break
        estimate[:, late] = annual[:, late]
        iterations += 1
    if plan.net:
        # the envelope holds exactly: what a domestic source pays above it (an estimate that had not settled)
        # comes off and stays in the gap
        owed = caps.owed(annual)
        for g in np.flatnonzero((src.kind == DOMESTIC) & np.isfinite(src.budget_share_cap).any(axis=0)):
            limit = np.maximum(caps.budget_share[g] * budget_t - owed * _envelope_share(caps, int(g)), 0.0)
            pay, gap, annual = _trim(pay, gap, annual, int(g), limit)
    # enforce the ratio exactly: anything above it comes off the grant and stays in the gap
    for g in np.flatnonzero(src.match_ratio > 0):
        limit = src.match_ratio[g] * annual[:, src.match_on[g]].sum(axis=1)  # (Y, D)
        pay, gap, annual = _trim(pay, gap, annual, int(g), limit)
    return gap, iterations


def _envelope_share(caps: _Caps, s: int) -> Floats:
    """The part of the debt service that domestic source ``s``'s envelope carries (D,): its budget_share_cap over
    the sum of the domestic caps, so that several capped domestic sources deduct the service once between them."""
    finite = np.where(np.isfinite(caps.budget_share), caps.budget_share, 0.0)
    domestic = caps.domestic if caps.domestic is not None else np.ones(finite.shape[0], dtype=bool)
    total = finite[domestic].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(total > 0, finite[s] / np.where(total > 0, total, 1.0), 1.0), dtype=float)


def _trim(pay: Floats, gap: Floats, annual: Floats, g: int, limit: Floats) -> tuple[Floats, Floats, Floats]:
    """Scale source ``g``'s payments down to ``limit`` (Y, D) per year; what comes off stays in the gap."""
    excess = np.maximum(annual[:, g] - limit, 0.0)
    if not (excess > 1e-12 * np.maximum(np.abs(limit), 1.0)).any():
        return pay, gap, annual
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(annual[:, g] > 0, 1.0 - excess / annual[:, g], 1.0)
    trimmed = pay[:, g] * keep[:, None, :]
    gap = gap + (pay[:, g] - trimmed)
    pay[:, g] = trimmed
    annual = annual.copy()
    annual[:, g] = trimmed.sum(axis=1)
    return pay, gap, annual


def _solve_forward_matches(cost: Floats, src: SourceInputs, plan: _Order, caps: _Caps, budget: Floats,
                           start_estimate: Floats, start: _State | None) -> tuple[Floats, int]:
    """Estimates (Y, S, D) of the matched sources' annual payments that agree with the payments they produce.

    Draws that have converged drop out of later passes, so the cost of a pass falls as the iteration goes on.
    ``start``: the state after the sources that pay before the first grant with a forward match (or None).
    """
    Y, C, D = cost.shape
    S = src.kind.shape[0]
    forward = plan.forward
    # per draw: a draw's result must not depend on the other draws it is run with (chunks, batches)
    tol_all = 1e-9 * np.maximum(cost.sum(axis=(0, 1)), 1.0)  # (D,)
    grants = np.asarray(forward.any(axis=1))
    # only the matched sources' estimates are iterated, and a pass stops at the last of them: what pays after it
    # does not change what it pays
    cols = np.flatnonzero(forward.any(axis=0))
    position = np.empty(S, dtype=int)
    position[src.order] = np.arange(S)
    rest = plan.steps[plan.first:]
    upto = [st for st in rest if position[st.s] <= position[cols].max()]
    # grants at 0: an upper bound. With loans paying after a net envelope the whole pass is needed (its estimates
    # of those loans are used); else the pass can stop at the last matched source too.
    held = frozenset(int(g) for g in np.flatnonzero(grants))
    start = None if start is None else replace(start, pay=None)  # the passes below keep no payments
    _, _, estimate = _one_pass(cost, src, rest if plan.late else upto, caps, budget, start_estimate, start=start,
                               held=held, trim=plan.trim)
    if not any(src.kind[st.s] == DOMESTIC for st in upto):
        caps = replace(caps, service=())  # no net envelope before the last matched source: lighter gathers
    w = 1.0 / (1.0 + float(src.match_ratio.max()))
    active = np.arange(D)
    previous = None
    iterations = 1
    for iterations in range(2, MAX_MATCH_ITERATIONS + 2):
        every = active.size == D
        est_all = estimate if every else estimate[:, :, active]
        _, _, annual_all = _one_pass(cost if every else cost[:, :, active], src, upto,
                                     caps if every else caps.take(active), budget if every else budget[:, active],
                                     est_all, start=start if every or start is None else start.take(active),
                                     trim=plan.trim)
        est, annual = est_all[:, cols], annual_all[:, cols]
        residual = annual - est
        tol = tol_all[active]
        converged = np.abs(residual).max(axis=(0, 1)) <= tol
        # the final pass uses min(estimate, payments), which can only lower a grant's cap
        estimate[:, cols[:, None], active] = np.minimum(est, annual)
        if converged.all():
            break
        step = est + w * residual  # damped step
        if previous is not None:
            # secant step on each element of ``annual(estimate) - estimate = 0``: exact when the matched payments
            # are linear in the estimate, as they are between kinks (slope 0 when the matched source is capped,
            # -ratio when it takes what the grant leaves)
            d_est, d_annual = est - previous[0], annual - previous[1]
            big = np.abs(d_est) > tol[None, None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where(big, d_annual / np.where(big, d_est, 1.0), np.nan)
            ok = np.isfinite(slope) & (slope <= 0.0)
            step = np.where(ok, est - residual / np.where(ok, slope - 1.0, -1.0), step)
        keep = ~converged
        estimate[:, cols[:, None], active[keep]] = np.maximum(step[:, :, keep], 0.0)
        previous = (est[:, :, keep], annual[:, :, keep])
        active = active[keep]
    return estimate, iterations


def line_cells(line_programme: Ints, line_kind: Ints) -> Ints:
    """The cost cell of each line: ``2 p`` for programme p's capex lines, ``2 p + 1`` for its opex lines.

    Examples
    --------
    >>> line_cells(np.array([0, 0, 1]), np.array([0, 3, 1])).tolist()  # capex, fixed_opex, opex
    [0, 1, 3]
    """
    return np.asarray(2 * np.asarray(line_programme) + _OPEX_CLASS[np.asarray(line_kind)], dtype=np.int64)


def cell_costs(amount: Floats, line_programme: Ints, line_kind: Ints, n_programmes: int) -> Floats:
    """Sum cost lines (D, Y, L) into cells (D, Y, C = 2 P), cells in the order of :func:`line_cells`.

    An index-based sum (lines sorted by cell, then one ``add.reduceat``): memory O(D Y (L + C)), not O(L C).
    """
    D, Y, L = amount.shape
    out = np.zeros((D, Y, 2 * n_programmes))
    if L == 0:
        return out
    cells = line_cells(line_programme, line_kind)
    order = np.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    out[:, :, sorted_cells[starts]] = np.add.reduceat(amount[:, :, order], starts, axis=2)
    return out
