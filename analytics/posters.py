"""Printable QR posters for share links: PNG (qrcode + Pillow) and PDF (reportlab), per school
and per district, with the name in Chinese. Generated on request in the admin; nothing is stored.

The PNG needs a CJK TrueType font on the server (Debian: fonts-wqy-microhei, installed by
`make chromium`); `ANALYTICS_POSTER_FONT` may point at another. The PDF uses reportlab's built-in
STSong-Light, which PDF readers supply, so it needs no font file.
"""

import io
import logging
import os
import shutil
import subprocess
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from analytics import conf
from analytics.attribution import VIA_QR, share_url
from sunshine import process_state
from sunshine.directory.models import School

logger = logging.getLogger(__name__)

TITLE = "阳光课堂"
CALL_TO_ACTION = "微信扫一扫，观看心理健康与生命教育课程"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
PDF_FONT = "STSong-Light"
# A4 at 150 dpi: prints sharp and stays small enough to send in a chat.
PNG_SIZE = (1240, 1754)


@lru_cache(maxsize=1)
def cjk_font_path():
    """A font file that has Chinese glyphs, or None."""
    configured = conf.get("ANALYTICS_POSTER_FONT")
    for path in (configured, *FONT_CANDIDATES):
        if path and os.path.exists(path):
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if found and os.path.exists(found) and "DejaVu" not in found:
            return found
    return None


process_state.register(
    "analytics.poster_font", cjk_font_path.cache_clear, settings=["ANALYTICS_POSTER_FONT"]
)


def _font(size):
    path = cjk_font_path()
    if path is None:
        logger.warning("没有找到中文字体，海报上的中文可能无法显示：请安装 fonts-wqy-microhei")
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def poster_target(obj):
    """What the poster says and links to: (name line, district line, URL)."""
    if isinstance(obj, School):
        return obj.name, obj.district.name, share_url(obj, via=VIA_QR)
    return obj.name, "", share_url(obj, via=VIA_QR)


def qr_image(url):
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=20, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def _centered(draw, y, text, font, width, fill="#222222"):
    box = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (box[2] - box[0])) / 2, y), text, font=font, fill=fill)
    return y + (box[3] - box[1])


def poster_png(obj):
    """PNG bytes of the poster for a School or District."""
    name, district_name, url = poster_target(obj)
    width, height = PNG_SIZE
    image = Image.new("RGB", PNG_SIZE, "#fffaf0")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 220), fill="#f5a623")
    _centered(draw, 60, TITLE, _font(110), width, fill="#ffffff")
    y = _centered(draw, 300, name, _font(_fit(name, 84)), width) + 30
    if district_name:
        _centered(draw, y, district_name, _font(52), width, fill="#555555")
    code = qr_image(url).resize((860, 860), Image.NEAREST)
    image.paste(code, ((width - 860) // 2, 560))
    _centered(draw, 1470, CALL_TO_ACTION, _font(48), width)
    _centered(draw, 1560, url, _font(30), width, fill="#777777")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _fit(name, size):
    # Long school names (九年一贯制学校……) must stay on one line of the poster.
    return min(size, int(1100 / max(len(name), 1)))


def poster_pdf(obj):
    """PDF bytes (one A4 page) of the poster for a School or District."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    name, district_name, url = poster_target(obj)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{TITLE} - {name}")
    width, height = A4
    pdf.setFillColor("#f5a623")
    pdf.rect(0, height - 40 * mm, width, 40 * mm, stroke=0, fill=1)
    pdf.setFillColor("#ffffff")
    pdf.setFont(PDF_FONT, 40)
    pdf.drawCentredString(width / 2, height - 26 * mm, TITLE)
    pdf.setFillColor("#222222")
    pdf.setFont(PDF_FONT, min(30, 480 / max(len(name), 1)))
    pdf.drawCentredString(width / 2, height - 62 * mm, name)
    if district_name:
        pdf.setFont(PDF_FONT, 18)
        pdf.drawCentredString(width / 2, height - 74 * mm, district_name)
    side = 130 * mm
    pdf.drawImage(ImageReader(qr_image(url)), (width - side) / 2, 60 * mm, side, side)
    pdf.setFont(PDF_FONT, 18)
    pdf.drawCentredString(width / 2, 45 * mm, CALL_TO_ACTION)
    pdf.setFont("Helvetica", 10)
    pdf.drawCentredString(width / 2, 35 * mm, url)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def poster_filename(obj, extension):
    kind = "school" if isinstance(obj, School) else "district"
    return f"阳光课堂二维码-{obj.name}-{kind}-{obj.code}.{extension}"
