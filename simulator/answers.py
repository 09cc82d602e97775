"""Whole REST answers kept for repeated reads.

A client polling a list asks the same ``GET`` again and again; while nothing it
could show has changed, the answer is the same bytes. :class:`AnswerCache` sits in
front of the whole site (before routing and every middleware) and keeps the
answers of reads that say they may be kept, by (path with query, ``Authorization``
header). An answer is served again only while the store's version is the one it
was made at; the version is three counters, each bumped at the one place its
object changes:

* :attr:`Store.changes <simulator.store.core.StoreCore.changes>`: every table
  operation that writes records (``changes_records``), a reset, a new site URL;
* :attr:`Settings.changes <simulator.settings.Settings.changes>`: any setting set;
* :attr:`KeyRing.changes <simulator.keys.KeyRing.changes>`: a key added.

The answers of the customers routes (``/wp-json/wc/v3/customers`` and one customer
by id) are kept on a shelf of their own, whose store counter is
:attr:`~simulator.store.core.StoreCore.customer_changes`: every change but the order
writes that change no customer (:func:`~simulator.store.core.changes_orders`). A
customer shows nothing of any order, so a poller reading the customers list while
orders change every minute is answered from the cache; anything that writes a
customer (an order's first payment marks its customer paying through the customers
table) still moves it.

What keeps the rest true:

* only ``GET`` without a body, and only answers a handler marked with
  :func:`keep_answer` (the resource reads: their answers depend on the records,
  settings and keys alone), with status 200, after an authentication that gives
  the same result again (a key by Basic header or query keys: an OAuth request
  spends its nonce and depends on the clock, so it is never kept);
* nothing is kept or served while a fault is set (faults alter answers), nor when
  extra REST middlewares were plugged in (they could do anything), nor for a request
  saying ``Cache-Control: no-cache`` (benchmarks of the full path send it);
* an answer is kept only if the version did not move while it was made.

Verification: with ``WOOSIM_VERIFY_ANSWERS=1`` in the environment (the test suite
sets it), every answer served from the cache is also made fresh through the whole
pipeline and compared; a difference is logged, recorded in :data:`MISMATCHES` and
answered with a 500, so the test that saw it fails.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from multidict import CIMultiDict

if TYPE_CHECKING:
    from simulator.app import Simulator

log = logging.getLogger("simulator.answers")

VERIFY_ENV = "WOOSIM_VERIFY_ANSWERS"
#: Answers made fresh that differed from the kept one (verification mode only).
MISMATCHES: list[str] = []
#: Kept answers are dropped all at once past either bound (a poller paging a large
#: store makes many distinct pages, each asked once: keeping them would not pay).
MAX_ANSWERS = 64
MAX_BYTES = 64 * 1024 * 1024

#: Set by a handler whose answer may be kept (see :func:`keep_answer`).
KEEPABLE: web.RequestKey[bool] = web.RequestKey("woosim.keepable", bool)
#: Set by authentication when the same request would authenticate the same way again.
REPLAYABLE: web.RequestKey[bool] = web.RequestKey("woosim.replayable", bool)

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
Version = tuple[int, int, int]


def keep_answer(request: web.Request) -> None:
    """Mark this request's answer as one that depends only on its path, query and
    credentials and on the store's records, settings and keys."""
    request[KEEPABLE] = True


def verifying() -> bool:
    return os.environ.get(VERIFY_ENV, "") not in ("", "0")


@dataclass(frozen=True, slots=True)
class _Answer:
    body: bytes
    headers: CIMultiDict[str]


#: The paths whose answers show customers and nothing else (the list, one by id).
_CUSTOMERS_PATH = re.compile(r"/wp-json/wc/v3/customers(?:/[0-9]+)?")


def shows_customers_only(raw_path: str) -> bool:
    """Whether a GET of ``raw_path`` (path and query, as sent) shows customers alone.

    Exact paths only: anything else (another route under it, another spelling of
    the path) is kept on the shelf every change clears."""
    return _CUSTOMERS_PATH.fullmatch(raw_path.partition("?")[0]) is not None


class _Shelf:
    """Kept answers made at one version; all dropped when the version moves."""

    __slots__ = ("answers", "bytes", "version")

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str | None], _Answer] = {}
        self.version: Version = (-1, -1, -1)
        self.bytes = 0

    def at(self, version: Version) -> _Shelf:
        """The shelf, emptied first if ``version`` is not the one its answers were made at."""
        if version != self.version:
            self.clear()
            self.version = version
        return self

    def clear(self) -> None:
        self.answers.clear()
        self.bytes = 0

    def keep(self, key: tuple[str, str | None], answer: _Answer) -> None:
        if len(self.answers) >= MAX_ANSWERS or self.bytes > MAX_BYTES:
            self.clear()
        self.answers[key] = answer
        self.bytes += len(answer.body)


class AnswerCache:
    """The kept answers of one simulator (see the module's description)."""

    def __init__(self, sim: Simulator, *, verify: bool | None = None) -> None:
        self.sim = sim
        self.verify = verifying() if verify is None else verify
        #: Answers of every other keepable read, and of the customers routes.
        self._shelf = _Shelf()
        self._customers_shelf = _Shelf()
        #: Answers served from the cache (and, verifying, found equal to fresh ones).
        self.hits = 0

    def version(self, *, customers_only: bool = False) -> Version:
        """The version an answer is kept at: of the whole store, or (``customers_only``)
        of what a customers answer can show."""
        sim = self.sim
        store = sim.store.customer_changes if customers_only else sim.store.changes
        return (store, sim.settings.changes, sim.keys.changes)

    def _blocked(self) -> bool:
        return bool(self.sim.middlewares) or self.sim.faults.active

    def clear(self) -> None:
        self._shelf.clear()
        self._customers_shelf.clear()

    def front(self, handler: Handler) -> Handler:
        """``handler`` (the site's request handler) with kept answers served in front."""

        async def answer(request: web.BaseRequest) -> web.StreamResponse:
            if request.method != "GET" or request.body_exists or self._blocked():
                return await handler(request)
            headers = request.headers
            if headers.get("Cache-Control") == "no-cache":
                return await handler(request)  # the client asks for an answer made fresh
            raw_path = request.raw_path
            key = (raw_path, headers.get("Authorization"))
            customers_only = shows_customers_only(raw_path)
            version = self.version(customers_only=customers_only)
            shelf = (self._customers_shelf if customers_only else self._shelf).at(version)
            kept = shelf.answers.get(key)
            if kept is not None and not self.verify:
                self.hits += 1
                return web.Response(body=kept.body, headers=kept.headers)
            response = await handler(request)
            fresh = self._keepable(request, response)
            if self.version(customers_only=customers_only) != version or self._blocked():
                return response  # changed meanwhile: neither kept nor comparable
            if kept is not None:
                return self._verified(request, kept, fresh, response)
            if fresh is not None and shelf.version == version:
                shelf.keep(key, fresh)
            return response

        return answer

    @staticmethod
    def _keepable(request: web.BaseRequest, response: web.StreamResponse) -> _Answer | None:
        """The answer to keep, or None when this one may not be kept."""
        if (
            type(response) is not web.Response
            or response.status != 200
            or not request.get(KEEPABLE)
            or not request.get(REPLAYABLE)
        ):
            return None
        body = response.body
        if not isinstance(body, bytes):
            return None
        return _Answer(body, CIMultiDict(response.headers))

    def _verified(
        self,
        request: web.BaseRequest,
        kept: _Answer,
        fresh: _Answer | None,
        response: web.StreamResponse,
    ) -> web.StreamResponse:
        """Verification mode: the fresh answer must be the kept one."""
        if fresh is not None and fresh.body == kept.body and fresh.headers == kept.headers:
            self.hits += 1
            return response
        # The path only: a query may carry consumer_secret, which is never echoed.
        problem = f"kept answer differs from a fresh one for GET {request.rel_url.path}: " + (
            "the fresh one may not be kept" if fresh is None else _difference(kept, fresh)
        )
        log.error("%s", problem)
        MISMATCHES.append(problem)
        self.clear()
        return web.Response(status=500, text=problem)


def _difference(kept: _Answer, fresh: _Answer) -> str:
    if fresh.headers != kept.headers:
        return f"headers {dict(kept.headers)!r} then {dict(fresh.headers)!r}"
    return f"body of {len(kept.body)} bytes then {len(fresh.body)} bytes"
