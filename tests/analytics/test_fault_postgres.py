"""A PostgreSQL server dies in the middle of a stream of beats and comes back: the final report
equals the truth, because every acknowledged beat was either committed or spooled.

The server is a throwaway instance made by this test (initdb in a temporary folder, a free
port). initdb refuses to run as root, so as root it runs as the `postgres` user.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import types
from pathlib import Path

import pytest
from django.db import connections
from django.db.utils import ConnectionHandler

from analytics import spool as spool_module
from analytics.models import (
    CampaignReach,
    DailyPageView,
    DailyReach,
    Play,
    RollupLock,
    Salt,
    ViewerCampaign,
    ViewerDay,
)
from analytics.spool import Spool
from analytics.stores import ReachQuery, get_store
from analytics.tokens import verify
from tests.analytics.contract import as_tuples, expected_reach

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
ALIAS = "analytics_fault"
MODELS = [
    Play,
    ViewerDay,
    ViewerCampaign,
    DailyReach,
    CampaignReach,
    DailyPageView,
    Salt,
    RollupLock,
]


def pg_bin(name):
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in versions:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"PostgreSQL 的 {name} 未安装：这个测试需要它来启动临时数据库")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Throwaway:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="sunshine-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def run(self, *command):
        if self.as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self):
        self.run(
            pg_bin("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self):
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self.run(
            pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self):
        self.run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def allow_connections(connection):
    """Django's TestCase refuses connections to aliases a test did not declare; this one is made
    by the test itself, after the test case was set up, so it connects as Django normally does."""

    def ensure_connection(self):
        if self.connection is None:
            with self.wrap_database_errors:
                self.connect()

    connection.ensure_connection = types.MethodType(ensure_connection, connection)


@pytest.fixture
def throwaway(settings):
    server = Throwaway()
    server.init()
    server.start()
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(server.port),
    }
    connections.settings[ALIAS] = ConnectionHandler({"default": config}).settings["default"]
    allow_connections(connections[ALIAS])
    with connections[ALIAS].schema_editor() as editor:
        for model in MODELS:
            editor.create_model(model)
    settings.ANALYTICS_DB_ALIAS = ALIAS
    yield server
    connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]
    server.remove()


def test_a_database_that_dies_mid_stream_loses_no_acknowledged_beat(client, site, throwaway):
    plays = []
    for n in range(12):
        lesson = [*site.lessons, site.lecture][n % 4]
        response = client.post(
            "/api/v1/plays",
            json.dumps(
                {
                    "page_id": lesson.pk,
                    "viewer": f"device-{n:08d}",
                    "district": ["210102", "210103", "210104"][n % 3],
                }
            ),
            content_type="application/json",
        )
        assert response.status_code == 201
        plays.append(response.json()["token"])
    items = [
        {
            "token": token,
            "seq": seq,
            "watched_s": seq * 3,
            "max_pos_s": seq * 3,
            "duration_s": 20 if n % 2 else 600,
        }
        for seq in range(1, 9)
        for n, token in enumerate(plays)
    ]
    batches = [items[i : i + 4] for i in range(0, len(items), 4)]
    spooled = 0
    for number, batch in enumerate(batches):
        if number == len(batches) // 3:
            throwaway.stop()
        if number == 2 * len(batches) // 3:
            throwaway.start()
            spool_module._last_check = 0.0  # the next successful write replays at once
        response = client.post("/api/v1/plays/beat", json.dumps(batch), content_type="text/plain")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["accepted"] == len(batch)  # acknowledged: committed or spooled
        spooled += body["spooled"]

    assert spooled >= len(batches) // 3 - 1  # the outage really happened
    assert not Spool().pending()  # ...and the spool was replayed when the server came back

    from analytics.protocol import Beat

    truth = [
        Beat(verify(i["token"], now=0), i["seq"], i["watched_s"], i["max_pos_s"], i["duration_s"])
        for i in items
    ]
    store = get_store()
    for query, by in [
        (ReachQuery(), ()),
        (ReachQuery(), ("district",)),
        (ReachQuery(), ("lesson",)),
    ]:
        assert as_tuples(store.reach(query, by)) == expected_reach(truth, query, by)
    assert Play.objects.using(ALIAS).count() == 12
    assert not Play.objects.exists()  # nothing went to the default database
