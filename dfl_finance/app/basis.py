"""The price basis of what the app shows, in words: the words of :mod:`dfl_finance.outputs.formatting` (shared with the
command line), and the default basis."""

from __future__ import annotations

from dfl_finance.outputs.formatting import basis_currency, basis_label, basis_words, scenarios_words
from dfl_finance.outputs.result import DEFAULT_BASIS
from dfl_finance.vocabulary import PRICE_BASES

__all__ = ["DEFAULT_BASIS", "PRICE_BASES", "basis_currency", "basis_label", "basis_words",
           "scenarios_words"]
