"""The city's 13 districts and counties, as the bureau listed them (data/shenyang_districts.csv)."""

import csv
from pathlib import Path

DISTRICTS_CSV = Path(__file__).resolve().parent / "data" / "shenyang_districts.csv"


def read_districts(path=DISTRICTS_CSV):
    """Rows of the bureau's file as dicts with `code`, `name` and `kind`."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def load_districts(district_model=None, path=DISTRICTS_CSV):
    """Create or correct the districts from the bureau's file; returns how many rows changed.

    Keyed on the administrative code, so running it again changes nothing. Takes the model as
    an argument so a data migration can pass its historical model.
    """
    if district_model is None:
        from sunshine.directory.models import District as district_model

    changed = 0
    for row in read_districts(path):
        values = {"name": row["name"], "kind": row["kind"]}
        district = district_model.objects.filter(code=row["code"]).first()
        if district is None:
            district_model.objects.create(code=row["code"], **values)
            changed += 1
        elif any(getattr(district, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(district, field, value)
            district.save(update_fields=list(values))
            changed += 1
    return changed
