"""First-party viewer ids are issued by the server, not invented by the browser.

A viewer id is a random value signed with SECRET_KEY (django.core.signing, its own salt): a
script can no longer make up a fresh "unique viewer" per play offline; each id has to be minted
here, and minting is admission-limited per client network (analytics.admission). The browser
keeps its id in localStorage; the server checks the signature on every play start and turns
the random part into pseudonyms (analytics.privacy), as before. Nothing about the minting is
stored: the id identifies no one, and no table lists the ids we issued.
"""

import re
import secrets

from django.core import signing

SIGNING_SALT = "analytics.viewer-id.v1"
# The random part (22 characters of base64) and the signature (43): what the schema allows.
PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}:[A-Za-z0-9_-]{20,86}$")
MAX_LENGTH = 160


def _signer():
    return signing.Signer(salt=SIGNING_SALT)


def mint() -> str:
    """A new signed viewer id."""
    return _signer().sign(secrets.token_urlsafe(16))


def verify(value) -> str | None:
    """The random part of a viewer id we issued; None for anything else (a forged, edited or
    old self-made id)."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH or not PATTERN.match(value):
        return None
    try:
        return _signer().unsign(value)
    except signing.BadSignature:
        return None
