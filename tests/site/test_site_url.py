"""SITE_URL follows HOST and PORT unless it is set, so `PORT=8101 make demo` makes QR posters
and share links that point at port 8101."""

import runpy

import pytest

from sunshine import environment
from sunshine import settings as sunshine_settings


@pytest.fixture
def unset(monkeypatch):
    for name in ("SITE_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_nothing_set_gives_the_local_default(unset):
    assert environment.site_url() == "http://127.0.0.1:8000"


def test_port_and_host_are_followed(unset):
    unset.setenv("PORT", "8101")
    assert environment.site_url() == "http://127.0.0.1:8101"
    unset.setenv("HOST", "192.168.1.20")
    assert environment.site_url() == "http://192.168.1.20:8101"


@pytest.mark.parametrize(
    "host, expected",
    [
        ("0.0.0.0", "http://127.0.0.1:8101"),  # every interface: reached locally
        ("::", "http://127.0.0.1:8101"),
        ("::1", "http://[::1]:8101"),
        ("localhost", "http://localhost:8101"),
    ],
)
def test_hosts_that_are_not_an_address_to_visit(unset, host, expected):
    unset.setenv("PORT", "8101")
    unset.setenv("HOST", host)
    assert environment.site_url() == expected


def test_a_site_url_that_is_set_wins(unset):
    unset.setenv("PORT", "8101")
    unset.setenv("SITE_URL", "https://yangguang.example.edu.cn/")
    assert environment.site_url() == "https://yangguang.example.edu.cn"


def test_a_port_that_is_not_a_number_is_refused_in_chinese(unset):
    unset.setenv("PORT", "eighty")
    with pytest.raises(Exception, match="PORT 的值无效"):
        environment.site_url()


@pytest.mark.django_db
def test_settings_and_poster_links_use_it(unset, settings):
    unset.setenv("PORT", "8101")
    configured = runpy.run_path(sunshine_settings.__file__)
    assert configured["WAGTAILADMIN_BASE_URL"] == "http://127.0.0.1:8101"

    from analytics import attribution

    settings.WAGTAILADMIN_BASE_URL = configured["WAGTAILADMIN_BASE_URL"]
    assert attribution.public_base_url() == "http://127.0.0.1:8101"


def test_serve_listens_where_site_url_points(unset):
    from sunshine.management.commands.serve import Command

    unset.setenv("HOST", "0.0.0.0")
    unset.setenv("PORT", "8101")
    options = Command().create_parser("sunshine", "serve").parse_args([])
    assert (options.host, options.port) == ("0.0.0.0", 8101)
