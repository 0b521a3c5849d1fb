"""gunicorn as `sunshine serve` runs it, tested over real sockets.

Malformed requests (a request line over gunicorn's limit, a broken request line, too many
headers) get a Chinese page, not gunicorn's English one; neither the error log nor an access log
switched on with the most revealing format keeps the client's address, user agent or
forwarded-for header. The client connects from 127.0.0.2 so that its address cannot be
confused with the server's own 127.0.0.1 in the log.

With the database gone (PostgreSQL at a port where nothing listens), pages are a Chinese 503
page with the hotlines and APIs a 503 JSON with Retry-After, never a 500.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .helpers import PROJECT, child_env, sunshine_popen
from .test_serve import free_port, migrated_env  # noqa: F401

CLIENT_ADDRESS = "127.0.0.2"
FORWARDED_FOR = "10.71.42.9"
USER_AGENT = "Mozilla/5.0 (iPhone) MicroMessenger/8.0 secret-agent-7731"
ACCESS_FORMAT = "ACCESS %(h)s %(a)s %(u)s %({x-forwarded-for}i)s %({remote_addr}e)s %(r)s %(s)s"


def raw_request(port, data, timeout=15):
    """Sends bytes from 127.0.0.2 and returns (status, headers, body) of the answer."""
    with socket.socket() as sock:
        sock.bind((CLIENT_ADDRESS, 0))
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])
        }
        # gunicorn may keep the connection open after its answer: read what it announced.
        while len(body) < int(headers.get("content-length", 0)) and (chunk := sock.recv(65536)):
            body += chunk
    return int(lines[0].split()[1]), headers, body


def request(port, method, path, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return raw_request(port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def wait_for(process, port):
    """Until the web worker answers HTTP (the port opens before the worker has booted)."""
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, process.stdout.read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=30).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            assert time.monotonic() < deadline, "the server did not answer in 120 s"
            time.sleep(0.3)


def stop(process):
    process.terminate()
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


@pytest.fixture
def served(migrated_env):  # noqa: F811
    port = free_port()
    env = dict(
        migrated_env,
        # An access log, in the most revealing format there is: PrivateLogger still hides all.
        GUNICORN_CMD_ARGS=f"--access-logfile=- --access-logformat='{ACCESS_FORMAT}'",
    )
    process = sunshine_popen("serve", f"--port={port}", "--workers=1", "--threads=2", env=env)
    wait_for(process, port)
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait()


def test_malformed_requests_are_answered_in_chinese_and_logged_without_the_client(served):
    process, port = served

    status, headers, body = request(port, "GET", "/" + "a" * 5000)
    assert status == 414
    assert headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "网址太长" in page and "tel:12356" in page and "URI Too Long" not in page

    status, _, body = raw_request(port, b"THIS IS NOT HTTP\r\n\r\n")
    assert status == 400 and "请求格式不正确" in body.decode()

    many = [f"X-Filler-{n}: {n}" for n in range(200)]
    status, _, body = request(port, "GET", "/", many)
    assert status == 431 and "请求头太大" in body.decode()

    # A request the site answers, carrying everything an access log could give away.
    status, _, _ = request(
        port,
        "GET",
        "/admin/login/",
        [f"User-Agent: {USER_AGENT}", f"X-Forwarded-For: {FORWARDED_FOR}"],
    )
    assert status == 200

    log = stop(process)
    assert "无法解析的请求（414 LimitRequestLine）" in log
    assert "ACCESS - - - - - GET /admin/login/ HTTP/1.1 200" in log
    for secret in (CLIENT_ADDRESS, FORWARDED_FOR, "secret-agent-7731", "ip="):
        assert secret not in log, secret


@pytest.fixture
def served_without_database(tmp_path):
    """gunicorn, as `sunshine serve` starts it, with PostgreSQL configured but not running."""
    sys.path.insert(0, str(PROJECT))
    from sunshine.management.commands.serve import gunicorn_command

    port, database_port = free_port(), free_port()
    env = child_env(
        SUNSHINE_VAR_DIR=tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{database_port}/sunshine_absent",
        DATABASE_CONN_MAX_AGE=0,
    )
    process = subprocess.Popen(
        gunicorn_command("127.0.0.1", port, workers=1, threads=2),
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(process, port)
    yield port
    stop(process)


def test_with_the_database_gone_pages_and_apis_answer_503_never_500(served_without_database):
    port = served_without_database

    for path in ("/", "/admin/login/", "/search/?q=焦虑"):
        status, headers, body = request(port, "GET", path.replace("焦虑", "%E7%84%A6%E8%99%91"))
        assert status == 503, (path, body[:500])
        assert headers["retry-after"] == "30"
        page = body.decode()
        assert "服务暂时繁忙" in page and "tel:12356" in page and "tel:12355" in page

    beacon = json.dumps({"page_id": 3}).encode()
    status, headers, body = request(
        port, "POST", "/api/v1/pageviews", ["Content-Type: application/json"], beacon
    )
    assert status == 503 and headers["retry-after"] == "30"
    assert json.loads(body)["code"] == "unavailable"

    status, headers, body = request(
        port, "GET", "/api/v1/reach", ["Authorization: Bearer sun_not-a-real-token"]
    )
    assert status == 503 and headers["retry-after"] == "30"
    answer = json.loads(body)
    assert answer == {"code": "unavailable", "message": "服务暂时繁忙或无法连接数据库，请稍后重试"}
