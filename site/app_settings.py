"""How every app reads its own settings: one pattern for all of them.

An app's conf.py lists its settings with their defaults, each with a comment saying what it is
for, and reads them with `AppSettings(...).get(name)` when they are used, never at import:

    DEFAULTS = {"ANALYTICS_MAX_BATCH": 50, ...}
    get = AppSettings("analytics", DEFAULTS).get

A value set in Django settings wins over the default. The environment reaches Django settings
in one place only (sunshine.environment, read by settings.py), so `override_settings` and
pytest-django's `settings` fixture change what the app sees.
"""

from django.conf import settings

from sunshine import process_state


class AppSettings:
    def __init__(self, app: str, defaults: dict):
        self.defaults = dict(defaults)
        self._values: dict = {}
        # Hot paths (a beat) read several settings per request: the values are kept, and
        # forgotten when one of them changes (setting_changed) or on process_state.reset().
        process_state.register(f"{app}.settings", self._values.clear, settings=self.defaults)

    def get(self, name: str):
        """The setting's value: Django settings, else the app's default (KeyError if the app
        has no such setting)."""
        try:
            return self._values[name]
        except KeyError:
            pass
        default = self.defaults[name]
        value = self._values[name] = getattr(settings, name, default)
        return value
