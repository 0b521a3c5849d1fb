"""Editors manage experts and holiday campaigns in the admin and export the lists to Excel."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from courses.factories import CampaignFactory, ExpertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_the_expert_list_finds_a_name_and_exports(admin_client):
    ExpertFactory(name="王丽华", institution="市心理健康教育指导中心")
    ExpertFactory(name="李明", institution="师范大学")
    url = reverse("wagtailsnippets_courses_expert:list")

    html = admin_client.get(url, {"q": "丽华"}).content.decode()
    assert "王丽华" in html and "李明" not in html

    html = admin_client.get(url, {"institution__icontains": "师范"}).content.decode()
    assert "李明" in html and "王丽华" not in html

    export = admin_client.get(url, {"export": "csv"})
    body = b"".join(export.streaming_content)
    # Excel on Chinese Windows needs the BOM to read UTF-8 rather than GBK.
    assert body.startswith(b"\xef\xbb\xbf") and export["Content-Type"].endswith("utf-8")
    assert "王丽华" in body.decode("utf-8-sig") and "师范大学" in body.decode("utf-8-sig")

    xlsx = admin_client.get(url, {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


def test_the_campaign_list_filters_by_kind(admin_client):
    CampaignFactory(name="2024寒假", kind="winter")
    CampaignFactory(name="2024暑假", kind="summer")
    url = reverse("wagtailsnippets_courses_campaign:list")
    html = admin_client.get(url, {"kind": "summer"}).content.decode()
    assert "2024暑假" in html and "2024寒假" not in html


def test_the_campaign_list_exports_csv_that_excel_reads_as_chinese(admin_client):
    CampaignFactory(name="2024寒假", kind="winter")
    url = reverse("wagtailsnippets_courses_campaign:list")
    export = admin_client.get(url, {"export": "csv"})
    body = b"".join(export.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "2024寒假" in body.decode("utf-8-sig")
