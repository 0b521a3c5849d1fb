"""The mailbox's demo: counsellors at each level, letters in different states, safe to rerun."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper

from sunshine import demo as site_demo
from sunshine import scheduler
from sunshine_mailbox import demo, routing
from sunshine_mailbox.models import Conversation, DutyCounsellor, Level, Status, Writer

pytestmark = pytest.mark.django_db


def run():
    buffer = io.StringIO()
    out = OutputWrapper(buffer)  # what seed_demo hands the seeders: one line per write
    site_demo.seed(out)
    demo.seed(out)
    return buffer.getvalue()


def test_the_demo_has_counsellors_and_letters_in_different_states(client):
    printed = run()
    User = get_user_model()
    for username, *_ in demo.ACCOUNTS:
        assert User.objects.get(username=username).check_password(site_demo.DEMO_PASSWORD)
        assert username in printed
    letters = Conversation.objects.all()
    states = {c.status for c in letters}
    assert {Status.NEW, Status.ANSWERED, Status.CLOSED} <= states
    # One waits with an unread follow-up after a reply: read again before anything else.
    assert any(c.status == Status.NEW and c.first_reply_at for c in letters)
    assert letters.filter(urgent=True).exists()
    assert letters.filter(writer=Writer.TEACHER).exists()
    assert letters.filter(escalations__gt=0, level=Level.CITY).exists()
    assert DutyCounsellor.objects.filter(district__name=site_demo.DEMO_DISTRICT).exists()
    # Each demo counsellor has something in their queue.
    for username in ("xinli", "jiaoshi_xinli", "xinli_shi"):
        assert routing.letters_for(User.objects.get(username=username)).exists(), username
    # The printed demo codes open their letters.
    codes = dict(re.findall(r"^\s+(\S+)\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})$", printed, re.M))
    code = codes["已答复"]
    assert "心理老师" in client.post("/mailbox/read/", {"code": code}).content.decode()

    count = letters.count()
    run()
    assert Conversation.objects.count() == count


def test_the_scheduler_has_the_mailbox_jobs():
    names = {job.name for job in scheduler.registered_jobs()}
    assert {"mailbox_escalate_overdue", "mailbox_delete_expired"} <= names
