"""Factories for the home page and information pages, and a helper that puts a home page at the
root of the default site (what every page test and browser journey starts from)."""

import factory
import wagtail_factories
from wagtail.models import Page, Site

from .models import HomePage, InfoPage


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "阳光课堂"
    slug = factory.Sequence(lambda n: f"home-{n}")
    intro = "为全市中小学生、教师和家长提供的心理健康与生命教育在线课程。"


class InfoPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = InfoPage

    title = "隐私政策"
    slug = factory.Sequence(lambda n: f"info-{n}")
    summary = "我们如何保护未成年人的个人信息。"
    body = factory.LazyFunction(
        lambda: [("paragraph", "<p>本网站不收集学生的姓名、IP 地址等个人信息。</p>")]
    )


def site_with_home(**kwargs):
    """A home page under the tree root, served by the default site."""
    home = HomePageFactory(parent=Page.get_first_root_node(), **kwargs)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True, site_name="阳光课堂")
    site.root_page = home
    site.save()
    return home
