"""The pytest plugin as installed from the wheel (entry point pytest11): each test here runs pytest
in a subprocess over a small suite written into a temporary folder."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROGRESS_SUITE = """
import json, urllib.request

def test_progress(fleetmock):
    with urllib.request.urlopen(fleetmock.url + "/__fleetmock/progress") as reply:
        assert json.load(reply)["policy"] == "{policy}"
"""


def run_pytest(folder: Path, source: str, *args: str, env=None):
    (folder / "test_inner.py").write_text(textwrap.dedent(source))
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith("PYTEST_") and k != "FLEETMOCK_BIN"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         f"--basetemp={folder / 'basetemp'}", *args],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=120)


def passed(result, count: int) -> bool:
    return result.returncode == 0 and f"{count} passed" in result.stdout


def test_plugin_is_registered_by_the_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert "--fleetmock-arg=ARG" in result.stdout and "--fleetmock-binary=PATH" in result.stdout


def test_fleetmock_arg_reaches_serve_in_either_form(tmp_path):
    one = run_pytest(tmp_path, PROGRESS_SUITE.format(policy="immediate"),
                     "--fleetmock-arg=--progress=immediate")
    assert passed(one, 1), one.stdout + one.stderr
    two = run_pytest(tmp_path, PROGRESS_SUITE.format(policy="stepped"),
                     "--fleetmock-arg=--progress", "--fleetmock-arg=stepped")
    assert passed(two, 1), two.stdout + two.stderr
    default = run_pytest(tmp_path, PROGRESS_SUITE.format(policy="timed"))
    assert passed(default, 1), default.stdout + default.stderr


def test_fleetmock_binary_option(tmp_path):
    marker = tmp_path / "invoked"
    wrapper = tmp_path / "my-fleetmock"
    real = Path(sys.prefix) / "bin" / "fleetmock"
    wrapper.write_text(f'#!/bin/sh\necho "$@" > {marker}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    result = run_pytest(tmp_path, PROGRESS_SUITE.format(policy="timed"), f"--fleetmock-binary={wrapper}")
    assert passed(result, 1), result.stdout + result.stderr
    assert marker.read_text().startswith("serve --port 0 --db :memory:")


def test_each_xdist_worker_gets_its_own_server_and_each_test_its_own_org(tmp_path):
    out = tmp_path / "seen"
    out.mkdir()
    suite = """
        import json, os, pytest, urllib.request

        @pytest.mark.parametrize("n", range(6))
        def test_record(fleetmock, fleetmock_org, n):
            with urllib.request.urlopen(fleetmock.url + "/__fleetmock/orgs") as reply:
                live = [o["org"] for o in json.load(reply)["orgs"]]
            assert fleetmock_org.id in live
            record = {"worker": os.environ["PYTEST_XDIST_WORKER"], "url": fleetmock.url,
                      "pid": fleetmock.pid, "org": fleetmock_org.id, "orgs": len(live)}
            with open(os.path.join(os.environ["SEEN"], f"{n}.json"), "w") as f:
                json.dump(record, f)
    """
    result = run_pytest(tmp_path, suite, "-n", "2", env={"SEEN": str(out)})
    assert passed(result, 6), result.stdout + result.stderr
    records = [json.loads(p.read_text()) for p in out.glob("*.json")]
    by_worker = {}
    for record in records:
        by_worker.setdefault(record["worker"], set()).add((record["url"], record["pid"]))
    assert len(by_worker) == 2, records
    servers = [next(iter(s)) for s in by_worker.values()]
    assert all(len(s) == 1 for s in by_worker.values())  # one server per worker, for its session
    assert servers[0] != servers[1]
    assert all(r["orgs"] <= 2 for r in records)  # default + this test's: earlier orgs were deleted
    for worker in by_worker:
        assert list((tmp_path / "basetemp").glob(f"*/fleetmock-{worker}.log"))  # popen-gwN/


def test_failing_start_errors_with_the_log(tmp_path):
    result = run_pytest(tmp_path, PROGRESS_SUITE.format(policy="timed"), "--fleetmock-arg=--bogus")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "FleetMockStartError" in output
    assert "exit code 2" in output
    assert str(tmp_path / "basetemp" / "fleetmock-main.log") in output
    assert "unknown option '--bogus'" in output
