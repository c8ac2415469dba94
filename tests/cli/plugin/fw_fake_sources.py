"""A third-party-style source plugin for tests, registered the way plugins are.

``FileSource`` reads a JSON file describing what one fetch returns (or the
error it raises), so CLI tests drive the real config, engine, cache and derive
code with sources whose behaviour the test controls by writing a file.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest

from farwatch.sources import registry
from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.model import CheckIn, Cursor, FetchResult, RosterRow, TimeEntry

PLUGIN_DIR = Path(__file__).resolve().parent


class FileSource(Source):
    type_name: ClassVar[str] = "fakefile"
    description: ClassVar[str] = "reads a JSON file (tests only)"
    default_interval: ClassVar[float] = 120.0
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", kind="path", required=True, help="the JSON file to read"),
        Option("token_env", kind="env", help="variable holding a token"),
        Option("mode", kind="choice", choices=("fast", "slow"), default="fast"),
        Option("limit", kind="int", default=10),
        Option("ratio", kind="float", default=0.5),
        Option("verbose", kind="bool", default=False),
        Option("timeout", kind="duration", default="30s"),
        Option("endpoint", kind="url", default="https://example.com/api"),
        Option("label", kind="str", default=""),
    )

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        try:
            spec: dict[str, Any] = json.loads(Path(self.config["path"]).read_text("utf-8"))
        except FileNotFoundError:
            raise SourceError(
                f"{self.config['path']} does not exist", title="no file", kind="io", retryable=False
            ) from None
        if spec.get("needs_token"):
            self.secret("token_env")
        if "error" in spec:
            err = spec["error"]
            raise SourceError(
                err["message"], title=err.get("title", "failed"), kind=err.get("kind", "unknown")
            )
        return FetchResult(
            roster=[RosterRow(**row) for row in spec.get("roster", [])],
            checkins=[
                CheckIn(**{**c, "at": datetime.fromisoformat(c["at"])})
                for c in spec.get("checkins", [])
            ],
            entries=[
                TimeEntry(
                    **{
                        **e,
                        "start": datetime.fromisoformat(e["start"]),
                        "end": datetime.fromisoformat(e["end"]) if e.get("end") else None,
                    }
                )
                for e in spec.get("entries", [])
            ],
            roster_complete="roster" in spec,
            requests=1,
        )


class TokenSource(Source):
    """A plugin that (unwisely) declares an inline secret option."""

    type_name: ClassVar[str] = "faketoken"
    options: ClassVar[tuple[Option, ...]] = (Option("api_token", kind="str", required=True),)

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        return FetchResult()


FAKES = {"fakefile": "FileSource", "faketoken": "TokenSource"}


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the fakes beside the installed sources for one test."""
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    real = registry._entry_points

    def with_fakes() -> dict[str, EntryPoint]:
        eps = dict(real())
        for name, cls in FAKES.items():
            eps[name] = EntryPoint(name, f"fw_fake_sources:{cls}", registry.GROUP)
        return eps

    monkeypatch.setattr(registry, "_entry_points", with_fakes)


def install_for_process() -> None:
    """Register the fakes for the rest of this process (for subprocess tests)."""
    real = registry._entry_points

    def with_fakes() -> dict[str, EntryPoint]:
        eps = dict(real())
        for name, cls in FAKES.items():
            eps[name] = EntryPoint(name, f"fw_fake_sources:{cls}", registry.GROUP)
        return eps

    registry._entry_points = with_fakes  # type: ignore[assignment]
