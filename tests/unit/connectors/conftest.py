from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from connectors_fakeserver import FakeServer

from rounds.connectors.clock import FakeClock


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
