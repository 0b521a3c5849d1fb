"""The client's address, for login throttling and admission limits. Used in memory only: never
stored or logged (what django-axes stores is a keyed pseudonym, see sunshine.roles.throttle).

REMOTE_ADDR is the peer. Only when the peer is one of our reverse proxies (TRUSTED_PROXIES:
addresses or networks) is X-Forwarded-For believed, and then read from the right: the first
address that is not one of our proxies is the client. Anything left of it was written by the
client itself and could be anything.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(trusted):
    networks = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _parse(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(address):
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return any(address in network for network in networks)


def client_address(request):
    """The client's IP address as a string, or None if the request has no usable one."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    if not _is_trusted(peer):
        return str(peer)
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parse(hop)
        if address is None:
            break  # a malformed entry: trust nothing further left
        client = address
        if not _is_trusted(address):
            break
    return str(client)
