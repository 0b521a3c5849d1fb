"""The signed play token: everything a beat needs, so a beat costs no database read.

`POST /api/v1/plays` issues it; every beat of that play carries it back. It is an HMAC-SHA256
signed JSON payload (`<base64 payload>.<base64 signature>`) under a key derived from the site's
SECRET_KEY (and SECRET_KEY_FALLBACKS, so rotating the secret does not break open plays). The
browser can read it but not change its district, day or pseudonyms. It expires when the
late-beat window closes.

Not django.core.signing: that derives its key anew on every call, and a beat is the hottest
request of the site; the format here is the same idea with the key derived once.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from analytics import conf

SIGNING_SALT = "analytics.play-token.v1"
SIGNATURE_BYTES = 18  # 144 bits, 24 base64 characters
_keys_cache: dict = {}


def _keys():
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    keys = _keys_cache.get(secrets)
    if keys is None:
        keys = [hashlib.sha256(f"{SIGNING_SALT}:{secret}".encode()).digest() for secret in secrets]
        _keys_cache.clear()
        _keys_cache[secrets] = keys
    return keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict, key: bytes | None = None) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(key or _keys()[0], body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac[:SIGNATURE_BYTES])}"


def unsign(value: str) -> dict:
    """The payload of a token signed by us; TokenError otherwise."""
    body, _, signature = value.rpartition(".")
    try:
        given = _unb64(signature)
        message = body.encode("ascii")
    except (binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise TokenError("token_invalid", "播放凭证无效（格式不正确）") from error
    for key in _keys():
        expected = hmac.new(key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
        if hmac.compare_digest(expected, given):
            break
    else:
        raise TokenError("token_invalid", "播放凭证无效（签名不符）")
    try:
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError) as error:
        raise TokenError("token_invalid", "播放凭证无效") from error
    if not isinstance(payload, dict):
        raise TokenError("token_invalid", "播放凭证无效")
    return payload


# Short keys keep the token small: it travels with every beat.
FIELDS = {
    "play_id": "p",
    "page_id": "c",
    "kind": "k",
    "district": "d",
    "school_id": "s",
    "day": "y",
    "day_viewer": "v",
    "campaign_viewer": "w",
    "campaign_id": "a",
    "series_id": "r",
    "track": "t",
    "via": "x",
    "issued_at": "i",
    "expires_at": "e",
}


class TokenError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PlayToken:
    play_id: uuid.UUID
    page_id: int
    kind: str
    district: str
    school_id: int
    day: date
    day_viewer: int
    campaign_viewer: int
    campaign_id: int
    series_id: int
    track: str
    via: str
    issued_at: int  # Unix seconds
    expires_at: int

    def as_payload(self):
        payload = {short: getattr(self, name) for name, short in FIELDS.items()}
        payload["p"] = self.play_id.hex
        payload["y"] = self.day.isoformat()
        return payload


def issue(*, now=None, **fields) -> tuple[PlayToken, str]:
    issued = int(now if now is not None else time.time())
    token = PlayToken(
        play_id=fields.pop("play_id", None) or uuid.uuid4(),
        issued_at=issued,
        expires_at=issued + conf.get("ANALYTICS_LATE_BEAT_HOURS") * 3600,
        **fields,
    )
    return token, sign(token.as_payload())


def verify(value, *, now=None) -> PlayToken:
    """The token's contents, or TokenError saying (in Chinese) what is wrong with it."""
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise TokenError("token_invalid", "播放凭证缺失或格式不正确")
    payload = unsign(value)
    try:
        token = PlayToken(
            **{name: payload[short] for name, short in FIELDS.items()}
            | {"play_id": uuid.UUID(payload["p"]), "day": date.fromisoformat(payload["y"])}
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TokenError("token_invalid", "播放凭证无效（内容不完整）") from error
    if (now if now is not None else time.time()) > token.expires_at:
        raise TokenError("token_expired", "播放凭证已过期，超过补报时限的数据不再接收")
    return token


def start(content, attribution, viewer_id: str, *, now=None) -> tuple[PlayToken, str]:
    """Issues the token of a new play: the day's and the campaign's pseudonyms of the viewer,
    the content and its attribution. The viewer id itself goes no further than this function."""
    from datetime import UTC, datetime

    from analytics import content as content_lookup
    from analytics import privacy

    issued = time.time() if now is None else now
    day = privacy.local_day(datetime.fromtimestamp(issued, tz=UTC))
    campaign = content_lookup.campaign_for(day, content.series_campaign_id)
    return issue(
        now=issued,
        page_id=content.page_id,
        kind=content.kind,
        district=attribution.district,
        school_id=attribution.school_id,
        day=day,
        day_viewer=privacy.pseudonym(privacy.day_salt(day), viewer_id),
        campaign_viewer=(
            privacy.pseudonym(privacy.campaign_salt(campaign), viewer_id) if campaign else 0
        ),
        campaign_id=campaign.pk if campaign else 0,
        series_id=content.series_id,
        track=content.track,
        via=attribution.via,
    )
