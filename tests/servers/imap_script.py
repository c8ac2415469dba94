"""A scripted IMAP4rev1 server on 127.0.0.1 that misbehaves on cue.

dovecot and pymap are honest servers; mail servers in the wild are not. This
one speaks just enough IMAP for farwatch's source (CAPABILITY, LOGIN with
quoted strings and literals, EXAMINE, UID SEARCH, UID FETCH, IDLE, NOOP,
LOGOUT) and a test picks, per server, how it breaks:

* poison messages — any FETCH item of one message replaced by raw bytes
  (``add(..., items={"INTERNALDATE": b'"1-Jan-2025 00:00:00 +2400"'})``);
* impossible UIDs — ``search_extra`` UIDs added to every SEARCH answer,
  ``search_twice`` lists each UID twice, ``uidnext`` overrides UIDNEXT;
* omitted FETCH answers — ``omit`` UIDs are never returned by FETCH;
* flapping UIDVALIDITY — ``flap`` gives every EXAMINE a new one;
* trickle — ``trickle`` seconds between bytes of every answer after LOGIN;
* huge literals — ``pad`` bytes appended to every header and body literal,
  whatever partial range was asked for;
* EXISTS on IDLE start — ``exists_on_idle`` repeats the unchanged count;
  ``drop_on_idle`` closes the connection instead;
* echoing NO answers — ``echo_no`` names a command ("EXAMINE", "UID SEARCH")
  that is refused with a NO repeating the LOGIN arguments exactly as they
  arrived on the wire, after ``echo_pad`` bytes of chatter;
* ``vary_received`` — a new Received header on every header fetch (servers
  that rewrite headers), ``refuse_starttls`` — STARTTLS offered, then refused;
* ``ignore_since`` answers SEARCH SINCE with every message.

It records what clients did: ``commands`` (each command line, literals
inlined), ``logins``, ``fetched`` (UIDs whose headers were sent) and
``connections``.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

HOST = "127.0.0.1"
USER = "owner@example.com"
PASSWORD = "s3cret-Pa55"

_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass
class ScriptedMessage:
    """One message in the scripted folder; ``items`` replaces FETCH items raw."""

    uid: int
    raw: bytes
    internaldate: str = "11-Mar-2025 13:05:00 +0000"
    items: dict[str, bytes] = field(default_factory=dict)

    @property
    def header(self) -> bytes:
        head, sep, _ = self.raw.partition(b"\r\n\r\n")
        return head + b"\r\n\r\n" if sep else self.raw

    @property
    def body(self) -> bytes:
        return self.raw.partition(b"\r\n\r\n")[2]

    def day(self) -> tuple[int, int, int]:
        d, mon, rest = self.internaldate.split("-", 2)
        return int(rest[:4]), _MONTHS.index(mon) + 1, int(d)


class _Closed(Exception):
    pass


class ScriptedImap:
    """A threaded loopback IMAP server; set the behaviour attributes, then connect."""

    def __init__(self, *, user: str = USER, password: str = PASSWORD) -> None:
        self.user = user
        self.password = password
        self.messages: list[ScriptedMessage] = []
        self.uidvalidity = 1000
        self.uidnext: int | None = None
        self.capabilities = ["IMAP4rev1", "IDLE", "UIDPLUS"]
        # behaviours
        self.search_extra: list[int] = []
        self.search_twice = False
        self.omit: set[int] = set()
        self.flap = False
        self.trickle = 0.0
        self.pad = 0
        self.exists_on_idle = False
        self.drop_on_idle = False
        self.echo_no = ""
        self.echo_pad = 0
        self.vary_received = False
        self.refuse_starttls = False
        self.ignore_since = False
        # records
        self.commands: list[bytes] = []
        self.logins = 0
        self.fetched: list[int] = []
        self.connections = 0
        self._login_wire = b""
        self._lock = threading.Lock()
        self._idlers: list[socket.socket] = []
        self._socks: list[socket.socket] = []
        self._stopped = threading.Event()
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    # ---------------------------------------------------------------- mailbox
    def add(
        self, raw: bytes | str, *, internaldate: str = "", items: dict[str, bytes] | None = None
    ) -> int:
        """Add a message (and tell IDLE-ing clients); returns its UID."""
        data = raw.encode() if isinstance(raw, str) else raw
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with self._lock:
            uid = max((m.uid for m in self.messages), default=0) + 1
            msg = ScriptedMessage(uid, data, items=dict(items or {}))
            if internaldate:
                msg.internaldate = internaldate
            self.messages.append(msg)
            idlers, count = list(self._idlers), len(self.messages)
        for sock in idlers:
            with contextlib.suppress(OSError):
                sock.sendall(b"* %d EXISTS\r\n" % count)
        return uid

    def source_options(self, **overrides: object) -> dict[str, object]:
        """Options for an ``ImapSource`` (password in ``FARWATCH_TEST_IMAP_PW``)."""
        options: dict[str, object] = {
            "host": HOST,
            "port": self.port,
            "username": self.user,
            "password_env": "FARWATCH_TEST_IMAP_PW",
            "tls": "none",
            "timeout": 10.0,
        }
        options.update(overrides)
        return options

    def close(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    # ------------------------------------------------------------- transport
    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._socks.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        session = _Session(self, conn)
        try:
            session.run()
        except (_Closed, OSError):
            pass
        finally:
            with self._lock:
                if conn in self._idlers:
                    self._idlers.remove(conn)
            with contextlib.suppress(OSError):
                conn.close()


class _Session:
    def __init__(self, server: ScriptedImap, conn: socket.socket) -> None:
        self.server = server
        self.conn = conn
        self.buffer = b""
        self.authed = False

    # -- bytes in and out
    def send(self, data: bytes) -> None:
        if self.authed and self.server.trickle:
            for i in range(len(data)):
                if self.server._stopped.is_set():
                    raise _Closed
                self.conn.sendall(data[i : i + 1])
                time.sleep(self.server.trickle)
            return
        self.conn.sendall(data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise _Closed
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"

    def exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise _Closed
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def command(self) -> tuple[bytes, list[bytes | tuple[bytes]]]:
        """The whole command (literals inlined) and its tokens (literals as 1-tuples)."""
        raw = b""
        tokens: list[bytes | tuple[bytes]] = []
        while True:
            part = self.line()
            match = _LITERAL.search(part)
            tokens += _tokens(part[: match.start()] if match else part[:-2])
            raw += part
            if not match:
                return raw, tokens
            if not match.group(2):
                self.conn.sendall(b"+ go ahead\r\n")
            literal = self.exact(int(match.group(1)))
            raw += literal
            tokens.append((literal,))

    # -- the protocol
    def run(self) -> None:
        caps = " ".join(self.server.capabilities).encode()
        self.conn.sendall(b"* OK [CAPABILITY " + caps + b"] scripted ready\r\n")
        while True:
            raw, tokens = self.command()
            with self.server._lock:
                self.server.commands.append(raw)
            if len(tokens) < 2:
                self.send(b"* BAD no command\r\n")
                continue
            tag, name = _text(tokens[0]), _text(tokens[1]).upper()
            args = tokens[2:]
            if name == "UID" and args:
                name, args = "UID " + _text(args[0]).upper(), args[1:]
            handler = getattr(self, "do_" + name.replace(" ", "_"), None)
            if handler is None:
                self.send(tag.encode() + b" BAD unknown command\r\n")
                continue
            handler(tag.encode(), args, raw)

    def do_CAPABILITY(self, tag: bytes, args: list, raw: bytes) -> None:
        caps = " ".join(self.server.capabilities).encode()
        self.send(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n")

    def do_NOOP(self, tag: bytes, args: list, raw: bytes) -> None:
        self.send(tag + b" OK done\r\n")

    def do_LOGOUT(self, tag: bytes, args: list, raw: bytes) -> None:
        self.send(b"* BYE bye\r\n" + tag + b" OK done\r\n")
        raise _Closed

    def do_LOGIN(self, tag: bytes, args: list, raw: bytes) -> None:
        with self.server._lock:
            self.server.logins += 1
        wire = raw.split(b" ", 2)
        self.server._login_wire = wire[2].rstrip(b"\r\n") if len(wire) > 2 else b""
        if any(_bad_atom(a) for a in args):  # RFC 3501: such a user name must be quoted
            self.send(tag + b" BAD invalid characters in an atom\r\n")
            return
        values = [_value(a) for a in args]
        if values == [self.server.user.encode(), self.server.password.encode()]:
            self.send(tag + b" OK logged in\r\n")
            self.authed = True  # a trickle starts after the login answer
        else:
            self.send(tag + b" NO [AUTHENTICATIONFAILED] invalid credentials\r\n")

    def echoed_no(self, tag: bytes, command: str) -> bool:
        """Refuse ``command`` repeating the LOGIN arguments, if this server is set to."""
        if self.server.echo_no != command:
            return False
        chatter = b"the request could not be completed " * (self.server.echo_pad // 35 + 1)
        chatter = chatter[: self.server.echo_pad]
        self.send(tag + b" NO " + chatter + b"for LOGIN " + self.server._login_wire + b"\r\n")
        return True

    def do_STARTTLS(self, tag: bytes, args: list, raw: bytes) -> None:
        self.send(
            tag + (b" NO TLS is unavailable\r\n" if self.server.refuse_starttls else b" BAD no\r\n")
        )

    def do_EXAMINE(self, tag: bytes, args: list, raw: bytes) -> None:
        server = self.server
        if self.echoed_no(tag, "EXAMINE"):
            return
        with server._lock:
            if server.flap:
                server.uidvalidity += 1
            count = len(server.messages)
            top = max((m.uid for m in server.messages), default=0)
            uidnext = server.uidnext if server.uidnext is not None else top + 1
        self.send(
            b"* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY %d] ok\r\n"
            b"* OK [UIDNEXT %d] ok\r\n%s OK [READ-ONLY] done\r\n"
            % (count, server.uidvalidity, uidnext, tag)
        )

    do_SELECT = do_EXAMINE

    def do_UID_SEARCH(self, tag: bytes, args: list, raw: bytes) -> None:
        if self.echoed_no(tag, "UID SEARCH"):
            return
        text = raw.decode("latin-1")
        msgs = list(self.server.messages)
        top = max((m.uid for m in msgs), default=0)
        uid_range = re.search(r"UID (\S+)", text[text.upper().index("SEARCH") :])
        if uid_range:
            wanted = _uid_set(uid_range.group(1), top)
            msgs = [m for m in msgs if m.uid in wanted]
        since = re.search(r"SINCE \"?(\d+)-(\w{3})-(\d{4})", text)
        if since and not self.server.ignore_since:
            day = (int(since.group(3)), _MONTHS.index(since.group(2)) + 1, int(since.group(1)))
            msgs = [m for m in msgs if m.day() >= day]
        uids = [m.uid for m in msgs]
        if self.server.search_twice:
            uids = uids + uids
        uids += self.server.search_extra
        self.send(
            b"* SEARCH" + b"".join(b" %d" % u for u in uids) + b"\r\n" + tag + b" OK done\r\n"
        )

    def do_UID_FETCH(self, tag: bytes, args: list, raw: bytes) -> None:
        server = self.server
        match = re.match(rb"\S+ UID FETCH (\S+) \((.*)\)\r\n$", raw, re.S | re.I)
        if not match:
            self.send(tag + b" BAD fetch what?\r\n")
            return
        msgs = list(server.messages)
        top = max((m.uid for m in msgs), default=0)
        wanted = _uid_set(match.group(1).decode(), top)
        items = _fetch_items(match.group(2).decode())
        for seq, msg in enumerate(msgs, start=1):
            if msg.uid not in wanted or msg.uid in server.omit:
                continue
            self.send(b"* %d FETCH (" % seq)
            parts = [b"UID %d" % msg.uid]
            for item in items:
                if item.upper() != "UID":
                    parts.append(self._item(msg, item))
            for i, part in enumerate(parts):
                lead = b" " if i else b""
                if isinstance(part, tuple):
                    self._literal(part[0], part[1], lead)
                else:
                    self.send(lead + part)
            self.send(b")\r\n")
        self.send(tag + b" OK done\r\n")

    def _item(self, msg: ScriptedMessage, item: str) -> bytes | tuple[bytes, bytes]:
        key = item.upper()
        name = key.split("[", 1)[0].replace(".PEEK", "")
        if name in msg.items:
            return name.encode() + b" " + msg.items[name]
        if key == "INTERNALDATE":
            return b'INTERNALDATE "' + msg.internaldate.encode() + b'"'
        if key == "BODYSTRUCTURE":
            lines = msg.body.count(b"\n")
            return (
                b'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" %d %d'
                b" NIL NIL NIL NIL)" % (len(msg.body), lines)
            )
        section = key[key.index("[") + 1 : key.index("]")] if "[" in key else ""
        partial = re.search(r"<(\d+)\.(\d+)>$", key)
        if section == "HEADER" or section.startswith("HEADER.FIELDS"):
            with self.server._lock:
                self.server.fetched.append(msg.uid)
                hop = len(self.server.fetched)
            head = msg.header
            if self.server.vary_received:
                head = (
                    b"Received: from relay%d.example.net; %s\r\n"
                    % (
                        hop,
                        msg.internaldate.encode(),
                    )
                    + head
                )
            data = head if section == "HEADER" else _fields(head, section)
        else:
            data = msg.body
        if partial:
            start, size = int(partial.group(1)), int(partial.group(2))
            data = data[start : start + size]
        label = "BODY[" + item[item.index("[") + 1 : item.index("]")] + "]"
        if partial:
            label += f"<{partial.group(1)}>"
        return (label.encode(), data)

    def _literal(self, label: bytes, data: bytes, lead: bytes) -> None:
        pad = self.server.pad
        self.send(lead + label + b" {%d}\r\n" % (len(data) + pad))
        self.send(data)
        chunk = b"x" * 65536
        left = pad
        while left > 0:
            self.send(chunk[: min(left, len(chunk))])
            left -= len(chunk)

    def do_IDLE(self, tag: bytes, args: list, raw: bytes) -> None:
        server = self.server
        if server.drop_on_idle:
            raise _Closed
        self.send(b"+ idling\r\n")
        with server._lock:
            server._idlers.append(self.conn)
            count = len(server.messages)
        if server.exists_on_idle:
            self.send(b"* %d EXISTS\r\n" % count)
        try:
            while self.line().strip().upper() != b"DONE":
                pass
        finally:
            with server._lock:
                if self.conn in server._idlers:
                    server._idlers.remove(self.conn)
        self.send(tag + b" OK idle done\r\n")


# --------------------------------------------------------------------- parsing
def _text(token: bytes | tuple[bytes]) -> str:
    return (token[0] if isinstance(token, tuple) else token).decode("utf-8", "replace")


def _value(token: bytes | tuple[bytes]) -> bytes:
    """A LOGIN argument as the server understands it (atom, quoted or literal)."""
    if isinstance(token, tuple):
        return token[0]
    if token.startswith(b'"') and token.endswith(b'"') and len(token) >= 2:
        return re.sub(rb"\\(.)", rb"\1", token[1:-1])
    return token


def _bad_atom(token: bytes | tuple[bytes]) -> bool:
    """An unquoted argument holding atom-specials (quotes, backslashes, brackets ...)."""
    if isinstance(token, tuple) or token.startswith(b'"'):
        return False
    return bool(re.search(rb'[(){%*"\\\]\x00-\x20\x7f]', token))


def _tokens(line: bytes) -> list[bytes | tuple[bytes]]:
    """Atoms and quoted strings of one line (brackets and parentheses kept in atoms)."""
    out: list[bytes | tuple[bytes]] = []
    i = 0
    while i < len(line):
        if line[i : i + 1] == b" ":
            i += 1
            continue
        if line[i : i + 1] == b'"':
            j = i + 1
            while j < len(line) and line[j : j + 1] != b'"':
                j += 2 if line[j : j + 1] == b"\\" else 1
            out.append(line[i : j + 1])
            i = j + 1
            continue
        j = i
        depth = 0
        while j < len(line) and (line[j : j + 1] != b" " or depth):
            depth += {b"(": 1, b"[": 1, b")": -1, b"]": -1}.get(line[j : j + 1], 0)
            j += 1
        out.append(line[i:j])
        i = j
    return out


class _UidSet:
    """A UID set such as ``1,4:7,9:*`` (``*`` is the highest UID in the folder)."""

    def __init__(self, text: str, top: int) -> None:
        self.ranges: list[tuple[int, int]] = []
        for piece in text.split(","):
            lo, _, hi = piece.partition(":")
            a = top if lo == "*" else int(lo)
            b = a if not hi else (top if hi == "*" else int(hi))
            self.ranges.append((min(a, b), max(a, b)))

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and any(lo <= uid <= hi for lo, hi in self.ranges)


def _uid_set(text: str, top: int) -> _UidSet:
    return _UidSet(text, top)


def _fetch_items(text: str) -> list[str]:
    items: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch == " " and not depth:
            if current:
                items.append(current)
            current = ""
            continue
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        current += ch
    if current:
        items.append(current)
    return items


def _fields(header: bytes, section: str) -> bytes:
    names = set(re.findall(r"[A-Z0-9-]+", section.split("(", 1)[1].upper()))
    parsed = BytesHeaderParser().parsebytes(header)
    out = b""
    for key, value in parsed.raw_items():
        if key.upper() in names:
            out += f"{key}: {value}".replace("\n", "\r\n").encode("utf-8", "surrogateescape")
            out += b"\r\n"
    return out + b"\r\n"
