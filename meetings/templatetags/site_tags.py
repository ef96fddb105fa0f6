import html
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

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


@lru_cache(maxsize=4096)
def _reversed(urlconf, prefix: str, name: str, kwargs: tuple) -> str:
    return reverse(name, urlconf=urlconf, kwargs=dict(kwargs))


@register.simple_tag(name="cached_url")
def cached_url(name: str, **kwargs) -> str:
    """{% url %} remembered per URLconf and script prefix: a page links the same
    few dozen URLs on every render, and each reverse() costs ~35 µs."""
    return _reversed(get_urlconf(), get_script_prefix(), name, tuple(kwargs.items()))


@register.simple_tag
def person_link(person):
    """A person's name, linked to their page when they have one (a tag, not an
    include: pages show dozens of people, and an include costs a template
    render each). Escaped by hand, as format_html would: the feed shows
    hundreds of these, and format_html costs several times as much."""
    name = html.escape(person.display_name)
    if person.github_handle:
        url = cached_url("people:detail", handle=person.github_handle)
        return mark_safe(f'<a href="{html.escape(url)}">{name}</a>')
    return mark_safe(name)


@register.simple_tag
def presenters(item):
    """Every presenter of an agenda item: linked people, then names as written
    that match none of them ("Ann, Bo and Cy")."""
    names = [
        person_link(person) if person else html.escape(name)
        for person, name in item.presenter_entries
    ]
    if len(names) > 1:
        names[-2:] = [f"{names[-2]} and {names[-1]}"]
    # Every part is escaped above.
    return mark_safe(", ".join(names))
