from django.urls import path
from django.views.decorators.cache import never_cache

from sunshine.roles import views

# Names are Django's defaults, so settings.LOGIN_URL = "login" and Django's own redirects work.
# never_cache: these pages carry a CSRF token and the person's name; the page cache must skip them.
urlpatterns = [
    path("login/", never_cache(views.LoginView.as_view()), name="login"),
    path("logout/", never_cache(views.LogoutView.as_view()), name="logout"),
    path(
        "password/change/",
        never_cache(views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password/change/done/",
        never_cache(views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
]
