"""The official OCDS 1.1 schemas and codelists vendored in marketplace/data/ocds/ (offline:
nothing is fetched)."""

import csv
import json
from functools import cache
from pathlib import Path

OCDS_DIR = Path(__file__).resolve().parent.parent / "data" / "ocds"


@cache
def vendored_schema(name: str) -> dict:
    """A vendored schema (e.g. "release-schema.json"), read once; callers must not change it."""
    return json.loads((OCDS_DIR / name).read_text("utf-8"))


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of a vendored codelist CSV (e.g. "tenderStatus.csv")."""
    with (OCDS_DIR / "codelists" / name).open(encoding="utf-8", newline="") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


def codelist_available(name: str) -> bool:
    return (OCDS_DIR / "codelists" / name).exists()
