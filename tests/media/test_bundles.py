""" "下载全部": a teacher gets one zip of the whole kit, with Chinese names that open correctly
everywhere, nothing that escapes the folder, built once per set of materials."""

import io
import os
import struct
import subprocess
import zipfile
import zlib
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from wagtail.models import Site

from courses.factories import ClassMeetingKitPageFactory, DocumentFactory, KitMaterialFactory
from media_pipeline import bundles
from media_pipeline.engine import kit_zip
from media_pipeline.factories import ReadyVideoFactory
from media_pipeline.models import KitBundle

pytestmark = pytest.mark.django_db

DOCX = b"PK\x03\x04" + b"docx body " * 500
PDF = b"%PDF-1.4\n" + b"plain text stream " * 500
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x11video" * 2000


@pytest.fixture
def kit(task_queue):
    site = Site.objects.get(is_default_site=True)
    kit = ClassMeetingKitPageFactory(parent=site.root_page, title="珍爱生命：主题班会")
    video = ReadyVideoFactory(title="班会视频")
    default_storage.save(video.fallback_mp4, ContentFile(MP4))

    def material(title, filename, data, **kw):
        document = DocumentFactory(file__filename=filename, file__data=data, title=title)
        return KitMaterialFactory(page=kit, title=title, document=document, **kw)

    material("教学设计", "教案.docx", DOCX)
    material("教学设计", "教案2.pdf", PDF)  # the same title twice
    material("../../etc/passwd", "p.pdf", PDF)
    material("CON", "con.pdf", PDF)
    material('学习单：<第1课>*?"', "s.pdf", PDF)
    KitMaterialFactory(page=kit, title="班会视频", document=None, video=video, kind="video")
    return kit


def build(kit):
    bundle = bundles.build_for_kit(kit.pk)
    assert bundle.status == "ready"
    return bundle, default_storage.path(bundle.file)


def test_the_zip_has_every_material_with_readable_chinese_names(kit):
    bundle, path = build(kit)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names == [
            "珍爱生命：主题班会/安全提示.pdf",
            "珍爱生命：主题班会/01 教学设计.docx",
            "珍爱生命：主题班会/02 教学设计.pdf",
            "珍爱生命：主题班会/03 _.._etc_passwd.pdf",
            "珍爱生命：主题班会/04 _CON.pdf",
            "珍爱生命：主题班会/05 学习单：_第1课____.pdf",
            "珍爱生命：主题班会/06 班会视频.mp4",
            "珍爱生命：主题班会/说明.txt",
        ]
        assert archive.read(names[1]) == DOCX
        assert archive.read(names[-2]) == MP4
        for info in archive.infolist():
            assert info.flag_bits & 0x800  # UTF-8 names (macOS, 7-Zip, unzip)
            assert not info.filename.startswith("/") and ".." not in info.filename.split("/")


def test_every_name_also_carries_the_info_zip_unicode_path_field(kit):
    _, path = build(kit)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            header_id, size, version, crc = struct.unpack("<HHBI", info.extra[:9])
            encoded = info.filename.encode()
            assert header_id == 0x7075 and version == 1
            assert crc == zlib.crc32(encoded)  # the CRC of the name in the header
            assert info.extra[9 : 4 + size] == encoded


# Debian's unzip and 7-Zip (`make chromium` installs them with the browser): the tools teachers'
# computers have, reading the zip the way they do.
UNZIP = "/usr/bin/unzip"
SEVEN_ZIP = "/usr/bin/7z"
EXPECTED = ["珍爱生命：主题班会/01 教学设计.docx", "珍爱生命：主题班会/06 班会视频.mp4"]


def run(*command):
    return subprocess.run(command, capture_output=True, env={"LANG": "C.UTF-8"}, check=False)


def test_unzip_lists_the_chinese_names_and_finds_every_crc_right(kit):
    _, path = build(kit)
    listing = run(UNZIP, "-l", path)
    assert listing.returncode == 0
    assert all(name in listing.stdout.decode("utf-8") for name in EXPECTED)
    checked = run(UNZIP, "-t", path)
    assert checked.returncode == 0 and b"No errors detected" in checked.stdout  # every CRC


def test_7zip_lists_the_chinese_names_and_finds_every_crc_right(kit):
    _, path = build(kit)
    listing = run(SEVEN_ZIP, "l", "-sccUTF-8", path)
    assert listing.returncode == 0
    assert all(name in listing.stdout.decode("utf-8") for name in EXPECTED)
    checked = run(SEVEN_ZIP, "t", path)
    assert checked.returncode == 0 and b"Everything is Ok" in checked.stdout


def raw_member(path, info):
    """The bytes of a member as they sit in the zip (still deflated), after its local header."""
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        return handle.read(info.compress_size)


def test_the_bundle_writer_deflates_with_zlib_ng_and_patches_nothing(kit):
    from zlib_ng import zlib_ng

    _, path = build(kit)
    # No process-wide monkeypatch: zipfile still checksums with the standard library's zlib.
    assert zipfile.crc32 is zlib.crc32
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("珍爱生命：主题班会/02 教学设计.pdf")
        assert archive.read(info) == PDF and zlib.crc32(PDF) == info.CRC
    deflater = zlib_ng.compressobj(kit_zip.DEFLATE_LEVEL, zlib_ng.DEFLATED, -15)
    by_zlib_ng = deflater.compress(PDF) + deflater.flush()
    stock = zlib.compressobj(kit_zip.DEFLATE_LEVEL, zlib.DEFLATED, -15)
    assert raw_member(path, info) == by_zlib_ng != stock.compress(PDF) + stock.flush()
    # zlib-ng's CRC-32 is zlib's function: same values.
    for data in (b"", b"a", bytes(range(256)) * 4099, "班会".encode() * 10_000):
        assert zlib_ng.crc32(data) == zlib.crc32(data)
        assert zlib_ng.crc32(data, 12345) == zlib.crc32(data, 12345)


def test_zip64_fields_are_read_right_by_zipfile_unzip_and_7zip(tmp_path, monkeypatch):
    """Sizes, offsets and counts past the 32-bit fields (a kit of long lecture recordings) go
    to zip64 fields. Writing gigabytes here would take minutes, so the limits are lowered to
    make small files take the same path; the readers follow the zip64 fields either way."""
    monkeypatch.setattr(kit_zip, "ZIP64_LIMIT", 3000)
    monkeypatch.setattr(kit_zip, "COUNT_LIMIT", 2)
    contents = {"小.pdf": PDF[:1000], "大.pdf": PDF * 2, "视频.mp4": MP4, "4.txt": b"x" * 100}
    entries = [
        kit_zip.Entry(
            name=name,
            size=len(data),
            identity=name,
            opener=lambda data=data: io.BytesIO(data),
            compress=not name.endswith(".mp4"),
        )
        for name, data in contents.items()
    ]
    path = tmp_path / "kit.zip"
    with open(path, "wb") as handle:
        kit_zip.write_zip(handle, "班会", entries)

    raw = path.read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # zip64 end record and locator
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert {i.filename: archive.read(i) for i in archive.infolist()} == {
            f"班会/{name}": data for name, data in contents.items()
        }
        assert archive.getinfo("班会/4.txt").header_offset > 3000  # found through zip64
    checked = run(UNZIP, "-t", str(path))
    assert checked.returncode == 0 and b"No errors detected" in checked.stdout
    checked = run(SEVEN_ZIP, "t", str(path))
    assert checked.returncode == 0 and b"Everything is Ok" in checked.stdout


def test_compressed_media_is_stored_and_documents_are_deflated(kit):
    _, path = build(kit)
    with zipfile.ZipFile(path) as archive:
        kinds = {i.filename.rsplit(".", 1)[1]: i.compress_type for i in archive.infolist()}
    assert kinds["mp4"] == zipfile.ZIP_STORED
    assert kinds["docx"] == zipfile.ZIP_STORED  # a .docx is a zip already
    assert kinds["pdf"] == zipfile.ZIP_DEFLATED


def test_windows_reserved_and_illegal_names_are_made_safe():
    assert kit_zip.sanitize("CON") == "_CON"
    assert kit_zip.sanitize("lpt1.txt") == "_lpt1.txt"
    assert kit_zip.sanitize('a<b>c:d"e/f\\g|h?i*j') == "a_b_c_d_e_f_g_h_i_j"
    assert kit_zip.sanitize("  ...  ") == "未命名"
    assert kit_zip.sanitize("名字. ") == "名字"
    assert kit_zip.unique_names(["教案.pdf", "教案.PDF", "教案.pdf"]) == [
        "教案.pdf",
        "教案 (2).PDF",
        "教案 (3).pdf",
    ]


def test_the_same_materials_give_the_same_bytes(kit):
    _, path = build(kit)
    with open(path, "rb") as handle:
        first = handle.read()
    KitBundle.objects.all().delete()
    default_storage.delete(
        bundles.bundle_storage_name(
            bundles.content_hash(bundles.bundle_folder(kit), bundles.materials_for(kit))
        )
    )
    _, path = build(kit)
    with open(path, "rb") as handle:
        assert handle.read() == first


def test_a_built_bundle_is_reused_until_a_material_changes(kit, monkeypatch):
    built = []
    real = bundles.write_zip
    monkeypatch.setattr(bundles, "write_zip", lambda *a: built.append(1) or real(*a))
    first, _ = build(kit)
    again, _ = build(kit)
    assert (again.pk, len(built)) == (first.pk, 1)
    assert bundles.current_bundle(kit).pk == first.pk

    changed = kit.materials.first().document
    changed.file.save("教案-修订.docx", ContentFile(DOCX + b"revised"))
    changed.file_hash = ""
    changed.save()

    rebuilt, _ = build(kit)
    assert rebuilt.content_hash != first.content_hash and len(built) == 2
    assert not KitBundle.objects.filter(pk=first.pk).exists()  # the old zip is gone


def test_a_teacher_downloads_the_bundle(
    kit, client, django_user_model, task_queue, django_capture_on_commit_callbacks
):
    teacher = django_user_model.objects.create_user("t1", password="pw-123456-x", is_staff=True)
    client.force_login(teacher)
    url = f"/media-pipeline/kits/{kit.pk}/bundle/"

    with django_capture_on_commit_callbacks(execute=True):
        waiting = client.get(url, headers={"Accept": "application/json"})
    assert waiting.status_code == 202 and waiting.json()["status"] == "building"
    queued = [r.args for r in task_queue.results if r.task.name == "build_kit_bundle"]
    assert queued == [[kit.pk]]

    bundles.build_for_kit(kit.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    # RFC 6266/5987, as Django writes it: every browser saves it under the Chinese name.
    name = quote("珍爱生命：主题班会.zip")
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{name}"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_bundle_whose_file_went_missing_is_built_again_not_a_500(
    kit, client, django_user_model, task_queue, django_capture_on_commit_callbacks
):
    bundle, path = build(kit)
    os.remove(path)  # storage cleaned up, a disk replaced…
    client.force_login(django_user_model.objects.create_user("t2", password="x", is_staff=True))
    url = f"/media-pipeline/kits/{kit.pk}/bundle/"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)

    assert response.status_code == 202 and "正在" in response.content.decode()
    assert [r.args for r in task_queue.results if r.task.name == "build_kit_bundle"] == [[kit.pk]]
    bundles.build_for_kit(kit.pk)
    assert client.get(url).status_code == 200


def test_the_bundle_is_login_gated_like_the_files(kit, client):
    url = f"/media-pipeline/kits/{kit.pk}/bundle/"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 401 and "登录" in response.json()["error"]


def test_without_the_login_setting_anyone_may_download(kit, client):
    from sunshine.models import SiteSettings

    site = Site.objects.get(is_default_site=True)
    SiteSettings.objects.update_or_create(
        site=site, defaults={"kit_download_requires_login": False}
    )
    bundles.build_for_kit(kit.pk)
    assert client.get(f"/media-pipeline/kits/{kit.pk}/bundle/").status_code == 200


def test_kit_videos_and_their_mp4_follow_the_teacher_login_like_the_other_materials(
    kit, client, django_user_model
):
    video = kit.materials.get(kind="video").video

    anonymous = client.get(kit.url).content.decode()
    assert video.fallback_url not in anonymous and video.master_url not in anonymous
    assert "仅供教师观看" in anonymous and "/accounts/login/?next=" in anonymous

    client.force_login(django_user_model.objects.create_user("parent", password="x"))
    other = client.get(kit.url).content.decode()
    assert video.fallback_url not in other and "仅供教师和教育局工作人员观看" in other

    client.force_login(django_user_model.objects.create_user("t3", password="x", is_staff=True))
    teacher = client.get(kit.url).content.decode()
    assert f'data-hls="{video.master_url}"' in teacher and video.fallback_url in teacher


def test_without_the_login_setting_kit_videos_play_for_everyone(kit, client):
    from sunshine.models import SiteSettings

    SiteSettings.objects.update_or_create(
        site=Site.objects.get(is_default_site=True),
        defaults={"kit_download_requires_login": False},
    )
    video = kit.materials.get(kind="video").video
    assert f'data-hls="{video.master_url}"' in client.get(kit.url).content.decode()
