"""Small real files for the demo's documents, made by code: PDF (reportlab), DOCX (python-docx)
and PPTX (python-pptx).

PDFs embed Debian's WenQuanYi Micro Hei (fonts-wqy-microhei) when it is installed: a PDF that only
names reportlab's built-in STSong font shows blank pages wherever no Adobe CJK font is at hand
(many phones' viewers, and poppler, which draws the kit previews). Without it, STSong still works
in desktop readers.

A document is a title and a list of blocks: ("h", heading), ("p", paragraph), ("ul", [items]),
("checks", [items to tick]) or ("lines", how many lines to write on). Slides are
(title, [points]).
"""

import io
import os
from datetime import datetime

from docx import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Pt
from pptx import Presentation
from pptx.util import Pt as SlidePt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

AUTHOR = "阳光课堂"
# Fixed document dates, so the same demo text gives the same metadata on every machine.
CREATED = datetime(2026, 1, 5, 9, 0, 0)
PDF_FONT = "STSong-Light"
EMBEDDED_FONT = ("WenQuanYiMicroHei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
WORD_FONT = "宋体"


def pdf_font():
    name, path = EMBEDDED_FONT
    if os.path.exists(path):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        return name
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def pdf_bytes(title, blocks):
    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=13, leading=22, spaceBefore=8)
    heading_1 = ParagraphStyle("title", parent=body, fontSize=18, leading=28, alignment=1)
    story = [Paragraph(title, heading_1), Spacer(1, 6 * mm)]
    for kind, value in blocks:
        if kind == "h":
            story.append(Paragraph(value, heading))
        elif kind == "p":
            story.append(Paragraph(value, body))
            story.append(Spacer(1, 2 * mm))
        elif kind == "ul":
            items = [ListItem(Paragraph(item, body), leftIndent=12) for item in value]
            story.append(ListFlowable(items, bulletType="bullet", start="•", leftIndent=12))
        elif kind == "checks":
            story.extend(Paragraph(f"□ {item}", body) for item in value)
        elif kind == "lines":
            story.extend(Paragraph("_" * 44, body) for _ in range(value))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=AUTHOR,
        invariant=1,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()


def docx_bytes(title, blocks):
    document = WordDocument()
    normal = document.styles["Normal"]
    normal.font.size = Pt(11)
    # Word on Windows picks the East Asian font from this attribute, not from `font.name`.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), WORD_FONT)
    properties = document.core_properties
    properties.title, properties.author = title, AUTHOR
    properties.created = properties.modified = CREATED
    document.add_heading(title, level=0)
    for kind, value in blocks:
        if kind == "h":
            document.add_heading(value, level=1)
        elif kind == "p":
            document.add_paragraph(value)
        elif kind == "ul":
            for item in value:
                document.add_paragraph(item, style="List Bullet")
        elif kind == "checks":
            for item in value:
                document.add_paragraph(f"□ {item}")
        elif kind == "lines":
            for _ in range(value):
                document.add_paragraph("_" * 40)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx_bytes(title, slides):
    presentation = Presentation()
    properties = presentation.core_properties
    properties.title, properties.author = title, AUTHOR
    properties.created = properties.modified = CREATED
    cover = presentation.slides.add_slide(presentation.slide_layouts[0])
    cover.shapes.title.text = title
    cover.placeholders[1].text = AUTHOR
    for slide_title, points in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = slide_title
        frame = slide.placeholders[1].text_frame
        for index, point in enumerate(points):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = point
            paragraph.font.size = SlidePt(24)
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


BUILDERS = {"pdf": pdf_bytes, "docx": docx_bytes, "pptx": pptx_bytes}
