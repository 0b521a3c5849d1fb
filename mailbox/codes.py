"""Reply codes: the writer's only key to their conversation.

16 characters of Crockford's base32 (no I, L, O, U: nothing to confuse when copying by hand),
grouped 4-4-4-4, are 80 random bits: at a million guesses a second it would take longer than
the age of the universe to find one of a million live codes; the rate limit allows a handful of
guesses per quarter of an hour. Only a SHA-256 digest of the code is stored, so the database
alone cannot open a conversation.
"""

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
# What people type for the characters the alphabet leaves out.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(code: str) -> str | None:
    """The canonical XXXX-XXXX-XXXX-XXXX form of what was typed, or None if it cannot be one."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    # Full-width letters and digits from a Chinese input method become ASCII.
    import unicodedata

    text = unicodedata.normalize("NFKC", code).upper().translate(_LOOKALIKES)
    text = "".join(char for char in text if char not in " -_\u3000")
    if len(text) != LENGTH or any(char not in ALPHABET for char in text):
        return None
    return "-".join(text[i : i + 4] for i in range(0, LENGTH, 4))


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()
