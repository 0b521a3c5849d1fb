from django import template

from courses.sections import home_sections as build_home_sections

register = template.Library()


@register.simple_tag
def home_sections(home):
    """The home page's tracks and newest content (see courses.sections)."""
    return build_home_sections(home)
