"""Completing an upload while the database is busy: a 503 with Retry-After that the uploader
retries, never a 500; the retry after the lock is gone creates the video."""

import sqlite3

import pytest
from django.db import connection

from media_pipeline.models import VideoAsset
from tests.media.test_uploads import VIDEO, send, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploader(client, editor, settings, task_queue):
    settings.SUNSHINE_UPLOAD_CHUNK_SIZE = len(VIDEO)
    client.force_login(editor)
    return client


@pytest.fixture
def another_connection_holding_the_videos():
    """A second connection to the same database, holding the videos' table: SQLite refuses to
    write to it until that connection is done ("database table is locked"), as it refuses a
    writer while another process writes under load; PostgreSQL makes the writer wait, here at
    most half a second (lock_timeout), as a server under load would time it out. Yields the
    function that lets go."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None)
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM media_pipeline_videoasset").fetchall()
        yield lambda: other.execute("COMMIT")
        other.close()
        return
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    )
    other.execute("LOCK TABLE media_pipeline_videoasset IN ACCESS EXCLUSIVE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '500ms'")
    yield other.commit
    other.close()


def test_a_busy_database_at_upload_complete_is_a_503_to_retry(
    uploader, another_connection_holding_the_videos
):
    session = start(uploader).json()
    assert send(uploader, session, VIDEO, 0).status_code == 200

    response = uploader.post(session["complete_url"])

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "code": "unavailable",
        "message": "服务暂时繁忙或无法连接数据库，请稍后重试",
    }
    another_connection_holding_the_videos()

    retry = uploader.post(session["complete_url"])

    assert retry.status_code == 201, retry.content
    assert VideoAsset.objects.get().source_name == "第一课 认识情绪.mp4"
