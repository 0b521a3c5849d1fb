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
    ],
    package_dir={"sunshine": "site"},
    include_package_data=True,
)
