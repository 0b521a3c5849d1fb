import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")

from sunshine.lean import with_lean_paths  # noqa: E402 — needs the settings module chosen

# The beat takes a short path ahead of the full middleware stack (sunshine.lean says when).
application = with_lean_paths(get_wsgi_application())

# Before the first visitor, in the background: what play starts and share links need while the
# database is down (sunshine.warmup).
from sunshine import warmup  # noqa: E402 (after Django is set up)

warmup.start()
