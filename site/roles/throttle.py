"""Login throttling with django-axes on /accounts/login/ and /admin/login/.

Lockout is per account AND client address together: five wrong passwords for one account from
one address lock that account from that address for a while. Nobody can lock a whole school
out (all its teachers share the school's address) or lock a teacher out from everywhere.

What axes stores: it keeps failed attempts in its own table with an address and a user agent.
Only the bureau's adult staff and teachers have accounts, but anyone, a student included, can
type into a login form, so neither real value is stored: the "address" is an HMAC of the client
address under a key that changes daily, written as an IPv6 address in the documentation range
2001:db8::/32 (so axes' address column accepts it), and the user agent is left empty. Axes'
access log of successful logins is off, and its log lines carry only the username.
"""

import hashlib
import hmac
import ipaddress

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from sunshine.clientip import client_address

_PSEUDONYM_PREFIX = bytes.fromhex("20010db8")


def throttle_address(request):
    """AXES_CLIENT_IP_CALLABLE: a daily pseudonym of the client address, never the address."""
    address = client_address(request) or "unknown"
    key = f"{settings.SECRET_KEY}:login-throttle:{timezone.now().date().isoformat()}"
    digest = hmac.new(key.encode(), address.encode(), hashlib.sha256).digest()
    return str(ipaddress.IPv6Address(_PSEUDONYM_PREFIX + digest[:12]))


def client_str(username, ip_address, user_agent, path_info, request):
    """AXES_CLIENT_STR_CALLABLE: what axes writes in its log lines."""
    return f"账号 {username}"


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' backend, for logins that come through a form. Code that checks a password without
    a request (the shell, imports, tests) is not a login form and is not throttled."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PrivateDatabaseHandler(AxesDatabaseHandler):
    """Axes' database handler, storing no user agent."""

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            request.axes_user_agent = ""
            request.axes_http_accept = ""
        return super().user_login_failed(sender, credentials, request=request, **kwargs)


def lockout_minutes():
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a Chinese page that says how long the lockout lasts."""
    return render(
        request,
        "registration/lockout.html",
        {"minutes": lockout_minutes(), "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
