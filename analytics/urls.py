from django.urls import path

from analytics import attribution, class_meetings, privacy_notice, teacher_account
from analytics.api import api, beacon

urlpatterns = [
    # --- analytics core: the beacon API and its OpenAPI schema (/api/v1/openapi.json) ---
    # The beat, the hottest request, is a plain view resolved before ninja (still in the schema).
    path("api/v1/plays/beat", beacon.beat, name="analytics_beat"),
    path("api/v1/", api.urls),
    path("privacy/statistics/", privacy_notice.notice, name="analytics_privacy_notice"),
    # --- analytics reports: share links (/r/…), posters, picker data — below this line ---
    path("r/s/<str:code>/", attribution.school_link, name="analytics_share_school"),
    path("r/d/<str:code>/", attribution.district_link, name="analytics_share_district"),
    path("r/places.json", attribution.places, name="analytics_places"),
    # 我的: /accounts/ itself (the login views are under it, in sunshine.roles.urls)
    path("accounts/", teacher_account.my_account, name="my_account"),
    path(
        "class-meetings/<int:kit_id>/",
        class_meetings.record_class_meeting,
        name="analytics_class_meeting",
    ),
]
