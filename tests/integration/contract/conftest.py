"""One contract server (Daphne, the real app, a seeded workspace) for the contract tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.contract.server import Seeded, contract_server


@pytest.fixture(scope="package")  # one start and seed for the client and both fuzz runs
def seeded() -> Iterator[Seeded]:
    with contract_server() as server:
        yield server
