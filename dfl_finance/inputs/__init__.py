"""Floor 2: every file a user writes, validated once, and nothing else.

The scenario: its models (:mod:`.models`), rules across fields (:mod:`.rules`), TOML in and out (:mod:`.io`), field
paths (:mod:`.paths`) and overrides (:mod:`.overrides`), references to the data (:mod:`.references`,
:mod:`.profiles`), its ``[[uncertain]]`` rows and pledges (:mod:`.uncertain`) and ``[[stress]]`` rows
(:mod:`.stress`); the school table (:mod:`.schools`); the portfolio and sweep files. Reading a scenario with what it
names (its school tables planned, its baseline read) is the model's: :func:`dfl_finance.model.load.load_scenario`.
"""

from dfl_finance.inputs.plugins import skip_plugin_lookup

# before the first model is built: pydantic's look for plugins without importlib.metadata when none is installed
# (issue 21, start-up; inputs.plugins)
skip_plugin_lookup()
