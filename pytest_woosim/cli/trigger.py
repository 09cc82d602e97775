"""``woosim trigger NAME``: run a business flow on a running ``woosim serve``.

    woosim trigger --list                          what each flow does, and its options
    woosim trigger checkout-paid --quantity 2      a guest checkout paid on delivery
    woosim trigger order-completed --order 12      the shop completes order 12

It posts ``{"flow": NAME, ...}`` to ``{site}/_woosim/trigger`` and prints what the flow
did: its steps, the notes it wrote and the webhook deliveries it queued (``--json``:
the store's answer as it is). The store is ``--url`` (default ``$WOOSIM_URL``, else
``http://127.0.0.1:8000``, where ``woosim serve`` listens by default); a store bound
beyond loopback wants its control token (``--token`` or ``$WOOSIM_CONTROL_TOKEN``).
Exit 0 when the flow ran, 2 when the store refused the request (the message names the
field), 1 when the store could not be reached.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import httpx

from pytest_woosim.cli.listen import terminal_safe_json

URL_ENV = "WOOSIM_URL"
TOKEN_ENV = "WOOSIM_CONTROL_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8000"
#: Option name on the command line -> its name in the request body, and its type.
OPTIONS: dict[str, tuple[str, type]] = {
    "--order": ("order", int),
    "--customer": ("customer", int),
    "--product": ("product", int),
    "--quantity": ("quantity", int),
    "--payment-method": ("payment_method", str),
    "--amount": ("amount", str),
    "--coupon": ("coupon", str),
    "--email": ("email", str),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("flow", nargs="?", metavar="NAME", help="the flow to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the flows and what each does")
    parser.add_argument(
        "--url", help=f"the store's site URL (default ${URL_ENV}, else {DEFAULT_URL})"
    )
    parser.add_argument("--token", help=f"the store's control token (default ${TOKEN_ENV})")
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify the certificate (woosim serve --tls)"
    )
    parser.add_argument("--json", action="store_true", help="print the store's answer as JSON")
    for option, (name, kind) in OPTIONS.items():
        parser.add_argument(option, dest=name, type=kind, metavar=name.upper().replace("_", "-"))


def _safe(value: Any) -> str:
    """A value as text a terminal shows as it is (no control or bidi characters acted on)."""
    return terminal_safe_json(str(value))[1:-1]


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return f"HTTP {response.status_code}"


def print_flows(flows: list[Mapping[str, Any]], out: TextIO) -> None:
    for flow in flows:
        print(f"{_safe(flow['name'])}", file=out)
        print(f"    {_safe(flow['description'])}", file=out)
        for name, text in flow["options"].items():
            print(f"    --{_safe(name).replace('_', '-'):<17} {_safe(text)}", file=out)


def print_report(report: Mapping[str, Any], out: TextIO) -> None:
    print(f"{_safe(report['flow'])}: {_safe(report['description'])}", file=out)
    prepared = report.get("prepared")
    if prepared:
        print(f"  first, {_safe(prepared['description'])}:", file=out)
        _print_body(prepared, out, "    ")
        print("  then:", file=out)
    _print_body(report, out, "  ")


def _print_body(report: Mapping[str, Any], out: TextIO, indent: str) -> None:
    for step in report["steps"]:
        print(f"{indent}{_safe(step)}", file=out)
    for note in report["notes"]:
        audience = "customer note" if note["customer_note"] else "note"
        print(f"{indent}{audience} on order {note['order_id']}: {_safe(note['note'])}", file=out)
    webhooks = report["webhooks"]
    print(f"{indent}webhook deliveries queued: {len(webhooks)}", file=out)
    for hook in webhooks:
        print(
            f"{indent}  {_safe(hook['topic'])} #{hook['resource_id']} "
            f"(webhook {hook['webhook_id']})",
            file=out,
        )


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if not args.list and not args.flow:
        print("woosim trigger: name a flow, or --list to see them", file=err)
        return 2
    url = (args.url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
    token = args.token or os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = {"flow": args.flow}
    for name, _ in OPTIONS.values():
        value = getattr(args, name)
        if value is not None:
            body[name] = value
    try:
        with httpx.Client(
            base_url=url + "/_woosim/", headers=headers, timeout=60, verify=not args.insecure
        ) as control:
            response = control.get("trigger") if args.list else control.post("trigger", json=body)
    except httpx.HTTPError as error:
        print(f"woosim trigger: cannot reach the store at {_safe(url)}: {_safe(error)}", file=err)
        return 1
    if response.status_code != 200:
        print(f"woosim trigger: {_safe(_problem(response))}", file=err)
        return 2
    answer = response.json()
    if args.json:
        print(terminal_safe_json(answer), file=out)
    elif args.list:
        print_flows(answer["flows"], out)
    else:
        print_report(answer, out)
    return 0
