"""A real DNS server on loopback for the domain checks: UDP, answering with dnspython's own
messages from the records a test sets ({name: {"TXT": [...], "A": [...]}}); a name it does
not hold is NXDOMAIN. The app asks it through DOMAIN_DNS_SERVER."""
import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from contextlib import contextmanager


class DnsServer:
    def __init__(self):
        self.records = {}
        self.questions = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.address = "127.0.0.1:%d" % self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            self._socket.sendto(self._answer(dns.message.from_wire(data)).to_wire(), peer)

    def _answer(self, query):
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        self.questions.append((name, kind))
        held = self.records.get(name)
        if held is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif held.get(kind):
            values = [f'"{value}"' if kind == "TXT" else value for value in held[kind]]
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", kind, *values))
        return response

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()


@contextmanager
def asked_by(app, monkeypatch):
    """A DnsServer the app's domain checks ask (and only it), for a test's fixture."""
    server = DnsServer()
    monkeypatch.setitem(app.config, "DOMAIN_DNS_SERVER", server.address)
    try:
        yield server
    finally:
        server.close()
