"""``woosim listen``: receive event notifications and print one JSON line per event.

The first stdout line is the callback URL. Every event then gets a line::

    {"eventId": ..., "objectType": ..., "objectId": ..., "eventType": ..., "date": ...,
     "verified": true|false|null, "reason": "..."}

``verified`` is null without a signature key. A bad or missing signature is
printed with ``verified: false`` and its reason, and answered 401: marked, not
hidden. A request that carries no events (not JSON, no ``message``) still gets
one line, with null event fields and the reason. A notification whose
``Elements-Webhook-Id`` was already accepted (a retry or a replay) is answered
200 and its lines carry ``"duplicate": true``. The key is never printed.

Lines are terminal-safe: every control or invisible formatting character a
sender put in a field (ESC, DEL, C1 controls, bidi overrides such as U+202E,
zero-width marks, line separators) is printed as a JSON ``\\uXXXX`` escape.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import queue
import re
import signal
import sys
import threading
import unicodedata
from collections.abc import Mapping
from typing import Any, TextIO

from pytest_woosim.harness.receiver import DEFAULT_PATH, ReceivedNotification, Receiver

#: Read when --signature-key is not given (keeps the key out of the process list).
SIGNATURE_KEY_ENV = "WOOSIM_SIGNATURE_KEY"

_EVENT_FIELDS = ("objectType", "objectId", "eventType", "date")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)"
    )
    parser.add_argument(
        "--signature-key",
        default=None,
        metavar="KEY",
        help="verify Elements-Webhook-Signature with this key and answer 401 when it fails "
        f"(default: ${SIGNATURE_KEY_ENV} if set, else no verification)",
    )
    parser.add_argument(
        "--path",
        default=DEFAULT_PATH,
        help=f"path shown in the printed URL (default {DEFAULT_PATH})",
    )


def signature_key(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """--signature-key, else $WOOSIM_SIGNATURE_KEY; an empty value means no verification."""
    key = args.signature_key if args.signature_key is not None else environ.get(SIGNATURE_KEY_ENV)
    return key or None


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp", "Cs"):
        return char  # printable text in any script stays as it is
    code = ord(char)
    if code > 0xFFFF:  # as a JSON surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


#: Candidates for escaping: everything past printable ASCII (json.dumps escapes C0).
_BEYOND_ASCII = re.compile("[\x7f-\U0010ffff]")


def terminal_safe_json(value: Any) -> str:
    """One JSON line that shows every character as what it is on a terminal.

    json.dumps escapes C0 controls already; the rest only ever occur inside JSON
    strings, where a ``\\uXXXX`` escape means the same character.
    """
    return _BEYOND_ASCII.sub(_escape, json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def event_lines(record: ReceivedNotification) -> list[dict[str, Any]]:
    """The JSON objects printed for one received request: one per event."""
    tail: dict[str, Any] = {"verified": record.verified}
    if record.reason:
        tail["reason"] = record.reason
    if record.duplicate:
        tail["duplicate"] = True
    events = record.events
    if not events:
        return [{"eventId": record.event_id, **dict.fromkeys(_EVENT_FIELDS), **tail}]
    return [
        {"eventId": record.event_id, **{k: event.get(k) for k in _EVENT_FIELDS}, **tail}
        for event in events
    ]


class _LinePrinter:
    """Writes lines from a queue on its own thread, so a slow stdout never blocks the loop."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="woosim-listen-out", daemon=True)
        self._thread.start()

    def put(self, line: str) -> None:
        self._lines.put(line)

    def close(self) -> None:
        self._lines.put(None)
        self._thread.join()

    def _run(self) -> None:
        broken = False
        while (line := self._lines.get()) is not None:
            if broken:
                continue
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                broken = True  # the reader went away; keep draining quietly


async def _serve(args: argparse.Namespace, key: str | None, printer: _LinePrinter) -> int:
    def show(record: ReceivedNotification) -> None:
        for line in event_lines(record):
            printer.put(terminal_safe_json(line))

    receiver = Receiver(
        key,
        host=args.host,
        port=args.port,
        path=args.path,
        on_notification=show,
        keep_records=False,
    )
    try:
        await receiver.start()
    except OSError as exc:
        print(
            f"woosim listen: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    printer.put(receiver.url)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
        await receiver.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"woosim listen: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    if not str(args.path).startswith("/"):
        print(f"woosim listen: --path must start with '/', got {args.path!r}", file=sys.stderr)
        return 2
    key = (
        args.signature_key if args.signature_key is not None else os.environ.get(SIGNATURE_KEY_ENV)
    )
    printer = _LinePrinter(sys.stdout)
    try:
        return asyncio.run(_serve(args, key or None, printer))
    finally:
        printer.close()


__all__ = [
    "SIGNATURE_KEY_ENV",
    "add_arguments",
    "event_lines",
    "run",
    "signature_key",
    "terminal_safe_json",
]
