"""The admin's login form, as Wagtail's, with its password field labelled in Chinese: Wagtail
gives it no label, so Django makes one from the field's name ("Password")."""

from wagtail.admin.forms.auth import LoginForm


class AdminLoginForm(LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = "密码"
