"""Absurd file names on document uploads (kit materials, worksheets): refused in Chinese, not
cut short by the storage or the title; control characters are dropped by Django's own upload
parser before the form sees the name."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return client


def upload(client, name):
    pdf = SimpleUploadedFile(name, b"%PDF-1.4 lesson plan", content_type="application/pdf")
    return client.post(
        "/admin/documents/multiple/add/",
        {"files[]": pdf},
        headers={"x-requested-with": "XMLHttpRequest"},
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        # (Django's upload parser has already cut it to 255 characters: still refused.)
        ("讲" * 5000 + ".pdf", "最多 80 个字符"),
        ("CON.pdf", "CON 是 Windows 保留的设备名"),
        ("教学设计?.pdf", "不能有字符 ?"),
    ],
    ids=["5004-chars", "con", "question-mark"],
)
def test_an_absurd_document_name_is_refused_in_chinese(admin_client, name, words):
    response = upload(admin_client, name)

    assert response.status_code == 200  # Wagtail's uploader reads the answer as JSON
    answer = response.json()
    assert answer["success"] is False
    assert words in answer["error_message"]
    assert not Document.objects.exists()


def test_a_reasonable_name_is_kept_whole(admin_client):
    name = "珍爱生命主题班会教学设计（小学高年级）.pdf"
    answer = upload(admin_client, name).json()

    assert answer["success"] is True
    document = Document.objects.get()
    assert document.title == name
    # Django's storage keeps letters, digits, "-", "_" and "." (its cleaning), nothing cut.
    assert document.file.name == "documents/珍爱生命主题班会教学设计小学高年级.pdf"
