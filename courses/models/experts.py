from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class Expert(index.Indexed, models.Model):
    """A lecturer: a psychologist, counsellor or researcher who gives the bureau's lectures."""

    name = models.CharField("姓名", max_length=50)
    title = models.CharField("职称", max_length=80, blank=True)
    institution = models.CharField("单位", max_length=120, blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="照片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    bio = models.TextField("简介", blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("title"),
        FieldPanel("institution"),
        FieldPanel("photo"),
        FieldPanel("bio"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("institution"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = "专家"
        verbose_name_plural = "专家"

    def __str__(self):
        return f"{self.name}（{self.title}）" if self.title else self.name
