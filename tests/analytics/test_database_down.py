"""Share links, the picker's data and play starts while the database is down: answered from
the directory snapshot this app server kept (sunshine.directory.snapshot), never a 500.

"Down" is every query failing the way it does when the database server is gone (the pattern of
test_privacy); "a process that never read the directory" is this one with its memory emptied
(process_state.reset), so only the file on disk is left.
"""

import json

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection

from sunshine import process_state, snapshot
from sunshine.directory.models import District
from sunshine.directory.snapshot import current
from tests.analytics.reports_support import HEPING, SHENHE, school

from .test_attribution import stored_attribution

pytestmark = pytest.mark.django_db


class DatabaseDown:
    def __init__(self):
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        raise OperationalError("connection to server failed: Connection refused")


def as_a_fresh_process():
    """What a process that never read the directory has: nothing in memory or in the cache."""
    process_state.reset()
    cache.clear()


def test_share_links_and_the_picker_work_from_the_snapshot_while_the_database_is_down(client):
    heping = school(HEPING, code="HP-001", name="和平一校")
    school(SHENHE, code="SH-001", name="沈河一校")
    assert client.get("/r/places.json").status_code == 200  # the database is up: kept on disk
    assert snapshot.path("directory").exists()
    as_a_fresh_process()

    down = DatabaseDown()
    with connection.execute_wrapper(down):
        response = client.get("/r/s/HP-001/", {"to": "/courses/"})
        assert response.status_code == 200
        assert stored_attribution(response) == {
            "district": HEPING,
            "school": "HP-001",
            "via": "link",
        }
        response = client.get(f"/r/d/{SHENHE}/", {"via": "qr"})
        assert stored_attribution(response) == {"district": SHENHE, "school": None, "via": "qr"}
        # A code that is not in the directory still takes the child on, unattributed.
        assert stored_attribution(client.get("/r/s/NO-SUCH/")) is None

        districts = client.get("/r/places.json").json()["districts"]
        assert len(districts) == 13 and {"code": HEPING, "name": "和平区"} in districts
        schools = client.get("/r/places.json", {"district": HEPING}).json()["schools"]
        assert schools == [{"code": "HP-001", "name": heping.name}]
    assert down.queries >= 1  # the database really was asked, and failed


def test_a_fresh_server_with_the_database_down_answers_503_in_chinese_not_500(client):
    down = DatabaseDown()
    with connection.execute_wrapper(down):
        response = client.get("/r/s/HP-001/")
        assert response.status_code == 503 and response["Retry-After"] == "30"
        page = response.content.decode()
        assert "服务暂时繁忙" in page and "tel:12356" in page and "tel:12355" in page
        # The picker asks with fetch(): its answer is JSON it can read, not a page.
        response = client.get("/r/places.json")
        assert response.status_code == 503
        assert response.json()["code"] == "unavailable"
    assert down.queries >= 1


def test_a_play_start_checks_the_school_code_against_the_snapshot_while_the_database_is_down(
    client, site
):
    school(HEPING, code="HP-002")
    body = {"page_id": site.lessons[0].pk, "district": HEPING, "school": "HP-002", "via": "link"}
    started = client.post("/api/v1/plays", json.dumps(body), "application/json")
    assert started.status_code == 201  # the page, the salt and the directory are now kept
    pk = started.json()["school_id"]
    viewer = started.json()["viewer"]
    snapshot.forget()  # the directory from the file only, not from this process's memory

    with connection.execute_wrapper(DatabaseDown()):
        for codes, expected in [
            ({"school": "HP-002"}, (HEPING, pk)),
            ({"district": SHENHE}, (SHENHE, 0)),
            ({"school": "NO-SUCH", "district": "999999"}, ("", 0)),  # checked, found wanting
        ]:
            answer = client.post(
                "/api/v1/plays",
                json.dumps({"page_id": site.lessons[0].pk, "viewer": viewer, **codes}),
                "application/json",
            )
            assert answer.status_code == 201, answer.content
            assert (answer.json()["district"], answer.json()["school_id"]) == expected


def test_a_school_saved_here_is_in_the_next_answer_of_this_process(client):
    assert client.get("/r/places.json", {"district": HEPING}).json()["schools"] == []
    school(HEPING, code="HP-003", name="和平三校")
    assert [
        s["code"] for s in client.get("/r/places.json", {"district": HEPING}).json()["schools"]
    ] == ["HP-003"]
    assert current().school("HP-003").district_code == HEPING


def test_the_snapshot_on_disk_follows_the_database(client):
    school(HEPING, code="HP-004", name="和平四校")
    current()
    kept = json.loads(snapshot.path("directory").read_text(encoding="utf-8"))
    assert kept["schools"][-1][1:] == ["HP-004", "和平四校", HEPING]
    District.objects.filter(code=SHENHE).update(name="沈河区（改）")  # no signal: a bulk change
    snapshot.forget()
    current()
    kept = json.loads(snapshot.path("directory").read_text(encoding="utf-8"))
    assert [SHENHE, "沈河区（改）"] in kept["districts"]
