"""The page types /search/ looks through, registered by the apps that define them.

The site package names no app's models (dependencies point site <- courses): courses registers
its lessons, lectures, kits and live events from its AppConfig.ready(), in the order the type
filter lists them.
"""

_labels: dict[str, str] = {}


def register(key: str, label: str):
    """Makes pages of the model `label` ("app_label.Model") searchable as ?type=`key`.
    Registering a key again replaces it."""
    _labels[key] = label


def labels() -> dict[str, str]:
    """{key: "app_label.Model"}, in the order they were registered."""
    return dict(_labels)
