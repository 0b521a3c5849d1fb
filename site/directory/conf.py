"""Settings of the directory app, read from Django settings or the environment."""

import os

from django.conf import settings


def admin_teacher_import_max_rows():
    # Each new password costs one PBKDF2 hash (about 0.3 s on a small server), so a web request
    # takes at most this many teacher rows; bigger files go through `sunshine import_teachers`.
    return int(
        getattr(
            settings,
            "SUNSHINE_ADMIN_TEACHER_IMPORT_MAX_ROWS",
            os.environ.get("SUNSHINE_ADMIN_TEACHER_IMPORT_MAX_ROWS", "100"),
        )
    )
