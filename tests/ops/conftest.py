import io

import pytest
from django.core.management import call_command

from sunshine import scheduler


@pytest.fixture
def seed_demo():
    """Runs `sunshine seed_demo` (every app's demo) and returns what it printed."""

    def run():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    return run


@pytest.fixture
def seed_site_and_courses():
    """Only the site's and the courses' demo data: what these tests look at, without encoding
    the media pipeline's demo video every time."""
    from courses import demo as courses_demo
    from sunshine import demo as site_demo

    def run():
        out = io.StringIO()
        site_demo.seed(out)
        courses_demo.seed(out)
        return out.getvalue()

    return run


@pytest.fixture
def scheduler_registry():
    """The scheduler's registry as apps left it; restored after the test."""
    saved = dict(scheduler._registry)
    yield scheduler._registry
    scheduler._registry.clear()
    scheduler._registry.update(saved)
