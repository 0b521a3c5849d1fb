"""Forms posted without the fields their own page always sends: 400, not a 500 or a quiet 200.

The admin's pages send hidden fields with every form: a formset's management form
(`…-TOTAL_FORMS` and the others), a StreamField's `…-count`, JSON in hidden inputs. Only a
hand-made or damaged request lacks them. Django and Wagtail answer that with a KeyError from
`request.POST[…]` (a 500), a JSON error (a 500), or the form shown again as if the editor had
made a mistake (200). All are the client's fault: 400, with a Chinese page that says to reload.
"""

import json
import logging

from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.datastructures import MultiValueDictKeyError

from sunshine.unavailable import wants_json

logger = logging.getLogger(__name__)

MESSAGE = "提交的表单数据不完整或已损坏，请刷新页面后重新填写提交。"
MISSING_MANAGEMENT_FORM = "missing_management_form"


def bad_request(request):
    if wants_json(request):
        return JsonResponse(
            {"code": "malformed_form", "message": MESSAGE},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return TemplateResponse(request, "400.html", {"message": MESSAGE}, status=400)


def _formsets(value, depth=0):
    """Formsets in a view's context: directly, in a list, or those of a form (a Wagtail page or
    snippet form keeps its inline panels' formsets in `form.formsets`), nested ones included."""
    if depth > 3:
        return
    if isinstance(value, list | tuple):  # e.g. the groups' permission_panels
        for item in value:
            yield from _formsets(item, depth + 1)
    if isinstance(value, BaseFormSet):
        yield value
        for form in value.forms:
            yield from _formsets(form, depth + 1)
    for formset in (getattr(value, "formsets", None) or {}).values() if _is_form(value) else ():
        yield from _formsets(formset, depth + 1)


def _is_form(value):
    return hasattr(value, "is_bound") and hasattr(value, "fields")


def _missing_management_form(context):
    for value in context.values():
        for formset in _formsets(value):
            if formset.is_bound and any(
                error.code == MISSING_MANAGEMENT_FORM
                for error in formset.non_form_errors().as_data()
            ):
                return True
    return False


class MalformedFormMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.method != "POST":
            return None
        if isinstance(exception, MultiValueDictKeyError | json.JSONDecodeError | ValidationError):
            logger.warning("不完整的表单（%s）：%s", type(exception).__name__, request.path)
            return bad_request(request)
        return None

    def process_template_response(self, request, response):
        context = response.context_data or {}
        if request.method == "POST" and _missing_management_form(context):
            logger.warning("表单缺少管理字段：%s", request.path)
            return bad_request(request)  # not the form again: nothing the editor can correct
        return response
