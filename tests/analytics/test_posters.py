"""QR posters: the printed code scans back to the school's (or district's) share link, and the
poster carries the school's name in Chinese."""

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from analytics import posters
from tests.analytics.reports_support import (
    HEPING,
    city_staff,
    denied,
    district,
    district_officer,
    school,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _public_site(settings):
    settings.ANALYTICS_SHARE_BASE_URL = "https://kt.example.edu.cn"


def decode(image):
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code found in the poster"
    return found[0].text


def test_a_school_poster_png_scans_to_the_schools_share_link():
    poster_school = school(HEPING, code="HP100", name="沈阳市和平区阳光第一小学")
    image = Image.open(io.BytesIO(posters.poster_png(poster_school)))

    assert image.format == "PNG"
    assert image.size == posters.PNG_SIZE
    assert decode(image) == "https://kt.example.edu.cn/r/s/HP100/?via=qr"


def test_the_png_poster_draws_chinese_with_a_font_that_has_chinese():
    # Without a CJK font the school's name would print as empty boxes: `make chromium`
    # installs fonts-wqy-microhei on the machine.
    path = posters.cjk_font_path()
    assert path, "no CJK font: install fonts-wqy-microhei (make chromium)"
    from PIL import ImageFont

    font = ImageFont.truetype(path, 40)
    # A glyph that exists draws ink; compare with a character the font surely lacks nothing for.
    assert font.getbbox("阳光小学")[2] > font.getbbox("阳")[2] > 0


def test_a_district_poster_pdf_has_the_name_and_a_scannable_code():
    data = posters.poster_pdf(district(HEPING))
    assert data.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(data)).pages[0]

    assert "和平区" in page.extract_text()
    images = page.images
    assert len(images) == 1
    assert decode(images[0].image) == f"https://kt.example.edu.cn/r/d/{HEPING}/?via=qr"


def test_a_school_poster_pdf_names_the_school_in_chinese():
    poster_school = school(HEPING, code="HP101", name="和平区阳光实验学校")
    text = PdfReader(io.BytesIO(posters.poster_pdf(poster_school))).pages[0].extract_text()
    assert "和平区阳光实验学校" in text


def test_staff_download_posters_from_the_admin(client):
    school(HEPING, code="HP102", name="和平阳光中学")
    client.force_login(city_staff())

    listing = client.get("/admin/reach-posters/", {"district": HEPING})
    assert listing.status_code == 200
    assert "和平阳光中学" in listing.content.decode()

    png = client.get("/admin/reach-posters/school/HP102.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert decode(Image.open(io.BytesIO(png.content))).endswith("/r/s/HP102/?via=qr")

    pdf = client.get(f"/admin/reach-posters/district/{HEPING}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in pdf["Content-Disposition"]


def test_a_district_officer_prints_only_their_own_districts_posters(client):
    school("210103", code="SH100")
    client.force_login(district_officer(HEPING))

    assert denied(client.get("/admin/reach-posters/school/SH100.png"))
    assert denied(client.get("/admin/reach-posters/district/210103.pdf"))
    assert client.get(f"/admin/reach-posters/district/{HEPING}.pdf").status_code == 200
