"""The controller's side of the replica protocol (docs/warm-replicas.md), small enough for tests.

A real HTTP server on the loopback that hands out a fixed list of invocations, records what the
replica asks for and posts, checks the protocol's rules as it goes (token, max within the free
slots and prefetch, results only for invocations in flight) and answers 410 once it has nothing left to hand out.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlparse

TOKEN = "test-token-0123456789"


class FakeRuntimeApi:
    """The runtime API of one replica; start() it, run the replica, then read what it recorded."""

    def __init__(
        self,
        inputs: List[Any],
        concurrency: int,
        failures: Optional[Dict[str, int]] = None,
        hold_first_results_s: float = 0.0,
        hold_every_results_s: float = 0.0,
        prefetch: int = 0,
    ) -> None:
        self.concurrency = concurrency
        # What the replica may hold beyond its concurrency, as spec.warm.prefetch lets Pontoon hand out.
        self.prefetch = prefetch
        self.pending = [
            {"id": f"ex-{i}#1", "executionId": f"ex-{i}", "attempt": 1, "deadline": "2099-01-01T00:00:00.000Z", "input": value}
            for i, value in enumerate(inputs)
        ]
        self.inputs = {invocation["id"]: invocation["input"] for invocation in self.pending}
        self.in_flight: set = set()
        self.results: Dict[str, dict] = {}
        self.batches_handed: List[int] = []
        self.results_posts: List[List[str]] = []
        self.init_errors: List[str] = []
        self.handed_with_results = 0
        self.in_flight_at_drain: Optional[int] = None
        # Next requests that arrived while every slot was in flight and work was left to hand out.
        self.nexts_with_no_slot = 0
        self.violations: List[str] = []
        self.requests: Dict[str, int] = {"next": 0, "results": 0}
        # The max of each next request, in order.
        self.nexts_asked: List[int] = []
        # How many times each kind of request is first answered 5xx, to exercise the retries.
        self.failures = dict(failures or {})
        self.hold_first_results_s = hold_first_results_s
        # Each results post is answered this late, so that posts of several lanes overlap.
        self.hold_every_results_s = hold_every_results_s
        self.results_under_way = 0
        self.most_results_at_once = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True

    @property
    def address(self) -> str:
        """host:port, as PONTOON_RUNTIME_API gives it."""
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> "FakeRuntimeApi":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next(self, max_: int) -> tuple:
        with self.lock:
            self.requests["next"] += 1
            self.nexts_asked.append(max_)
            if self._fail("next"):
                return 503, {"error": {"code": "UNAVAILABLE", "message": "try again", "details": {}}}
            if len(self.in_flight) >= self.concurrency + self.prefetch and self.pending:
                self.nexts_with_no_slot += 1
            return self._hand_out(max_)

    def _hand_out(self, max_: int) -> tuple:
        # As Pontoon does: never more than the free slots (and prefetch), whatever was asked. Asking
        # for more than that in all is a replica's bug; asking for more than is free is not (a long
        # poll and a results post may be under way at once).
        free = self.concurrency + self.prefetch - len(self.in_flight)
        if max_ > self.concurrency + self.prefetch:
            self.violations.append(f"asked for {max_} with concurrency {self.concurrency} and prefetch {self.prefetch}")
        if not self.pending:
            if self.in_flight_at_drain is None:
                self.in_flight_at_drain = len(self.in_flight)
            return 410, {"error": {"code": "REPLICA_DRAINING", "message": "draining", "details": {}}}
        size = max(0, min(max_, free))
        batch, self.pending = self.pending[:size], self.pending[size:]
        self.in_flight.update(invocation["id"] for invocation in batch)
        self.batches_handed.append(len(batch))
        return 200, {"invocations": batch}

    def post_results(self, body: dict, next_: int = 0) -> tuple:
        with self.lock:
            self.requests["results"] += 1
            if self._fail("results"):
                return 500, {"error": {"code": "INTERNAL", "message": "try again", "details": {}}}
            first = not self.results_posts
            self.results_under_way += 1
            self.most_results_at_once = max(self.most_results_at_once, self.results_under_way)
        if first and self.hold_first_results_s:
            # Held, so that other handlers finish meanwhile and the next request carries several.
            time.sleep(self.hold_first_results_s)
        time.sleep(self.hold_every_results_s)
        with self.lock:
            self.results_under_way -= 1
            accepted, rejected = [], []
            self.results_posts.append([result["id"] for result in body["results"]])
            for result in body["results"]:
                if result["id"] in self.in_flight:
                    self.in_flight.discard(result["id"])
                    self.results[result["id"]] = result
                    accepted.append(result["id"])
                else:
                    self.violations.append(f"result for {result['id']}, not in flight")
                    rejected.append({"id": result["id"], "code": "INVOCATION_NOT_IN_FLIGHT"})
            answer = {"accepted": accepted, "rejected": rejected}
            if next_ > 0:
                # results?next=N: the next batch in the same round trip, as next would hand it out.
                status, more = self._hand_out(next_)
                self.handed_with_results += len(more.get("invocations", []))
                answer.update(more if status == 200 else {"invocations": [], "draining": True})
            return 200, answer

    def _fail(self, kind: str) -> bool:
        if self.failures.get(kind, 0) > 0:
            self.failures[kind] -= 1
            return True
        return False


def _handler_for(api: FakeRuntimeApi) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the protocol recommends

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if not self._authorized():
                return
            if url.path != "/v1/invocations/next":
                return self._answer(404, {"error": {"code": "NOT_FOUND", "message": url.path, "details": {}}})
            query = parse_qs(url.query)
            status, body = api.next(int(query.get("max", ["1"])[0]))
            self._answer(status, body)

        def do_POST(self) -> None:
            if not self._authorized():
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            url = urlparse(self.path)
            if url.path == "/v1/invocations/results":
                return self._answer(*api.post_results(body, int(parse_qs(url.query).get("next", ["0"])[0])))
            if url.path == "/v1/init/error":
                with api.lock:
                    api.init_errors.append(body["error"])
                return self._answer(202, {})
            self._answer(404, {"error": {"code": "NOT_FOUND", "message": url.path, "details": {}}})

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                return True
            self._answer(401, {"error": {"code": "UNAUTHORIZED", "message": "wrong token", "details": {}}})
            return False

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Pontoon-Protocol", "1")
            if status == 204:
                self.end_headers()
                return
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
