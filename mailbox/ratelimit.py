"""Limits per client network, kept in Django's cache, with nothing about the client stored.

The client's address is used in memory only: the cache key is an HMAC of it under a random
secret that lives in the cache itself for two hours (one per clock hour), so every app server
sharing Redis counts together, and once the secret has expired nobody, not even we, can tell
which address a counter belonged to. The address is sunshine.clientip's (`X-Forwarded-For` only
from TRUSTED_PROXIES).
"""

import hashlib
import hmac
import secrets
import time

from django.core.cache import cache

from sunshine.clientip import client_address


def _hour_secret(hour):
    key = f"mailbox:rl-secret:{hour}"
    cache.add(key, secrets.token_hex(16), timeout=2 * 3600)
    return (cache.get(key) or "").encode("ascii")


def _client_key(request, bucket):
    hour = int(time.time() // 3600)
    secret = _hour_secret(hour)
    address = (client_address(request) or "").encode()
    tag = hmac.new(secret, address, hashlib.sha256).hexdigest()[:24]
    return f"mailbox:rl:{bucket}:{hour}:{tag}"


class Limit:
    """At most `allowed` events per `window` seconds per client network."""

    def __init__(self, bucket, allowed, window):
        self.bucket, self.allowed, self.window = bucket, allowed, window

    def _key(self, request):
        # Counted in fixed windows; the hour in the key keeps one client's counter together.
        return _client_key(request, f"{self.bucket}:{int(time.time() // self.window)}")

    def exceeded(self, request):
        return (cache.get(self._key(request)) or 0) >= self.allowed

    def hit(self, request):
        key = self._key(request)
        if cache.add(key, 1, timeout=self.window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=self.window)
            return 1
