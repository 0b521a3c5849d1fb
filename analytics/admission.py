"""Admission limits per client network: what one script behind one address can add is bounded.

Play starts, viewer-id minting and page views are counted per client network per minute, and
the requests carrying a play's beats per play per minute. The limits let a school computer
room behind one NAT address count in full (60 children starting at once) and stay far below
what a script does: in any 60 s a
network gets at most two windows' worth of play starts and new viewer ids, so at most 120 views
and 120 viewers (a view also needs the server to have seen its time pass, analytics.protocol).

Privacy: the client's address (sunshine.clientip: REMOTE_ADDR, or X-Forwarded-For only from
TRUSTED_PROXIES) is used in memory only. The counters live in Django's cache (Redis in
production, shared by the app servers; in-process on the embedded default) under an HMAC of
the network with a key derived from SECRET_KEY and the current hour: the key rotates hourly, is
never written anywhere, and the counters expire after two windows. The address is never logged.

A cache that fails (Redis down) admits everything: counting must not stop with it.
"""

import hashlib
import hmac
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac

from analytics import conf
from sunshine.clientip import client_address

logger = logging.getLogger(__name__)

# What is limited, and the setting that holds its limit per window.
LIMITS = {
    "play": "ANALYTICS_ADMISSION_PLAY_STARTS",
    "viewer": "ANALYTICS_ADMISSION_VIEWER_IDS",
    "pageview": "ANALYTICS_ADMISSION_PAGE_VIEWS",
    "beat": "ANALYTICS_ADMISSION_BEATS_PER_PLAY",
}
IPV6_PREFIX = 64  # a household or a school gets a /64: one network, like one IPv4 address


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds until the window closes


def network_of(address: str | None) -> str:
    """The client network: an IPv4 address, or the /64 of an IPv6 one ("-": no address)."""
    if not address:
        return "-"
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


@lru_cache(maxsize=4)
def _hour_key(hour: int, secret: str) -> bytes:
    # Derived in memory, the same on every app server, never stored; a new one every hour.
    return salted_hmac("analytics.admission", str(hour), secret=secret).digest()


def _subject_key(subject: str, hour: int, secret: str) -> str:
    key = _hour_key(hour, secret)
    return hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:32]


# A play beats about forty times in ten minutes, each time asking for the same key. Only play
# ids are kept: a client's network is never kept in memory past its request.
_play_key = lru_cache(maxsize=8192)(_subject_key)


def _window():
    return max(1, conf.get("ANALYTICS_ADMISSION_WINDOW_SECONDS"))


def _count(kind: str, subject: str, now: float, amount: int = 1) -> tuple[int, int]:
    """(the subject's count in the current window after adding `amount`, seconds left)."""
    window = _window()
    number = math.floor(now / window)
    hour = math.floor(number * window / 3600)
    keyed = _play_key if kind == "beat" else _subject_key
    key = f"admission:{kind}:{number}:{keyed(subject, hour, settings.SECRET_KEY)}"
    cache = caches[conf.get("ANALYTICS_ADMISSION_CACHE")]
    # Counting first: most attempts are not the first of their window (a play beats about four
    # times a minute), so one cache operation instead of a failed add and then a count.
    try:
        count = cache.incr(key, amount)
    except ValueError:  # the window's first attempt (or its counter just expired)
        if cache.add(key, amount, timeout=2 * window):
            count = amount
        else:
            try:
                count = cache.incr(key, amount)  # another request added it in between
            except ValueError:  # and it expired again at once
                cache.add(key, amount, timeout=2 * window)
                count = amount
    left = max(1, math.ceil((number + 1) * window - now))
    return count, left


def check(kind: str, subject: str, *, now=None, amount=1) -> Refusal | None:
    """None if admitted; else a Refusal saying when to come back. Counts the attempt."""
    limit = conf.get(LIMITS[kind])
    if not limit:
        return None  # 0: no limit
    try:
        count, left = _count(kind, subject, time.time() if now is None else now, amount)
    except Exception:  # noqa: BLE001 — the cache is down: admit rather than stop counting
        logger.warning("访问频率计数不可用（缓存出错），本次不限制", exc_info=True)
        return None
    return Refusal(left) if count > limit else None


def check_request(request, *kinds, now=None) -> Refusal | None:
    """Counts the request against each of `kinds` for its client network."""
    network = network_of(client_address(request))
    refusals = [check(kind, network, now=now) for kind in kinds]
    refusals = [r for r in refusals if r is not None]
    return max(refusals, key=lambda r: r.retry_after) if refusals else None


def check_beats(play_ids, *, now=None) -> Refusal | None:
    """`play_ids`: the plays whose beats this request carries. Each counts once per request,
    however many of its beats it carries: a phone back online sends its whole queue at once
    and must get through. A play over its limit refuses the request (an honest player sends
    about four a minute; nothing is lost, beats are cumulative and the player resends)."""
    refusals = [check("beat", play_id.hex, now=now) for play_id in play_ids]
    refusals = [r for r in refusals if r is not None]
    return max(refusals, key=lambda r: r.retry_after) if refusals else None
