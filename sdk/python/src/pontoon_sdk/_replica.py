"""A warm replica: the SDK's side of the runtime API, protocol 1 (docs/warm-replicas.md).

``serve`` hands over to :func:`serve_replica` when PONTOON_RUNTIME_API is set: up to
PONTOON_REPLICA_CONCURRENCY handlers run at once on a thread pool (and PONTOON_REPLICA_PREFETCH more
invocations may wait for a slot), their outcomes go out in batches that also ask for the next batch
(``results?next=F``), and ``next`` is long-polled when nothing else is asking (see
:class:`Replica`). Imported only in a replica: an on-demand attempt pays nothing for http.client or
the threads.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from ._context import Context, _parse_deadline
from ._contract import FUNCTION, NAMESPACE, RUNTIME_API, VERSION, message_of
from ._handler import Outcome, invoke_parsed
from ._logger import Logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, NoReturn, Optional, Tuple, Type

    from ._handler import Handler

TOKEN = "PONTOON_REPLICA_TOKEN"
"""This replica's secret, sent as a bearer token on every request."""
LANES = "PONTOON_REPLICA_LANES"
"""The SDK's own setting (not the protocol's): how many post cycles share the replica's slots."""
TWO_LANES_FROM = 8
"""Slots from which a replica runs two lanes when LANES is unset: with fewer, a lane's batch is too
small for the overlap to pay for its round trips."""
CONCURRENCY = "PONTOON_REPLICA_CONCURRENCY"
"""Most handlers this replica runs at once."""
PREFETCH = "PONTOON_REPLICA_PREFETCH"
"""How many invocations this replica may hold beyond its concurrency, claimed ahead to wait for a slot."""
PROTOCOL = "PONTOON_REPLICA_PROTOCOL"
"""The protocol version Pontoon speaks."""
PROTOCOL_VERSION = "1"
"""The only version this SDK speaks."""

WAIT_MS = 20_000
"""How long one ``next`` long-polls before an empty answer."""
MAX_RESULTS = 1000
"""Most results one request may carry."""
MAX_BATCH = 1000
"""Most invocations one request may ask for: more is a 400 (a lane of 1,000 slots and prefetch reaches it)."""
FIRST_RETRY_S = 0.1
"""Pause before retrying after a 5xx or a broken connection; doubled each time, up to MAX_RETRY_S."""
MAX_RETRY_S = 5.0
UNREACHABLE_S = 30.0
"""How long the runtime API may stay unreachable before the replica gives up (the controller is gone)."""
GATHER_S = 0.001
"""How long finished outcomes wait for handlers still running to join their post."""
TOO_LARGE = "the result is larger than the runtime API accepts (16 MiB a request)"


class ReplicaExit(Exception):
    """The replica must stop: the protocol says to exit non-zero (401, a bug, an unreachable API)."""


class RuntimeApi:
    """One keep-alive HTTP/1.1 connection to the runtime API; one per thread, as http.client is not shared."""

    def __init__(self, address: str, token: str) -> None:
        host, _, port = address.rpartition(":")
        self._host, self._port = host or address, int(port) if port.isdigit() else 80
        self._headers = {"Authorization": f"Bearer {token}"}
        self._connection: Optional[http.client.HTTPConnection] = None

    def request(self, method: str, path: str, body: Optional[bytes] = None) -> Tuple[int, bytes]:
        """Sends one request and returns its status and body, retrying 5xx answers and broken connections.

        A 5xx is retried after 100 ms, 200 ms, ... up to 5 s between tries; a connection that cannot
        be made or breaks is retried so for up to 30 s, then raises ReplicaExit.
        """
        pause = FIRST_RETRY_S
        unreachable_since: Optional[float] = None
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        while True:
            try:
                status, data = self._send(method, path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                now = time.monotonic()
                unreachable_since = unreachable_since or now
                if now - unreachable_since >= UNREACHABLE_S:
                    raise ReplicaExit(f"the runtime API at {self._host}:{self._port} is unreachable: {exc}") from exc
            else:
                if status < 500:
                    return status, data
                unreachable_since = None
            time.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_S)

    def _send(self, method: str, path: str, body: Optional[bytes], headers: dict) -> Tuple[int, bytes]:
        if self._connection is None:
            # The timeout outlasts the longest long poll.
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=WAIT_MS / 1000 + 30)
        self._connection.request(method, path, body, headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        """Closes the connection; the next request opens another."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def fail_start(message: str) -> NoReturn:
    """Reports why this replica cannot start to ``/v1/init/error``, and exits 1."""
    sys.stderr.write(f"{message}\n")
    try:
        api = RuntimeApi(os.environ[RUNTIME_API], os.environ.get(TOKEN, ""))
        api.request("POST", "/v1/init/error", json.dumps({"error": message or "the replica cannot start"}).encode())
    except ReplicaExit as exc:
        sys.stderr.write(f"{exc}\n")
    _exit(1)


def serve_replica(handler: Handler, input_type: Optional[Type[Any]] = None) -> NoReturn:
    """Runs the replica loop until Pontoon drains the replica (exit 0) or the protocol says to stop (exit 1)."""
    protocol = os.environ.get(PROTOCOL, "")
    if protocol != PROTOCOL_VERSION:
        fail_start(f"{PROTOCOL}={protocol or '(unset)'}: this SDK speaks replica protocol {PROTOCOL_VERSION} only")
    try:
        concurrency = int(os.environ.get(CONCURRENCY, "1"))
    except ValueError:
        concurrency = 0
    if concurrency < 1:
        fail_start(f"{CONCURRENCY}={os.environ.get(CONCURRENCY)} is not a positive integer")
    ended: queue.Queue = queue.Queue()

    def serve(lane: Replica) -> None:
        try:
            lane.run()
            ended.put(None)
        except ReplicaExit as exc:
            ended.put(f"pontoon replica: {exc}")
        except Exception as exc:  # noqa: BLE001 - an answer that is not the protocol's: a bug, exit non-zero
            ended.put(f"pontoon replica: {exc!r}")

    slots = lane_slots(concurrency, os.environ.get(LANES))
    prefetch = split_evenly(replica_prefetch(os.environ.get(PREFETCH)), len(slots))
    for index, lane_concurrency in enumerate(slots):
        lane = Replica(handler, input_type, os.environ[RUNTIME_API], os.environ.get(TOKEN, ""), lane_concurrency, prefetch[index])
        threading.Thread(target=serve, args=(lane,), name=f"pontoon-lane-{index}", daemon=True).start()
    # Every lane ends once Pontoon drains the replica; the first that cannot go on ends them all.
    for _ in slots:
        failure = ended.get()
        if failure is not None:
            sys.stderr.write(failure + "\n")
            _exit(1)
    _exit(0)


def lane_slots(concurrency: int, asked: Optional[str]) -> List[int]:
    """Splits the replica's slots evenly into lanes, each a replica loop of its own (its long poll,
    its results posts): while the server settles and claims one lane's batch, another lane's runs.
    As many lanes as asked (when unset, two from TWO_LANES_FROM slots, else one), at most one per slot.
    """
    count = 2 if concurrency >= TWO_LANES_FROM else 1
    if asked and asked.isdigit() and int(asked) > 0:
        count = int(asked)
    return split_evenly(concurrency, min(count, concurrency))


def split_evenly(total: int, count: int) -> List[int]:
    """``total`` in ``count`` shares that differ by at most one, the larger first."""
    return [total // count + (1 if index < total % count else 0) for index in range(count)]


def replica_prefetch(asked: Optional[str]) -> int:
    """The replica's prefetch; unset, not an integer or negative is none: it only costs speed."""
    try:
        return max(0, int(asked or "0"))
    except ValueError:
        return 0


class Replica:
    """The loop of one replica: takes invocations, runs them on a thread pool, posts their outcomes.

    Two threads speak to the runtime API. The main one long-polls ``next`` for the free slots while
    no post is under way. The results thread posts what has finished as one ``results?next=F``
    request, ``F`` being the slots free once they are accepted, and starts the invocations its
    answer brings: under load, one round trip per batch each way. With prefetch, the slots it asks
    for are ``prefetch`` more than it runs at once: the invocations beyond ``concurrency`` wait for
    a handler to finish, so that each post carries a bigger batch each way.
    """

    def __init__(
        self, handler: Handler, input_type: Optional[Type[Any]], address: str, token: str, concurrency: int, prefetch: int = 0
    ) -> None:
        self._handler = handler
        self._input_type = input_type
        self._address, self._token = address, token
        self._concurrency = concurrency
        # What it may hold: its slots, and the invocations claimed ahead to wait for one.
        self._capacity = concurrency + prefetch
        self._function = os.environ.get(FUNCTION, "")
        self._namespace = os.environ.get(NAMESPACE, "")
        self._version = os.environ.get(VERSION, "")
        # Not shut down on the way out: the process exits with os._exit, whatever the handlers do.
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pontoon-invocation")
        # Guards everything below.
        self._changed = threading.Condition()
        # Handed out and not yet answered by an accepted post: what holds a slot.
        self._in_flight = 0
        # Handlers started and not finished (at most concurrency), so that the results thread can
        # gather a batch.
        self._running = 0
        # Held and waiting for a handler thread, oldest first.
        self._waiting: deque = deque()
        self._finished: List[Tuple[str, Outcome]] = []
        self._posting = False
        self._draining = False

    def run(self) -> None:
        """Serves until Pontoon drains the replica and every outcome is posted; raises ReplicaExit to exit 1."""
        threading.Thread(target=self._post_finished, name="pontoon-results", daemon=True).start()
        api = RuntimeApi(self._address, self._token)
        while True:
            with self._changed:
                while not self._draining and (self._in_flight >= self._capacity or self._posting):
                    self._changed.wait()
                if self._draining:
                    break
                free = min(MAX_BATCH, self._capacity - self._in_flight)
            status, body = api.request("GET", f"/v1/invocations/next?max={free}&wait={WAIT_MS}")
            if status == 204:
                continue
            if status == 410:
                with self._changed:
                    self._draining = True  # finish what is in flight, post it, exit 0
                break
            if status != 200:
                raise _refused("next", status, body)
            self._start(json.loads(body)["invocations"])
        with self._changed:
            while self._in_flight > 0 or self._posting:
                self._changed.wait()

    def _start(self, invocations: List[dict]) -> None:
        with self._changed:
            self._in_flight += len(invocations)
            ready = self._take_slots(invocations)
        self._launch(ready)

    def _take_slots(self, invocations: List[dict]) -> List[dict]:
        """Queues invocations just handed over and gives the free slots to the oldest; those to launch.

        Called under the lock, in the step that counts them in flight: a post gathering outcomes in
        between would not know they are about to run.
        """
        self._waiting.extend(invocations)
        ready = []
        while self._waiting and self._running < self._concurrency:
            ready.append(self._waiting.popleft())
            self._running += 1
        return ready

    def _launch(self, invocations: List[dict]) -> None:
        """Hands invocations already counted in flight and running to the handler threads."""
        for invocation in invocations:
            self._pool.submit(self._run, invocation)

    def _run(self, invocation: dict) -> None:
        """Runs handlers on this thread: the invocation given, then, as its slot frees, the oldest waiting."""
        current: Optional[dict] = invocation
        while current is not None:
            id_, outcome = self._invoke(current)
            with self._changed:
                self._finished.append((id_, outcome))
                # The slot passes straight to the oldest waiting invocation, still counted running:
                # a post gathering outcomes waits for it as for any quick handler under way.
                current = self._waiting.popleft() if self._waiting else None
                if current is None:
                    self._running -= 1
                self._changed.notify_all()

    def _invoke(self, invocation: dict) -> Tuple[str, Outcome]:
        """Runs one invocation's handler; whatever happens, its id and outcome."""
        id_ = str(invocation.get("id", ""))
        try:
            ctx = Context(
                execution_id=str(invocation.get("executionId", "")),
                attempt=int(invocation.get("attempt", 1)),
                function=self._function,
                namespace=self._namespace,
                version=self._version,
                deadline=_parse_deadline(invocation.get("deadline")),
                logger=Logger(tag=id_),
                traceparent=invocation.get("traceparent"),
                tracestate=invocation.get("tracestate"),
            )
            outcome = invoke_parsed(self._handler, invocation.get("input"), ctx, self._input_type)
        except BaseException as exc:  # noqa: BLE001 - a handler's sys.exit() or a bad invocation fails it, not the replica
            outcome = Outcome.failed(message_of(exc))
        return id_, outcome

    def _post_finished(self) -> None:
        """The results thread: posts what has finished in one request, and starts what its answer brings."""
        api = RuntimeApi(self._address, self._token)
        try:
            while True:
                with self._changed:
                    while not self._finished:
                        self._changed.wait()
                    self._posting = True
                    # Handlers still running may be about to finish (a batch of quick ones): they
                    # join this post if they do within GATHER_S.
                    until = time.monotonic() + GATHER_S
                    while self._running > 0 and len(self._finished) < MAX_RESULTS and time.monotonic() < until:
                        self._changed.wait(until - time.monotonic())
                    batch = self._finished[:MAX_RESULTS]
                    del self._finished[:MAX_RESULTS]
                    free = 0 if self._draining else min(MAX_BATCH, max(0, self._capacity - self._in_flight + len(batch)))
                # Lines count for an invocation only if Pontoon reads them before its result.
                _flush()
                answer = self._post(api, batch, free)
                invocations = answer.get("invocations") or []
                # The answer's invocations hold their slots before the post is over: were posting
                # cleared first, the loop could see those slots free, ask next for them, and take
                # part of the following post's batch (smaller batches, more requests).
                with self._changed:
                    self._in_flight += len(invocations) - len(batch)
                    ready = self._take_slots(invocations)
                    self._draining = self._draining or bool(answer.get("draining"))
                    self._posting = False
                    self._changed.notify_all()
                self._launch(ready)
        except BaseException as exc:  # noqa: BLE001 - results can no longer go out: the replica is done
            # Exits from here rather than telling the loop, which may be in a long poll for 20 s.
            sys.stderr.write(f"pontoon replica: {exc}\n")
            _exit(1)

    def _post(self, api: RuntimeApi, batch: List[Tuple[str, Outcome]], next_: int = 0) -> dict:
        """Posts outcomes, asking for up to ``next_`` invocations in the same round trip; the answer's body."""
        status, body = api.request("POST", f"/v1/invocations/results?next={next_}", _results_body(batch))
        if status == 413:
            if len(batch) > 1:
                for one in batch:  # too large together: one by one
                    self._post(api, [one])
                return {}
            status, body = api.request("POST", "/v1/invocations/results", _results_body([(batch[0][0], Outcome.failed(TOO_LARGE))]))
        if status != 200:
            raise _refused("results", status, body)
        return json.loads(body) if next_ > 0 else {}


def _results_body(batch: List[Tuple[str, Outcome]]) -> bytes:
    # Results are JSON text already (the handler's output): spliced in, not parsed and dumped again.
    parts = []
    for id_, outcome in batch:
        if outcome.ok:
            parts.append(f'{{"id":{json.dumps(id_)},"status":"succeeded","result":{outcome.output or "null"}}}')
        else:
            parts.append(f'{{"id":{json.dumps(id_)},"status":"failed","error":{json.dumps(outcome.error or "failed")}}}')
    return ('{"results":[' + ",".join(parts) + "]}").encode("utf-8")


def _refused(request: str, status: int, body: bytes) -> ReplicaExit:
    # 400, 404 and 405 are bugs on one side or the other, and 401 means this replica was stopped:
    # the protocol says to exit non-zero for all of them.
    return ReplicaExit(f"the runtime API answered {request} with {status}: {body.decode('utf-8', 'replace')[:1000]}")


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _exit(code: int) -> NoReturn:
    _flush()
    # os._exit: the handler threads may still hold a handler that never returns, and interpreter
    # shutdown would wait for them.
    os._exit(code)
