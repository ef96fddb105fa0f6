import pytest

from people.parsing import ParsedAttendee, parse_attendee_line, parse_attendee_lines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "- Ada Quill ([@adaquill](https://github.com/adaquill))",
            ("Ada Quill", "adaquill"),
        ),
        (
            "- Ada Quill ([adaquill](https://github.com/adaquill))",
            ("Ada Quill", "adaquill"),
        ),
        ("Ada Quill (@adaquill)", ("Ada Quill", "adaquill")),
        ("- @adaquill", ("adaquill", "adaquill")),
        ("* [Ada Quill](https://github.com/adaquill)", ("Ada Quill", "adaquill")),
        (
            "- Ada Quill [@adaquill](https://github.com/adaquill)",
            ("Ada Quill", "adaquill"),
        ),
        (
            "- Ada Quill([@adaquill])(https://github.com/adaquill)",
            ("Ada Quill", "adaquill"),
        ),
        (
            "- Ada Quill ([@adaquill](https:github.com/adaquill))",
            ("Ada Quill", "adaquill"),
        ),
        (
            "- Ada Quill ([@adaquill](https://githib.com/adaquill))",
            ("Ada Quill", "adaquill"),
        ),
        ("- Ada Quill ([@alba](https://github.com/alba-q/))", ("Ada Quill", "alba-q")),
        # The displayed handle differs from the URL: the URL wins.
        ("- Ada Q ([@ada](https://github.com/AdaQuill))", ("Ada Q", "AdaQuill")),
        ("- Kris Nova", ("Kris Nova", "")),
        ("- [happy-dude](https://github.com/happy-dude)", ("happy-dude", "happy-dude")),
        ("1. Ada Quill (@adaquill)", ("Ada Quill", "adaquill")),
    ],
)
def test_attendee_line_shapes(line, expected):
    assert parse_attendee_line(line) == ParsedAttendee(*expected)


@pytest.mark.parametrize(
    "line",
    ["", "-   ", "- [Your Name](https://github.com/your-handle)", "- Name (@handle)"],
)
def test_placeholders_and_blanks_name_nobody(line):
    assert parse_attendee_line(line) is None


def test_a_repository_link_is_not_a_handle():
    parsed = parse_attendee_line("- Ada (see https://github.com/example/widget)")
    assert parsed == ParsedAttendee("Ada", "")


def test_block_dedupes_and_reports_unreadable_lines():
    people, unreadable = parse_attendee_lines(
        "- Ada (@adaquill)\n\n- ADA QUILL ([x](https://github.com/ADAQUILL))\n"
        "- [Your Name](https://github.com/your-handle)\n- Bram"
    )
    assert people == [ParsedAttendee("Ada", "adaquill"), ParsedAttendee("Bram", "")]
    assert unreadable == [(4, "- [Your Name](https://github.com/your-handle)")]


def test_a_name_written_like_the_handle_keeps_its_spelling():
    # "Lore (@lore)": the person wrote their name capitalized; keep it.
    assert parse_attendee_line("- Lore (@lore)") == ParsedAttendee("Lore", "lore")
    assert parse_attendee_line("- @lore") == ParsedAttendee("lore", "lore")
