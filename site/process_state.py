"""Everything the apps keep in a process's memory between requests, in one registry.

A web or worker process keeps a few things so that hot paths need no database round trip
(analytics' salts, verified tokens, the spool it appends to…). Each is registered here with
the function that empties it, and with the settings it was built from:

- `reset()` empties all of them: the tests call it before every test, because what an earlier
  test cached belongs to a database that has since been rolled back;
- a change of one of those settings (`override_settings`, pytest-django's `settings`) empties
  what was built from it, through `setting_changed` (connected in SunshineConfig.ready()).

Anything that the database or Django's cache can hold instead does not belong here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    reset: Callable[[], object]
    settings: frozenset[str]


_entries: dict[str, Entry] = {}


def register(name: str, reset: Callable[[], object], *, settings: Iterable[str] = ()):
    """Registers what a module keeps in memory (at its import, beside what it keeps) and how
    to empty it. Registering a name again replaces the entry (a module imported twice)."""
    _entries[name] = Entry(name, reset, frozenset(settings))


def entries() -> list[Entry]:
    return list(_entries.values())


def reset(setting: str | None = None):
    """Empties everything (setting=None), or what was built from that setting."""
    for entry in list(_entries.values()):
        if setting is None or setting in entry.settings:
            entry.reset()


def on_setting_changed(setting=None, **kwargs):
    """The `setting_changed` receiver: empties only what was built from the changed setting."""
    if setting:
        reset(setting)
