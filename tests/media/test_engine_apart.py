"""The engine (`media_pipeline/engine/`) is files in, files out: it runs without Django, so it
can be read, tested and benchmarked apart from the app around it."""

import pkgutil
import subprocess
import sys
import textwrap

import media_pipeline.engine


def engine_modules():
    return sorted(m.name for m in pkgutil.iter_modules(media_pipeline.engine.__path__))


def test_every_engine_module_imports_without_django():
    modules = [f"media_pipeline.engine.{name}" for name in engine_modules()]
    assert "media_pipeline.engine.first_pass" in modules and len(modules) >= 12
    script = textwrap.dedent(f"""
        import sys
        for name in {modules!r}:
            __import__(name)
        print(sorted(
            m for m in sys.modules
            if m.split(".")[0] in ("django", "wagtail")
            or (m.startswith("media_pipeline.") and not m.startswith("media_pipeline.engine"))
        ))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},  # no DJANGO_SETTINGS_MODULE
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_engine_package_itself_imports_nothing():
    script = textwrap.dedent("""
        import sys, media_pipeline.engine
        print(sorted(m for m in sys.modules if m.startswith("media_pipeline.engine.") or m == "av"))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_newcomers_overview_names_every_engine_module():
    overview = media_pipeline.engine.__doc__
    for name in engine_modules():
        assert f"{name}.py" in overview or f"{name}." in overview, name
