"""Fixtures for the media tests; the media app's live in app_support.py (fake engine, task
queue, editor, video settings)."""

import pytest

from tests.media.app_support import (  # noqa: F401
    clips,
    editor,
    fake_engine,
    task_queue,
    video_settings,
)


@pytest.fixture(autouse=True)
def _own_workdir_and_fast_profile(settings, tmp_path):
    # Never the shared default scratch folder (another run's leftovers, or a run at the same
    # time), and the quick x264 preset: the same ladder, the same checks. Tests that want the
    # standard profile say so.
    settings.SUNSHINE_VIDEO_WORKDIR = str(tmp_path / "media-work")
    settings.SUNSHINE_VIDEO_PROFILE = "fast"
