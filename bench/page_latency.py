#!/usr/bin/env python3
"""A deployment page timed on its own, at each fleet size: is one page's cost independent of N?

For each size: `fleetmock fixtures generate --hosts N`, a fresh server (bench/scale.py's Server:
--clock manual), one upgrade of every host, a second of quiet (so no WAL checkpoint of that write
runs alongside), then GETS requests each of the first and the middle page
(GET /api/unstable/fleet/deployments/{id}?limit=50&page=P) over one keep-alive connection. Prints
the median and the fastest. bench/scale.py times the same pages straight after its triggers.

    python3 bench/page_latency.py [--bin .build/release/fleetmock] [--sizes 10000,100000] [--gets 50]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale  # noqa: E402  (its Server class and its cleanup of live servers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=".build/release/fleetmock")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--gets", type=int, default=50)
    options = parser.parse_args()
    binary = os.path.abspath(options.bin)
    workdir = tempfile.mkdtemp(prefix="fleetmock-pages.")
    try:
        for n in (int(size) for size in options.sizes.split(",")):
            fixtures = os.path.join(workdir, f"fixtures-{n}")
            subprocess.run([binary, "fixtures", "generate", "--hosts", str(n), "--out", fixtures],
                           check=True, stdout=subprocess.DEVNULL)
            server = scale.Server(binary, fixtures, os.path.join(workdir, f"{n}.sqlite"), workdir, 100, f"pages-{n}")
            try:
                _, body, _ = server.call("POST", "/api/unstable/fleet/deployments/upgrade", expect=(201,), body={
                    "data": {"type": "deployment", "attributes": {
                        "filter_query": "", "target_packages": [{"name": "datadog-agent", "version": "7.53.0"}]}}})
                deployment, hosts = body["data"]["id"], body["data"]["attributes"]["total_hosts"]
                time.sleep(1)
                for label, page in (("first", 0), ("middle", hosts // 100)):
                    times = [server.call("GET", f"/api/unstable/fleet/deployments/{deployment}?limit=50&page={page}")[2]
                             for _ in range(options.gets)]
                    print(f"{n:>7} hosts  {label:>6} page: median {statistics.median(times):.3f} ms, "
                          f"fastest {min(times):.3f} ms ({options.gets} GETs)", flush=True)
            finally:
                server.stop()
    finally:
        for server in list(scale.LIVE):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
