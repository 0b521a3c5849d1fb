"""What the whole-kit zip carries besides the materials: `安全提示.pdf` and `说明.txt`.

The kit page shows its safety note before the materials; a teacher who only has the zip (printed,
forwarded to a colleague) must have it too: the warning signs, the referral steps and the
hotlines, the site's own (site settings, the help strip's numbers) and the kit's.

The PDF is drawn by reportlab with a TrueType CJK font embedded (Debian's WenQuanYi Micro Hei, the
font the demo's files use, `courses.demo.files.pdf_font`), so phones show it and its text can be
searched and copied (pdftotext finds it); without that font, reportlab's built-in STSong CID font
still draws it for desktop readers. `invariant=1`: the same note gives the same bytes.
"""

import hashlib
import io
from xml.sax.saxutils import escape

from django.conf import settings

SAFETY_NOTE_NAME = "安全提示.pdf"
README_NAME = "说明.txt"
NOTE_VERSION = 1  # change when the layout changes, so zips are built again


def hotlines_for(kit):
    """The site's hotlines first (what the help strip shows), then the kit's own lines that
    name a number not already listed."""
    from sunshine.models import DEFAULT_HOTLINES, SiteSettings

    site = kit.get_site()
    try:
        site_settings = SiteSettings.for_site(site) if site else SiteSettings()
    except SiteSettings.DoesNotExist:
        site_settings = SiteSettings()
    values = [block.value for block in site_settings.hotlines] or [v for _, v in DEFAULT_HOTLINES]
    lines, numbers = [], set()
    for value in values:
        hours = f"（{value['hours']}）" if value.get("hours") else ""
        lines.append(f"{value['name']} {value['number']}{hours}")
        numbers.add(str(value["number"]).strip())
    for line in kit.hotline_list:
        if not any(number and number in line for number in numbers):
            lines.append(line)
    return lines


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def sections(kit):
    """(heading, [lines]) in the order the kit page shows them."""
    return [
        ("需要关注的信号", _lines(kit.warning_signs)),
        ("转介步骤", _lines(kit.referral_steps)),
        ("求助热线", hotlines_for(kit)),
    ]


def identity(kit):
    """What the note says, for the bundle's content hash (cheap: no PDF is drawn)."""
    data = repr((NOTE_VERSION, kit.title, kit.theme, kit.minutes, sections(kit), _kit_url(kit)))
    return "note:" + hashlib.sha256(data.encode()).hexdigest()


def _kit_url(kit):
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    url = kit.get_url() or ""
    if url.startswith("/") and base:
        return base.rstrip("/") + url
    return url if url.startswith("http") else ""


def pdf_bytes(kit):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus.flowables import HRFlowable

    from courses.demo.files import pdf_font

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK")
    heading = ParagraphStyle(
        "heading", parent=body, fontSize=14, leading=22, spaceBefore=10, spaceAfter=4
    )
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=28, alignment=1)
    urgent = ParagraphStyle(
        "urgent", parent=body, fontSize=12, textColor=colors.HexColor("#9b1c1c"), spaceBefore=6
    )
    story = [
        Paragraph("安全提示：请在班会前阅读", title),
        Paragraph(escape(f"资源包：{kit.title}"), body),
        HRFlowable(width="100%", color=colors.HexColor("#c9a227"), spaceBefore=4, spaceAfter=4),
        Paragraph(
            "本主题班会可能触动正处在困难中的学生。请留意下列信号；发现风险时按转介步骤处理，"
            "不要让学生独处。",
            body,
        ),
    ]
    for heading_text, lines in sections(kit):
        story.append(Paragraph(heading_text, heading))
        story.extend(Paragraph(escape(line), body) for line in lines)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("情况紧急、有生命危险时，请立即拨打 120 或 110。", urgent))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"安全提示 - {kit.title}",
        author="阳光课堂",
        invariant=1,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()


def readme_text(kit, names):
    """A short 说明.txt: what the zip holds and where the safety note is. CRLF line ends and a
    BOM, so Windows Notepad (old versions too) opens it as UTF-8 with its lines."""
    lines = [
        f"《{kit.title}》主题班会资源包",
        "",
        f"班会主题：{kit.theme}　建议时长：约 {kit.minutes} 分钟",
        "",
        "本资源包包含：",
        *(f"  · {name}" for name in names),
        "",
        f"开展班会前，请先阅读「{SAFETY_NOTE_NAME}」：需要关注的信号、转介步骤和求助热线。",
        "心里难受、需要帮助时：" + "；".join(hotlines_for(kit)) + "。",
        "",
    ]
    url = _kit_url(kit)
    if url:
        lines.append(f"资源包页面：{url}")
    lines.append("来自阳光课堂。资源包材料仅供学校教育教学使用。")
    return "\ufeff" + "\r\n".join(lines) + "\r\n"
