"""Search backends that find Chinese words: `database` (SQLite FTS5 / PostgreSQL) and
`elasticsearch`. Select one with WAGTAILSEARCH_BACKENDS (see sunshine.settings)."""
