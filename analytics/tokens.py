"""The signed play token: everything a beat needs, so a beat costs no database read.

`POST /api/v1/plays` issues it; every beat of that play carries it back. It is Django's signed
object (`django.core.signing.Signer.sign_object`, HMAC-SHA256 under SECRET_KEY, with
SECRET_KEY_FALLBACKS so rotating the secret does not break open plays). The browser can read it
but not change its district, day, pseudonyms or the video's duration. It expires when the
late-beat window closes.

Verifying costs tens of microseconds; a play sends a beat every 15 s, so each process keeps the
tokens it verified recently (an LRU of token string → PlayToken; expiry is still checked on
every beat).
"""

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.core import signing

from analytics import conf
from sunshine import process_state

SIGNING_SALT = "analytics.play-token.v2"
VERIFIED_CACHE_SIZE = 16384
MAX_TOKEN_LENGTH = 1000

# Short keys keep the token small: it travels with every beat.
FIELDS = {
    "play_id": "p",
    "page_id": "c",
    "kind": "k",
    "district": "d",
    "school_id": "s",
    "day": "y",
    "day_viewer": "v",
    "campaigns": "w",
    "series_id": "r",
    "track": "t",
    "via": "x",
    "duration_s": "u",
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
    day_viewer: int  # 0: no pseudonym (the day's salt is gone)
    # ((campaign id, campaign pseudonym), …): every open campaign whose dates contain the day.
    campaigns: tuple
    series_id: int
    track: str
    via: str
    duration_s: int  # the video's duration as we know it (0 = unknown)
    issued_at: int  # Unix seconds
    expires_at: int
    # The signed string itself (what beats carry, and what the spool keeps).
    value: str = field(default="", compare=False, repr=False)

    @property
    def campaign_ids(self):
        return tuple(campaign_id for campaign_id, _ in self.campaigns)

    def as_payload(self):
        payload = {short: getattr(self, name) for name, short in FIELDS.items()}
        payload["p"] = self.play_id.hex
        payload["y"] = self.day.isoformat()
        payload["w"] = [list(pair) for pair in self.campaigns]
        return payload


def _signer():
    return signing.Signer(salt=SIGNING_SALT)


def _from_payload(payload, value) -> PlayToken:
    if not isinstance(payload, dict):
        raise TokenError("token_invalid", "播放凭证无效")
    try:
        fields = {name: payload[short] for name, short in FIELDS.items()}
        fields["play_id"] = uuid.UUID(fields["play_id"])
        fields["day"] = date.fromisoformat(fields["day"])
        fields["campaigns"] = tuple((int(c), int(v)) for c, v in fields["campaigns"])
        return PlayToken(**fields, value=value)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise TokenError("token_invalid", "播放凭证无效（内容不完整）") from error


@lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def _verified(value: str) -> PlayToken:
    try:
        payload = _signer().unsign_object(value)
    except signing.BadSignature as error:
        raise TokenError("token_invalid", "播放凭证无效（签名不符）") from error
    except (ValueError, UnicodeError) as error:  # bad base64 / JSON inside a "signed" string
        raise TokenError("token_invalid", "播放凭证无效（格式不正确）") from error
    return _from_payload(payload, value)


# A token verified under one key is not verified under another.
process_state.register(
    "analytics.verified_tokens",
    _verified.cache_clear,
    settings=["SECRET_KEY", "SECRET_KEY_FALLBACKS"],
)


def issue(*, now=None, **fields) -> PlayToken:
    # Rounded up: the time since the start is never overestimated (credited time depends on it).
    issued = math.ceil(now if now is not None else time.time())
    token = PlayToken(
        play_id=fields.pop("play_id", None) or uuid.uuid4(),
        issued_at=issued,
        expires_at=issued + conf.get("ANALYTICS_LATE_BEAT_HOURS") * 3600,
        **fields,
    )
    value = _signer().sign_object(token.as_payload(), compress=False)
    return PlayToken(**{**token.__dict__, "value": value})


def verify(value, *, now=None, check_expiry=True) -> PlayToken:
    """The token's contents, or TokenError saying (in Chinese) what is wrong with it."""
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_LENGTH:
        raise TokenError("token_invalid", "播放凭证缺失或格式不正确")
    token = _verified(value)
    if check_expiry and (now if now is not None else time.time()) > token.expires_at:
        raise TokenError("token_expired", "播放凭证已过期，超过补报时限的数据不再接收")
    return token


def start(content, attribution, viewer_id: str, *, now=None) -> PlayToken:
    """Issues the token of a new play: the day's and the campaigns' pseudonyms of the viewer,
    the content and its attribution. The viewer id itself goes no further than this function.

    Raises the database's errors only when a salt is neither cached nor readable."""
    from datetime import UTC, datetime

    from analytics import content as content_lookup
    from analytics import privacy

    issued = time.time() if now is None else now
    moment = datetime.fromtimestamp(issued, tz=UTC)
    day = privacy.local_day(moment)
    day_secret = privacy.day_salt(day)
    campaigns = []
    for campaign in content_lookup.campaigns_for(day):
        secret = privacy.campaign_salt(campaign, moment)
        if secret is not None:  # None: its report is final, or its window has closed
            campaigns.append((campaign.pk, privacy.pseudonym(secret, viewer_id)))
    return issue(
        now=issued,
        page_id=content.page_id,
        kind=content.kind,
        district=attribution.district,
        school_id=attribution.school_id,
        day=day,
        day_viewer=privacy.pseudonym(day_secret, viewer_id) if day_secret else 0,
        campaigns=tuple(campaigns),
        series_id=content.series_id,
        track=content.track,
        via=attribution.via,
        duration_s=content.duration_s,
    )
