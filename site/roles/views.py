"""Login, logout and password change for teachers and staff, in Chinese, on the public site.

Django's own auth views; only where a person lands after signing in, and a confirmation page
for a logout link followed by GET, are ours.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render, resolve_url
from django.urls import reverse

from sunshine.directory.models import UserProfile


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"

    def get_default_redirect_url(self):
        # Without `next`, staff go to their workspace; teachers to the site.
        if self.request.user.has_perm("wagtailadmin.access_admin"):
            return reverse("wagtailadmin_home")
        return resolve_url(settings.LOGIN_REDIRECT_URL)


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (a link must not sign anyone out); a GET asks to confirm."""

    http_method_names = ["get", "post", "options"]
    template_name = "registration/logout_confirm.html"

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, {"next": self.get_redirect_url() or ""})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        # The bureau's initial password is gone: the account may be used now.
        UserProfile.objects.filter(user=self.request.user, must_change_password=True).update(
            must_change_password=False
        )
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
