"""Fixtures for the media tests; the media app's live in app_support.py (fake engine, task
queue, editor, video settings)."""

from tests.media.app_support import (  # noqa: F401
    clips,
    editor,
    fake_engine,
    task_queue,
    video_settings,
)
