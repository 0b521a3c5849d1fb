"""Settings of the directory app: Django settings when set there, else the defaults below.

Read when used (sunshine.app_settings); the environment reaches Django settings through
sunshine.environment.
"""

from sunshine.app_settings import AppSettings

DEFAULTS = {
    # Each new password costs one PBKDF2 hash (about 0.3 s on a small server), so a web request
    # takes at most this many teacher rows; bigger files go through `sunshine import_teachers`.
    "SUNSHINE_ADMIN_TEACHER_IMPORT_MAX_ROWS": 100,
}

get = AppSettings("sunshine.directory", DEFAULTS).get


def admin_teacher_import_max_rows():
    return int(get("SUNSHINE_ADMIN_TEACHER_IMPORT_MAX_ROWS"))
