"""The writer's side of the 心灵信箱: write a letter, keep the reply code, read the answer and
write back. No account (a signed-in teacher may write as a teacher), nothing stored about the
device; every page is never cached (they carry a CSRF token, and a code must not be in a URL).

The code travels only in POST bodies: never in a URL, where it would land in the browser's
history, a proxy's log or a screenshot of the address bar.
"""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sunshine.roles.names import TEACHER
from sunshine.roles.scope import has_role, user_district
from sunshine_mailbox import conf, crisis, letters
from sunshine_mailbox.forms import CodeForm, FollowUpForm, LetterForm, TeacherLetterForm
from sunshine_mailbox.models import (
    CounsellingContact,
    MailboxSettings,
    Status,
    Writer,
)
from sunshine_mailbox.ratelimit import Limit


def code_failures():
    return Limit("code", conf.get("MAILBOX_CODE_FAILURES"), conf.get("MAILBOX_CODE_WINDOW_SECONDS"))


def letters_sent():
    return Limit("letter", conf.get("MAILBOX_LETTERS_PER_HOUR"), 3600)


def _panel_context(request, school=None):
    settings_ = MailboxSettings.for_request_or_default(request)
    contact = CounsellingContact.objects.filter(school=school).first() if school else None
    return {
        "crisis_contacts": [block.value for block in settings_.crisis_contacts],
        "school_contact": contact,
        "reply_promise": settings_.reply_promise,
    }


def _is_teacher(request):
    return has_role(request.user, TEACHER)


@never_cache
@require_http_methods(["GET", "POST"])
def write(request):
    as_teacher = _is_teacher(request) and request.GET.get("as") != "student"
    form_class = TeacherLetterForm if as_teacher else LetterForm
    form = form_class(request.POST or None)
    context = {
        "form": form,
        "as_teacher": as_teacher,
        "crisis_data": crisis.browser_data(),
        **_panel_context(request),
    }
    if request.method == "POST":
        if letters_sent().exceeded(request):
            return render(request, "mailbox/too_many.html", {"what": "letters"}, status=429)
        if form.is_valid():
            letters_sent().hit(request)
            if as_teacher:
                # A teacher's letter keeps only the district: a small school would name them.
                school, district, writer = None, user_district(request.user), Writer.TEACHER
                grade_band = ""
            else:
                school, district = form.place()
                writer, grade_band = Writer.STUDENT, form.cleaned_data["grade_band"]
            conversation, code, matches = letters.write(
                form.cleaned_data["body"],
                writer=writer,
                grade_band=grade_band,
                school=school,
                district=district,
            )
            return render(
                request,
                "mailbox/sent.html",
                {
                    "code": code,
                    "conversation": conversation,
                    "crisis": bool(matches),
                    **_panel_context(request, school),
                },
            )
    return render(request, "mailbox/write.html", context, status=400 if form.errors else 200)


def _conversation_page(request, conversation, code, follow_up_form=None, sent=False, matches=()):
    messages = list(conversation.messages.all())
    return render(
        request,
        "mailbox/conversation.html",
        {
            "conversation": conversation,
            "messages": messages,
            "code": code,
            "form": follow_up_form or FollowUpForm(initial={"code": code}),
            "closed": conversation.status == Status.CLOSED,
            "sent": sent,
            "crisis": bool(matches),
            "crisis_data": crisis.browser_data(),
            **_panel_context(request, conversation.school),
        },
    )


def _open(request, code):
    """(conversation, None) or (None, error response). Failed codes count against the client;
    once over the limit even a right code is refused, so guessing cannot go on."""
    limit = code_failures()
    if limit.exceeded(request):
        return None, render(request, "mailbox/too_many.html", {"what": "codes"}, status=429)
    conversation = letters.open_by_code(code)
    if conversation is None:
        limit.hit(request)
        form = CodeForm({"code": code})
        form.is_valid()
        form.add_error("code", "没有找到这个回信码。请核对后再输入（字母不区分大小写）。")
        return None, render(request, "mailbox/read.html", {"form": form}, status=404)
    return conversation, None


@never_cache
@require_http_methods(["GET", "POST"])
def read(request):
    if request.method == "GET":
        return render(request, "mailbox/read.html", {"form": CodeForm()})
    form = CodeForm(request.POST)
    if not form.is_valid():
        return render(request, "mailbox/read.html", {"form": form}, status=400)
    conversation, error = _open(request, form.cleaned_data["code"])
    if error:
        return error
    return _conversation_page(request, conversation, form.cleaned_data["code"])


@never_cache
@require_http_methods(["POST"])
def follow_up(request):
    form = FollowUpForm(request.POST)
    code = request.POST.get("code", "")
    conversation, error = _open(request, code)
    if error:
        return error
    if not form.is_valid():
        response = _conversation_page(request, conversation, code, follow_up_form=form)
        response.status_code = 400
        return response
    try:
        conversation, matches = letters.follow_up(conversation, form.cleaned_data["body"])
    except letters.ConversationClosed as closed:
        form.add_error("body", closed.messages[0])
        response = _conversation_page(request, conversation, code, follow_up_form=form)
        response.status_code = 400
        return response
    return _conversation_page(request, conversation, code, sent=True, matches=matches)


def privacy(request):
    return render(
        request,
        "mailbox/privacy.html",
        {
            "retention_days": conf.get("MAILBOX_RETENTION_DAYS"),
            "reply_hours": conf.get("MAILBOX_REPLY_HOURS"),
            "urgent_hours": conf.get("MAILBOX_URGENT_REPLY_HOURS"),
            "failures": conf.get("MAILBOX_CODE_FAILURES"),
            "window_minutes": conf.get("MAILBOX_CODE_WINDOW_SECONDS") // 60,
        },
    )
