"""A student writes to the 心灵信箱 on a phone, under the site's CSP: the page's modules run
(the school from the share link, the crisis panel while typing, copying the reply code), and
the letter goes to that school's queue."""

import pytest

from sunshine.directory.factories import SchoolFactory
from sunshine.directory.models import District
from sunshine_mailbox.models import Conversation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
HEPING = "210102"


def test_a_student_writes_a_letter_and_keeps_the_reply_code(live_server, phone):
    from courses.factories import sample_site

    sample_site(lessons=1)
    heping = District.objects.filter(code=HEPING).first()
    school = SchoolFactory(district=heping, name="和平甲校") if heping else SchoolFactory()
    phone.goto(live_server.url + "/")
    phone.evaluate(
        f"""() => localStorage.setItem('sunshine:attribution', JSON.stringify(
              {{district: '{school.district.code}', school: '{school.code}', via: 'link'}}))"""
    )
    phone.goto(live_server.url + "/mailbox/")
    place = phone.locator("#mailbox-place")
    place.wait_for()  # letter.js read the share link's school
    assert "学校的心理老师" in place.inner_text()
    assert phone.locator("#mailbox-crisis").is_hidden()

    phone.fill("#id_body", "最近很难受，我 想 自 殺")
    phone.locator("#mailbox-crisis").wait_for()  # crisis.js, with crisis_check.js, while typing
    phone.get_by_role("button", name="发送").click()
    phone.get_by_role("heading", name="信已送出").wait_for()

    phone.get_by_role("button", name="复制回信码").click()
    phone.wait_for_function("() => document.getElementById('copy-status').textContent !== ''")
    conversation = Conversation.objects.get()
    assert conversation.urgent
    assert conversation.school_id == school.pk
