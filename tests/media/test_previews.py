"""Kit material previews: real DOCX and PPTX files (made here with python-docx / python-pptx)
turned into page images by LibreOffice and poppler, once for the whole session (LibreOffice is
slow); PDFs drawn directly; and the page images behind the same rule as the material itself."""

import io
import subprocess

import pytest
from django.core.files.storage import default_storage
from wagtail.models import Site

from courses.demo import files as demo_files
from courses.factories import ClassMeetingKitPageFactory, DocumentFactory, KitMaterialFactory
from media_pipeline import previews
from media_pipeline.engine import preview as engine
from sunshine.models import SiteSettings
from sunshine.roles.factories import TeacherFactory, UserFactory

PLAN_TEXT = "认识开心、难过、生气、害怕四种常见情绪"
SLIDES = [("认识情绪小怪兽", ["黄色：开心", "蓝色：难过"]), ("平静小妙招", ["慢慢数到十"])]


def require_tools():
    missing = engine.tools_missing("office")
    if missing:
        pytest.fail("missing Debian packages: " + ", ".join(missing) + " (make system-packages)")


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    """One DOCX and one PPTX, each converted once: (pages, total, pdf text) per kind."""
    require_tools()
    results = {}
    for kind, data in (
        ("docx", demo_files.docx_bytes("教学设计：情绪小怪兽", [("p", PLAN_TEXT)] * 3)),
        ("pptx", demo_files.pptx_bytes("课件：情绪小怪兽", SLIDES)),
    ):
        work = tmp_path_factory.mktemp(f"preview-{kind}")
        source = work / f"材料.{kind}"
        source.write_bytes(data)
        pages, total = engine.make_preview(source, work)
        pdf_text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(work / "pdf" / "source.pdf"), "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()
        results[kind] = (pages, total, pdf_text)
    return results


def test_a_word_file_becomes_page_images_with_its_chinese_text(converted):
    pages, total, text = converted["docx"]
    assert total >= 1 and len(pages) == total
    assert pages[0].read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG
    assert PLAN_TEXT in "".join(text.split())


def test_a_powerpoint_file_becomes_one_image_per_slide(converted):
    pages, total, text = converted["pptx"]
    assert total == len(SLIDES) + 1  # the cover and the slides
    assert len(pages) == total
    from PIL import Image

    with Image.open(pages[1]) as image:
        width, height = image.size
    assert width == engine.PAGE_WIDTH and width > height  # slides are landscape
    assert "认识情绪小怪兽" in "".join(text.split())


def test_files_without_a_preview_are_named_not_guessed():
    assert engine.kind_of("a.PDF") == "pdf"
    assert engine.kind_of("教案.docx") == "office" and engine.kind_of("课件.pptx") == "office"
    assert engine.kind_of("视频.mp4") is None and engine.kind_of("资料.zip") is None


def test_a_file_that_is_not_what_its_name_says_fails_cleanly(tmp_path):
    require_tools()
    source = tmp_path / "坏文件.pdf"
    source.write_bytes(b"not a pdf at all")
    with pytest.raises(engine.PreviewError):
        engine.make_preview(source, tmp_path / "work")


def test_only_the_first_pages_of_a_long_pdf_are_drawn(tmp_path):
    require_tools()
    blocks = [("p", f"第{n}段：" + PLAN_TEXT * 8) for n in range(200)]
    source = tmp_path / "长文件.pdf"
    source.write_bytes(demo_files.pdf_bytes("长文件", blocks))
    pages, total = engine.draw_pages(source, tmp_path / "pages", max_pages=3)
    assert total > 3 and len(pages) == 3


# -- the app: stored once per file content, shown only to whoever may download the material ------


@pytest.fixture
def kit(db, task_queue):
    site = Site.objects.get(is_default_site=True)
    kit = ClassMeetingKitPageFactory(parent=site.root_page, title="情绪小怪兽")
    pdf = demo_files.pdf_bytes("致家长的一封信", [("p", "亲爱的家长：" + PLAN_TEXT)])
    letter = DocumentFactory(file__filename="致家长的一封信.pdf", file__data=pdf, title="信")
    archive = DocumentFactory(file__filename="图片.zip", file__data=b"PK\x05\x06" + bytes(18))
    broken = DocumentFactory(file__filename="坏.pdf", file__data=b"%PDF-1.4 broken")
    kit.letter = KitMaterialFactory(page=kit, title="致家长的一封信", document=letter)
    kit.archive = KitMaterialFactory(page=kit, title="图片包", document=archive, kind="other")
    kit.broken = KitMaterialFactory(page=kit, title="坏文件", document=broken)
    return kit


def preview_url(material):
    return f"/media-pipeline/kits/materials/{material.pk}/preview/"


def built(material):
    require_tools()
    preview = previews.build(material.document_id)
    return preview


def test_the_first_visit_queues_the_preview_once_and_says_so(
    kit, client, task_queue, django_capture_on_commit_callbacks
):
    client.force_login(TeacherFactory())
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(preview_url(kit.letter))
        second = client.get(preview_url(kit.letter))
    assert first.status_code == second.status_code == 202
    assert "正在生成预览" in first.content.decode()
    queued = [r.args for r in task_queue.results if r.task.name == "build_document_preview"]
    assert queued == [[kit.letter.document_id]]


def test_a_teacher_sees_the_pages_and_each_image(kit, client):
    preview = built(kit.letter)
    assert preview.status == "ready" and preview.pages == 1
    assert default_storage.exists(preview.page_name(1))
    client.force_login(TeacherFactory())
    page = client.get(preview_url(kit.letter))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'src="{preview_url(kit.letter)}1.jpg"' in html
    assert f'width="{preview.width}" height="{preview.height}"' in html
    image = client.get(f"{preview_url(kit.letter)}1.jpg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:3] == b"\xff\xd8\xff"
    assert "private" in image["Cache-Control"]
    assert client.get(f"{preview_url(kit.letter)}2.jpg").status_code == 404
    assert client.get(f"{preview_url(kit.letter)}0.jpg").status_code == 404
    as_json = client.get(preview_url(kit.letter), HTTP_ACCEPT="application/json").json()
    assert as_json["status"] == "ready" and len(as_json["pages"]) == 1


def test_a_file_with_no_preview_and_a_broken_one_say_so_in_chinese(kit, client):
    client.force_login(TeacherFactory())
    none = client.get(preview_url(kit.archive)).content.decode()
    assert "这类文件暂不支持在线预览，请下载后查看。" in none
    assert built(kit.broken).status == "failed"
    failed = client.get(preview_url(kit.broken)).content.decode()
    assert "暂时无法生成这份材料的预览，请下载后查看。" in failed


def test_previews_follow_the_download_rule(kit, client):
    built(kit.letter)
    image_url = f"{preview_url(kit.letter)}1.jpg"
    anonymous = client.get(preview_url(kit.letter))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client.get(image_url).status_code == 401
    assert "error" in client.get(image_url).json()

    client.force_login(UserFactory())  # an account in none of the bureau's roles
    assert client.get(image_url).status_code == 403
    assert client.get(preview_url(kit.letter)).status_code == 403

    client.logout()
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.kit_download_requires_login = False
    site_settings.save()
    assert client.get(image_url).status_code == 200  # open kits: open previews


def test_without_libreoffice_the_preview_fails_clearly_and_is_tried_again_once_it_is_there(
    kit, client, task_queue, monkeypatch, django_capture_on_commit_callbacks
):
    plan = KitMaterialFactory(
        page=kit,
        title="教案",
        document=DocumentFactory(file__filename="教案.docx", file__data=b"PK\x03\x04 x"),
    )
    monkeypatch.setattr(engine, "soffice_path", lambda: None)
    assert previews.build(plan.document_id).status == "failed"
    client.force_login(TeacherFactory())
    assert "暂时无法生成" in client.get(preview_url(plan)).content.decode()
    assert not [r for r in task_queue.results if r.task.name == "build_document_preview"]

    monkeypatch.setattr(engine, "soffice_path", lambda: "/usr/bin/soffice")
    with django_capture_on_commit_callbacks(execute=True):
        again = client.get(preview_url(plan))
    assert again.status_code == 202 and "正在生成预览" in again.content.decode()
    queued = [r.args for r in task_queue.results if r.task.name == "build_document_preview"]
    assert queued == [[plan.document_id]]


def test_the_images_are_never_served_as_public_media(kit, client):
    preview = built(kit.letter)
    name = preview.page_name(1)
    assert name.startswith("kit-previews/") and default_storage.exists(name)
    assert client.get(f"/media/{name}").status_code == 404


def test_no_preview_of_a_kit_that_is_not_published(kit, client):
    built(kit.letter)
    client.force_login(TeacherFactory())
    assert client.get(f"{preview_url(kit.letter)}1.jpg").status_code == 200
    kit.unpublish()
    assert client.get(preview_url(kit.letter)).status_code == 404
    assert client.get(f"{preview_url(kit.letter)}1.jpg").status_code == 404


def test_a_new_file_gets_a_new_preview_and_the_same_file_is_drawn_once(kit, monkeypatch):
    first = built(kit.letter)
    calls = []
    real = engine.make_preview
    monkeypatch.setattr(engine, "make_preview", lambda *a: calls.append(1) or real(*a))
    assert previews.build(kit.letter.document_id).pk == first.pk and calls == []
    document = kit.letter.document
    pdf = demo_files.pdf_bytes("致家长的一封信（修订）", [("p", "第二版")])
    document.file.save("致家长的一封信.pdf", io.BytesIO(pdf))
    document.file_hash = ""
    document.save()
    second = previews.build(document.pk)
    assert second.pk != first.pk and calls == [1]


def test_the_kit_page_offers_a_preview_of_each_document(kit, client):
    client.force_login(TeacherFactory())
    html = client.get(kit.url).content.decode()
    assert html.count(">预览<") == 2  # the two PDFs; a zip has no preview and says so
    assert f'href="{preview_url(kit.letter)}"' in html
    assert f'href="{preview_url(kit.archive)}"' not in html
    assert html.count("不支持在线预览") == 1
