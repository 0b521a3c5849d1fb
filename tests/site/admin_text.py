"""What a person reads on an admin page: its text, and the attributes that are shown or read out
(placeholders, titles, labels), and the labels in the JSON that the sidebar is drawn from.
Used by the admin crawl (tests/site/test_admin_chinese.py) to find English left over."""

import json
import re
from html.parser import HTMLParser

# Attributes that a person sees (placeholder, tooltip) or hears (aria-label).
SHOWN_ATTRIBUTES = {
    "placeholder",
    "title",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "alt",
    "data-w-tooltip-content-value",
    "data-w-dropdown-label-value",
}
# Keys of the sidebar's (and other components') JSON whose values are shown.
SHOWN_KEYS = {"label", "title", "text", "placeholder", "help_text", "display_name", "heading"}
HIDDEN_ELEMENTS = {"style", "noscript"}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ \-][A-Za-z][A-Za-z'’]*)*")


class _ShownText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input",) and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")
        if tag == "input" and attrs.get("type") == "hidden":
            return
        for name, value in attrs.items():
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            self._stack.append((tag, attrs.get("type", ""), "hidden" in attrs))

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, *_ = self._stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        tag, kind, _ = self._stack[-1] if self._stack else ("", "", False)
        # A `hidden` element is not shown until a script fills it in (Wagtail's side panel
        # counters hold a placeholder "None" until then).
        if tag in HIDDEN_ELEMENTS or any(hidden for *_, hidden in self._stack):
            return
        if tag == "script":
            if kind == "application/json":
                self.parts.extend(_shown_json_strings(data))
            return
        self.parts.append(data)


def _shown_json_strings(data):
    try:
        value = json.loads(data)
    except ValueError:
        return []
    found = []

    def walk(node, key=None):
        if isinstance(node, dict):
            for child_key, child in node.items():
                walk(child, child_key)
        elif isinstance(node, list):
            for child in node:
                walk(child, key)
        elif isinstance(node, str) and key in SHOWN_KEYS:
            found.append(node)

    walk(value)
    return found


def shown_text(html):
    """The pieces of text a person sees or hears on the page."""
    parser = _ShownText()
    parser.feed(html)
    return [" ".join(part.split()) for part in parser.parts if part and part.strip()]


def english_phrases(pieces):
    """Runs of Latin letters (two letters or more) in the shown text."""
    return {match.group(0) for piece in pieces for match in ENGLISH.finditer(piece)}
