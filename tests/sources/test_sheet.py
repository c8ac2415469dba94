"""The sheet source: a roster CSV from a local file or a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.sources.registry import load_source_class
from farwatch.sources.sheet import SheetSource
from farwatch.sources.sheet_http import redact, to_csv_url

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
ROSTER = b"name,email,cap_hours\r\nAna,ana@x.co,20\r\nBen,ben@x.co,$1\r\n"
SIGN_IN = b"<!DOCTYPE html><html><head><title>Sign in - Google Accounts</title></head></html>"


# -- a real HTTP server ----------------------------------------------------------


@dataclass
class Route:
    status: int = 200
    body: bytes = ROSTER
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/csv"})
    delay: float = 0.0


@dataclass
class Site:
    base: str
    routes: dict[str, Route]
    hits: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def site() -> Iterator[Site]:
    routes: dict[str, Route] = {}
    hits: list[tuple[str, dict[str, str]]] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            hits.append((path, {k.lower(): v for k, v in self.headers.items()}))
            route = routes.get(path, Route(404, b"Not Found", {"Content-Type": "text/plain"}))
            if route.delay:
                stop.wait(route.delay)
            etag = route.headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(route.status)
            for key, value in route.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", routes, hits)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def sheet_at(url: str, **options: object) -> SheetSource:
    return SheetSource("roster", {"url": url, **options})


# -- link conversion -----------------------------------------------------------

SHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-abcd"


@pytest.mark.parametrize(
    ("link", "gid"),
    [
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0", "0"),
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?usp=sharing", "0"),
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?gid=1234#gid=1234", "1234"),
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=987654321", "987654321"),
        (f" https://docs.google.com/spreadsheets/d/{SHEET_ID}/view ", "0"),
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}", "0"),
    ],
)
def test_google_links_become_csv_export_urls(link: str, gid: str) -> None:
    assert to_csv_url(link) == (
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/export?format=csv&gid={gid}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.google.com/spreadsheets/d/e/2PACX-1vQabc/pub?gid=0&single=true&output=csv",
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/export?format=csv&gid=5",
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/gviz/tq?tqx=out:csv&sheet=Roster",
        "https://example.com/roster.csv",
        "http://127.0.0.1:8000/spreadsheets/d/abc/edit",
    ],
)
def test_other_urls_are_left_alone(url: str) -> None:
    assert to_csv_url(url) == url


def test_redact_hides_userinfo_tokens_and_long_ids() -> None:
    shown = redact(
        f"https://bob:hunter2@docs.google.com/spreadsheets/d/{SHEET_ID}/x?token=s3cr3t&gid=7"
    )
    assert "hunter2" not in shown and "bob" not in shown and "s3cr3t" not in shown
    assert SHEET_ID not in shown
    assert shown == "https://docs.google.com/spreadsheets/d/1AbCdE…/x?token=…&gid=7"


# -- over HTTP -------------------------------------------------------------------


def test_csv_url_gives_the_roster(site: Site) -> None:
    site.routes["/roster.csv"] = Route()
    result = sheet_at(site.url("/roster.csv")).fetch({}, NOW)
    assert [r.name for r in result.roster] == ["Ana", "Ben"]
    assert result.roster[1].cap_hours == 1.0
    assert result.roster_complete and not result.unchanged
    assert result.requests == 1
    assert site.hits[0][1]["user-agent"].startswith("farwatch")


def test_redirect_chain_is_followed(site: Site) -> None:
    site.routes["/edit"] = Route(302, b"", {"Location": "/hop"})
    site.routes["/hop"] = Route(307, b"", {"Location": site.url("/roster.csv")})
    site.routes["/roster.csv"] = Route()
    result = sheet_at(site.url("/edit")).fetch({}, NOW)
    assert [r.name for r in result.roster] == ["Ana", "Ben"]
    assert result.requests == 3


def test_sign_in_page_means_not_shared(site: Site) -> None:
    site.routes["/private"] = Route(302, b"", {"Location": "/ServiceLogin?continue=x"})
    site.routes["/ServiceLogin"] = Route(200, SIGN_IN, {"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(SourceError) as info:
        sheet_at(site.url("/private?token=s3cr3t")).fetch({}, NOW)
    err = info.value
    assert err.kind == "not_shared" and not err.retryable
    assert err.message.startswith("sheet is not shared: ")
    assert "Anyone with the link" in err.message
    assert "s3cr3t" not in err.message


def test_html_served_as_csv_is_still_not_shared(site: Site) -> None:
    site.routes["/sheet"] = Route(
        200, b"\n  <html><body>login</body></html>", {"Content-Type": "text/csv"}
    )
    with pytest.raises(SourceError, match=r"^sheet is not shared: it answered with a web page"):
        sheet_at(site.url("/sheet")).fetch({}, NOW)


def test_forbidden_is_auth(site: Site) -> None:
    site.routes["/locked"] = Route(403, b"no", {"Content-Type": "text/plain"})
    with pytest.raises(SourceError) as info:
        sheet_at(site.url("/locked")).fetch({}, NOW)
    assert info.value.kind == "auth" and "HTTP 403" in info.value.message


def test_404_is_not_found(site: Site) -> None:
    with pytest.raises(SourceError) as info:
        sheet_at(site.url("/nope.csv")).fetch({}, NOW)
    assert info.value.kind == "not_found"
    assert (
        info.value.message
        == f"sheet not found (HTTP 404): {site.url('/nope.csv')} — check the link"
    )


def test_server_error_is_retryable(site: Site) -> None:
    site.routes["/busy"] = Route(503, b"down", {"Retry-After": "120"})
    with pytest.raises(SourceError) as info:
        sheet_at(site.url("/busy")).fetch({}, NOW)
    assert info.value.kind == "server" and info.value.retryable
    assert info.value.retry_after == 120.0


def test_slow_server_times_out(site: Site) -> None:
    site.routes["/slow"] = Route(delay=5.0)
    source = sheet_at(site.url("/slow"), timeout=0.3, connect_timeout=0.3)
    started = datetime.now(UTC)
    with pytest.raises(SourceError) as info:
        source.fetch({}, NOW)
    assert (datetime.now(UTC) - started) < timedelta(seconds=3)
    assert info.value.kind == "timeout" and info.value.retryable
    assert info.value.message == f"sheet timed out after 0.3 s: {site.url('/slow')}"


def test_refused_connection_is_named(site: Site) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError) as info:
        sheet_at(f"http://127.0.0.1:{port}/x.csv").fetch({}, NOW)
    assert info.value.kind == "refused"
    assert info.value.message == f"the sheet's server 127.0.0.1:{port} refused the connection"


def test_etag_304_is_unchanged_and_costs_nothing_downstream(site: Site) -> None:
    site.routes["/roster.csv"] = Route(headers={"Content-Type": "text/csv", "ETag": '"v1"'})
    source = sheet_at(site.url("/roster.csv"), refresh=0)
    first = source.fetch({}, NOW)
    again = source.fetch(first.cursor, NOW + timedelta(minutes=1))
    assert again.unchanged and again.roster == [] and not again.roster_complete
    assert site.hits[1][1]["if-none-match"] == '"v1"'
    assert again.requests == 1
    # a real change comes through
    site.routes["/roster.csv"] = Route(
        body=ROSTER + b"Cy,cy@x.co,5\r\n", headers={"Content-Type": "text/csv", "ETag": '"v2"'}
    )
    changed = source.fetch(again.cursor, NOW + timedelta(minutes=2))
    assert [r.name for r in changed.roster] == ["Ana", "Ben", "Cy"] and changed.roster_complete


def test_unchanged_body_without_validators_is_unchanged_by_hash(site: Site) -> None:
    site.routes["/plain.csv"] = Route(headers={"Content-Type": "text/csv"})
    source = sheet_at(site.url("/plain.csv"), refresh=0)
    first = source.fetch({}, NOW)
    again = source.fetch(first.cursor, NOW + timedelta(minutes=1))
    assert len(site.hits) == 2
    assert again.unchanged and again.roster == []
    assert str(site.url("/plain.csv")) not in repr(again.cursor)  # the link is a key: not stored


def test_url_is_downloaded_at_most_once_per_refresh(site: Site) -> None:
    site.routes["/roster.csv"] = Route()
    source = sheet_at(site.url("/roster.csv"))  # default refresh: 5 minutes
    first = source.fetch({}, NOW)
    soon = source.fetch(first.cursor, NOW + timedelta(seconds=30))
    assert soon.unchanged and soon.requests == 0 and len(site.hits) == 1
    later = source.fetch(soon.cursor, NOW + timedelta(minutes=5, seconds=1))
    assert later.requests == 1 and len(site.hits) == 2


def test_bad_rows_warnings_survive_unchanged_polls(site: Site) -> None:
    site.routes["/r.csv"] = Route(body=b"name,cap_hours\nAna,lots\nBen,3\n")
    source = sheet_at(site.url("/r.csv"), refresh=0)
    first = source.fetch({}, NOW)
    assert [r.name for r in first.roster] == ["Ben"]
    assert first.warnings == ["line 2: cap_hours 'lots' is not a number; row skipped"]
    again = source.fetch(first.cursor, NOW)
    assert again.unchanged and again.warnings == first.warnings


def test_csv_without_name_column_is_a_parse_error(site: Site) -> None:
    site.routes["/tab2.csv"] = Route(body=b"date,amount\n2025-01-01,4\n")
    with pytest.raises(SourceError) as info:
        sheet_at(site.url("/tab2.csv")).fetch({}, NOW)
    assert info.value.kind == "parse" and "no 'name' column" in info.value.message


# -- local files -----------------------------------------------------------------


def test_local_file_is_read_and_then_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER)
    old = NOW.timestamp() - 3600
    os.utime(path, (old, old))
    source = SheetSource("roster", {"path": str(path)})
    first = source.fetch({}, NOW)
    assert [r.name for r in first.roster] == ["Ana", "Ben"] and first.roster_complete
    again = source.fetch(first.cursor, NOW + timedelta(seconds=30))
    assert again.unchanged and again.roster == []
    # touched but identical: still unchanged (hash)
    os.utime(path, (old + 10, old + 10))
    touched = source.fetch(again.cursor, NOW + timedelta(seconds=60))
    assert touched.unchanged
    # edited: new rows
    path.write_bytes(ROSTER.replace(b"Ben", b"Benedita"))
    os.utime(path, (old + 20, old + 20))
    edited = source.fetch(touched.cursor, NOW + timedelta(seconds=90))
    assert [r.name for r in edited.roster] == ["Ana", "Benedita"]


def test_local_file_not_utf8_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("name,task\nJosé,Café\n".encode("cp1252"))
    result = SheetSource("roster", {"path": str(path)}).fetch({}, NOW)
    assert result.roster[0].name == "José" and result.roster[0].task == "Café"
    assert result.warnings == ["line 2: the file is not UTF-8; read it as Windows-1252"]


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "roster.csv"
    with pytest.raises(SourceError) as info:
        SheetSource("roster", {"path": str(path)}).fetch({}, NOW)
    assert info.value.kind == "file"
    assert info.value.message == f"roster: roster file {path} does not exist"
    advice = explain(info.value)
    assert "check the path" in advice and "network" not in advice


@pytest.mark.parametrize("options", [{}, {"path": "a.csv", "url": "http://127.0.0.1/x"}])
def test_exactly_one_of_path_or_url(options: dict[str, str]) -> None:
    with pytest.raises(SourceError) as info:
        SheetSource("roster", options).fetch({}, NOW)
    assert info.value.kind == "config" and not info.value.retryable
    assert "set exactly one of path (a CSV file) or url (a shared sheet)" in info.value.message


def test_registered_as_the_sheet_entry_point() -> None:
    cls = load_source_class("sheet")
    assert cls is SheetSource


def test_tls_to_a_plain_http_server_is_a_tls_error(site: Site) -> None:
    site.routes["/roster.csv"] = Route()
    with pytest.raises(SourceError) as info:
        sheet_at(site.url("/roster.csv").replace("http://", "https://")).fetch({}, NOW)
    assert info.value.kind == "tls" and not info.value.retryable
    assert info.value.message.startswith("TLS failed talking to 127.0.0.1:")


def test_dns_failure_is_named_without_the_secret_parts() -> None:
    import socket

    import httpx

    from farwatch.sources.sheet_http import _network_error

    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as cause:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from cause
    except httpx.ConnectError as exc:
        err = _network_error(exc, redact("https://u:pw@sheets.example.invalid/r.csv?key=k"))
    assert err.kind == "dns"
    assert (
        err.message == "cannot find the sheet's server sheets.example.invalid (DNS lookup failed)"
    )
