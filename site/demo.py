"""Demo data for the site itself: districts and schools, an account for each role, the home page,
the privacy notice and the site settings. `sunshine seed_demo` runs this first.

Every step creates only what is missing, so running it again changes nothing. The helpers
`ensure_page` and `ensure_document` are shared with the other apps' demo modules.
"""

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, Site

from sunshine.directory.districts import load_districts
from sunshine.directory.models import District, School, UserProfile
from sunshine.home.models import HomePage, InfoPage
from sunshine.hotlines import placeholder_reason
from sunshine.models import SiteSettings
from sunshine.roles import ensure_roles
from sunshine.roles.names import CITY_STAFF, DISTRICT_STAFF, EDITOR, REVIEWER, TEACHER

DEMO_PASSWORD = "sunshine2026"

# A few schools in every district: (code suffix, name suffix, stage, students in a city
# district; the counties' schools have fewer, see _enrollment).
SCHOOLS = [
    ("01", "实验小学", School.Stage.PRIMARY, 2400),
    ("02", "第一初级中学", School.Stage.JUNIOR, 1600),
    ("03", "第二高级中学", School.Stage.SENIOR, 2000),
]
DEMO_DISTRICT = "和平区"

# username, what the account is for, group, name; the district officer and the teacher get a
# profile in 和平区 below.
ACCOUNTS = [
    ("admin", "超级管理员（全部权限）", None, "系统管理员"),
    ("city", "市级管理员：全市报表，终审", CITY_STAFF, "赵敏"),
    ("heping", f"区县管理员：{DEMO_DISTRICT}的报表", DISTRICT_STAFF, "孙浩"),
    ("teacher", f"教师：{DEMO_DISTRICT}实验小学，下载班会资源包", TEACHER, "王丽"),
    ("editor", "编辑：制作课程，提交审核（自审）", EDITOR, "刘洋"),
    # Two reviewers: one person approves only one step of a review (courses.models.review).
    ("reviewer", "审核员：初审或复审", REVIEWER, "陈晨"),
    ("reviewer2", "审核员：初审或复审（与另一位审核员各审一步）", REVIEWER, "李静"),
]

# Only the national lines: the bureau adds the city's own line in 设置 → 网站设置 before going
# live (a made-up number must never be tapped by a child in trouble).
HOTLINES = [
    {"name": "全国心理援助热线", "number": "12356", "hours": "24小时"},
    {"name": "青少年服务台", "number": "12355", "hours": "工作日 8:30–17:00"},
]


def ensure_page(parent, page, *, user=None, publish=True):
    """Adds `page` under `parent` unless a page with its slug is already there; returns
    (the page, whether it was created). A new page gets one revision, published (or, with a
    `go_live_at` in the future, scheduled) unless `publish` is false."""
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing is not None:
        return existing.specific, False
    page.live = False
    parent.add_child(instance=page)
    revision = page.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
    return page, True


def ensure_collection(name):
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=name).first()
    return existing or root.add_child(name=name)


def ensure_document(title, filename, make_bytes, collection):
    """A document with this title in the collection; its file is generated only when new."""
    Document = get_document_model()
    existing = Document.objects.filter(title=title, collection=collection).first()
    if existing is not None:
        return existing
    document = Document(title=title, collection=collection)
    document.file = ContentFile(make_bytes(), name=filename)
    document._set_document_file_metadata()
    document.save()
    return document


def seed(stdout):
    with transaction.atomic():
        ensure_roles()
        schools = _seed_directory()
        _seed_accounts(schools)
        home = _seed_home_page()
        privacy = _seed_privacy_notice(home)
        _seed_settings(home, privacy)
    stdout.write(f"  {District.objects.count()} 个区县，{School.objects.count()} 所学校")


def _seed_directory():
    load_districts()
    schools = {}
    for district in District.objects.all():
        for suffix, name, stage, students in SCHOOLS:
            enrollment = _enrollment(district, students)
            school, _ = School.objects.get_or_create(
                code=f"{district.code}{suffix}",
                defaults={
                    "name": f"{district.name}{name}",
                    "district": district,
                    "stage": stage,
                    "enrollment": enrollment,
                },
            )
            if school.enrollment is None:  # a demo from before schools had the figure
                school.enrollment = enrollment
                school.save(update_fields=["enrollment"])
            schools.setdefault(district.name, school)
    return schools


def _enrollment(district, students):
    """Counties and the county-level city have smaller schools than the city's districts; each
    district a little different, so the demo's figures do not all look alike."""
    if district.kind != District.Kind.DISTRICT:
        students = students * 3 // 5
    return students + (int(district.code) % 7) * 40


def _seed_accounts(schools):
    User = get_user_model()
    heping = District.objects.get(name=DEMO_DISTRICT)
    for username, _, group_name, full_name in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": full_name,
                "is_staff": group_name is None,
                "is_superuser": group_name is None,
            },
        )
        if not created:
            continue
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if group_name:
            user.groups.add(_group(group_name))
        if group_name == DISTRICT_STAFF:
            UserProfile.objects.create(user=user, district=heping)
        elif group_name == TEACHER:
            UserProfile.objects.create(user=user, school=schools[DEMO_DISTRICT])


def _group(name):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name)


def _seed_home_page():
    """The HomePage becomes the root of the default site, in place of Wagtail's welcome page."""
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        welcome = root.get_children().filter(slug="home").exclude(content_type__model="homepage")
        # The site points at the tree's root for a moment, so deleting the welcome page does
        # not take the site with it.
        Site.objects.filter(root_page__in=welcome).update(root_page=root)
        for page in welcome:
            page.delete()
        home, _ = ensure_page(
            root,
            HomePage(
                title="阳光课堂",
                slug="home",
                intro=(
                    "市教育局面向全市中小学生、教师和家长的心理健康与生命教育平台："
                    "假期课程、专家讲座、主题班会资源包和“阳光成长”直播，都在这里。"
                ),
                seo_title="阳光课堂 · 心理健康与生命教育",
                search_description="生命教育、科学教育、自我教育假期课程，专家讲座，主题班会资源包。",
            ),
        )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="阳光课堂",
        )
    elif site.root_page_id != home.pk or site.site_name != "阳光课堂":
        site.root_page = home
        site.site_name = "阳光课堂"
        site.save()
    return home


def _seed_privacy_notice(home):
    # A first draft for the bureau to edit; what exactly the statistics keep, and for how long,
    # is the analytics app's own notice at /privacy/statistics/, linked from here.
    page, _ = ensure_page(
        home,
        InfoPage(
            title="隐私政策",
            slug="privacy",
            summary="阳光课堂不要求学生注册，也不记录学生的姓名、IP 地址或设备信息。",
            body=[
                {"type": "heading", "value": "我们不收集什么"},
                {
                    "type": "paragraph",
                    "value": (
                        "<p>学生观看课程不需要注册或登录。我们不保存观看者的姓名、手机号、"
                        "IP 地址、浏览器或设备信息，也不根据 IP 地址推断所在地区。</p>"
                    ),
                },
                {"type": "heading", "value": "为统计覆盖面保存什么"},
                {
                    "type": "paragraph",
                    "value": (
                        "<p>为了统计各区县有多少人次、多少人观看了课程，我们在您的设备上保存"
                        "一个随机编号，服务器只保存由它换算出的、无法还原的化名，换算所用的"
                        "密钥到期即删除。所在区县和学校来自您打开的学校分享链接或二维码，"
                        "或您自己的选择；都没有时记为“未知”。</p>"
                        '<p>具体保存哪些信息、保存多久，请看<a href="/privacy/statistics/">'
                        "观看统计与隐私说明</a>。</p>"
                    ),
                },
                {"type": "heading", "value": "教师账号"},
                {
                    "type": "paragraph",
                    "value": (
                        "<p>教师账号由教育局统一发放，保存姓名、所在学校和登录所需信息，"
                        "用于下载班会资源包和记录已开展的班会。</p>"
                    ),
                },
                {
                    "type": "callout",
                    "value": {
                        "title": "需要帮助？",
                        "text": (
                            "<p>如果你正感到难过、害怕或有伤害自己的想法，请马上告诉身边信任"
                            "的大人，或拨打全国心理援助热线 12356、青少年服务台 12355。</p>"
                        ),
                    },
                },
            ],
        ),
    )
    return page


def _seed_settings(home, privacy):
    site = Site.objects.get(root_page=home)
    site_settings = SiteSettings.for_site(site)
    if site_settings.icp_number:
        # Already filled in, by this or by an administrator; an older demo also seeded a
        # placeholder city line, which goes.
        real = [block for block in site_settings.hotlines if not placeholder_reason(block.value)]
        if len(real) < len(site_settings.hotlines):
            site_settings.hotlines = [("hotline", block.value) for block in real]
            site_settings.save()
        return
    site_settings.hotlines = [{"type": "hotline", "value": line} for line in HOTLINES]
    site_settings.icp_number = "辽ICP备00000000号-1"
    site_settings.police_filing_number = "辽公网安备21010202000000号"
    site_settings.privacy_page = privacy
    site_settings.save()


def logins():
    """The demo accounts, for `seed_demo` and `make demo` to print."""
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）："]
    for username, purpose, _, _ in ACCOUNTS:
        lines.append(f"  {username:<10} {purpose}")
    return lines
