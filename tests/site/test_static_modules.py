"""The front-end ES modules survive production's fingerprinted static files: each module
imports the fingerprinted name of the next, so a page cached before a deploy never mixes a
new module with an old one."""

import re

from django.contrib.staticfiles import finders

from sunshine.staticfiles import ModuleAwareManifestStorage

OUR_MODULES = ("analytics/", "mailbox/", "media_pipeline/", "sunshine/")
IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)


def our_static_files():
    for finder in finders.get_finders():
        for path, storage in finder.list(["vendor/*", "wagtail*", "admin/*"]):
            if path.startswith(OUR_MODULES):
                yield path, storage


def test_modules_import_fingerprinted_modules(tmp_path):
    target = ModuleAwareManifestStorage(location=tmp_path, base_url="/static/")
    found = {}
    for path, source in our_static_files():
        with source.open(path) as content:
            target.save(path, content)
        found[path] = (target, path)
    assert "analytics/beacon.js" in found and "media_pipeline/player.js" in found
    processed = {}
    for name, hashed, _ in target.post_process(found):
        assert not isinstance(_, Exception), _
        if not hashed.endswith((".gz", ".br")):  # WhiteNoise also yields the compressed copies
            processed[name] = hashed

    beacon = (tmp_path / processed["analytics/beacon.js"]).read_text()
    player = (tmp_path / processed["media_pipeline/player.js"]).read_text()
    imported = IMPORT.findall(beacon) + IMPORT.findall(player)
    assert len(imported) == 4
    for url in imported:
        assert re.fullmatch(r"\./\w+\.[0-9a-f]{12}\.js", url), url
    assert f"./{processed['analytics/beat_queue.js'].split('/')[-1]}" in IMPORT.findall(beacon)
    for name in ("player_source.js", "player_state.js", "storyboard.js"):
        hashed = processed[f"media_pipeline/{name}"].split("/")[-1]
        assert f"./{hashed}" in IMPORT.findall(player)
    crisis = (tmp_path / processed["mailbox/crisis.js"]).read_text()
    hashed = processed["mailbox/crisis_check.js"].split("/")[-1]
    assert IMPORT.findall(crisis) == [f"./{hashed}"]
