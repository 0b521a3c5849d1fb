"""The whole-kit zip carries the kit's safety note as 安全提示.pdf (text a reader can find, read
back here with poppler's pdftotext) and a short 说明.txt."""

import os
import shutil
import subprocess
import zipfile

import pytest
from django.core.files.storage import default_storage
from wagtail.models import Site

from courses.factories import ClassMeetingKitPageFactory, DocumentFactory, KitMaterialFactory
from media_pipeline import bundles
from sunshine.models import SiteSettings

pytestmark = pytest.mark.django_db

REFERRAL = "1. 单独谈话，认真倾听。\n2. 立即报告学校心理教师王老师。\n3. 当天通知监护人。"
HOTLINES = "全国心理援助热线 12356\n青少年服务台 12355\n本区心理援助热线 024-1234-5678"
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


@pytest.fixture
def kit(task_queue):
    site = Site.objects.get(is_default_site=True)
    kit = ClassMeetingKitPageFactory(
        parent=site.root_page,
        title="珍爱生命：主题班会",
        warning_signs="说出“活着没意思”\n把心爱的物品送人",
        referral_steps=REFERRAL,
        safety_hotlines=HOTLINES,
    )
    document = DocumentFactory(file__filename="教案.docx", file__data=b"PK\x03\x04 x", title="教案")
    KitMaterialFactory(page=kit, title="教学设计", document=document)
    return kit


def zip_of(kit):
    bundle = bundles.build_for_kit(kit.pk)
    assert bundle.status == "ready", bundle.error
    return zipfile.ZipFile(default_storage.path(bundle.file))


def pdf_text(data, tmp_path):
    if not os.path.exists(PDFTOTEXT):
        pytest.fail("pdftotext not found: run `make system-packages` (Debian poppler-utils)")
    source = tmp_path / "note.pdf"
    source.write_bytes(data)
    done = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(source), "-"], capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8")


def test_the_safety_note_in_the_zip_has_the_hotlines_and_the_kits_referral_steps(kit, tmp_path):
    with zip_of(kit) as archive:
        text = pdf_text(archive.read("珍爱生命：主题班会/安全提示.pdf"), tmp_path)
    flat = "".join(text.split())
    assert "12356" in flat and "12355" in flat
    assert "024-1234-5678" in flat  # the kit's own local line is kept
    for step in REFERRAL.splitlines():
        assert "".join(step.split()) in flat
    assert "把心爱的物品送人" in flat
    assert "珍爱生命：主题班会" in flat


def test_the_site_settings_hotlines_are_in_the_note(kit, tmp_path):
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.hotlines = [
        ("hotline", {"name": "沈阳市心理援助热线", "number": "024-23813000", "hours": "24小时"})
    ]
    site_settings.save()
    with zip_of(kit) as archive:
        text = "".join(pdf_text(archive.read("珍爱生命：主题班会/安全提示.pdf"), tmp_path).split())
    assert "沈阳市心理援助热线024-23813000" in text
    assert "12356" in text  # from the kit's own lines, since the site no longer lists it


def test_the_readme_lists_the_files_and_points_to_the_safety_note(kit):
    with zip_of(kit) as archive:
        raw = archive.read("珍爱生命：主题班会/说明.txt")
    assert raw.startswith("\ufeff".encode())  # Notepad reads it as UTF-8
    text = raw.decode("utf-8-sig")
    assert "安全提示.pdf" in text and "01 教学设计.docx" in text
    assert "12356" in text and "\r\n" in text


def test_changing_the_referral_steps_builds_a_new_zip(kit):
    first = bundles.content_hash(bundles.bundle_folder(kit), bundles.materials_for(kit))
    kit.referral_steps = "立即报告分管校领导。"
    kit.save()
    second = bundles.content_hash(bundles.bundle_folder(kit), bundles.materials_for(kit))
    assert first != second


def test_a_material_titled_like_the_note_does_not_replace_it(kit):
    document = DocumentFactory(file__filename="x.pdf", file__data=b"%PDF-1.4 x", title="x")
    KitMaterialFactory(page=kit, title="安全提示", document=document)
    with zip_of(kit) as archive:
        names = archive.namelist()
    assert "珍爱生命：主题班会/安全提示.pdf" in names
    assert "珍爱生命：主题班会/02 安全提示.pdf" in names
    with zip_of(kit) as archive:
        assert archive.read("珍爱生命：主题班会/安全提示.pdf").startswith(b"%PDF")
