"""A PostgreSQL server crashes in the middle of a stream of concurrent beats and comes back: the
final report equals the truth, because every acknowledged beat was either committed or spooled.

The server is a throwaway instance made by this test (initdb in a temporary folder, a free
port) holding the analytics tables; the site's pages stay in the test database. It is crashed
the way `pg_ctl stop -m immediate` does it (SIGQUIT: no checkpoint, crash recovery on the next
start) while several clients are sending beats to the live server, plays are started during
the outage, and the spool is fed to the store by a separate process afterwards, as the
scheduler or another app process would.

The second test puts the whole site on such an instance (migrated, seeded) behind
`sunshine serve`, and stops PostgreSQL for 60 s while phones arrive through share links, open
lessons, start plays and beat, nothing restarting any process. It runs once, in the SQLite run
of `make test`: its PostgreSQL is its own, so the PostgreSQL run would only repeat it.

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
import threading
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


# --- the whole site on PostgreSQL, which is stopped for a minute under a browser-like client ---

OUTAGE_SECONDS = 60
BEAT_EVERY = 4  # seconds; well under the admission limit of beats per play and minute
VIDEO_SECONDS = 20  # the client's figure (the sample lessons have no measured video)
SEED = """
import json
from courses.factories import sample_site
from sunshine.directory.models import District, School

site = sample_site(lessons=3)
school = School.objects.create(
    code="FAULT-01", name="故障测试学校", district=District.objects.get(code="210102"),
    stage="junior",
)
print(json.dumps({"lessons": [[page.pk, page.url] for page in site.lessons],
                  "school": [school.pk, school.code]}))
"""


def process_tree(pid):
    """Every descendant of `pid` (gunicorn's workers included), as a set of pids."""
    found, queue = set(), [pid]
    while queue:
        parent = queue.pop()
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True
        )
        children = [int(line) for line in out.stdout.split()]
        found.update(children)
        queue.extend(children)
    return found


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] not in ("Z", "X")
    except FileNotFoundError:
        return False


def http(method, url, body=None, timeout=30):
    """(status, headers, body) like a phone's browser: a browser user agent, no cookies."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"User-Agent": UA}
    if data is not None:
        headers["Content-Type"] = "text/plain"  # what sendBeacon sends
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Phone:
    """One child's phone: arrives through a share link, opens the lesson, plays it and beats
    every few seconds like the player, keeping unacknowledged beats and sending them again
    (the player's localStorage queue), honouring Retry-After."""

    def __init__(self, number, base, lessons, link, statuses, stop):
        self.number, self.base, self.lessons, self.link = number, base, lessons, link
        self.statuses, self.stop = statuses, stop
        self.viewer = None
        self.acknowledged = []  # beats the server answered 204 for
        self.devices = {}  # play token → the viewer id it was started with

    def record(self, kind, status):
        self.statuses.append((kind, status, time.monotonic()))

    def retry_wait(self, headers):
        time.sleep(min(float(headers.get("Retry-After") or 1), 2))

    def run(self):
        plays = 0
        while not self.stop.is_set():
            page_id, url = self.lessons[(self.number + plays) % len(self.lessons)]
            status, _, body = http("GET", f"{self.base}{self.link}?to={url}")
            self.record("share", status)
            marker = b'<script id="sunshine-attribution" type="application/json">'
            attribution = json.loads(body.split(marker)[1].split(b"</script>")[0])
            self.record("page", http("GET", self.base + url)[0])
            token = self.start(page_id, attribution)
            if token is None:
                return
            # 6 s (not counted), 14 s (counted) or 22 s (completed), at normal speed.
            self.play(token, watch=(6, 14, 22)[(self.number + 2 * plays) % 3])
            plays += 1

    def start(self, page_id, attribution):
        while not self.stop.is_set():
            status, headers, body = http(
                "POST",
                self.base + "/api/v1/plays",
                {"page_id": page_id, "viewer": self.viewer, **attribution},
            )
            self.record("play", status)
            if status == 201:
                answer = json.loads(body)
                self.viewer = answer.get("viewer", self.viewer)
                self.devices[answer["token"]] = self.viewer
                return answer["token"]
            assert status in (429, 503), body
            self.retry_wait(headers)
        return None

    def play(self, token, watch):
        started, seq, queue = time.monotonic(), 0, []
        while True:
            elapsed = time.monotonic() - started
            done = elapsed >= watch or self.stop.is_set()
            time.sleep(0 if done else min(BEAT_EVERY, watch - elapsed))
            # What the player reports: time really watched, at 1× (never ahead of the server).
            watched = min(int(time.monotonic() - started), watch)
            seq += 1
            queue.append(
                {"token": token, "seq": seq, "watched_s": watched, "max_pos_s": watched,
                 "duration_s": VIDEO_SECONDS}
            )  # fmt: skip
            self.send(queue, final=done)
            if done:
                return

    def send(self, queue, final):
        for _ in range(100 if final else 1):
            status, headers, _ = http("POST", self.base + "/api/v1/plays/beat", list(queue))
            self.record("beat", status)
            if status == 204:
                self.acknowledged.extend(queue)
                queue.clear()
                return
            assert status in (429, 503), status
            self.retry_wait(headers)


@pytest.fixture
def site_on_throwaway(tmp_path, settings, monkeypatch):
    """The whole site (pages, accounts, analytics) on a throwaway PostgreSQL, migrated and
    seeded, served by `sunshine serve` with two web workers; the test process reads the
    analytics tables through ALIAS."""
    from tests.ops.helpers import child_env, sunshine

    server = Throwaway()
    serve = None
    try:
        server.init()
        server.start()
        env = child_env(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{server.port}/postgres",
            SECRET_KEY=settings.SECRET_KEY,  # the test verifies the tokens the server signed
            SUNSHINE_VAR_DIR=tmp_path / "var",
            ANALYTICS_SPOOL_DIR=tmp_path / "spool",
            ANALYTICS_FLUSH_THREAD="1",
            LOG_LEVEL="WARNING",
        )
        migrated = sunshine("migrate", "--noinput", "-v0", env=env, timeout=600)
        assert migrated.returncode == 0, migrated.stderr
        seeded = sunshine("shell", "-c", SEED, env=env)
        assert seeded.returncode == 0, seeded.stderr
        catalogue = json.loads(seeded.stdout.strip().splitlines()[-1])

        port = free_port()
        log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 (read after the test)
        serve = subprocess.Popen(
            [sys.executable, "-m", "sunshine", "serve", f"--port={port}", "--workers=2",
             "--threads=4"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if http("GET", base + "/r/places.json", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "serve did not answer in 120 s"
            time.sleep(0.3)
        # Until each web worker has warmed up (sunshine.warmup) and the workers have started.
        while len(process_tree(serve.pid)) < 6 and time.monotonic() < deadline:
            time.sleep(0.2)

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
        settings.ANALYTICS_DB_ALIAS = ALIAS
        yield server, serve, base, catalogue, tmp_path / "serve.log"
    finally:
        if ALIAS in connections.settings:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
        if serve is not None and serve.poll() is None:
            serve.terminate()
            try:
                serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()
        server.remove()


def _stop(server):
    """`pg_ctl stop -m fast`: SIGINT, open connections are cut, the server exits."""
    server.process.send_signal(signal.SIGINT)
    server.process.wait(timeout=60)


def _wait_for(condition, seconds, message):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(1)


@pytest.mark.once  # it brings its own PostgreSQL: once, in the SQLite run of `make test`
def test_with_postgresql_stopped_for_a_minute_the_site_keeps_counting(site_on_throwaway):
    server, serve, base, catalogue, log = site_on_throwaway
    tree = process_tree(serve.pid)
    assert len(tree) >= 6, tree  # gunicorn and its two workers, two task workers, the scheduler
    school_id, school_code = catalogue["school"]
    links = [f"/r/s/{school_code}/", "/r/d/210103/", "/r/d/210104/"]
    statuses, stop = [], threading.Event()
    phones = [Phone(n, base, catalogue["lessons"], links[n % 3], statuses, stop) for n in range(6)]
    threads = [threading.Thread(target=phone.run) for phone in phones]
    for thread in threads:
        thread.start()
    time.sleep(8)
    _stop(server)
    down_from = time.monotonic()
    # The picker's data while the database is down, from the directory snapshot.
    status, _, body = http("GET", base + "/r/places.json")
    assert status == 200 and len(json.loads(body)["districts"]) == 13
    status, _, body = http("GET", base + "/r/places.json?district=210102")
    assert status == 200 and json.loads(body)["schools"] == [
        {"code": school_code, "name": "故障测试学校"}
    ]
    time.sleep(OUTAGE_SECONDS - (time.monotonic() - down_from))
    server.start()
    down_until = time.monotonic()
    time.sleep(8)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    # No 5xx on share links, play starts and beats, before, during or after the outage; and
    # the outage really was met: plays were started and beats acknowledged while it lasted.
    served = [(kind, status) for kind, status, _ in statuses if kind != "page"]
    assert not [entry for entry in served if entry[1] >= 500], served
    during = [(kind, status) for kind, status, at in statuses if down_from < at < down_until]
    assert ("share", 200) in during and ("play", 201) in during and ("beat", 204) in during
    # Lesson pages come from the page cache or are the Chinese 503 page: never a 500.
    assert {status for kind, status, _ in statuses if kind == "page"} <= {200, 503}
    # Nothing was restarted: the same processes, all still running.
    assert serve.poll() is None, log.read_text()
    assert process_tree(serve.pid) == tree
    assert all(running(pid) for pid in tree)

    # When the database is back, the spool is fed to it by itself: every acknowledged beat is
    # there (0 lost), and the reports (rolled up by the scheduler) equal the ground truth.
    acknowledged = [beat for phone in phones for beat in phone.acknowledged]
    devices = {token: viewer for phone in phones for token, viewer in phone.devices.items()}
    expected = {}
    for item in acknowledged:
        play_id = verify(item["token"]).play_id
        expected[play_id] = max(expected.get(play_id, 0), item["watched_s"])

    def stored():
        close_old_connections()
        rows = Play.objects.using(ALIAS).values_list("play_id", "watched_s")
        return dict(rows)

    _wait_for(lambda: stored() == expected, 60, "the spool was not fed to the database")
    now = time.time()
    beats = [validate_beat(item, now=now) for item in acknowledged]
    tokens = {beat.token.play_id: beat.token for beat in beats}
    stream = Stream(beats, beats, {t.play_id: devices[t.value] for t in tokens.values()})
    (day,) = {t.day for t in tokens.values()}
    store = get_store()
    # (grouping, whether the report claims exact viewers: per school it gives bounds)
    groupings = [((), True), (("district",), True), (("school",), False), (("lesson",), True)]

    def reports_equal_truth():
        close_old_connections()
        for by, exact in groupings:
            query = ReachQuery(date_from=day, date_to=day)
            try:
                check(store.reach(query, by), truth(stream, query, by), exact=exact, label=by)
            except AssertionError:
                return False
        return True

    deadline = time.monotonic() + 90
    while not reports_equal_truth() and time.monotonic() < deadline:
        time.sleep(1)
    for by, exact in groupings:  # once more, to show what differs if anything does
        query = ReachQuery(date_from=day, date_to=day)
        check(store.reach(query, by), truth(stream, query, by), exact=exact, label=by)

    # The task workers and the scheduler waited and reconnected by themselves (the same pids).
    def reconnected():
        text = log.read_text()
        return text.count("数据库已恢复，后台任务 worker 继续运行") >= 2 and (
            "定时任务调度器：数据库已恢复" in text
        )

    _wait_for(reconnected, 60, "the workers or the scheduler did not reconnect")
    assert serve.poll() is None and process_tree(serve.pid) == tree
    views = truth(stream, ReachQuery(date_from=day, date_to=day), ())[()].views
    assert views >= 6 and len(expected) > views  # some plays counted, some too short to count
    assert ("210102", school_id) in {(t.district, t.school_id) for t in tokens.values()}
