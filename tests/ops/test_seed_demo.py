"""`sunshine seed_demo`: the whole demo in one command, safe to run again."""

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from docx import Document as WordDocument
from pptx import Presentation
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, PageLogEntry, Revision, Site, WorkflowState

from courses.models import (
    Campaign,
    ClassMeetingKitPage,
    CourseSeriesPage,
    Expert,
    KitMaterial,
    LessonPage,
    LiveEventPage,
)
from courses.workflow import WORKFLOW_NAME
from sunshine.demo import ACCOUNTS, DEMO_PASSWORD
from sunshine.directory.models import District, School
from sunshine.home.models import HomePage
from sunshine.management.commands.seed_demo import demo_seeders
from sunshine.models import SiteSettings
from sunshine.roles.names import DISTRICT_STAFF, TEACHER

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "page log entries": PageLogEntry.objects.count(),
        "documents": get_document_model().objects.count(),
        "collections": Collection.objects.count(),
        "users": get_user_model().objects.count(),
        "schools": School.objects.count(),
        "experts": Expert.objects.count(),
        "campaigns": Campaign.objects.count(),
        "workflow states": WorkflowState.objects.count(),
    }


def test_running_seed_demo_twice_changes_nothing(seed_demo):
    printed = seed_demo()
    first = snapshot()
    seed_demo()
    assert snapshot() == first
    assert all(username in printed for username, *_ in ACCOUNTS)
    assert DEMO_PASSWORD in printed
    assert first["pages"] > 30 and first["documents"] >= 10


def test_seeders_come_from_each_apps_demo_module_in_installed_apps_order(settings):
    names = [app_config.name for app_config, _ in demo_seeders()]
    assert names[:2] == ["sunshine", "courses"]
    assert names == [name for name in settings.INSTALLED_APPS if name in names]


def test_the_demo_has_every_district_schools_and_a_login_for_each_role(seed_site_and_courses):
    seed_site_and_courses()
    assert District.objects.count() == 13
    assert all(district.schools.count() >= 3 for district in District.objects.all())
    User = get_user_model()
    for username, *_ in ACCOUNTS:
        assert Client().login(username=username, password=DEMO_PASSWORD), username
    assert User.objects.get(username="admin").is_superuser
    officer = User.objects.get(username="heping")
    assert officer.groups.filter(name=DISTRICT_STAFF).exists()
    assert officer.profile.district.name == "和平区"
    teacher = User.objects.get(username="teacher")
    assert teacher.groups.filter(name=TEACHER).exists()
    assert teacher.profile.school.district.name == "和平区"


def test_the_demo_site_its_content_and_its_workflow(seed_site_and_courses):
    seed_site_and_courses()
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()

    settings = SiteSettings.for_site(site)
    numbers = [hotline.value["number"] for hotline in settings.hotlines]
    assert numbers == ["12356", "12355"]  # the national lines only: no placeholder number
    assert settings.icp_number and settings.police_filing_number
    assert settings.privacy_page.live

    tracks = set(CourseSeriesPage.objects.live().values_list("track", flat=True))
    assert tracks == {"life", "science", "self", "mental_health"}
    assert all(
        series.get_children().live().count() >= 3 for series in CourseSeriesPage.objects.live()
    )
    assert LessonPage.objects.get(title="如何应对考试焦虑情绪").live

    # The next holiday's series waits for its first morning; an editor's draft waits for 自审.
    scheduled = CourseSeriesPage.objects.get(campaign__name="2027寒假")
    assert not scheduled.live
    assert scheduled.get_latest_revision().approved_go_live_at is not None
    state = WorkflowState.objects.get()
    assert state.workflow.name == WORKFLOW_NAME
    assert state.current_task_state.task.name == "自审"

    statuses = {event.status for event in LiveEventPage.objects.all()}
    assert {"ended", "upcoming"} <= statuses


def test_kit_materials_are_real_files_in_the_kit_collection(seed_site_and_courses):
    seed_site_and_courses()
    kinds = set()
    for material in KitMaterial.objects.select_related("document__collection"):
        document = material.document
        assert document.collection.name == "班会资源包"
        assert document.file_size and document.file_hash
        with document.open_file() as handle:
            data = handle.read()
        extension = document.file_extension
        kinds.add(extension)
        if extension == "pdf":
            assert data.startswith(b"%PDF")
        elif extension == "docx":
            text = "".join(p.text for p in WordDocument(io.BytesIO(data)).paragraphs)
            assert material.page.specific.title.split("：")[0][:2] in text or "活动" in text
        elif extension == "pptx":
            slides = Presentation(io.BytesIO(data)).slides
            assert len(slides) >= 4
        else:
            pytest.fail(f"unexpected material {document.filename}")
        assert zipfile.is_zipfile(io.BytesIO(data)) == (extension != "pdf")
    assert kinds == {"pdf", "docx", "pptx"}
    assert ClassMeetingKitPage.objects.live().count() == 3
    # Every demo kit has its full set: 教案, 课件, 学习任务单 and 致家长的一封信.
    full_set = {"lesson_plan", "slides", "worksheet", "parent_letter"}
    for kit in ClassMeetingKitPage.objects.live():
        assert {m.kind for m in kit.materials.all()} == full_set, kit.title
    # Their previews are queued when the kits are published, ahead of the first teacher.
    from media_pipeline.models import DocumentPreview

    previewed = set(DocumentPreview.objects.values_list("document_id", flat=True))
    assert previewed == set(KitMaterial.objects.values_list("document_id", flat=True))


def test_seed_demo_refuses_to_put_public_passwords_into_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()


def test_the_demo_past_live_event_plays_its_replay_and_says_nothing_else(seed_demo, client):
    from django.utils import timezone

    seed_demo()
    [past] = LiveEventPage.objects.live().filter(ends_at__lt=timezone.now())
    assert past.has_replay and past.video.caption_tracks()
    html = client.get(past.url).content.decode()
    assert "直播回放" in html and "data-hls=" in html and "可看回放" in html
    assert "稍后发布" not in html and "回放整理" not in html
    assert "回放已上线" not in past.summary  # the summary makes no promise of its own
    [upcoming] = LiveEventPage.objects.live().filter(starts_at__gt=timezone.now())
    assert upcoming.video_id is None
    assert "稍后发布" not in client.get(upcoming.url).content.decode()
    # Every published lesson has a video to watch (the one in review is its editor's).
    assert not LessonPage.objects.live().filter(video__isnull=True).exists()
