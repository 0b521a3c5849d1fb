import pytest

from sunshine.directory.factories import DistrictFactory, SchoolFactory

HEPING, SHENHE = "210102", "210103"


@pytest.fixture
def places(db):
    """Two districts, two schools in 和平区 and one in 沈河区."""
    heping, shenhe = DistrictFactory(code=HEPING), DistrictFactory(code=SHENHE)
    return {
        "heping": heping,
        "shenhe": shenhe,
        "school_a": SchoolFactory(district=heping, name="和平甲校"),
        "school_b": SchoolFactory(district=heping, name="和平乙校"),
        "school_c": SchoolFactory(district=shenhe, name="沈河丙校"),
    }
