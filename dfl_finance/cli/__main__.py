"""``python -m dfl_finance.cli``, as ``python -m dfl_finance`` and ``dfl-finance``."""

import sys

from dfl_finance.cli import main

sys.exit(main())
