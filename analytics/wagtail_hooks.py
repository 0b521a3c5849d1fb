# Wagtail imports only this module of the app; the reports' admin menu, report URLs, poster
# buttons, live-participation imports and API tokens live in analytics/reports/wagtail_hooks.py.
from analytics.reports import wagtail_hooks as _reports  # noqa: F401
