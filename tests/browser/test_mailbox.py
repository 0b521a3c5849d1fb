"""心灵信箱 on a phone (390×844): a student writes a letter, saves the code and reads the reply
later; a crisis letter shows the help panel before anything else; a counsellor answers from the
admin. Screenshots go to var/screenshots/mailbox/ (looked at by a person, not compared)."""

import os
from pathlib import Path

import pytest

from sunshine.roles.factories import PASSWORD
from sunshine_mailbox import letters
from sunshine_mailbox.models import Conversation, Level
from tests.browser.conftest import PHONE
from tests.mailbox.test_crisis import FALSE_POSITIVES, TRUE_POSITIVES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots/mailbox"))


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ensure_groups():
    from sunshine.roles import ensure_roles
    from sunshine_mailbox.roles import grant_mailbox_permissions

    ensure_roles()
    grant_mailbox_permissions()


@pytest.fixture
def school():
    from sunshine.directory.factories import DistrictFactory, SchoolFactory

    ensure_groups()
    return SchoolFactory(
        district=DistrictFactory(code="210102"), name="和平实验小学", code="210102901"
    )


def test_a_student_writes_saves_the_code_and_reads_the_reply_later(
    live_server, chromium, school, axe
):
    from sunshine_mailbox.factories import counsellor

    school_counsellor = counsellor(school=school)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    phone = context.new_page()
    # The device came through the school's share link earlier (what analytics' landing writes).
    phone.goto(f"{live_server.url}/mailbox/privacy/")
    phone.evaluate(
        "code => localStorage.setItem('sunshine:attribution',"
        " JSON.stringify({district: '210102', school: code, via: 'link'}))",
        school.code,
    )
    phone.locator(".help-strip").get_by_role("link", name="写信给心灵信箱").click()
    phone.wait_for_url("**/mailbox/")
    assert phone.locator("h1").inner_text() == "心灵信箱"
    assert phone.locator("#mailbox-place").inner_text() == "这封信会交给你们学校的心理老师。"
    assert axe(phone) == []
    phone.get_by_label("想说的话").fill("最近数学总考不好，回家不敢和妈妈说，心里很闷。")
    phone.get_by_label("你在读（可不选）").select_option("primary_high")
    assert phone.locator("#mailbox-crisis").is_hidden()
    shot(phone, "1-write")
    phone.get_by_role("button", name="发送").click()

    phone.wait_for_selector("#reply-code")
    assert "请保存" in phone.locator(".reply-code").inner_text()
    code = phone.locator("#reply-code").inner_text().strip()
    phone.get_by_role("button", name="复制回信码").click()
    assert phone.evaluate("navigator.clipboard.readText()") == code
    assert "已复制" in phone.locator("#copy-status").inner_text()
    assert axe(phone) == []
    shot(phone, "2-code")
    context.close()

    conversation = Conversation.objects.get()
    assert (conversation.level, conversation.route_school) == (Level.SCHOOL, school)
    letters.record_read(school_counsellor, conversation)
    letters.reply(school_counsellor, conversation, "谢谢你告诉我。考试没考好时心里闷是很正常的。")

    # Later, on a fresh browser: only the code.
    later = chromium.new_context(viewport=PHONE, locale="zh-CN")
    phone = later.new_page()
    phone.goto(f"{live_server.url}/mailbox/read/")
    phone.get_by_label("回信码").fill(code.lower())
    phone.get_by_role("button", name="查看", exact=True).click()
    phone.wait_for_selector(".thread-counsellor")
    assert "考试没考好时心里闷是很正常的" in phone.locator(".thread-counsellor").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe(phone) == []
    shot(phone, "3-reply")
    phone.get_by_label("继续写").fill("谢谢老师，我想试试和妈妈说。")
    phone.get_by_role("button", name="发送").click()
    phone.wait_for_selector("text=已送出")
    assert conversation.messages.count() == 3
    later.close()


def test_a_crisis_letter_shows_the_panel_before_anything_else(live_server, phone, school):
    phone.goto(f"{live_server.url}/mailbox/")
    # The browser's check is the server's: same list, same normalising.
    found = phone.evaluate(
        "texts => texts.map(t => window.SunshineCrisis.find(t).map(m => m.category))",
        [text for text, _ in TRUE_POSITIVES] + FALSE_POSITIVES,
    )
    for (text, category), categories in zip(TRUE_POSITIVES, found, strict=False):
        assert category in categories, text
    assert found[len(TRUE_POSITIVES) :] == [[] for _ in FALSE_POSITIVES]

    box = phone.get_by_label("想说的话")
    box.press_sequentially("我 真 的 不 想 活 了")
    panel = phone.locator("#mailbox-crisis")
    panel.wait_for(state="visible")
    assert panel.get_attribute("role") == "alert"
    for text in ("12356", "12355", "110", "120", "告诉身边信任的大人"):
        assert text in panel.inner_text()
    # Above the text box, in view, before the send button.
    assert panel.bounding_box()["y"] < box.bounding_box()["y"]
    assert panel.bounding_box()["y"] < PHONE["height"]
    shot(phone, "4-crisis-typing")
    phone.get_by_role("button", name="发送").click()

    phone.wait_for_selector("#reply-code")
    first = phone.locator("main article > *").first
    assert first.get_attribute("id") == "mailbox-crisis" and first.is_visible()
    assert phone.locator("#mailbox-crisis a[href='tel:12356']").is_visible()
    shot(phone, "5-crisis-sent")
    conversation = Conversation.objects.get()
    assert conversation.urgent


def test_a_counsellor_answers_from_the_admin(live_server, phone, school):
    from sunshine_mailbox.factories import counsellor, letter

    me = counsellor(school=school, username="zhoujing", first_name="周静")
    conversation, code = letter("我总觉得同学在背后说我坏话，不想去学校。", school=school)
    letter("我想自杀", school=school)

    phone.goto(f"{live_server.url}/admin/login/")
    phone.fill("#id_username", "zhoujing")
    phone.fill("#id_password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_selector("[data-mailbox-badge]")
    assert "1 封紧急来信待处理" in phone.locator("[data-mailbox-badge]").inner_text()
    shot(phone, "6-dashboard")
    phone.locator("[data-mailbox-badge]").get_by_role("link").first.click()
    phone.wait_for_selector("table.listing")
    rows = phone.locator("tr[data-letter]")
    assert rows.first.get_attribute("data-urgent") is not None  # 紧急 first
    assert "不想去学校" not in phone.locator("table.listing").inner_text()  # no text in the queue
    shot(phone, "7-queue")
    phone.locator(f"tr[data-letter='{conversation.pk}'] a").click()
    phone.wait_for_selector("[data-message-body]")
    assert "不想去学校" in phone.locator("[data-message-body]").first.inner_text()
    phone.locator("#id_body").fill("谢谢你写信。被人议论的感觉很难受，你愿意说说发生了什么吗？")
    shot(phone, "8-reply")
    phone.get_by_role("button", name="发送答复").click()
    phone.wait_for_selector("text=答复已发送")
    conversation.refresh_from_db()
    assert conversation.status == "answered"
    assert conversation.reads.filter(reader=me).exists()

    phone.goto(f"{live_server.url}/mailbox/read/")
    phone.get_by_label("回信码").fill(code)
    phone.get_by_role("button", name="查看", exact=True).click()
    phone.wait_for_selector(".thread-counsellor")
    assert "你愿意说说发生了什么吗" in phone.locator(".thread-counsellor").inner_text()
