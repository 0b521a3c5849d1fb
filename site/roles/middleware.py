"""An account whose password was issued by the bureau (bulk import) changes it before anything
else: every page but the password change form and logout redirects there."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from sunshine.roles.scope import profile_of

_ALLOWED_NAMES = ("password_change", "password_change_done", "logout")


def must_change_password(user):
    profile = profile_of(user)
    return bool(profile is not None and profile.must_change_password)


class InitialPasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and self._applies(request)
            and must_change_password(user)
        ):
            message = "首次登录请先修改教育局发放的初始密码。"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=403)
            messages.info(request, message)
            return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _applies(request):
        allowed = {reverse(name) for name in _ALLOWED_NAMES}
        return request.path not in allowed and not request.path.startswith(("/static/", "/media/"))
