"""The price basis of what the app shows, in words: the words of :mod:`dfl_finance.formatting` (shared with the
command line), and the default basis."""

from __future__ import annotations

from ..formatting import basis_currency, basis_label, basis_words, scenarios_words
from ..results import DEFAULT_BASIS
from ..vocabulary import PRICE_BASES

__all__ = ["DEFAULT_BASIS", "PRICE_BASES", "basis_currency", "basis_label", "basis_words",
           "scenarios_words"]
