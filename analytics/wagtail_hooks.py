# Wagtail imports only this module of the app; the reports' admin menu, report URLs, poster
# buttons and API-token admin live in analytics/reports/wagtail_hooks.py.
try:
    from analytics.reports import wagtail_hooks as _reports  # noqa: F401
except ModuleNotFoundError as error:  # until the reports land
    if error.name != "analytics.reports.wagtail_hooks":
        raise
