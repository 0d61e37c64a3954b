"""Write `model_cards/schema.json`, the JSON Schema card authors validate against."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engines.cards.catalog import builtin_cards_dir
from engines.cards.schema import ModelCard


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else builtin_cards_dir() / "schema.json"
    target.write_text(json.dumps(ModelCard.model_json_schema(), indent=2, ensure_ascii=False) + "\n")
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
