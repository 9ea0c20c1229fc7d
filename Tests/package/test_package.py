"""The fleetmock package as installed from the wheel: binary on PATH, start/stop, isolation,
errors. Run by Tests/package/run.sh inside the venv the wheel was installed into."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest

import fleetmock
from fleetmock import FleetMock, FleetMockStartError, MissingDatadogClient

PROD_SCHEDULE = "3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10"
VENV_BIN = Path(sys.prefix) / "bin"


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_package_comes_from_the_venv_not_the_repo():
    assert "FLEETMOCK_BIN" not in os.environ
    assert Path(fleetmock.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())


def test_binary_on_path_is_the_wheels_with_the_wheels_version():
    on_path = shutil.which("fleetmock")
    assert on_path == str(VENV_BIN / "fleetmock")
    assert fleetmock.find_binary() == on_path
    out = subprocess.run([on_path, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"fleetmock {metadata.version('fleetmock')}"


def test_server_serves_the_fleet_and_dashboard_compiled_into_the_binary():
    with FleetMock() as fm:
        assert fm.command == [str(VENV_BIN / "fleetmock"), "serve", "--port", "0", "--db", ":memory:"]
        assert get(f"{fm.url}/__fleetmock/ready")["hosts"] == 120
        with urllib.request.urlopen(f"{fm.url}/__fleetmock/ui", timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read(2000).lower()


def test_context_manager_starts_and_stops_with_sigterm():
    fm = FleetMock()
    assert "not started" in repr(fm)
    with fm:
        assert fm.url.startswith("http://127.0.0.1:")
        assert fm.running and f"pid {fm.pid}" in repr(fm)
        assert get(f"{fm.url}/__fleetmock/health") == {"status": "ok"}
        pid, log_path = fm.pid, fm.log_path
        assert "SIGTERM" not in fm.log()
    assert gone(pid)
    assert fm.returncode == 0  # SIGTERM is a clean stop
    assert "exit code 0" in repr(fm)
    assert not os.path.exists(log_path)  # a temporary log is removed after a clean stop
    assert fm.stop() == 0  # idempotent


def test_interpreter_exit_stops_the_server(tmp_path):
    log = tmp_path / "server.log"
    script = textwrap.dedent(f"""
        from fleetmock import FleetMock
        fm = FleetMock(log_path={str(log)!r}).start()   # no `with`, no stop()
        print(fm.pid, flush=True)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert gone(int(out.stdout.strip()))
    assert "SIGTERM received" in log.read_text()


def test_default_org_members():
    with FleetMock("--progress=stepped") as fm:
        assert (fm.id, fm.api_key, fm.app_key) == ("default", "fleetmock-api-key", "fleetmock-app-key")
        assert fm.progress() == "stepped"
        config = fm.configuration()
        assert config.host == fm.url
        assert config.api_key == {"apiKeyAuth": fm.api_key, "appKeyAuth": fm.app_key}
        fleet_ops = {k: v for k, v in config.unstable_operations.values.items() if "fleet" in k}
        assert fleet_ops and all(fleet_ops.values())
        before = fm.clock()["now_unix_ms"]
        fm.advance(90)
        assert fm.clock()["now_unix_ms"] - before == 90_000


def test_orgs_are_isolated():
    from datadog_api_client import ApiClient
    from datadog_api_client.v2.api.fleet_automation_api import FleetAutomationApi

    with FleetMock() as fm:
        a, b = fm.new_org(progress="stepped"), fm.new_org(progress="stepped")
        assert a.id != b.id and a.api_key != b.api_key and a.url == b.url == fm.url
        assert not hasattr(a, "new_org")
        assert repr(a) == f"<fleetmock.Org {a.id} at {fm.url}>"
        with ApiClient(a.configuration()) as client:
            deployment = FleetAutomationApi(client).trigger_fleet_schedule(id=PROD_SCHEDULE).data
        with ApiClient(b.configuration()) as client:
            assert FleetAutomationApi(client).list_fleet_deployments_v2().data == []

        b_now = b.clock()["now_unix_ms"]
        a.advance(3600)
        assert b.clock()["now_unix_ms"] == b_now

        assert [e["operation"] for e in a.requests()] == ["TriggerFleetSchedule"]
        assert a.requests("TriggerFleetSchedule")[0]["org"] == a.id
        assert [e["operation"] for e in b.requests()] == ["ListFleetDeploymentsV2"]
        assert fm.requests() == []  # the default org saw nothing

        a.reset()  # back to the fixtures: the deployment is gone
        with ApiClient(a.configuration()) as client:
            ids = [d.id for d in FleetAutomationApi(client).list_fleet_deployments_v2().data]
        assert ids == [] and deployment.id

        a.delete()
        a.delete()  # idempotent
        assert [e["operation"] for e in a.requests()] == [  # the journal outlives the org
            "TriggerFleetSchedule", "ListFleetDeploymentsV2"]
        assert "deleted" in repr(a)
        orgs = json.dumps(get(f"{fm.url}/__fleetmock/orgs"))
        assert a.id not in orgs and b.id in orgs


def test_configuration_without_datadog_client_says_how_to_install():
    script = textwrap.dedent("""
        import sys
        sys.modules["datadog_api_client"] = None   # as if the extra were not installed
        from fleetmock import FleetMock, MissingDatadogClient
        with FleetMock() as fm:
            try:
                fm.configuration()
            except MissingDatadogClient as error:
                assert isinstance(error, ImportError)
                print(error)
            else:
                raise SystemExit("no error")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pip install 'fleetmock[datadog]'" in out.stdout
    assert issubclass(MissingDatadogClient, ImportError)


def test_failing_start_names_exit_code_and_log():
    fm = FleetMock("--bogus")
    with pytest.raises(FleetMockStartError) as caught:
        fm.start()
    error = caught.value
    assert error.returncode == 2
    assert error.log_path and os.path.exists(error.log_path)  # kept for reading
    message = str(error)
    assert "exit code 2" in message and error.log_path in message
    assert "unknown option '--bogus'" in message  # the tail of the log
    assert not fm.running
    os.unlink(error.log_path)


def test_start_times_out_and_kills_a_silent_process(tmp_path):
    silent = tmp_path / "fleetmock"
    silent.write_text("#!/bin/sh\necho starting >&2\nexec sleep 60\n")
    silent.chmod(0o755)
    fm = FleetMock(binary=silent, timeout=1)
    started = time.monotonic()
    with pytest.raises(FleetMockStartError) as caught:
        fm.start()
    assert time.monotonic() - started < 15
    assert "within 1 s" in str(caught.value) and "starting" in str(caught.value)
    assert gone(fm.pid)


def test_binary_lookup_order(tmp_path, monkeypatch):
    other = tmp_path / "fleetmock"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setenv("FLEETMOCK_BIN", str(other))
    assert fleetmock.find_binary() == str(other)
    assert fleetmock.find_binary(VENV_BIN / "fleetmock") == str(VENV_BIN / "fleetmock")
    monkeypatch.delenv("FLEETMOCK_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))  # the wheel's own binary wins over PATH
    assert fleetmock.find_binary() == str(VENV_BIN / "fleetmock")
    with pytest.raises(fleetmock.FleetMockError):
        fleetmock.find_binary(tmp_path / "missing")
