"""`{% load material_previews %}`: whether a kit material's file can be previewed at all (PDF,
Word, PowerPoint), so a page offers 预览 only where a preview can exist."""

from django import template

from media_pipeline.engine.preview import kind_of

register = template.Library()


@register.filter
def previewable(document):
    return bool(document and document.file and kind_of(document.file.name))
