"""Start a real IMAP server on 127.0.0.1: Debian's dovecot, else pymap.

``start_imap_server(workdir)`` returns an ``ImapServer`` with a user, a
password, a plain port (LOGIN allowed, STARTTLS offered), an implicit-TLS port
and the CA file that signed the server certificate. Dovecot 2.3 and 2.4 use
different config syntax; both are written here. Set ``FARWATCH_TEST_IMAP`` to
``pymap`` or ``dovecot`` to force one (``dovecot`` fails loudly if missing).
pymap has no implicit-TLS listener, so a small TLS-terminating relay in front
of its plain port provides one. ``ScriptedImap`` (tests/servers/imap_script.py)
is the third kind: a loopback server that breaks on cue.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from tests.servers.certs import ServerCerts, make_certs
from tests.servers.imap_script import ScriptedImap, ScriptedMessage  # noqa: F401 - re-exported

HOST = "127.0.0.1"
USER = "owner@example.com"
PASSWORD = "s3cret-Pa55"  # a test-only password for a loopback server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_for_greeting(
    port: int, proc: subprocess.Popen[bytes], log: Path, deadline: float
) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"IMAP server exited early:\n{_tail(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"IMAP server did not start on port {port}:\n{_tail(log)}")


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError:
        return "(no log)"


@dataclass
class ImapServer:
    """A running IMAP server and how to reach it."""

    kind: str
    port: int
    ssl_port: int
    certs: ServerCerts
    workdir: Path
    proc: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD
    host: str = HOST
    version: str = ""
    _relay: TlsRelay | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- config
    def source_options(self, **overrides: object) -> dict[str, object]:
        """Options for an ``ImapSource`` (the password is in ``FARWATCH_TEST_IMAP_PW``)."""
        options: dict[str, object] = {
            "host": self.host,
            "port": self.ssl_port,
            "username": self.user,
            "password_env": "FARWATCH_TEST_IMAP_PW",
            "tls": "ssl",
            "ca_file": str(self.certs.ca_file),
            "timeout": 10.0,
        }
        options.update(overrides)
        return options

    # -------------------------------------------------------------- mailbox
    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=30)
        imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        imap.login(self.user, self.password)
        return imap

    def deliver(self, *messages: bytes | str, folder: str = "INBOX") -> None:
        """APPEND messages as the mailbox owner would receive them (unread).

        A message with a Date header arrives at that time (its INTERNALDATE),
        so tests that evaluate at a fixed instant see mail from that instant,
        not from the machine's clock (farwatch distrusts arrival dates in the future).
        """
        imap = self.connect()
        try:
            for message in messages:
                raw = message.encode() if isinstance(message, str) else message
                typ, data = imap.append(_quote(folder), None, _arrival(raw), raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            imap.logout()

    def create_folder(self, folder: str) -> None:
        imap = self.connect()
        try:
            imap.create(_quote(folder))
        finally:
            imap.logout()

    def recreate_folder(self, folder: str) -> None:
        """Delete and re-create ``folder`` (gives it a new UIDVALIDITY)."""
        imap = self.connect()
        try:
            imap.delete(_quote(folder))
            typ, data = imap.create(_quote(folder))
            if typ != "OK":
                raise RuntimeError(f"CREATE failed: {data!r}")
        finally:
            imap.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        imap = self.connect()
        try:
            _typ, data = imap.status(_quote(folder), "(UIDVALIDITY)")
            match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
            return int(match.group(1)) if match else -1
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        """UID -> FLAGS string, read without changing anything."""
        imap = self.connect()
        try:
            imap.select(_quote(folder), readonly=True)
            _typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            out: dict[int, str] = {}
            for item in data:
                if isinstance(item, bytes):
                    match = re.search(rb"UID (\d+).*FLAGS \(([^)]*)\)", item) or re.search(
                        rb"FLAGS \(([^)]*)\).*UID (\d+)", item
                    )
                    if match and match.re.pattern.startswith(b"UID"):
                        out[int(match.group(1))] = match.group(2).decode()
                    elif match:
                        out[int(match.group(2))] = match.group(1).decode()
            return out
        finally:
            imap.logout()

    # ------------------------------------------------------------- lifecycle
    def kill(self) -> None:
        """SIGKILL the whole server (every child process), as a crash would."""
        if self._relay is not None:
            self._relay.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self._relay is not None:
            self._relay.stop()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # stragglers in the group
        shutil.rmtree(self.workdir, ignore_errors=True)


def _arrival(raw: bytes) -> datetime | None:
    """The message's Date header as an aware datetime, else None (the server's clock)."""
    value = BytesHeaderParser().parsebytes(raw).get("Date")
    try:
        when = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


def _quote(folder: str) -> str:
    return f'"{folder}"'


# ------------------------------------------------------------------ dovecot
def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def dovecot_version(binary: str) -> tuple[int, int]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    match = re.match(r"(\d+)\.(\d+)", out.stdout.strip())
    if not match:
        raise RuntimeError(f"cannot read dovecot version from {out.stdout!r}")
    return int(match.group(1)), int(match.group(2))


def _dovecot_users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid) for running unprivileged parts."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid

    def lookup(*names: str) -> pwd.struct_passwd:
        for name in names:
            with contextlib.suppress(KeyError):
                return pwd.getpwnam(name)
        raise RuntimeError(f"none of the users {names} exist for dovecot")

    internal = lookup("dovecot", "nobody")
    login = lookup("dovenull", "nobody")
    return internal.pw_name, login.pw_name, internal.pw_uid, internal.pw_gid


def dovecot_config(
    version: tuple[int, int], workdir: Path, certs: ServerCerts, port: int, ssl_port: int
) -> str:
    internal, login, uid, gid = _dovecot_users()
    group = _group_name(gid)
    common = f"""
base_dir = {workdir}/run
state_dir = {workdir}/state
log_path = {workdir}/dovecot.log
protocols = imap
listen = {HOST}
ssl = yes
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {min(uid, 500) if uid else 1}
mail_fsync = never
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
    if version >= (2, 4):
        return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
{common}
ssl_server_cert_file = {certs.cert_file}
ssl_server_key_file = {certs.key_file}
auth_allow_cleartext = yes
passdb passwd-file {{
  passwd_file_path = {workdir}/passwd
}}
userdb static {{
  fields {{
    uid = {uid}
    gid = {gid}
    home = {workdir}/home/%{{user}}
  }}
}}
mail_driver = maildir
mail_path = ~/Maildir
"""
    return f"""{common}
ssl_cert = <{certs.cert_file}
ssl_key = <{certs.key_file}
disable_plaintext_auth = no
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {workdir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={workdir}/home/%u
}}
mail_location = maildir:~/Maildir
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def start_dovecot(binary: str) -> ImapServer:
    version = dovecot_version(binary)
    # a short path: dovecot's unix sockets live under base_dir (108-byte limit)
    workdir = Path(tempfile.mkdtemp(prefix="fw-dovecot-"))
    workdir.chmod(0o755)
    certs = make_certs(workdir / "tls")
    for path in (certs.ca_file, certs.cert_file):
        path.chmod(0o644)
    (workdir / "home").mkdir()
    (workdir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    _, _, uid, gid = _dovecot_users()
    if os.geteuid() == 0:
        os.chown(workdir / "home", uid, gid)
    port, ssl_port = free_port(), free_port()
    conf = workdir / "dovecot.conf"
    conf.write_text(dovecot_config(version, workdir, certs, port, ssl_port))
    log = workdir / "dovecot.log"
    out = open(workdir / "stdout.log", "wb")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(conf)],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_greeting(port, proc, log, time.monotonic() + 20)
    except RuntimeError as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise RuntimeError(f"{exc}\n{_tail(workdir / 'stdout.log')}") from None
    return ImapServer(
        kind="dovecot",
        port=port,
        ssl_port=ssl_port,
        certs=certs,
        workdir=workdir,
        proc=proc,
        version=".".join(map(str, version)),
    )


# -------------------------------------------------------------------- pymap
_PYMAP = "import sys; from pymap.main import main; sys.argv[0] = 'pymap'; sys.exit(main())"


def start_pymap() -> ImapServer:
    workdir = Path(tempfile.mkdtemp(prefix="fw-pymap-"))
    certs = make_certs(workdir / "tls")
    port = free_port()
    log = workdir / "pymap.log"
    out = open(log, "wb")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PYMAP,
            "--host",
            HOST,
            "--port",
            str(port),
            "--cert",
            str(certs.cert_file),
            "--key",
            str(certs.key_file),
            "dict",
            "--demo-user",
            USER,
            "--demo-password",
            PASSWORD,
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_greeting(port, proc, log, time.monotonic() + 30)
    except RuntimeError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    relay = TlsRelay(certs, port)
    return ImapServer(
        kind="pymap",
        port=port,
        ssl_port=relay.port,
        certs=certs,
        workdir=workdir,
        proc=proc,
        _relay=relay,
    )


class TlsRelay:
    """Implicit TLS on a port of its own, relayed to a plain IMAP port."""

    def __init__(self, certs: ServerCerts, target: int) -> None:
        self.target = target
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(certs.cert_file, certs.key_file)
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            client = self.context.wrap_socket(raw, server_side=True)
            client.settimeout(None)
            upstream = socket.create_connection((HOST, self.target))
        except (OSError, ssl.SSLError):
            raw.close()
            return
        self._conns += [client, upstream]
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


# -------------------------------------------------------------------- entry
def start_imap_server() -> ImapServer:
    """Dovecot when installed (or forced), else pymap; never a skip."""
    choice = os.environ.get("FARWATCH_TEST_IMAP", "").strip().lower()
    binary = dovecot_binary()
    if choice == "pymap" or (not choice and binary is None):
        return start_pymap()
    if binary is None:
        raise RuntimeError("FARWATCH_TEST_IMAP=dovecot but dovecot is not installed")
    return start_dovecot(binary)


class HangingServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        for sock in (self.listener, *self._held):
            with contextlib.suppress(OSError):
                sock.close()
