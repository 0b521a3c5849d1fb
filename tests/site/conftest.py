import pytest

from courses.factories import sample_site


@pytest.fixture
def site_pages(db):
    """Home, one published page of every type, a kit with two materials."""
    return sample_site()
