from django.core.exceptions import ValidationError
from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.blocks import StructBlockValidationError
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Site

from sunshine.hotlines import placeholder_reason


class HotlineBlock(blocks.StructBlock):
    name = blocks.CharBlock(label="名称", max_length=40)
    number = blocks.CharBlock(label="号码", max_length=30)
    hours = blocks.CharBlock(label="服务时间", max_length=40, required=False)

    class Meta:
        icon = "mail"
        label = "热线"

    def clean(self, value):
        value = super().clean(value)
        reason = placeholder_reason(value)
        if reason:
            raise StructBlockValidationError(block_errors={"number": ValidationError(reason)})
        return value


DEFAULT_HOTLINES = [
    ("hotline", {"name": "全国心理援助热线", "number": "12356", "hours": "24小时"}),
    ("hotline", {"name": "青少年服务台", "number": "12355", "hours": ""}),
]


@register_setting(icon="help")
class SiteSettings(BaseSiteSetting):
    """What every page shows: help hotlines, filing numbers, the privacy notice; kit access."""

    hotlines = StreamField(
        [("hotline", HotlineBlock())],
        verbose_name="求助热线",
        default=DEFAULT_HOTLINES,
        help_text="显示在每个页面的求助条中，按顺序排列；可加入本地心理援助热线。",
    )
    icp_number = models.CharField("ICP备案号", max_length=60, blank=True)
    police_filing_number = models.CharField("公安备案号", max_length=60, blank=True)
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="隐私政策页面",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kit_download_requires_login = models.BooleanField(
        "班会资源包下载需教师登录",
        default=True,
        help_text="开启后，只有登录的教师和工作人员才能下载班会资源包中的材料。",
    )
    share_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="默认分享图片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        FieldPanel("hotlines"),
        MultiFieldPanel(
            [FieldPanel("icp_number"), FieldPanel("police_filing_number")], heading="页脚备案信息"
        ),
        PageChooserPanel("privacy_page", "home.InfoPage"),
        FieldPanel("kit_download_requires_login"),
        FieldPanel("share_image"),
    ]

    # Every page's footer links the privacy notice; fetch it with the settings in one query.
    select_related = ["privacy_page", "share_image"]

    class Meta:
        verbose_name = "站点设置"

    @classmethod
    def for_request(cls, request):
        """Wagtail's per-request settings, read from the page cache's store while no change to
        them (or to anything else a page shows) has purged it: saving the settings purges."""
        attr_name = cls.get_cache_attr_name()
        if hasattr(request, attr_name) or getattr(request, "is_preview", False):
            return super().for_request(request)
        from sunshine.cache import cached_for_page_cache_generation

        site = Site.find_for_request(request)
        if site is None:
            raise cls.DoesNotExist("site settings for no site")
        site_settings = cached_for_page_cache_generation(
            request, f"site-settings:{site.pk}", lambda: cls.for_site(site)
        )
        site_settings._request = request
        setattr(request, attr_name, site_settings)
        return site_settings

    @classmethod
    def for_request_or_default(cls, request):
        """The settings of the request's site; before any site exists (a fresh database), an
        unsaved instance with the defaults, so pages still render and kits stay gated."""
        try:
            return cls.for_request(request)
        except cls.DoesNotExist:
            return cls()
