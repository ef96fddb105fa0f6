import datetime as dt
import textwrap

import pytest

from agenda.notes.parser import (
    NotesImportError,
    clean_title,
    decode_notes,
    parse_notes,
    says_cancelled,
)


def parse(text: str, name: str = "notes.md"):
    return parse_notes(textwrap.dedent(text).lstrip("\n"), name=name)


def test_one_call_with_the_date_in_the_title():
    notes = parse(
        """
        # Widget Office Hours - Meeting 4th Sept 2019

        **MC:** Ann Lee

        **Who joined**

        - Ann Lee (@annlee)
        """
    )
    (call,) = notes.calls
    assert call.date == dt.date(2019, 9, 4)
    assert call.date_source == "heading"
    assert call.title == "Widget Office Hours - Meeting"
    assert [e.text for e in call.mc] == ["Ann Lee"]
    assert [(e.line, e.text) for e in call.attendees] == [(7, "Ann Lee (@annlee)")]


def test_date_on_a_line_of_its_own_then_in_the_file_name():
    on_a_line = parse(
        """
        ## Widget Office Hours

        30th Oct 2019

        ### Agenda

        - Hello
        """
    )
    assert on_a_line.calls[0].date == dt.date(2019, 10, 30)
    assert on_a_line.calls[0].date_source == "line"
    assert on_a_line.calls[0].title == "Widget Office Hours"
    from_name = parse("## Widget Call\n\n### Agenda\n\n- Hi\n", name="x/2019-12-11.md")
    assert from_name.calls[0].date == dt.date(2019, 12, 11)
    assert from_name.calls[0].date_source == "filename"


def test_a_file_without_any_date_is_refused_with_its_line():
    with pytest.raises(NotesImportError) as error:
        parse("# Widget Call\n\n- Ann\n", name="notes.md")
    assert error.value.line == 1
    assert error.value.message == (
        "no call found: no date in a # or ## heading, on a line of its own or in "
        "the file name"
    )
    with pytest.raises(NotesImportError, match="empty file: no call found"):
        parse("\n  \n", name="empty.md")


def test_title_and_file_name_that_disagree_are_reported():
    notes = parse("# Office hours - 25th July 2019\n\n- x\n", name="2019-08-01.md")
    (warning,) = notes.calls[0].warnings
    assert warning.kind == "date_conflict"
    assert warning.line == 1
    assert "2019-07-25" in warning.message
    assert "2019-08-01" in warning.message


def test_decoding_errors_name_the_line():
    with pytest.raises(NotesImportError) as error:
        decode_notes(b"## 2020-01-01\n\n- caf" + b"\xe9 noir\n", name="f.md")
    assert error.value.line == 3
    assert "not UTF-8" in error.value.message
    with pytest.raises(NotesImportError, match="binary content"):
        decode_notes(b"## 2020-01-01\n\x00\x01", name="f.md")
    assert decode_notes(b"\xef\xbb\xbf## 2020-01-01\n") == "## 2020-01-01\n"
    assert decode_notes("## 2020-01-01\n".encode("utf-16")) == "## 2020-01-01\n"


ARCHIVE = """
# Widget Community Call

[More Information](https://example.org/community)
[Zoom Link](https://meet.example.org/widget)
[Recording](https://)

## 2020-12-16

### Agenda

- [ann] newest call

## HOLIDAY BREAK!

See you in January.

---

# Widget Community Call

[Recording](https://video.example.org/2020-12-09)

## 2020-12-9

### Agenda

- [bo] older call

## 2020-12-9

### Agenda

- another call that day
"""


def test_archives_split_into_calls_with_title_blocks_going_forward():
    notes = parse(ARCHIVE)
    assert [(c.date, c.first_line, c.last_line) for c in notes.calls] == [
        (dt.date(2020, 12, 16), 1, 18),
        (dt.date(2020, 12, 9), 19, 28),
        (dt.date(2020, 12, 9), 29, 33),
    ]
    first, second, third = notes.calls
    assert [(link.kind, link.url) for link in first.links] == [
        ("info", "https://example.org/community"),
        ("video", "https://meet.example.org/widget"),
    ]
    # The notice between two calls belongs to the one before it.
    assert [n.text for n in first.notes] == ["## HOLIDAY BREAK!", "See you in January."]
    assert [(link.kind, link.url) for link in second.links] == [
        ("recording", "https://video.example.org/2020-12-09")
    ]
    assert third.title == "Widget Community Call"  # inherited from the document
    assert first.content_hash != second.content_hash != third.content_hash


def test_content_hash_is_blind_to_indentation():
    wide = parse("## 2020-01-01\n\n- a\n    - b\n")
    narrow = parse("## 2020-01-01\n\n- a\n  - b\n\n\n")
    assert wide.calls[0].content_hash == narrow.calls[0].content_hash


def test_a_dated_title_above_a_dated_heading_is_a_title():
    notes = parse("# Notes of 2020-08-12\n\nIntro\n\n## 2020-08-12\n\n- a\n")
    assert [c.date for c in notes.calls] == [dt.date(2020, 8, 12)]


def test_sections_under_headings_and_bold_labels():
    notes = parse(
        """
        ## 2020-09-16

        **MC**

        Ann Lee

        ### Who Joined

        1. - Bo Chen [bochen](https://github.com/bochen)
        1. - Cy ([@cy](https://github.com/cy))
        - Dee

        ### This week highlights

        - Release 1.0 is out
            - thanks everyone

        ### Agenda (Please add any items you would like to discuss here)

        - [Ann/Bo] First item
          continues here
            - nested note
            - ```bash
              # a comment, not a heading
              ```
        - Second item

        ### Closing

        - **MC Next Call**:
            - Bo
        - **Next Release**: 1.1 on May 5th (Ann, Bo)
        - **Recording**: [Play](https://video.example.org/1)
        """
    )
    (call,) = notes.calls
    assert [e.text for e in call.mc] == ["Ann Lee"]
    assert [e.text for e in call.attendees] == [
        "Bo Chen [bochen](https://github.com/bochen)",
        "Cy ([@cy](https://github.com/cy))",
        "Dee",
    ]
    assert call.highlights == "- Release 1.0 is out\n    - thanks everyone"
    first, second = call.agenda
    assert first.head == "[Ann/Bo] First item"
    assert first.description == "continues here"
    assert first.discussion == (
        "- nested note\n- ```bash\n  # a comment, not a heading\n  ```"
    )
    assert second.head == "Second item"
    assert [e.text for e in call.next_mc] == ["Bo"]
    assert call.next_release.text == "1.1 on May 5th (Ann, Bo)"
    assert [(link.kind, link.url) for link in call.links] == [
        ("recording", "https://video.example.org/1")
    ]
    assert call.notes == []


def test_older_agenda_layouts():
    notes = parse(
        """
        # Office hours - 6th June 2019

        ## Proposals

        [office-hours#5](https://github.com/o/office-hours/issues/5): Outputs.

        Ann presented it.

        - **Bo**: I like it.
        - **Cy**: Me too.

        **Dee**: one more thing.
        **Eve**: agreed.

        Notes:

        - [ann] a normal item
        [bo] not a new paragraph

        ```json
        {"attached": "to the last item"}
        ```
        """
    )
    heads = [item.head for item in notes.calls[0].agenda]
    assert heads == [
        "[office-hours#5](https://github.com/o/office-hours/issues/5): Outputs.",
        "Ann presented it.",
        "[ann] a normal item",
    ]
    second = notes.calls[0].agenda[1]
    assert second.discussion == (
        "- **Bo**: I like it.\n- **Cy**: Me too.\n\n"
        "**Dee**: one more thing.\n**Eve**: agreed."
    )
    last = notes.calls[0].agenda[2]
    assert last.description == "[bo] not a new paragraph"
    assert last.discussion == '```json\n{"attached": "to the last item"}\n```'
    assert [n.text for n in notes.calls[0].notes] == ["Notes:"]


def test_lines_starting_with_a_presenter_are_items_even_without_bullets():
    notes = parse("## 2021-09-15\n\n### Agenda\n[ann] one\n[bo] two\n")
    assert [i.head for i in notes.calls[0].agenda] == ["[ann] one", "[bo] two"]


def test_action_items_are_checkboxes_under_an_action_heading():
    notes = parse(
        """
        ## 2023-04-27

        ## Action items

        - [ ] [ann] write the proposal
            - same day of the week
        - [x] [bo] working group
            - [ ] [cy] a channel
        - not a checkbox
        """
    )
    actions = notes.calls[0].actions
    assert [(a.head, a.checked, a.details) for a in actions] == [
        ("[ann] write the proposal", False, "- same day of the week"),
        ("[bo] working group", True, ""),
        ("[cy] a channel", False, ""),
    ]
    assert [n.text for n in notes.calls[0].notes] == ["- not a checkbox"]


def test_next_mc_in_the_item_after_an_empty_label():
    notes = parse(
        """
        ## 2022-07-27

        ### Closing

        - **MC Next Call**:

        - Jason ([jason](https://github.com/jason))
        """
    )
    assert [e.text for e in notes.calls[0].next_mc] == [
        "Jason ([jason](https://github.com/jason))"
    ]


def test_free_notes_exported_between_markers_are_taken_verbatim():
    notes = parse(
        """
        ## 2020-01-01

        ### Notes

        <!-- callbook:notes -->
        ## Not a call 2020-02-02
        ### Who joined
        - not an attendee
        <!-- /callbook:notes -->
        """
    )
    (call,) = notes.calls
    assert call.attendees == []
    assert [n.text for n in call.notes] == [
        "## Not a call 2020-02-02\n### Who joined\n- not an attendee"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "- Cancelled because of lack of items (+ Italian holidays)",
        "Cancelled (no topic)",
        "**Nov 13th community call is cancelled due to KubeCon**",
        "- No Topic, skipping the meeting",
        "* No topic, call cancelled",
        "- This community call is cancelled. Sorry for the short notice.",
        "## 2025-09-10 No community call!",
        "**Cancelled**",
    ],
)
def test_cancelled_calls(line):
    assert says_cancelled(line)


@pytest.mark.parametrize(
    "line",
    [
        "- canceling next week community call (because of KubeCon)",
        "- Vote to Cancel next week's meeting due to US holiday?",
        "- Falco Community Call will be canceled on Kubecon Week (next week)",
        "- Next community call canceled for holidays!",
        "- Canceling the Jan 4th meeting",
        "- No topics",
    ],
)
def test_talk_about_other_calls_does_not_cancel_this_one(line):
    assert not says_cancelled(line)


def test_clean_titles():
    assert clean_title("Falco Office hours - Meeting 6th June 2019") == (
        "Falco Office hours"
    )
    assert clean_title("2023-06-08 Core Maintainers (monthly)") == (
        "Core Maintainers (monthly)"
    )
