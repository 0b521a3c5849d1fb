"""Which help lines minors are shown: the ones the bureau configured with a real number.

A placeholder ("024-0000-0000（示例号码）", "上线前请替换") must never reach a child in trouble who
taps it: the site settings refuse one (HotlineBlock.clean), and a line saved before that rule,
or seeded by an old demo, is left out of every page.
"""

import re

PLACEHOLDER_WORDS = ("示例", "替换", "待定", "例如", "xxxx")


def _digits(number):
    return re.sub(r"\D", "", str(number or ""))


def placeholder_reason(line):
    """Why a line {name, number, hours} is not a real one (Chinese), or "" when it is."""
    digits = _digits(line.get("number"))
    if len(digits) < 3:
        return "请填写完整的电话号码"
    text = "".join(str(line.get(key) or "") for key in ("name", "number", "hours")).lower()
    if any(word in text for word in PLACEHOLDER_WORDS):
        return "这是示例或待替换的号码，请填写真实的热线"
    # An area code followed by nothing but zeros (024-0000-0000), or all one digit repeated.
    local = digits[3:] if digits.startswith("0") and len(digits) > 8 else digits
    if len(set(local)) == 1:
        return "这不是有效的电话号码，请填写真实的热线"
    return ""


def shown(lines):
    """The lines fit to show, in their order."""
    return [line for line in lines if not placeholder_reason(line)]
