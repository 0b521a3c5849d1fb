""" "班会已开展": a signed-in teacher records a class meeting held with a kit.

The kit page includes `analytics/class_meeting_link.html` (the same link for everyone, so cached
pages stay correct); the form page itself is per teacher and never cached.
"""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.cache import never_cache

from analytics.models import ClassMeeting
from courses.models import ClassMeetingKitPage
from sunshine.roles.scope import teacher_school


class ClassMeetingForm(forms.ModelForm):
    class Meta:
        model = ClassMeeting
        fields = ["held_on", "class_name", "students"]
        widgets = {
            # ISO dates, whatever the locale's input format: <input type="date"> takes no other.
            "held_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "students": forms.NumberInput(attrs={"min": 1, "max": 200, "inputmode": "numeric"}),
        }
        error_messages = {
            "students": {
                "min_value": "参加学生数至少为 1",
                "max_value": "参加学生数不能超过 200",
                "invalid": "请填写整数",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's own date picker, in Chinese and limited to the dates clean_held_on
        # accepts; the server checks again.
        today = timezone.localdate()
        self.fields["held_on"].widget.attrs.update(
            lang="zh-CN",
            min=(today - datetime.timedelta(days=366)).isoformat(),
            max=today.isoformat(),
        )
        self.fields["held_on"].error_messages.update(
            required="请选择开展日期", invalid="请填写有效的日期，例如 2026-03-05"
        )
        # The picker shows dates in the phone's own format; this says the chosen day in Chinese
        # (class_meeting.js keeps it in step with the picker).
        self.fields["held_on"].help_text = format_html(
            '已选：<output for="id_held_on" class="date-readout" data-date-readout>{}</output>',
            _chinese_date(self._held_on_value()),
        )
        self.fields["class_name"].error_messages.update(required="请填写班级")
        self.fields["students"].error_messages.update(required="请填写参加学生数")

    def _held_on_value(self):
        if self.is_bound:
            try:
                return datetime.date.fromisoformat(self.data.get("held_on", ""))
            except ValueError:
                return None
        return self.initial.get("held_on")

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        today = timezone.localdate()
        if held_on > today:
            raise forms.ValidationError("开展日期不能晚于今天")
        if held_on < today - datetime.timedelta(days=366):
            raise forms.ValidationError("只能登记一年内开展的班会")
        return held_on

    def clean_class_name(self):
        return " ".join(self.cleaned_data["class_name"].split())


WEEKDAYS = "一二三四五六日"


def _chinese_date(day):
    if not day:
        return "未选择"
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]}"


@never_cache
@login_required
def record_class_meeting(request, kit_id):
    kit = get_object_or_404(ClassMeetingKitPage.objects.live(), pk=kit_id)
    school = teacher_school(request.user)
    recorded = None
    if school is None:
        form = None
    elif request.method == "POST":
        form = ClassMeetingForm(request.POST)
        if form.is_valid():
            meeting = form.save(commit=False)
            meeting.kit = kit
            meeting.teacher = request.user
            meeting.school = school
            meeting.district_id = school.district_id
            try:
                with transaction.atomic():
                    meeting.save()
            except IntegrityError:
                form.add_error(None, "这个班级当天已经登记过使用本资源包的班会，无需重复登记。")
            else:
                return redirect(f"{request.path}?recorded={meeting.pk}")
    else:
        form = ClassMeetingForm(initial={"held_on": timezone.localdate()})
    if request.GET.get("recorded"):
        recorded = ClassMeeting.objects.filter(
            pk=request.GET["recorded"] if request.GET["recorded"].isdigit() else 0,
            teacher=request.user,
        ).first()
    mine = ClassMeeting.objects.filter(kit=kit, teacher=request.user).order_by("-held_on")[:10]
    return render(
        request,
        "analytics/class_meeting_form.html",
        {"kit": kit, "school": school, "form": form, "recorded": recorded, "mine": mine},
        status=200 if school is not None else 403,
    )
