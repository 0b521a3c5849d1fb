"""Preview pages of a kit material: files in, page images out (no models, like the rest of engine/).

Phones and WeChat's in-app browser do not show a PDF inline, so a preview is a few JPEG page
images: a PDF is drawn page by page by poppler's `pdftoppm`; a Word or PowerPoint file is first
turned into a PDF by LibreOffice headless (Debian's libreoffice-writer / libreoffice-impress).

- LibreOffice runs with a profile of its own in the work folder: two conversions at once (two
  workers) would otherwise fight over ~/.config/libreoffice and one of them silently does
  nothing. Both tools run with a time limit; a document that hangs them fails, it does not hang
  the worker.
- Only the first MAX_PAGES pages are drawn: a preview is for choosing, the file is for reading.
"""

import os
import shutil
import subprocess
from pathlib import Path

OFFICE_EXTENSIONS = {".doc", ".docx", ".ppt", ".pptx", ".odt", ".odp", ".rtf"}
PDF_EXTENSIONS = {".pdf"}
MAX_PAGES = 20
PAGE_WIDTH = 1000  # pixels: sharp on a 390-point phone screen at 2.5×, ~100 KB a page
JPEG_QUALITY = 82
CONVERT_TIMEOUT = 180  # LibreOffice's first start in a fresh profile alone takes a few seconds
DRAW_TIMEOUT = 120

SOFFICE_CANDIDATES = ("soffice", "/usr/lib/libreoffice/program/soffice", "libreoffice")


class PreviewError(Exception):
    """The file could not be turned into page images."""


def kind_of(filename):
    """ "pdf", "office" or None (no preview can be made of this file)."""
    ext = os.path.splitext(filename or "")[1].lower()
    if ext in PDF_EXTENSIONS:
        return "pdf"
    if ext in OFFICE_EXTENSIONS:
        return "office"
    return None


def _tool(*candidates):
    for candidate in candidates:
        found = shutil.which(candidate) or (candidate if os.path.isabs(candidate) else None)
        if found and os.access(found, os.X_OK):
            return found
    return None


def soffice_path():
    return _tool(*SOFFICE_CANDIDATES)


def tools_missing(kind):
    """What this machine lacks to preview a file of this kind (Debian package names)."""
    missing = []
    if kind == "office" and soffice_path() is None:
        missing.append("libreoffice-writer/libreoffice-impress")
    if _tool("pdftoppm") is None or _tool("pdfinfo") is None:
        missing.append("poppler-utils")
    return missing


def _run(command, timeout, what):
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PreviewError(f"{what}: no result after {timeout} s") from exc
    except OSError as exc:
        raise PreviewError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout or b"").decode("utf-8", "replace")[-400:]
        raise PreviewError(f"{what} exited {done.returncode}: {tail}")
    return done


def office_to_pdf(source, workdir):
    """Convert a Word/PowerPoint file to PDF in `workdir`; the PDF's path."""
    soffice = soffice_path()
    if soffice is None:
        raise PreviewError("LibreOffice (soffice) is not installed")
    workdir = Path(workdir)
    profile = workdir / "lo-profile"
    out = workdir / "pdf"
    out.mkdir(parents=True, exist_ok=True)
    # A plain ASCII name: LibreOffice names its output after the input.
    local = workdir / f"source{Path(source).suffix.lower()}"
    if Path(source) != local:
        shutil.copyfile(source, local)
    _run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(local),
        ],
        CONVERT_TIMEOUT,
        "LibreOffice",
    )
    pdf = out / "source.pdf"
    if not pdf.exists() or pdf.stat().st_size == 0:
        # soffice exits 0 when it could not read the file: the output decides.
        raise PreviewError("LibreOffice wrote no PDF")
    return pdf


def page_count(pdf):
    done = _run([_tool("pdfinfo") or "pdfinfo", str(pdf)], DRAW_TIMEOUT, "pdfinfo")
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1].strip() or 0)
    raise PreviewError("pdfinfo found no page count")


def draw_pages(pdf, outdir, max_pages=MAX_PAGES):
    """JPEG images of the first pages: ([paths in page order], pages in the PDF)."""
    total = page_count(pdf)
    if total < 1:
        raise PreviewError("the PDF has no pages")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    last = min(total, max_pages)
    _run(
        [
            _tool("pdftoppm") or "pdftoppm",
            "-jpeg",
            "-jpegopt",
            f"quality={JPEG_QUALITY}",
            "-scale-to-x",
            str(PAGE_WIDTH),
            "-scale-to-y",
            "-1",
            "-f",
            "1",
            "-l",
            str(last),
            str(pdf),
            str(outdir / "page"),
        ],
        DRAW_TIMEOUT,
        "pdftoppm",
    )
    # pdftoppm pads the page number to the width of the last one (page-01.jpg … page-12.jpg).
    pages = sorted(outdir.glob("page-*.jpg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if len(pages) != last:
        raise PreviewError(f"pdftoppm drew {len(pages)} of {last} pages")
    return pages, total


def make_preview(source, workdir):
    """Page images of any previewable file: ([paths], pages in the document)."""
    kind = kind_of(str(source))
    if kind is None:
        raise PreviewError("no preview for this kind of file")
    pdf = office_to_pdf(source, workdir) if kind == "office" else Path(source)
    return draw_pages(pdf, Path(workdir) / "pages")
