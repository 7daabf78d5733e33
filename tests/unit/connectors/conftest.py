from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connectors"


class Fixtures:
    """The captured payloads in tests/fixtures/connectors (see its SOURCE.txt)."""

    root = FIXTURES

    def bytes(self, relative: str) -> bytes:
        return (FIXTURES / relative).read_bytes()

    def json(self, relative: str) -> Any:
        return json.loads(self.bytes(relative))


@pytest.fixture
def fixtures() -> Fixtures:
    return Fixtures()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
