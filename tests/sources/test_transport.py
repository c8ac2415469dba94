"""The shared HTTP transport: credentials stay on the API origin, answers are capped,
and each poll has a request budget. Real servers on 127.0.0.1 (and 127.0.0.2)."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.http import ApiClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.security.hostile import recorder

KEY = "tr4nsport-KEY-0d9s8f7g6h"


class Site:
    """Routes: path -> (status, headers, body) or a callable writing the answer itself."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.written = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return

            def do_GET(self) -> None:
                site.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = site.routes.get(self.path.split("?")[0], (404, {}, b""))
                if callable(route):
                    route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.shutdown()
    s.server.server_close()


def client(site: Site, **kw: Any) -> ApiClient:
    return ApiClient(
        "hours", base_urls=[site.url("/api")], credentials={"X-Api-Key": KEY}, timeout=5, **kw
    )


def test_a_request_to_another_origin_is_refused_before_anything_is_sent(site: Site) -> None:
    api = client(site)
    with recorder() as other:
        port = other.port
        with pytest.raises(SourceError) as raised:
            api.get_json(f"http://127.0.0.2:{port}/api/users")
        assert other.connections == 0
    assert f"http://127.0.0.2:{port}" in raised.value.message
    assert raised.value.kind == "protocol" and not raised.value.retryable


def test_same_origin_redirects_are_followed_others_refused(site: Site) -> None:
    site.routes["/api/a"] = (302, {"Location": "/api/b"}, b"")
    site.routes["/api/b"] = (200, {"Content-Type": "application/json"}, b"[1]")
    api = client(site)
    assert api.get_json(site.url("/api/a")) == [1]
    assert [h.get("x-api-key") for _, h in site.seen] == [KEY, KEY]
    with recorder() as other:
        site.routes["/api/c"] = (307, {"Location": f"http://127.0.0.2:{other.port}/x"}, b"")
        with pytest.raises(SourceError) as raised:
            api.get_json(site.url("/api/c"))
        assert other.connections == 0
    assert "refused to follow a redirect" in raised.value.message


def test_next_page_links_stay_on_the_origin_and_never_downgrade() -> None:
    api = ApiClient("harvest", base_urls=["https://api.harvestapp.com/v2"])
    base = "https://api.harvestapp.com/v2/users?page=1"
    assert api.next_page("/v2/users?page=2", base=base) == (
        "https://api.harvestapp.com/v2/users?page=2"
    )
    with pytest.raises(SourceError, match="downgrade from https to http"):
        api.next_page("http://api.harvestapp.com/v2/users?page=2", base=base)
    with pytest.raises(SourceError, match=re.escape("https://evil.example:443")):
        api.next_page("https://evil.example/v2/users?page=2", base=base)


def test_a_huge_answer_is_read_streamed_and_stopped_at_the_cap(site: Site) -> None:
    chunk = b"[" + b"0," * 32767 + b"0]"  # 64 KiB

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        try:
            for _ in range(1600):  # 100 MiB if nobody stops us
                handler.wfile.write(chunk)
                site.written += len(chunk)
        except OSError:
            return

    site.routes["/api/big"] = endless
    api = client(site, max_bytes=1024 * 1024)
    with pytest.raises(SourceError, match="larger than 1 MB") as raised:
        api.get_json(site.url("/api/big"))
    assert raised.value.title == "answer too large"
    api.close()
    assert site.written < 40 * 1024 * 1024  # the rest was never read, let alone held


def test_each_poll_has_a_request_budget(site: Site) -> None:
    site.routes["/api/x"] = (200, {"Content-Type": "application/json"}, b"{}")
    api = client(site, budget=2)
    api.begin_poll()
    api.get_json(site.url("/api/x"))
    api.get_json(site.url("/api/x"))
    with pytest.raises(SourceError, match="budget of 2 requests") as raised:
        api.get_json(site.url("/api/x"))
    assert raised.value.title == "request budget used" and len(site.seen) == 2
    api.begin_poll()
    assert api.get_json(site.url("/api/x")) == {} and api.used == 1
