from django import template
from django.utils.html import conditional_escape, format_html

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


@register.simple_tag
def person_link(person):
    """A person's name, linked to their page when they have one (a tag, not an
    include: pages show dozens of people, and an include costs a template
    render each)."""
    if person.github_handle:
        return format_html(
            '<a href="{}">{}</a>', person.get_absolute_url(), person.display_name
        )
    return conditional_escape(person.display_name)
