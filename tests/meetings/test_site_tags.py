"""The template tags that replace per-person includes and repeated reverse()s."""

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from meetings.templatetags.site_tags import cached_url, person_link, presenters
from tests.factories import AgendaItemFactory, AttendeeFactory


def render(source: str, **context) -> str:
    return Template("{% load site_tags %}" + source).render(Context(context))


@pytest.mark.django_db
def test_person_link_links_people_with_a_handle_and_escapes_names():
    ada = AttendeeFactory(display_name="Ada <Q>", github_handle="AdaQuill")
    offline = AttendeeFactory(display_name="Bo & Co", github_handle="")
    assert person_link(ada) == '<a href="/people/AdaQuill/">Ada &lt;Q&gt;</a>'
    assert person_link(offline) == "Bo &amp; Co"
    assert render("{% person_link p %}", p=offline) == "Bo &amp; Co"


@pytest.mark.django_db
def test_presenters_reads_like_a_sentence():
    ada = AttendeeFactory(display_name="Ada", github_handle="ada")
    bo = AttendeeFactory(display_name="Bo", github_handle="")
    item = AgendaItemFactory(presenter_names="Ada/Cy <b>")
    item.presenters.add(ada)
    assert presenters(item) == '<a href="/people/ada/">Ada</a> and Cy &lt;b&gt;'
    item = AgendaItemFactory(presenter_names="Cy, Di")
    item.presenters.add(ada, bo)
    assert presenters(item) == '<a href="/people/ada/">Ada</a>, Bo, Cy and Di'
    assert presenters(AgendaItemFactory(presenter_names="")) == ""


def test_cached_url_is_reverse_under_each_script_prefix():
    assert cached_url("meetings:archive") == reverse("meetings:archive") == "/calls/"
    assert cached_url("people:detail", handle="ada") == "/people/ada/"
    try:
        set_script_prefix("/sub/")
        assert cached_url("meetings:archive") == "/sub/calls/"
        assert render("{% cached_url 'meetings:home' %}") == "/sub/"
    finally:
        set_script_prefix("/")
    assert cached_url("meetings:archive") == "/calls/"
