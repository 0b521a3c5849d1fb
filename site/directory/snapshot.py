"""The districts and schools as share links, the picker and play starts need them, readable
while the database is down (sunshine.snapshot: fresh for a minute, then from the database again;
on an outage the last copy this server kept).

Two queries for the whole directory: a city has 13 districts and a few thousand schools, far
less than one page of the admin, and share links are then answered without a query of their own.
"""

from dataclasses import dataclass

from sunshine import snapshot

NAME = "directory"


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass(frozen=True)
class SchoolPlace:
    pk: int
    code: str
    name: str
    district_code: str


class Directory:
    def __init__(self, data):
        self.districts = [Place(code, name) for code, name in data["districts"]]
        self._districts = {place.code: place for place in self.districts}
        schools = [SchoolPlace(*row) for row in data["schools"]]
        self._schools = {school.code: school for school in schools}
        self._by_district = {}
        for school in sorted(schools, key=lambda school: school.name):
            self._by_district.setdefault(school.district_code, []).append(school)

    def district(self, code) -> Place | None:
        return self._districts.get(code) if isinstance(code, str) else None

    def school(self, code) -> SchoolPlace | None:
        return self._schools.get(code) if isinstance(code, str) else None

    def schools_of(self, district_code) -> list[SchoolPlace]:
        """A district's schools by name (the picker's order)."""
        return list(self._by_district.get(district_code, ()))


def _from_database():
    from sunshine.directory.models import District, School

    return {
        "districts": [list(row) for row in District.objects.values_list("code", "name")],
        "schools": [
            list(row)
            for row in School.objects.order_by("pk").values_list(
                "pk", "code", "name", "district__code"
            )
        ],
    }


def current() -> Directory:
    """The directory, at most a minute old; while the database is unreachable, the last copy
    kept. Raises the database's error only when no copy was ever kept on this server."""
    return snapshot.read_through(NAME, _from_database, load=Directory)


def _forget(sender, **kwargs):
    snapshot.forget(NAME)


def connect_signals():
    """A district or school saved or deleted here is in this process's next answer at once
    (other processes see it within a minute; so do bulk imports, which send no signals)."""
    from django.db.models.signals import post_delete, post_save

    for model in ("directory.District", "directory.School"):
        post_save.connect(_forget, sender=model, dispatch_uid=f"directory-snapshot-{model}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"directory-snapshot-{model}-x")
