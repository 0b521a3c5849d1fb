"""/favicon.ico: the site's own sun (the same drawing as static sunshine/favicon.svg, which pages
link to), drawn with Pillow when first asked for, so no binary file is committed. Browsers and
WeChat ask for /favicon.ico whatever the page links; a 404 there is noise in every log."""

import io
from functools import lru_cache

from django.http import HttpResponse
from django.views.decorators.http import require_safe
from PIL import Image, ImageDraw

BROWN = (154, 65, 0, 255)  # --sun in site.css
GOLD = (255, 196, 77, 255)
SIZES = (16, 32, 48)


def draw(size=64):
    """The icon at `size` pixels: a gold sun with eight rays on the site's brown."""
    scale = 4  # drawn large, then shrunk: smooth edges without anti-aliasing primitives
    big = size * scale
    unit = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(14 * unit), fill=BROWN)
    rays = [(32, 7, 32, 14), (32, 50, 32, 57), (7, 32, 14, 32), (50, 32, 57, 32)]
    rays += [(14.3, 14.3, 19.3, 19.3), (44.7, 44.7, 49.7, 49.7)]
    rays += [(14.3, 49.7, 19.3, 44.7), (44.7, 19.3, 49.7, 14.3)]
    for x1, y1, x2, y2 in rays:
        pen.line([(x1 * unit, y1 * unit), (x2 * unit, y2 * unit)], fill=GOLD, width=int(5 * unit))
    r = 11 * unit
    pen.ellipse((32 * unit - r, 32 * unit - r, 32 * unit + r, 32 * unit + r), fill=GOLD)
    return image.resize((size, size), Image.LANCZOS)


@lru_cache(maxsize=1)
def ico_bytes():
    out = io.BytesIO()
    draw(max(SIZES)).save(out, format="ICO", sizes=[(s, s) for s in SIZES])
    return out.getvalue()


@require_safe
def favicon(request):
    response = HttpResponse(ico_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response
