"""Throwaway mail servers on loopback, for the ``demo`` command and the test suite.

* :class:`Dovecot` runs the real Dovecot IMAP server as a child process, configured
  entirely inside one work directory (config, sockets, state, log, mail).
* :class:`SmtpSink` is an aiosmtpd server in a thread that records what it accepts
  and can be told to fail (4xx/5xx replies, dropped connections) on demand.

Nothing here touches the network beyond 127.0.0.1, and nothing happens at import.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NamedTuple

import imapclient
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"
DROP = "<drop connection>"
"""Queue this instead of a reply to make :class:`SmtpSink` hang up without answering."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _port_bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class TlsFiles(NamedTuple):
    """PEM files for a throwaway CA and a server certificate for 127.0.0.1/localhost."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the throwaway CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_tls_files(directory: Path) -> TlsFiles:
    """Create a CA and a server cert with ``trustme`` (a test-only dependency)."""
    import trustme  # lazily: only installed with the "test" extra

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.cert_pem.write_to_path(str(files.ca_file))
    leaf.private_key_pem.write_to_path(str(files.key_file))
    for i, blob in enumerate(leaf.cert_chain_pems):
        blob.write_to_path(str(files.cert_file), append=i > 0)
    return files


def dovecot_available() -> bool:
    return _dovecot_binary() is not None


def _dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


def _traversable(path: Path, uid: int, gid: int) -> bool:
    """Roughly: can ``uid`` reach ``path``? (Mode bits only; ACLs are ignored.)"""
    for p in [path, *path.parents]:
        st = p.stat()
        bit = 0o100 if st.st_uid == uid else 0o010 if st.st_gid == gid else 0o001
        if not st.st_mode & bit:
            return False
    return True


class Dovecot:
    """A real Dovecot IMAP server on 127.0.0.1, self-contained in ``workdir``.

    As root, mail processes run as nobody/nogroup (Dovecot refuses to access mail
    as root), so ``workdir`` must be traversable by nobody (e.g. under /tmp, not
    under pytest's 0700 basetemp). As any other user, every Dovecot process runs
    as that user and chroots are switched off.
    """

    host = HOST

    def __init__(
        self,
        workdir: Path,
        users: dict[str, str],
        *,
        tls: bool = False,
        tls_cert: tuple[Path, Path] | None = None,
        ca_file: Path | None = None,
        extra_config: str = "",
    ) -> None:
        if tls and tls_cert is None:
            raise ValueError("tls=True needs tls_cert=(cert_file, key_file)")
        for user, password in users.items():
            if re.search(r"[:\s]", user) or re.search(r"[:\n]", password):
                raise ValueError(f"unsupported character in passwd-file entry for {user!r}")
        self.workdir = Path(workdir).resolve()
        self.users = dict(users)
        self.tls = tls
        self.tls_cert = tls_cert
        self.extra_config = extra_config
        self.port = free_port()
        self.ca_file = Path(ca_file) if ca_file else None  # None: system trust store
        self.log_path = self.workdir / "dovecot.log"
        self.config_path = self.workdir / "dovecot.conf"
        self._stderr_path = self.workdir / "dovecot.stderr"
        self._proc: subprocess.Popen[bytes] | None = None

    # -- configuration -------------------------------------------------------------

    def _write_files(self) -> None:
        w, mail, passwd = self.workdir, self.workdir / "mail", self.workdir / "users.passwd"
        mail.mkdir(parents=True, exist_ok=True)
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))
        if os.geteuid() == 0:
            # Dovecot will not access mail as root: use nobody, which must reach workdir.
            uid, gid = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid
            if not _traversable(w, uid, gid):
                raise RuntimeError(
                    f"{w} is not traversable by 'nobody', so Dovecot's mail "
                    "processes cannot reach it; use a directory under /tmp "
                    "with mode 0711 (pytest's basetemp is 0700)."
                )
            os.chown(mail, uid, gid)
            passwd.chmod(0o644)  # the auth process runs as the 'dovecot' user
            users, no_chroot = "", ""
        else:
            # Unprivileged: every service runs as us, and nothing may chroot or setuid.
            uid, gid = os.getuid(), os.getgid()
            name, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
            users = f"default_internal_user = {name}\ndefault_internal_group = {group}\ndefault_login_user = {name}\n"
            no_chroot = "  chroot =\n"
        if self.tls:
            assert self.tls_cert is not None
            cert, key = self.tls_cert
            ssl_cfg = f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}"
            imap_port, imaps_port = 0, self.port  # port 0 disables a listener
        else:
            ssl_cfg, imap_port, imaps_port = "ssl = no", self.port, 0
        self.config_path.write_text(f"""\
# Generated by registration_bot.devservers: a throwaway server for tests and demos.
base_dir = {w}/run
state_dir = {w}/state
log_path = {self.log_path}
protocols = imap
listen = {HOST}
{ssl_cfg}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Skip the 2 s delay after a failed login (a ~0.5 s floor remains) ...
auth_failure_delay = 0
{users}mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = static
  args = home={mail}/%u
}}

service imap-login {{
{no_chroot}  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
{no_chroot}  # ... and anvil's per-IP penalty, which grows to 15 s per failed login.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth-worker {{
  user = {"root" if os.geteuid() == 0 else "$default_internal_user"}
}}

{self.extra_config}
""")

    # -- process control -----------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Dovecot:
        """Start Dovecot and return once it has sent an IMAP greeting."""
        binary = _dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
        if self._proc is not None:
            raise RuntimeError("Dovecot already running")
        self._write_files()
        self._wait_port_free(timeout)
        with open(self._stderr_path, "wb") as err:
            # A session of its own, so kill() can take down every Dovecot process.
            self._proc = subprocess.Popen(
                [binary, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise RuntimeError(f"dovecot exited with status {code} on start.\n" + self._diagnostics())
            if self._greets():
                return self
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"dovecot did not greet on port {self.port} within {timeout} s.\n" + self._diagnostics()
                )
            time.sleep(0.01)

    def _greets(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as raw:
                if self.tls:
                    with self._ssl_context().wrap_socket(raw, server_hostname=HOST) as s:
                        return s.recv(200).startswith(b"* OK")
                return raw.recv(200).startswith(b"* OK")
        except ssl.SSLCertVerificationError as e:
            self.kill()
            raise RuntimeError(f"Dovecot's certificate does not verify against ca_file={self.ca_file}: {e}") from e
        except OSError:
            return False

    def _ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def _diagnostics(self) -> str:
        return (
            f"--- {self._stderr_path} ---\n{_tail(self._stderr_path)}\n--- {self.log_path} ---\n{_tail(self.log_path)}"
        )

    def _wait_port_free(self, timeout: float) -> None:
        # After kill(), orphaned login processes may hold the listener for a moment.
        deadline = time.monotonic() + timeout
        while not _port_bindable(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.port} is still in use")
            time.sleep(0.01)

    def stop(self) -> None:
        """SIGTERM all Dovecot processes and wait until the port is free again."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # SIGTERM to the master alone takes ~1.1 s until it exits and frees the port;
        # SIGTERM to the whole process group shuts everything down in ~10 ms.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._wait_port_free(10)

    def kill(self) -> None:
        """SIGKILL every Dovecot process at once, like a crash. Open clients see EOF."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def restart(self) -> Dovecot:
        """Stop (if running) and start again on the same port; mail on disk is kept."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- client helpers ------------------------------------------------------------

    def client(self, user: str, timeout: float = 10.0) -> imapclient.IMAPClient:
        """An IMAPClient logged in as ``user``; verifies the CA when TLS is on."""
        c = imapclient.IMAPClient(
            self.host, self.port, ssl=self.tls, timeout=timeout, ssl_context=self._ssl_context() if self.tls else None
        )
        try:
            c.login(user, self.users[user])
        except BaseException:
            c.shutdown()
            raise
        return c

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver ``raw`` into ``user``'s ``folder`` via IMAP APPEND (no \\Seen flag)."""
        c = self.client(user)
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            c.append(folder, raw)
        finally:
            c.logout()


# -- SMTP --------------------------------------------------------------------------


@dataclass
class ReceivedMessage:
    """One message accepted by :class:`SmtpSink`."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage = field(repr=False)


class _SinkHandler:
    """aiosmtpd handler hooks; run on the sink's event-loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        # aiosmtpd's own auth_required=True with auth_require_tls=False emits a
        # UserWarning (an error under filterwarnings=error), so enforce AUTH here.
        if self.sink.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        reply = self.sink._next_reply("rcpt", address)
        if reply is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            return "250 OK"
        return await self._answer(server, reply)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        reply = self.sink._next_reply("data")
        if reply is not None:
            return await self._answer(server, reply)
        self.sink._record(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        return "250 OK"

    @staticmethod
    async def _answer(server: SMTP, reply: str) -> str:
        if reply == DROP:
            # abort() makes aiosmtpd's connection_lost() cancel this very coroutine,
            # so no reply is ever written; the client just sees the socket close.
            server.transport.abort()
            await asyncio.sleep(3600)
        return reply

    def authenticate(self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.sink.auth is not None
            and self.sink.auth.get(auth_data.login.decode(errors="replace"))
            == auth_data.password.decode(errors="replace")
        )
        # handled defaults to True, which means "I already replied": a failed login
        # would then get no answer at all and the client hangs until its timeout.
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # aiosmtpd's readiness probe connects to self.port, which is 0 when we let
        # the kernel choose; read the real port from the listening socket first.
        # (Its own probe would also disable certificate checks for implicit TLS.)
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        with socket.create_connection((self.hostname, self.port), 1.0) as s:
            if self.ssl_context is None:
                s.recv(1024)  # the 220 greeting
            else:  # accepting the TCP connection already ran factory()
                self._factory_invoked.wait(1.0)


class SmtpSink:
    """An SMTP server on 127.0.0.1 that records messages and fails on request.

    ``auth`` (user -> password) makes AUTH PLAIN/LOGIN mandatory before MAIL;
    it is offered without TLS because the sink only ever listens on loopback.
    ``tls_context`` offers STARTTLS; with ``implicit_tls=True`` the same context
    wraps the whole connection instead (SMTPS).
    """

    host = HOST

    def __init__(
        self,
        *,
        save_dir: Path | None = None,
        auth: dict[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        if implicit_tls and tls_context is None:
            raise ValueError("implicit_tls=True needs tls_context")
        self.save_dir = Path(save_dir) if save_dir else None
        self.auth = dict(auth) if auth is not None else None
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.port = 0
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._queued: dict[str, list[str]] = {"data": [], "rcpt": []}
        self._rejected: dict[str, str] = {}
        self._controller: _Controller | None = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of the messages accepted so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def queue_replies(self, *replies: str, at: str = "data") -> None:
        """Answer the next DATA (or RCPT) commands with these replies, in order.

        Each reply is a full SMTP reply line such as "451 4.3.0 Try again later",
        or :data:`DROP` to close the connection without replying.
        """
        if at not in self._queued:
            raise ValueError(f"at must be 'data' or 'rcpt', not {at!r}")
        for reply in replies:
            if reply != DROP and not re.fullmatch(r"[2-5]\d\d( .*)?", reply):
                raise ValueError(f"not an SMTP reply: {reply!r}")
        with self._lock:
            self._queued[at].extend(replies)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Always answer RCPT TO:<address> with ``reply`` (checked before the queue)."""
        with self._lock:
            self._rejected[address.lower()] = reply

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages were accepted; return them all."""
        deadline = time.monotonic() + timeout
        while len(msgs := self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} messages, got {len(msgs)}")
            time.sleep(0.01)
        return msgs

    def _next_reply(self, at: str, address: str = "") -> str | None:
        with self._lock:
            if at == "rcpt" and address.lower() in self._rejected:
                return self._rejected[address.lower()]
            return self._queued[at].pop(0) if self._queued[at] else None

    def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._messages.append(ReceivedMessage(mail_from, rcpt_tos, data, parsed))
            number = len(self._messages)
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            name = f"{number:04d}-{re.sub(r'[^A-Za-z0-9@._+-]', '_', rcpt_tos[0])}.eml"
            tmp = self.save_dir / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.save_dir / name)  # readers never see a partial file

    def start(self) -> SmtpSink:
        if self._controller is not None:
            raise RuntimeError("SmtpSink already running")
        handler = _SinkHandler(self)
        kwargs: dict[str, Any] = {}
        if self.auth is not None:
            kwargs.update(authenticator=handler.authenticate, auth_require_tls=False)
        if self.tls_context is not None and not self.implicit_tls:
            kwargs["tls_context"] = self.tls_context
        controller = _Controller(
            handler,
            hostname=HOST,
            port=self.port,
            # Without server_hostname aiosmtpd calls socket.getfqdn() for every
            # connection, which can stall for seconds on hosts with slow DNS.
            server_hostname="localhost",
            ssl_context=self.tls_context if self.implicit_tls else None,
            **kwargs,
        )
        controller.start()
        self._controller, self.port = controller, controller.port
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
