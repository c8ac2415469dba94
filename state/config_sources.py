"""Validating ``[[sources]]`` tables against each source class's declared options.

Each table's ``type`` picks a class through the entry-point registry; its other
keys must be ``name``, ``interval``, ``deadline`` or one of the class's ``options``, coerced
by ``Option.kind``. An ``env`` option ``<x>_env`` may instead be given as
``<x>_keyring = "service/username"``. Names default to the type, suffixed
``-2``, ``-3``... when several sources share a type; explicit names must be
unique.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from farwatch.sources.base import Option
from farwatch.sources.registry import UnknownSourceType, load_source_class, source_types
from farwatch.state.config_reader import ConfigError, Reader, Table, is_secret_key, show
from farwatch.state.config_types import DURATION_EXPECTED, parse_duration
from farwatch.state.settings import SourceSettings

RESERVED_SOURCE_KEYS = ("type", "name", "interval", "deadline")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SourcesReader(Reader):
    """Adds ``[[sources]]`` validation to the value parsers."""

    doc: dict[str, Any]

    def _sources(self, top: Table) -> tuple[SourceSettings, ...]:
        top.used.add("sources")
        raw = self.doc.get("sources", [])
        if not isinstance(raw, list):
            raise self.fail("sources", "[[sources]] tables (an array of tables)", raw)
        tables = [Table(self, item, f"sources[{i}]") for i, item in enumerate(raw, start=1)]
        explicit: dict[str, str] = {}
        for t in tables:
            if t.has("name"):
                name = t.data["name"]
                if not isinstance(name, str) or not _NAME.match(name):
                    raise self.fail(
                        t.key("name"), "a name of letters, digits, '-', '_' or '.'", name
                    )
                if name in explicit:
                    raise ConfigError(
                        self.file,
                        t.key("name"),
                        "a name no other source uses",
                        f"{show(name)} (already the name of {explicit[name]})",
                    )
                explicit[name] = t.path
        taken = set(explicit)
        return tuple(self._source(t, taken) for t in tables)

    def _source(self, t: Table, taken: set[str]) -> SourceSettings:
        if not t.has("type"):
            raise ConfigError(
                self.file,
                t.key("type"),
                f"the source type, one of: {', '.join(source_types()) or 'none installed'}",
                problem="missing",
            )
        type_name = t.get("type", self.string, "")
        try:
            cls = load_source_class(type_name)
        except UnknownSourceType:
            raise ConfigError(
                self.file,
                t.key("type"),
                f"one of the installed source types: {', '.join(source_types()) or 'none'}",
                show(type_name),
            ) from None
        except ImportError as exc:
            raise ConfigError(self.file, t.key("type"), None, problem=str(exc)) from None
        t.used.add("name")
        name = t.data.get("name")
        if name is None:
            name = type_name
            n = 2
            while name in taken:
                name, n = f"{type_name}-{n}", n + 1
            taken.add(name)
        interval = t.get("interval", self.duration(1), float(cls.default_interval))
        deadline = t.get("deadline", self.duration(1), None)
        options = self._options(t, type_name, cls.options)
        known = (*RESERVED_SOURCE_KEYS, *_option_keys(cls.options))
        t.finish(known, f'a "{type_name}" source')
        return SourceSettings(
            type=type_name, name=name, interval=interval, options=options, deadline=deadline
        )

    def _options(self, t: Table, type_name: str, declared: tuple[Option, ...]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for opt in declared:
            ref = _keyring_key(opt)
            if ref and t.has(ref):
                options[ref] = t.get(ref, self.keyring_ref, None)
            if opt.name in t.data:
                if ref and ref in options:
                    raise ConfigError(
                        self.file,
                        t.key(opt.name),
                        f"only one of {opt.name} or {ref}",
                        problem="both are set",
                    )
                options[opt.name] = t.get(opt.name, self._option_parser(opt), None)
                if is_secret_key(opt.name) and isinstance(options[opt.name], str):
                    self.warn_inline_secret(t.key(opt.name), used=True)
            elif opt.required and not (ref and ref in options):
                alt = f" (or {ref})" if ref else ""
                raise ConfigError(
                    self.file,
                    t.key(opt.name),
                    f"{_kind_words(opt)}{alt}, required for a {show(type_name)} source"
                    + (f": {opt.help}" if opt.help else ""),
                    problem="missing",
                )
            else:
                options[opt.name] = self._default(t.key(opt.name), opt)
        return options

    def _default(self, key: str, opt: Option) -> Any:
        if opt.default is None:
            return None
        if opt.kind == "duration" and isinstance(opt.default, str):
            return parse_duration(opt.default)
        if opt.kind == "path" and isinstance(opt.default, str | Path):
            return str(self.path(key, str(opt.default)))
        return opt.default

    def _option_parser(self, opt: Option) -> Callable[[str, Any], Any]:
        kind = opt.kind
        if kind == "env":
            return self.env_name
        if kind == "duration":
            return self.duration()
        if kind == "path":
            return lambda key, value: str(self.path(key, value))
        if kind == "choice":
            return self.choice(opt.choices)
        if kind == "int" and opt.minimum is not None:
            return self.count(opt.minimum)
        parsers: dict[str, Callable[[str, Any], Any]] = {
            "int": self.integer,
            "float": self.number,
            "bool": self.boolean,
            "url": self.url,
            "host": self.host_name,
        }
        return parsers.get(kind, self.string)


def _option_keys(options: tuple[Option, ...]) -> tuple[str, ...]:
    keys: list[str] = []
    for opt in options:
        keys.append(opt.name)
        ref = _keyring_key(opt)
        if ref:
            keys.append(ref)
    return tuple(keys)


def _keyring_key(opt: Option) -> str | None:
    """``password_env`` may instead be given as ``password_keyring``."""
    if opt.kind == "env" and opt.name.endswith("_env"):
        return opt.name[: -len("_env")] + "_keyring"
    return None


def _kind_words(opt: Option) -> str:
    return {
        "str": "a string",
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
        "duration": DURATION_EXPECTED,
        "path": "a file path",
        "url": "a URL",
        "host": "a host name",
        "env": "the name of an environment variable holding the secret",
        "choice": "one of " + ", ".join(f'"{c}"' for c in opt.choices),
    }.get(opt.kind, "a value")
