import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from meetings.markdown import ALLOWED_TAGS, render_inline, render_markdown

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x" onerror="alert(1)](https://example.org/a.png)',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<details open ontoggle=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<a href='java&#x09;script:alert(1)'>x</a>",
    "<marquee onstart=alert(1)>",
    "<p onclick=alert(1)>x</p>",
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<<script>script>alert(1)<</script>/script>",
]


class LiveHtml(HTMLParser):
    """Collects what a browser would treat as live: tags, event handlers, URLs."""

    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"attribute {name}")
            if name in {"href", "src", "action", "formaction"} and value:
                scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
                if scheme and scheme not in {"http", "https", "mailto"}:
                    self.problems.append(f"{name}={value}")


def live_problems(html: str) -> list[str]:
    parser = LiveHtml()
    parser.feed(html)
    return parser.problems


@pytest.mark.parametrize("payload", XSS_VECTORS)
def test_no_xss_vector_survives(payload):
    html = str(render_markdown(payload))
    assert live_problems(html) == [], html
    assert "<script" not in html.lower()


def test_the_checker_catches_live_html():
    assert sorted(
        live_problems('<a href="javascript:x" onclick="y">a</a><script>')
    ) == [
        "attribute onclick",
        "href=javascript:x",
        "tag <script>",
    ]


def test_there_are_at_least_twenty_vectors():
    assert len(XSS_VECTORS) >= 20


def test_ordinary_markdown_still_renders():
    html = str(
        render_markdown(
            "## Agenda\n\n- [Lore] **bold** and [a link](https://github.com/a/b/pull/1)"
            "\n\n```\n# not a heading\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
        )
    )
    assert "<h2>Agenda</h2>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://github.com/a/b/pull/1"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert "<pre><code># not a heading" in html
    assert "<table>" in html


def test_empty_input_renders_empty():
    assert render_markdown("") == ""


def test_one_text_never_leaks_into_the_next():
    # The converter is reused between renders; link definitions must not carry over.
    with_definition = str(
        render_markdown("see [docs]\n\n[docs]: https://example.org/d")
    )
    assert 'href="https://example.org/d"' in with_definition
    assert "href" not in str(render_markdown("see [docs] again"))


def test_repeated_renders_are_remembered_and_identical():
    from meetings.markdown import _render_memo

    text = "Same notes, #12 and **bold**"
    first = render_markdown(text, "example/widget")
    hits = _render_memo.cache_info().hits
    again = render_markdown(text, "example/widget")
    assert again == first
    assert _render_memo.cache_info().hits == hits + 1
    # The default repository is part of the key.
    assert "example/other/issues/12" in str(render_markdown(text, "example/other"))


# CommonMark + GFM, as the community writes for GitHub.


def test_lists_nested_by_two_spaces_nest():
    html = str(render_markdown("- Falco\n  - rules\n    - macros\n- libs"))
    assert html.count("<ul>") == 3
    assert "<li>rules\n<ul>\n<li>macros</li>" in html


def test_bare_addresses_become_links_but_not_in_code():
    html = str(
        render_markdown(
            "Docs at https://falco.org/docs. and www.example.com, mail a@b.org\n\n"
            "`https://not.a/link` and (https://a.org/x_(y))"
        )
    )
    assert '<a href="https://falco.org/docs" rel=' in html
    assert '<a href="http://www.example.com" rel=' in html
    assert '<a href="mailto:a@b.org" rel=' in html
    assert "<code>https://not.a/link</code>" in html
    assert 'href="https://a.org/x_(y)"' in html


def test_gfm_strikethrough_tables_and_task_lists():
    html = str(
        render_markdown("~~old~~ new\n\n| a |\n|---|\n| 1 |\n\n- [x] done\n- [ ] open")
    )
    assert "<s>old</s>" in html
    assert "<td>1</td>" in html
    assert html.count('type="checkbox"') == 2
    assert html.count('disabled=""') == 2
    assert html.count("checked") == 1


@pytest.mark.parametrize(
    "payload",
    [
        '<input type="text" name="password" autofocus onfocus="alert(1)">',
        '<input type="submit" formaction="javascript:alert(1)">',
    ],
)
def test_a_typed_input_is_only_ever_a_disabled_checkbox(payload):
    html = str(render_markdown(payload))
    assert live_problems(html) == [], html
    assert "password" not in html
    assert "formaction" not in html
    assert 'type="checkbox"' in html
    assert 'disabled=""' in html


# Everything the renderer can put in an attribute, a task list and a typed <input>
# among it: stored HTML and ETags compare the bytes of one render with another.
EVERY_ATTRIBUTE = (
    "- [x] done\n- [ ] open\n\n"
    '<input type="text" checked="a&quot;b" disabled=no aria-label=x name=y>\n\n'
    "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n"
    '3. [a](https://a.org "t") ![i](https://a.org/i.png "t") #4 @ada\n\n'
    "```py\nx = 1\n```\n"
)
CHECKBOXES = (
    '<ul>\n<li><input aria-label="task" checked="" disabled="" type="checkbox"> done'
    '</li>\n<li><input aria-label="task" disabled="" type="checkbox"> open</li>\n'
    '</ul>\n<input aria-label="task" checked="a&quot;b" disabled="" type="checkbox">'
)


def test_the_same_text_renders_to_the_same_bytes_every_time():
    from meetings.markdown import _render

    # Past the memo: nh3 used to order a checkbox's forced attributes at random
    # on every call.
    renders = {_render(EVERY_ATTRIBUTE, "o/r") for _ in range(50)}
    assert len(renders) == 1
    assert str(render_markdown(EVERY_ATTRIBUTE, "o/r")) in renders
    assert CHECKBOXES in renders.pop()


def test_the_same_text_renders_to_the_same_bytes_in_every_process():
    # Each worker process renders and stores on its own; their HTML must agree.
    code = (
        "import sys\n"
        "from meetings.markdown import render_markdown\n"
        "sys.stdout.write(str(render_markdown(sys.stdin.read(), 'o/r')))\n"
    )
    root = Path(__file__).resolve().parents[2]
    renders = set()
    for seed in ("0", "1", "2", "12345", "random"):
        env = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(root),
            "PYTHONHASHSEED": seed,
        }
        result = subprocess.run(
            [sys.executable, "-c", code],
            input=EVERY_ATTRIBUTE,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        renders.add(result.stdout)
    assert renders == {str(render_markdown(EVERY_ATTRIBUTE, "o/r"))}


@pytest.mark.parametrize(
    "text",
    [
        '`<input type="checkbox" onclick="x">`',
        '[x](https://a.org "<input type=\\"checkbox\\" onclick=\\"x\\">")',
        '![x](https://a.org/i.png "<input type=\\"checkbox\\" onclick=\\"x\\">")',
    ],
)
def test_ordering_attributes_never_touches_what_is_not_a_tag(text):
    html = str(render_markdown(text))
    assert "<input" not in html
    assert "&lt;input type=" in html
    assert live_problems(html) == [], html


def test_raw_html_links_are_not_linked_again():
    html = str(
        render_markdown('<a href="https://x.org">#12 and https://y.org</a>', "o/r")
    )
    assert html.count("<a ") == 1


# Titles: one line, inline markdown only.


def test_titles_render_inline_markdown():
    html = str(render_inline("[Falco overhead](https://x.org) `code` *em* #4", "o/r"))
    assert html.startswith('<a href="https://x.org" rel="nofollow noopener noreferrer"')
    assert "<code>code</code> <em>em</em>" in html
    assert 'href="https://github.com/o/r/issues/4"' in html
    assert "<p>" not in html


@pytest.mark.parametrize("title", ["1. Intro", "# Heading", "> quote", "- item", "---"])
def test_titles_never_become_blocks(title):
    assert str(render_inline(title)) == title.replace(">", "&gt;")


@pytest.mark.parametrize("payload", [*XSS_VECTORS, "![x](https://e.org/a.png)"])
def test_no_xss_vector_survives_in_a_title(payload):
    html = str(render_inline(payload))
    assert live_problems(html) == [], html
    for tag in ("<script", "<img", "<div", "<p", "<table", "<input"):
        assert tag not in html.lower()


def test_title_filter_renders_inline():
    from django.template import Context, Template

    template = Template("{% load markdown_tags %}{{ title|markdown_inline:repo }}")
    html = template.render(
        Context({"title": "**new** <b onclick=x>#3</b>", "repo": "o/r"})
    )
    # Typed HTML in a title is shown as text, never passed on.
    assert html.startswith("<strong>new</strong> &lt;b onclick=x&gt;")
    assert live_problems(html) == []
    assert "o/r/issues/3" in html


# Plain text for attributes (the call page's <meta> description).


def test_markdown_to_text_is_plain_and_unescaped_once():
    from meetings.markdown import markdown_to_text

    text = markdown_to_text(
        '**Big** "news" <meta http-equiv="refresh"> & [a](https://x.org)'
    )
    assert text == 'Big "news" & a'


def test_control_characters_are_stripped():
    from meetings.markdown import strip_control_characters

    assert strip_control_characters("a\x0bb\x00c\x7f\td\ne\r") == "abc\td\ne\r"


def test_links_defined_elsewhere_in_the_call_resolve():
    from meetings.markdown import link_definitions

    notes = "More text.\n\n[docs]: https://example.org/docs\n[^1]: a footnote"
    definitions = link_definitions("no definitions here", notes)
    assert definitions == "[docs]: https://example.org/docs"
    html = str(render_markdown("- see [the docs][docs] and [docs]", "", definitions))
    assert html.count('href="https://example.org/docs"') == 2
    assert "][" not in html
    title = str(render_inline("Read [docs]", "", definitions))
    assert 'href="https://example.org/docs"' in title
    # Without them, the text shows as written, and nothing carries over.
    assert "href" not in str(render_markdown("- see [the docs][docs]"))
