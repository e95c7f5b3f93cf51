import sys

from dfl_finance.cli import main

sys.exit(main())
