"""Helpers shared by the throwaway servers: loopback ports, test TLS files and base64url."""

from __future__ import annotations

import base64
import socket
import ssl
from pathlib import Path
from typing import NamedTuple

HOST = "127.0.0.1"


def _b64url(data: bytes) -> str:
    """Base64url without padding, as JSON Web Tokens write every part."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
