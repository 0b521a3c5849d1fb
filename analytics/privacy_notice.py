"""The privacy notice of the statistics, in Chinese, with the windows actually configured."""

from django.shortcuts import render
from django.utils.cache import patch_cache_control

from analytics import conf


def notice(request):
    context = {
        "late_hours": conf.get("ANALYTICS_LATE_BEAT_HOURS"),
        "raw_days": conf.get("ANALYTICS_RAW_RETENTION_DAYS"),
        "grace_days": conf.get("ANALYTICS_CAMPAIGN_GRACE_DAYS"),
    }
    response = render(request, "analytics/privacy_notice.html", context)
    patch_cache_control(response, public=True, max_age=3600)
    return response
