"""Wagtail's database search backend, made to find Chinese words.

Every indexed model is covered without changing it: the index stores each object's title, body
and autocomplete text as segmented tokens (sunshine.search.tokens), and queries are split the
same way, for the public search and the admin's searches alike. Title hits rank first: on SQLite
through a fixed bonus (.sqlite), on PostgreSQL through the title's weight (.postgres). Both also
avoid query plans that grow badly with the larger, segmented index; see their comments.

Supported: SQLite with FTS5 and PostgreSQL. Elsewhere (no FTS5, MySQL) Wagtail's own backend is
used unchanged; its fallback matches substrings with LIKE, which finds Chinese words anyway.
"""

from django.db import connection
from modelsearch.backends import database as upstream


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    """The backend for the 'default' database, chosen as modelsearch.backends.database does.

    The per-database modules are imported here, not above: each needs its database's models.
    """
    if connection.vendor == "postgresql":
        from sunshine.search.backends.postgres import ChinesePostgresSearchBackend

        return ChinesePostgresSearchBackend(params)
    backend = upstream.SearchBackend(params)
    if connection.vendor == "sqlite" and upstream.USE_SQLITE_FTS:
        from sunshine.search.backends.sqlite import ChineseSQLiteSearchBackend

        return ChineseSQLiteSearchBackend(params)
    return backend
