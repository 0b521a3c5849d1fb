"""Package layout that pyproject.toml alone cannot express.

The project folder is `site/`, but a top-level `site` package would shadow the standard
library's `site` module, so it is installed (and imported) as `sunshine`.
"""

from setuptools import find_packages, setup

APPS = ["courses", "media_pipeline", "analytics"]

setup(
    packages=[
        "sunshine",
        *(f"sunshine.{name}" for name in find_packages("site")),
        *find_packages(include=[f"{app}*" for app in APPS]),
        # `mailbox` is a standard-library module too: the folder mailbox/ is imported as
        # sunshine_mailbox (its Django app label stays "mailbox").
        "sunshine_mailbox",
        *(f"sunshine_mailbox.{name}" for name in find_packages("mailbox")),
    ],
    package_dir={"sunshine": "site", "sunshine_mailbox": "mailbox"},
    # Data the bureau gave us and static files ship inside the packages that read them.
    package_data={
        "sunshine.directory": ["data/*.csv"],
        "": ["static/**/*", "templates/**/*"],
    },
)
