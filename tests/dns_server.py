"""A small real DNS server on loopback for tests: answers TXT queries from a dict, over UDP.

``records`` maps a domain to its TXT strings; unknown names answer NXDOMAIN. With
``silent=True`` it reads queries and never answers (a resolver that times out).
"""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class TxtServer:
    def __init__(self, records: dict[str, list[str]] | None = None, *, silent: bool = False) -> None:
        self.records = records if records is not None else {}
        self.silent = silent
        self.queries: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.host, self.port = self._sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TxtServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            self.queries.append(name)
            if self.silent:
                continue
            self._sock.sendto(self._answer(query, name, question.rdtype).to_wire(), peer)

    def _answer(self, query: dns.message.Message, name: str, rdtype: int) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        if rdtype == dns.rdatatype.TXT and self.records[name]:
            texts = [f'"{text}"' for text in self.records[name]]
            response.answer.append(dns.rrset.from_text(name + ".", 60, dns.rdataclass.IN, dns.rdatatype.TXT, *texts))
        return response
