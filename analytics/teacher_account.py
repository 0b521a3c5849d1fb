""" "我的": a signed-in teacher's own page at /accounts/: who they are signed in as, the class
meetings they recorded, their recent kit downloads, and the way to change the password or log out.

It lives here, not with the login views in sunshine.roles, because it reads analytics' records
(class meetings, downloads) and nothing in `sunshine` may read analytics.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from analytics.models import ClassMeeting, TeacherDownload
from courses.models import KitIndexPage
from sunshine.roles.scope import teacher_school, user_district

MEETINGS_SHOWN = 20


@never_cache
@login_required
def my_account(request):
    user = request.user
    meetings = ClassMeeting.objects.filter(teacher=user).select_related("kit", "school")
    downloads = (
        TeacherDownload.objects.filter(teacher=user)
        .select_related("kit")
        .order_by("-downloaded_at", "-pk")
    )
    context = {
        "school": teacher_school(user),
        "district": user_district(user),
        "meetings": meetings.order_by("-held_on", "-pk")[:MEETINGS_SHOWN],
        "meeting_count": meetings.count(),
        "downloads": downloads,
        "is_staff_member": user.has_perm("wagtailadmin.access_admin"),
        "kit_index": KitIndexPage.objects.live().first(),
    }
    return render(request, "analytics/my_account.html", context)
