"""Throwaway mail servers on loopback, for the ``demo`` command and the test suite.

* :class:`Dovecot` runs the real Dovecot IMAP server as a child process, configured
  entirely inside one work directory (config, sockets, state, log, mail).
* :class:`SmtpSink` is an aiosmtpd server in a thread that records what it accepts
  and can be told to fail (4xx/5xx replies, dropped connections) on demand.

Nothing here touches the network beyond 127.0.0.1, and nothing happens at import.
"""

from .common import HOST, TlsFiles, free_port, make_tls_files
from .dovecot import Dovecot, dovecot_available
from .smtpsink import DROP, ReceivedMessage, SmtpSink

__all__ = [
    "DROP",
    "HOST",
    "Dovecot",
    "ReceivedMessage",
    "SmtpSink",
    "TlsFiles",
    "dovecot_available",
    "free_port",
    "make_tls_files",
]
