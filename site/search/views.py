"""/search/?q=: lessons, lectures, kits and live events, labelled by type, title hits first."""

from collections import defaultdict

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import ManyToManyField, prefetch_related_objects
from django.template.response import TemplateResponse
from django.views.decorators.cache import cache_control
from wagtail.models import Page
from wagtail.search.utils import parse_query_string

from sunshine.search import conf
from sunshine.search.forms import SearchForm
from sunshine.search.tokens import query_tokens

MESSAGES = {
    "empty": "请输入要搜索的关键词，例如“情绪”或“考试焦虑”。",
    "nothing_searchable": "关键词里没有可以搜索的文字，请输入汉字、字母或数字。",
    "invalid": "关键词里有无法识别的字符，请重新输入。",
    "truncated": "关键词太长，已按前 {n} 个字搜索。",
    "single_char": "只输入一个字时结果可能较多，输入词语（如“焦虑”）会更准确。",
    "no_results": "没有找到与“{q}”相关的内容，换个词试试。",
}


class CountedResults:
    """Search results whose total is already known from the facet counts, so the paginator
    does not run the search a second time to count it."""

    def __init__(self, results, count):
        self.results = results
        self._count = count

    def count(self):
        return self._count

    def __getitem__(self, key):
        return self.results[key]


def page_types():
    """{key: model} for the searchable page types."""
    return {key: apps.get_model(label) for key, label in conf.page_types().items()}


def attach_listing_context(pages):
    """Give each result what its listing line shows, with one query per kind of thing rather
    than one per result: a lesson's series (LessonPage.attach_series), speakers and grade bands."""
    by_model = defaultdict(list)
    for page in pages:
        by_model[type(page)].append(page)
    for model, instances in by_model.items():
        if hasattr(model, "attach_series"):
            model.attach_series(instances)
        many_to_many = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, ManyToManyField) and field.name in ("experts", "grade_bands")
        ]
        if many_to_many:
            prefetch_related_objects(instances, *many_to_many)


# Chinese quotation marks quote a phrase as "…" does. A colon is made a space: Wagtail's
# parser would take `AI:未来` for a filter and drop it from the query.
_QUOTES_AND_COLONS = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"', ":": " "})


def parse(text):
    """The visitor's words as Wagtail's parser reads them (as in the admin's search): quoted
    words are a phrase, whose words must appear in that order, side by side."""
    _filters, query = parse_query_string(text.translate(_QUOTES_AND_COLONS), operator="and")
    return query


def find(text, chosen, page_number):
    """The visitor's page of results, and the number of results of each type."""
    query = parse(text)
    types = page_types()
    pages = Page.objects.live().public()
    counts = pages.type(*types.values()).search(query).facet("content_type_id")
    type_counts = [
        (key, model._meta.verbose_name, counts.get(ContentType.objects.get_for_model(model).pk, 0))
        for key, model in types.items()
    ]
    total_by_type = {key: count for key, _label, count in type_counts}
    total = total_by_type[chosen] if chosen else sum(total_by_type.values())
    searched = pages.type(types[chosen]) if chosen else pages.type(*types.values())
    results = searched.specific().defer_streamfields().search(query)
    page_of_results = Paginator(CountedResults(results, total), conf.results_per_page()).get_page(
        page_number
    )
    hits = list(page_of_results.object_list)
    attach_listing_context(hits)
    keys = {model: key for key, model in types.items()}
    return {
        "results": page_of_results,
        "hits": [
            {"page": hit, "type": keys.get(type(hit), ""), "label": hit._meta.verbose_name}
            for hit in hits
        ],
        "type_counts": type_counts,
        "total": sum(total_by_type.values()),
    }


@cache_control(private=True, max_age=60)
def search(request):
    # Private: arbitrary query strings must not fill (and evict real pages from) the shared
    # page cache, and a page that was just unpublished must not linger in cached results.
    form = SearchForm(request.GET)
    form.is_valid()
    notices = []
    context = {"form": form, "query": "", "notices": notices, "max_chars": conf.max_query_chars()}
    if "q" in form.errors:
        notices.append(MESSAGES["invalid"])
        return TemplateResponse(request, "search/search.html", context)

    query = context["query"] = form.cleaned_data["q"]
    if form.truncated:
        notices.append(MESSAGES["truncated"].format(n=conf.max_query_chars()))
    if not query:
        if "q" in request.GET:
            notices.append(MESSAGES["empty"])
        else:
            context["prompt"] = MESSAGES["empty"]
    elif not query_tokens(query):
        notices.append(MESSAGES["nothing_searchable"])
    else:
        if len(query) == 1:
            notices.append(MESSAGES["single_char"])
        chosen = context["chosen_type"] = form.cleaned_data.get("type") or ""
        context.update(find(query, chosen, request.GET.get("page")))
        if not context["hits"]:
            notices.append(MESSAGES["no_results"].format(q=query))
    return TemplateResponse(request, "search/search.html", context)
