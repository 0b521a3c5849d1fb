import csv

import pytest

from sunshine.directory.districts import DISTRICTS_CSV, load_districts
from sunshine.directory.models import District

pytestmark = pytest.mark.django_db


def bureau_rows():
    with open(DISTRICTS_CSV, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_the_bureaus_file_lists_thirteen_districts():
    assert len(bureau_rows()) == 13


def test_the_13_districts_exist_after_migrate_with_their_codes_and_kinds():
    expected = {(row["code"], row["name"], row["kind"]) for row in bureau_rows()}
    assert set(District.objects.values_list("code", "name", "kind")) == expected
    assert District.objects.get(code="210181").get_kind_display() == "县级市"
    assert District.objects.get(name="康平县").kind == District.Kind.COUNTY


def test_loading_the_districts_again_changes_nothing():
    before = list(District.objects.order_by("code").values_list("pk", "code", "name", "kind"))
    assert load_districts() == 0
    assert (
        list(District.objects.order_by("code").values_list("pk", "code", "name", "kind")) == before
    )


def test_loading_restores_a_district_someone_renamed():
    District.objects.filter(code="210102").update(name="和平")
    assert load_districts() == 1
    assert District.objects.get(code="210102").name == "和平区"
    assert District.objects.count() == 13
