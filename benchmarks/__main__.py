"""`python -m benchmarks [name…]`: runs the `main()` of every `benchmarks/bench_*.py` module, or of
the ones named (`pages` or `bench_pages`). Options of one benchmark: run it on its own, e.g.
`python -m benchmarks.bench_pages --rounds 6`.
"""

import importlib
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def available():
    folder = Path(__file__).resolve().parent
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(folder)])
        if info.name.startswith("bench_")
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    names = [name.removeprefix("bench_") for name in argv] or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    import django

    django.setup()
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(f"benchmarks.bench_{name}").main([])
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"--- {name}: {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
