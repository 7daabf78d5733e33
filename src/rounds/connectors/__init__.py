"""Platform connectors behind one protocol and one registry (CONVENTIONS.md 7).

``fetch(cursor) -> FetchBatch`` hands over raw payloads and the next cursor separately (store payloads, then the
cursor); ``Registry.parse(raw)`` turns a stored payload into Posts or failures with specific reasons.
"""

from rounds.connectors.base import BaseConnector, Connector, Credentials, run_once, safe_fetch
from rounds.connectors.clock import Clock, FakeClock, SystemClock
from rounds.connectors.registry import Registry, default_registry

__all__ = [
    "BaseConnector",
    "Clock",
    "Connector",
    "Credentials",
    "FakeClock",
    "Registry",
    "SystemClock",
    "default_registry",
    "run_once",
    "safe_fetch",
]
