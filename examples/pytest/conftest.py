"""Shared fixtures of the example suite. The `fleetmock` and `fleetmock_org` fixtures come from
the fleetmock wheel's pytest plugin: installing the wheel is all it takes."""

from typing import Iterator

import pytest
from datadog_api_client import ApiClient
from datadog_api_client.v2.api.fleet_automation_api import FleetAutomationApi


@pytest.fixture
def fleet(fleetmock_org) -> Iterator[FleetAutomationApi]:
    """Datadog's Fleet Automation client, talking to this test's own org on the local server.

    The org runs the `stepped` progress policy: its clock is frozen, and host operations move only
    when the test advances it (`fleetmock_org.advance(seconds)`), so every run is the same."""
    fleetmock_org.progress("stepped")
    with ApiClient(fleetmock_org.configuration()) as client:
        yield FleetAutomationApi(client)
