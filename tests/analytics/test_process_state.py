"""What analytics keeps in a process's memory is all in sunshine.process_state: one reset()
empties it, and changing a setting empties what was built from that setting."""

import pytest

from analytics import ingest, privacy, rollups, spool, stores, tokens
from sunshine import process_state
from tests.analytics.conftest import beat, flush, make_token

pytestmark = pytest.mark.django_db


def play_once(site):
    """A play start, a verified beat through the spool, and a rollup: every cache filled."""
    token = make_token(site.lessons[0])
    tokens.verify(token.value)
    ingest.get_committer().submit([beat(token, 1, 30)])
    flush()
    return token


def held():
    return {
        "salts": len(privacy._salt_cache),
        "verified tokens": tokens._verified.cache_info().currsize,
        "play cells": rollups.cells_for.cache_info().currsize,
        "stores": len(stores._instances),
        "spools": len(spool._instances),
        "committers": len(ingest._committers),
    }


def test_one_reset_empties_every_cache(site):
    play_once(site)
    assert all(held().values()), held()
    ingest._down_since[0] = 1.0
    ingest._flusher_state["unavailable"] = True
    process_state.reset()
    assert not any(held().values()), held()
    assert ingest._down_since[0] == 0.0 and ingest._flusher_state["unavailable"] is False


def test_every_cache_is_registered():
    names = {entry.name for entry in process_state.entries()}
    assert {
        "analytics.salts",
        "analytics.verified_tokens",
        "analytics.play_cells",
        "analytics.stores",
        "analytics.spools",
        "analytics.committers",
        "analytics.store_health",
        "analytics.settings",
    } <= names


def test_a_changed_setting_empties_only_what_was_built_from_it(site, settings):
    token = play_once(site)
    settings.ANALYTICS_DB_ALIAS = "default"
    assert held()["salts"] == 0
    assert held()["verified tokens"] and held()["spools"]
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert held()["verified tokens"] == 0
    with pytest.raises(tokens.TokenError):  # and the old token is not believed from a cache
        tokens.verify(token.value)
    old_spool = spool.default()
    settings.ANALYTICS_SPOOL_DIR = str(settings.ANALYTICS_SPOOL_DIR) + "-other"
    assert held()["spools"] == 0
    assert old_spool.segment is None  # its segment was closed
    assert spool.default() is not old_spool
