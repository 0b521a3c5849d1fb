from django.template.response import TemplateResponse


def search(request):
    # Placeholder; the Chinese search lands with the search work.
    return TemplateResponse(request, "search/search.html", {"query": request.GET.get("q", "")})
