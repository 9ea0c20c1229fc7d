#!/usr/bin/env python3
"""Creates, through the API, a schedule matching 100 of the 120 bundled hosts (the size of the
trigger target), checks it with one trigger, and prints its id.

    bench/schedule_100.py BASE_URL [API_KEY APP_KEY]

Used by bench/run.sh (the 100-host trigger run) and bench/profile.sh trigger100.
"""
import json
import sys
import urllib.request

QUERY = "-availability-zone:us-east-1b -availability-zone:us-east-1c"


def main():
    base = sys.argv[1]
    api_key, app_key = (sys.argv[2:4] if len(sys.argv) >= 4 else ("fleetmock-api-key", "fleetmock-app-key"))
    headers = {"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key, "Content-Type": "application/json"}
    body = {"data": {"type": "schedule", "attributes": {"name": "bench: 100 hosts", "query": QUERY, "rule": {
        "days_of_week": ["Mon"], "start_maintenance_window": "02:00", "maintenance_window_duration": 60,
        "timezone": "UTC"}}}}
    request = urllib.request.Request(f"{base}/api/unstable/fleet/schedules", data=json.dumps(body).encode(),
                                     method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        schedule = json.load(reply)["data"]["id"]
    request = urllib.request.Request(f"{base}/api/unstable/fleet/schedules/{schedule}/trigger", data=b"",
                                     method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        hosts = json.load(reply)["data"]["attributes"]["total_hosts"]
    assert hosts == 100, f"the 100-host schedule matched {hosts} hosts"
    print(schedule)


if __name__ == "__main__":
    main()
