"""A PostgreSQL server crashes in the middle of a stream of concurrent beats and comes back: the
final report equals the truth, because every acknowledged beat was either committed or spooled.

The server is a throwaway instance made by this test (initdb in a temporary folder, a free
port) holding the analytics tables; the site's pages stay in the test database. It is crashed
the way `pg_ctl stop -m immediate` does it (SIGQUIT: no checkpoint, crash recovery on the next
start) while several clients are sending beats to the live server, plays are started during
the outage, and the spool is fed to the store by a separate process afterwards, as the
scheduler or another app process would.

The instance never outlives the test: it is the test process's own child, asked by the kernel
to quit if the test process dies (even by SIGKILL), stopped by the fixture, and by an atexit
hook after an interrupted run. initdb refuses to run as root; as root it runs as `postgres`.
"""

import atexit
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

from analytics import privacy
from analytics.models import (
    CampaignReach,
    DailyPageView,
    DailyReach,
    Play,
    RollupLock,
    RollupOutbox,
    Salt,
    ViewerCampaign,
    ViewerDay,
)
from analytics.protocol import validate_beat
from analytics.stores import ReachQuery, get_store
from analytics.tokens import verify
from tests.analytics.contract import Stream, check, truth

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ALIAS = "analytics_fault"
PROJECT = Path(__file__).resolve().parents[2]
MODELS = [
    Play,
    ViewerDay,
    ViewerCampaign,
    DailyReach,
    CampaignReach,
    DailyPageView,
    Salt,
    RollupLock,
    RollupOutbox,
]
PR_SET_PDEATHSIG = 1
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0"


def pg_bin(name):
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
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


def _as_postgres_dying_with_parent():
    """preexec_fn: drop to the postgres user (as root), then ask for SIGQUIT when the test
    process dies (the kernel clears that request on a change of user, so it comes last)."""
    import ctypes

    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec():
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)

    return preexec


def remove_abandoned_instances():
    """Folders of instances whose test process was killed outright (their server quit with it,
    but nobody was left to delete the folder)."""
    for folder in Path(tempfile.gettempdir()).glob("sunshine-pg-*"):
        pid_file = folder / "data" / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, IndexError, ProcessLookupError):
            if time.time() - folder.stat().st_mtime > 60:  # not one being set up right now
                shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue


class Throwaway:
    def __init__(self):
        remove_abandoned_instances()
        self.root = Path(tempfile.mkdtemp(prefix="sunshine-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.process = None
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        atexit.register(self.remove)  # an interrupted run must not leave a server behind

    def init(self):
        subprocess.run(
            [pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E",
             "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, timeout=120,
            preexec_fn=_as_postgres_dying_with_parent(),
        )  # fmt: skip

    def start(self):
        self.process = subprocess.Popen(
            [pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port), "-k",
             str(self.root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_as_postgres_dying_with_parent(),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            if self.process.poll() is not None:
                pytest.fail("临时 PostgreSQL 启动失败")
            time.sleep(0.1)
        pytest.fail("临时 PostgreSQL 没有在 60 秒内启动")

    def crash(self):
        """What `pg_ctl stop -m immediate` does: SIGQUIT, no checkpoint, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            self.process.wait(timeout=60)

    def remove(self):
        try:
            self.crash()
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.remove)


def allow_connections(monkeypatch):
    """Django's test cases refuse connections to databases a test did not declare, in every
    thread; this one is made by the test itself, after the test case was set up, so it connects
    as Django normally does (also from the live server's threads)."""
    current = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self, *args, **kwargs):
        if self.alias != ALIAS:
            return current(self, *args, **kwargs)
        if self.connection is None:
            with self.wrap_database_errors:
                self.connect()
        return None

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)


@pytest.fixture
def throwaway(settings, monkeypatch):
    server = Throwaway()
    try:
        server.init()
        server.start()
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(server.port),
            "CONN_MAX_AGE": 0,
        }
        connections.settings[ALIAS] = ConnectionHandler({"default": config}).settings["default"]
        allow_connections(monkeypatch)
        with connections[ALIAS].schema_editor() as editor:
            for model in MODELS:
                editor.create_model(model)
        settings.ANALYTICS_DB_ALIAS = ALIAS
        yield server
    finally:
        if ALIAS in connections.settings:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
        server.remove()


def post(url, body):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "text/plain", "User-Agent": UA},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def replay_in_another_process(server, spool_dir):
    """Feeds the spool to the store from a separate process, as the scheduler would."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sunshine.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{server.port}/postgres",
        "ANALYTICS_DB_ALIAS": "default",
        "ANALYTICS_SPOOL_DIR": str(spool_dir),
    }
    code = (
        "import django; django.setup(); from analytics import ingest; "
        "r = ingest.flush_spool(); print(r.replayed, r.failed, r.unavailable is None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=PROJECT, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    replayed, failed, ok = done.stdout.split()[-3:]
    return int(replayed), int(failed), ok == "True"


@pytest.mark.parametrize("mode", ["direct", "spool"])
def test_a_database_that_crashes_mid_stream_loses_no_acknowledged_beat(
    live_server, throwaway, settings, mode
):
    from courses.factories import sample_site

    settings.ANALYTICS_INGEST = mode
    # This test is about durability, and its beats go out at once after the start: a fixed
    # slack keeps the real-time clamp out of the numbers (same setting for the reference).
    settings.ANALYTICS_CLAMP_SLACK_SECONDS = 30
    site = sample_site(lessons=3)
    api = live_server.url + "/api/v1/"
    pages = [*site.lessons, site.lecture]

    def start_play(n):
        return post(
            api + "plays",
            {"page_id": pages[n % 4].pk, "district": ["210102", "210103", "210104"][n % 3]},
        )  # fmt: skip

    started = [start_play(n) for n in range(12)]
    assert {status for status, _ in started} == {201}
    plays = [json.loads(body)["token"] for _, body in started]
    items = [
        {"token": token, "seq": seq, "watched_s": seq * 3, "max_pos_s": seq * 3,
         "duration_s": 20 if n % 2 else 600}
        for seq in range(1, 9)
        for n, token in enumerate(plays)
    ]  # fmt: skip
    batches = [items[i : i + 4] for i in range(0, len(items), 4)]
    third = len(batches) // 3
    acknowledged = []

    def send(batch):
        status, body = post(api + "plays/beat", batch)
        assert status in (204, 503), body  # never a 500
        if status == 204:
            acknowledged.extend(batch)
        return status

    with ThreadPoolExecutor(max_workers=6) as clients:
        assert set(clients.map(send, batches[:third])) == {204}
        middle = batches[third : 2 * third]
        in_flight = [clients.submit(send, batch) for batch in middle[: len(middle) // 2]]
        throwaway.crash()  # while those are being written…
        in_flight += [clients.submit(send, batch) for batch in middle[len(middle) // 2 :]]
        # A play started during the outage works from what this process has cached…
        status, body = start_play(12)
        assert status == 201, body
        # …and without the caches it is a clear 503 in JSON, not a 500 page.
        privacy.forget_cached_salts()
        cache.clear()  # the page and campaign lookups (analytics.content)
        status, body = start_play(13)
        assert status == 503 and json.loads(body)["code"] == "unavailable"
        assert {f.result() for f in in_flight} == {204}  # the spool took what the store could not
        throwaway.start()
        assert set(clients.map(send, batches[2 * third :])) == {204}
    assert len(acknowledged) == len(items)

    spool_dir = Path(settings.ANALYTICS_SPOOL_DIR)
    replayed, failed, ok = replay_in_another_process(throwaway, spool_dir)
    assert ok and failed == 0
    # The outage really happened: at least the beats sent after the crash were spooled.
    assert replayed >= (len(items) if mode == "spool" else 4 * (len(middle) - len(middle) // 2))
    store = get_store()
    close_old_connections()  # as the scheduler does before each job
    store.flush()

    tokens = {value: verify(value) for value in plays}
    beats = [validate_beat(item, now=tokens[item["token"]].issued_at + 5) for item in acknowledged]
    stream = Stream(
        beats, beats, {t.play_id: f"device-{n:08d}" for n, t in enumerate(tokens.values())}
    )
    (day,) = {t.day for t in tokens.values()}
    for by in [(), ("district",), ("lesson",)]:
        query = ReachQuery(date_from=day, date_to=day)
        check(store.reach(query, by), truth(stream, query, by), exact=True, label=by)
    assert Play.objects.using(ALIAS).count() == 12
