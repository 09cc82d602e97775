"""Where a server is bound: the one rule for "only this machine can reach it".

The store's control plane and the relay's operational routes need a token exactly
when their server is reachable from elsewhere; both ask this.
"""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """Does binding to ``host`` keep the server on this machine? (``""`` means every address.)"""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or a wildcard: reachable from elsewhere
