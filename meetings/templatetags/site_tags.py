from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """The page's permalink: its path, plus the page number past the first page
    or the keyset cursor (older/newer) of a page past the first."""
    request = context["request"]
    url = request.build_absolute_uri(request.path)
    keyset = context.get("keyset")
    if keyset is not None:
        return f"{url}?{keyset.query}" if keyset.query else url
    page = request.GET.get("page", "")
    if page.isdigit() and int(page) > 1:
        url += f"?page={int(page)}"
    return url


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    return context["request"].build_absolute_uri(path)
