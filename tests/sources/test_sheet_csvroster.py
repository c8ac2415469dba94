"""Roster CSV parsing: the messy sheets owners really keep."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farwatch.sources.csvroster import (
    MAX_CELL,
    RosterFormatError,
    parse_number,
    parse_roster,
    slug,
    sniff_delimiter,
)

# What a Google Sheets export of a hand-kept roster looks like: BOM, padded
# columns, displayed values, a blank row, a row of only commas.
EXPORT = (
    "\ufeffName,Email,Task,Cap_Hours,Cap_Period,Rate,Currency,Timezone,Hours,Days,"
    "Category,IM,Tracker_ID,Notes,,\r\n"
    "Ana Reyes,ana@example.com,Inbox zero,20,week,$15.00,USD,Asia/Manila,09:00-17:00,"
    "Mon-Fri,VA,telegram:123,u1,prefers mornings,,\r\n"
    ",,,,,,,,,,,,,,,\r\n"
    "\r\n"
    'Bola Ade,BOLA@Example.com,"Lead research, batch 2","1,234",month,"€12,50",,'
    "Africa/Lagos,08:00-16:00,Mon-Sat,KPO,,,,,\r\n"
)


def test_google_export_with_displayed_values() -> None:
    parsed = parse_roster(EXPORT)
    assert [str(w) for w in parsed.warnings] == []
    ana, bola = parsed.rows
    assert ana.worker_id == "ana-reyes"
    assert ana.name == "Ana Reyes"
    assert ana.cap_hours == 20.0 and ana.rate == 15.0 and ana.currency == "USD"
    assert ana.timezone == "Asia/Manila" and ana.category == "VA" and ana.tracker_id == "u1"
    assert ana.im == "telegram:123"
    assert ana.extra == {"Notes": "prefers mornings"}
    assert bola.email == "bola@example.com"
    assert bola.task == "Lead research, batch 2"
    assert bola.cap_hours == 1234.0 and bola.cap_period == "month"
    assert bola.rate == 12.5 and bola.currency == "EUR"  # inferred from the € sign
    assert bola.days == "Mon-Sat"
    assert parsed.lines == [2, 5]


def test_columns_any_order_any_case_and_spaces() -> None:
    text = "  TIMEZONE , e-mail ,NAME,cap\nEurope/Kyiv, ola@x.co ,Ola,10 h\n"
    (row,) = parse_roster(text).rows
    assert (row.name, row.email, row.timezone, row.cap_hours) == (
        "Ola",
        "ola@x.co",
        "Europe/Kyiv",
        10.0,
    )


def test_a_misspelt_timezone_is_named_with_the_zone_it_probably_meant() -> None:
    parsed = parse_roster("name,timezone\nAna,Asia/Manila\nBen,Asia/Manilla\n")
    assert [r.name for r in parsed.rows] == ["Ana"]
    assert [str(w) for w in parsed.warnings] == [
        "line 3: timezone 'Asia/Manilla' unknown (did you mean Asia/Manila?); row skipped"
    ]


def test_timezone_is_validated_and_canonicalised() -> None:
    text = "name,timezone\nA,asia/dhaka\nB,America/Sao Paulo\nC,Mars/Olympus\nD,\n"
    parsed = parse_roster(text)
    # a blank timezone is left for the config's [defaults]
    assert [r.timezone for r in parsed.rows] == ["Asia/Dhaka", "America/Sao_Paulo", ""]
    assert [str(w) for w in parsed.warnings] == [
        "line 4: timezone 'Mars/Olympus' unknown (an IANA timezone such as Asia/Manila); "
        "row skipped"
    ]


def test_bad_rows_are_reported_with_their_line_and_skipped() -> None:
    text = (
        "name,cap_hours,cap_period,rate\n"
        "Ana,20,week,10\n"
        ",5,week,1\n"  # no name
        "Ben,2O,week,1\n"  # letter O
        "Cy,5,fortnight,1\n"
        "Dee,-3,week,1\n"
        "Eve,5,weeks,abc\n"
        "Fay,7:30,daily,\n"
    )
    parsed = parse_roster(text)
    assert [r.name for r in parsed.rows] == ["Ana", "Fay"]
    assert parsed.rows[1].cap_hours == 7.5 and parsed.rows[1].cap_period == "day"
    assert parsed.skipped == 5
    assert [str(w) for w in parsed.warnings] == [
        "line 3: no name; row skipped",
        "line 4: cap_hours '2O' is not a number; row skipped",
        "line 5: cap_period 'fortnight' is not one of day, week, month, task; row skipped",
        "line 6: cap_hours '-3' is negative; row skipped",
        "line 7: rate 'abc' is not a number; row skipped",
    ]


def test_line_numbers_count_physical_lines_of_quoted_newlines() -> None:
    text = 'name,task\nAna,"two\nline task"\nBen,x\n,orphan\n'
    parsed = parse_roster(text)
    assert parsed.rows[0].task == "two line task"
    assert [str(w) for w in parsed.warnings] == ["line 5: no name; row skipped"]


def test_an_unclosed_quote_before_rows_is_read_as_text_and_costs_no_row() -> None:
    text = 'name,task\nAna,"oops\nBen,fine\nCy,also fine\n'
    parsed = parse_roster(text)
    assert [(r.name, r.task) for r in parsed.rows] == [
        ("Ana", '"oops'),
        ("Ben", "fine"),
        ("Cy", "also fine"),
    ]
    assert [str(w) for w in parsed.warnings] == [
        "line 2: a quote opened here runs to line 4; read it as text, "
        "and lines 3-4 as their own rows"
    ]


def test_a_stray_quote_closed_rows_later_swallows_nobody() -> None:
    header = "name,email,task,cap_hours\n"
    rows = [
        f'W{i},w{i}@x.co,"24 inch monitor setup,10\n' if i % 2 == 0 else f"W{i},w{i}@x.co,ok,10\n"
        for i in range(20_000)
    ]
    parsed = parse_roster(header + "".join(rows))
    assert len(parsed.rows) == 20_000
    assert parsed.rows[0].task == '"24 inch monitor setup' and parsed.rows[0].cap_hours == 10
    assert parsed.rows[1].task == "ok"
    assert len(parsed.warnings) == 10_000
    assert str(parsed.warnings[0]).startswith("line 2: a quote opened here runs to line")


def test_nul_characters_are_removed_and_reported() -> None:
    parsed = parse_roster("name,email\nA\x00na,ana@x.co\n")
    assert parsed.rows[0].name == "Ana"
    assert [str(w) for w in parsed.warnings] == ["line 2: NUL characters removed"]


def test_ids_explicit_slugged_and_unique() -> None:
    text = "id,name\n,José Núñez\nw7,Ana\n,José Núñez\nw7,Ana Again\n,李雷\n"
    parsed = parse_roster(text)
    ids = [r.worker_id for r in parsed.rows]
    assert ids[:3] == ["jose-nunez", "w7", "jose-nunez-2"]
    assert ids[3].startswith("w-") and ids[3] == slug("李雷")
    assert [str(w) for w in parsed.warnings] == ["line 5: id 'w7' is already used; row skipped"]
    # stable across parses
    assert [r.worker_id for r in parse_roster(text).rows] == ids


def test_slug_ids_do_not_collide_with_explicit_ids() -> None:
    parsed = parse_roster("id,name\n,Ana\nana,Other Ana\n")
    assert sorted(r.worker_id for r in parsed.rows) == ["ana", "ana-2"]


def test_aliases_and_duplicate_emails() -> None:
    text = "name,email,aliases\nAna,ana@x.co,Ana.R@Gmail.com; ana@x.co ;\nBen,ANA@x.co,\n"
    parsed = parse_roster(text)
    assert parsed.rows[0].aliases == ("ana.r@gmail.com",)
    assert [str(w) for w in parsed.warnings] == ["line 3: email 'ana@x.co' is also on line 2"]
    assert len(parsed.rows) == 2  # a warning, not a skip


def test_unknown_and_unnamed_columns_are_kept_for_display() -> None:
    parsed = parse_roster("name,Shift Lead,\nAna,Bo,stray value\n")
    assert parsed.rows[0].extra == {"Shift Lead": "Bo", "column 3": "stray value"}


def test_hostile_text_is_kept_as_text_without_control_characters() -> None:
    parsed = parse_roster('name,task\n"[@click=app.quit]","\x1b]0;pwned\x07[/]"\n')
    row = parsed.rows[0]
    assert row.name == "[@click=app.quit]"
    assert row.task == "[/]"  # the whole OSC sequence is gone


def test_semicolon_csv_from_european_excel() -> None:
    text = "Name;Email;Rate;Cap_hours\nAna;ana@x.co;12,50 €;37,5\n"
    assert sniff_delimiter(text) == ";"
    (row,) = parse_roster(text).rows
    assert (row.rate, row.cap_hours, row.currency) == (12.5, 37.5, "EUR")


def test_comment_rows_are_ignored() -> None:
    parsed = parse_roster("# team roster\nname\n# Ana is on leave\nBen\n")
    assert [r.name for r in parsed.rows] == ["Ben"]


@pytest.mark.parametrize(
    "text",
    ["", "\ufeff", "\n\n,,,\n", "email,task\nana@x.co,inbox\n"],
)
def test_not_a_roster_is_an_error_not_an_empty_roster(text: str) -> None:
    with pytest.raises(RosterFormatError):
        parse_roster(text)


def test_missing_name_column_names_the_columns_found() -> None:
    with pytest.raises(RosterFormatError, match=r"no 'name' column on line 1 .*email, task"):
        parse_roster("email,task\nana@x.co,inbox\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$15.00", 15.0),
        ("1,234", 1234.0),
        ("1,234.50", 1234.5),
        ("€12,50", 12.5),
        ("1.234,50", 1234.5),
        ("1.234.567", 1234567.0),
        ("USD 15", 15.0),
        ("15 PHP", 15.0),
        ("R$ 20", 20.0),
        ("15/hr", 15.0),
        ("₱ 350", 350.0),
        ("  7 ", 7.0),
        ("", None),
        ("-", None),
        ("n/a", None),
    ],
)
def test_displayed_numbers(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("20 h", 20.0), ("20hrs", 20.0), ("40 hours/week", 40.0), ("7:45", 7.75)]
)
def test_displayed_hours(text: str, expected: float) -> None:
    assert parse_number(text, hours=True) == expected


@pytest.mark.parametrize("text", ["2O", "1,23,4", "abc", "1e5", "nan", "12abc", "1..2"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_text_never_crashes(text: str) -> None:
    try:
        parsed = parse_roster(text)
    except RosterFormatError:
        return
    assert len({r.worker_id for r in parsed.rows}) == len(parsed.rows)
    for row in parsed.rows:
        assert row.name and "\x00" not in row.name


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["Ana", '"', ",", "\n", "\r", "1,5", "$", "x@y", " ", "\x00"])),
        max_size=12,
    )
)
def test_csv_shaped_garbage_never_crashes(rows: list[list[str]]) -> None:
    text = "name,email,cap_hours\n" + "".join("".join(r) + "\n" for r in rows)
    try:
        parsed = parse_roster(text)
    except RosterFormatError as exc:  # nothing but blank lines under the header
        assert "no worker rows" in str(exc)
        return
    assert all(str(w).startswith("line ") for w in parsed.warnings)


def test_a_cell_past_the_csv_modules_field_limit_is_cut_and_its_row_kept() -> None:
    novel = "chapter one " * 50_000  # 600 KB, over the csv module's 128 KB default
    parsed = parse_roster(f"name,email,task\nAna,ana@x.co,{novel}\nBo,bo@x.co,inbox\n")
    assert [(r.name, len(r.task)) for r in parsed.rows] == [("Ana", MAX_CELL), ("Bo", 5)]
    assert parsed.warnings == []


def test_a_whole_osc_sequence_in_a_cell_leaves_no_visible_leftovers() -> None:
    parsed = parse_roster("name,task\nAna \x1b]0;pwned\x07Reyes,Inbox \x1b[31mtriage\x1b[0m\n")
    [row] = parsed.rows
    assert row.name == "Ana Reyes"
    assert row.task == "Inbox triage"


def test_an_unclosed_quote_on_the_last_line_is_named_as_such() -> None:
    parsed = parse_roster('name,email,task\nAna,a@x.co,Inbox\nBo,"b@x.co,Triage\n')
    assert [r.name for r in parsed.rows] == ["Ana"]
    assert [str(w) for w in parsed.warnings] == ["line 3: a quote is never closed; row skipped"]


def test_thousands_of_workers_sharing_a_name_each_get_their_own_id() -> None:
    text = "name,email\n" + "".join(f"Ana Reyes,a{i}@x.co\n" for i in range(8000))
    parsed = parse_roster(text)
    ids = [r.worker_id for r in parsed.rows]
    assert ids[:3] == ["ana-reyes", "ana-reyes-2", "ana-reyes-3"] and ids[-1] == "ana-reyes-8000"
    assert len(set(ids)) == 8000 and parsed.warnings == []


def test_a_made_id_never_takes_an_explicit_one() -> None:
    parsed = parse_roster("id,name\n,Ana\nana-2,Explicit\n,Ana\n,Ana\n")
    assert [r.worker_id for r in parsed.rows] == ["ana", "ana-2", "ana-3", "ana-4"]
