"""Regenerate the field tables of ``docs/scenario-format.md`` from the schema: ``python -m dfl_finance.docs``."""

from __future__ import annotations

import sys
from pathlib import Path

from .schema import field_reference_markdown

BEGIN = "<!-- BEGIN GENERATED FIELDS (python -m dfl_finance.docs) -->"
END = "<!-- END GENERATED FIELDS -->"


def update(path: Path) -> bool:
    """Replace the text between the markers; returns True if the file changed."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n\n{field_reference_markdown()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "docs" / "scenario-format.md"
    print(f"{'updated' if update(path) else 'unchanged'}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
