#!/usr/bin/env python3
"""Writes Fixtures/fleet.json, the bundled simulated fleet.

Deterministic: the only randomness is random.Random(2026) and no clock is read, so running it
again writes the same file byte for byte. Python 3.11+ standard library only.

    python3 Fixtures/generate_fleet.py
"""
import hashlib
import json
import os
import random

rng = random.Random(2026)

# Newest first, three majors. Schedules pick "latest of major (newest major - version_to_latest)".
# "7.52.0-1" is 7.52.0 repackaged (a packaging revision): after 7.52.0, before 7.52.1.
AGENT_VERSIONS = ["7.53.0", "7.52.1", "7.52.0-1", "7.52.0", "7.51.1", "7.51.0", "7.50.3", "7.50.0",
                  "6.53.1", "6.53.0", "6.52.0", "5.32.9", "5.32.8", "5.31.0"]

ENVS = [("prod", 48), ("staging", 30), ("dev", 24), ("qa", 18)]

# service -> owning team (the "team:" tag)
SERVICES = {
    "web-frontend": "storefront",
    "web-api": "storefront",
    "checkout": "payments-eng",
    "payments": "payments-eng",
    "search": "discovery",
    "kafka": "data-platform",
    "postgres": "data-platform",
}
APM_SERVICES = {"web-frontend", "web-api", "checkout", "payments"}
# service -> (language, language_version, tracer_version) of the APM tracer its hosts run.
TRACERS = {
    "web-frontend": ("nodejs", "20.11.1", "5.10.0"),
    "web-api": ("python", "3.12.2", "2.7.4"),
    "checkout": ("java", "17.0.10", "1.32.0"),
    "payments": ("go", "1.22.1", "1.62.0"),
}
# Its own generator, so adding tracers left every other value of fleet.json unchanged.
tracer_rng = random.Random(7)
CLUSTER_SERVICES = {"web-api", "search"}  # on Kubernetes (Linux, Agent 6+ hosts), installed with Helm

REGIONS = {"us-east-1": "use1", "us-west-2": "usw2", "eu-west-1": "euw1"}
CLUSTER_KIND = {"aws": "eks", "gcp": "gke", "azure": "aks"}
LINUX_IMAGES = {
    "aws": ["Ubuntu 22.04", "Debian 12", "Amazon Linux 2023"],
    "gcp": ["Ubuntu 22.04", "Debian 12"],
    "azure": ["Ubuntu 22.04", "Debian 12"],
}
INSTALLER_VERSIONS = {
    "install_script": "install_script-1.36.0",
    "ansible": "ansible-4.26.0",
    "chef": "chef-4.21.0",
    "helm": "helm-3.69.3",
}

# (env, service) pairs whose first host carries "fleetmock_fail:true" (the mock fails every
# operation on such a host).
FAILING = {("prod", "web-frontend"), ("prod", "checkout"), ("staging", "web-api"), ("dev", "search")}
FAIL_TAG = "fleetmock_fail:true"

# Packages besides the Agent, added after every other value and without a random draw, so that adding
# them changed nothing else. Linux hosts with APM enabled have Single Step Instrumentation's injector,
# datadog-apm-inject, at one of these versions (by their turn among such hosts, in generation order).
APM_INJECT_VERSIONS = ["0.9.1", "0.9.2-1", "0.10.0"]
# tracer language -> the package of its APM library (Go's tracer is compiled in: no package). A
# Linux host running a tracer has its library at the tracer's version, packaging revision 1.
APM_LIBRARY_PACKAGES = {"nodejs": "datadog-apm-library-js", "python": "datadog-apm-library-python",
                        "java": "datadog-apm-library-java"}
# Tags added after the first six, also without a draw: every host has "datacenter:<region>", and
# web-frontend hosts have a second service tag, "service:web" (both used by Datadog's request
# examples: "env:prod AND datacenter:us-east-1", "env:prod AND service:web").
EXTRA_SERVICE_TAGS = {"web-frontend": "web"}

FIRST_SEEN_BASE_MS = 1_760_000_000_000  # 2025-10-09T08:53:20Z
HOUR_MS = 3_600_000


def agent_version(index):
    """Mostly 7.50-7.52; 12 hosts on 6.x, 5 on 5.x, 6 already on 7.53.0 (by position, not chance)."""
    if index % 10 == 7:
        return rng.choice(["6.53.1", "6.53.0", "6.52.0"])
    if index % 24 == 22:
        return rng.choice(["5.32.9", "5.32.8", "5.31.0"])
    if index % 17 == 3:
        return "7.53.0"
    return rng.choice(["7.52.1", "7.52.0", "7.51.1", "7.51.0", "7.50.3", "7.50.0"])


def config_files(service):
    files = {
        "/datadog.yaml": {
            "site": "datadoghq.com",
            "log_level": "info",
            "logs_enabled": rng.random() < 0.6,
            "apm_config": {"enabled": service in APM_SERVICES},
        }
    }
    if service == "postgres":
        files["/conf.d/postgres.d/conf.yaml"] = {
            "instances": [{"host": "localhost", "port": 5432, "username": "datadog"}]}
    if service == "kafka":
        files["/conf.d/kafka.d/conf.yaml"] = {"instances": [{"host": "localhost", "port": 9999}]}
    return files


def attributes(env, service, region, os_name, version, files, env_index, region_index, n, index):
    provider = "aws" if region != "eu-west-1" else rng.choice(["aws", "aws", "gcp", "azure"])
    if os_name == "windows":
        os_version = rng.choice(["Windows Server 2022", "Windows Server 2019"])
    else:
        os_version = rng.choice(LINUX_IMAGES[provider])
    # Agent 5 predates the Helm chart, so those hosts stay off Kubernetes.
    in_cluster = service in CLUSTER_SERVICES and os_name == "linux" and not version.startswith("5.")
    if in_cluster:
        tool = "helm"
    else:
        tool = rng.choice(["install_script", "ansible", "chef"])

    main = files["/datadog.yaml"]
    products = ["infrastructure"]
    if main["apm_config"]["enabled"]:
        products.append("apm")
    if main["logs_enabled"]:
        products.append("logs")
    if rng.random() < 0.5:
        products.append("process")
    if os_name == "linux" and rng.random() < 0.25:
        products.append("npm")

    detected = {
        "postgres": [{"prefix": "postgres", "escaped_name": "postgresql"}],
        "kafka": [{"prefix": "kafka", "escaped_name": "kafka"}],
    }.get(service, [])
    working = ["system", "disk", "network", "ntp"] + [d["prefix"] for d in detected]

    first_seen = FIRST_SEEN_BASE_MS + index * HOUR_MS
    return {
        "os": os_name,
        "os_version": os_version,
        "cloud_provider": provider,
        "cluster_name": f"{env}-{CLUSTER_KIND[provider]}-{REGIONS[region]}" if in_cluster else "",
        "ip_addresses": [f"10.{env_index + 1}.{region_index}.{n + 10}"],
        "first_seen_at": first_seen,
        # 1 hour to 40 days later: every restart predates the schedules (2025-12-01).
        "last_restart_at": first_seen + rng.randint(1, 40 * 24) * HOUR_MS,
        "python_version": "3.12.6",
        "install_method_tool": tool,
        "install_method_installer_version": INSTALLER_VERSIONS[tool],
        "enabled_products": products,
        "remote_agent_management": "enabled",
        "remote_config_status": "connected",
        "detected_integrations": detected,
        "integrations": {"working": working, "warning": [], "error": []},
    }


def tracers(hostname, env, service, products):
    """The APM tracers on a host: one per instrumented service, on hosts with APM enabled."""
    if "apm" not in products or service not in TRACERS:
        return []
    language, language_version, tracer_version = TRACERS[service]
    runtime_id = "%08x-%04x-4%03x-8%03x-%012x" % (
        tracer_rng.getrandbits(32), tracer_rng.getrandbits(16), tracer_rng.getrandbits(12),
        tracer_rng.getrandbits(12), tracer_rng.getrandbits(48))
    return [{
        "service": service,
        "env": env,
        "language": language,
        "language_version": language_version,
        "tracer_version": tracer_version,
        "service_version": "1.%d.%d" % (tracer_rng.randint(0, 9), tracer_rng.randint(0, 20)),
        "runtime_ids": [runtime_id],
        "remote_config_status": "connected",
    }]


def hosts():
    services = list(SERVICES)
    regions = list(REGIONS)
    result = []
    index = 0  # position in generation order, across all envs
    for env_index, (env, count) in enumerate(ENVS):
        per_service = {}
        failing_left = {service for (e, service) in FAILING if e == env}
        for n in range(count):
            service = services[n % len(services)]
            per_service[service] = per_service.get(service, 0) + 1
            hostname = f"{service}-{env}-{per_service[service]:02d}"
            region_index = (n // len(services) + n) % len(regions)
            region = regions[region_index]
            zone = region + "abc"[n % 3]
            os_name = "windows" if index % 10 == 4 else "linux"
            tags = [f"env:{env}", f"service:{service}", f"region:{region}", f"availability-zone:{zone}",
                    f"os:{os_name}", f"team:{SERVICES[service]}"]
            if service in failing_left:
                tags.append(FAIL_TAG)
                failing_left.discard(service)
            version = agent_version(index)
            files = config_files(service)
            host_attributes = attributes(env, service, region, os_name, version, files, env_index, region_index, n, index)
            host_attributes["tracers"] = tracers(hostname, env, service, host_attributes["enabled_products"])
            result.append({
                "agent_key": hashlib.md5(hostname.encode()).hexdigest(),
                "hostname": hostname,
                "tags": tags,
                "packages": {"datadog-agent": version},
                "config_files": files,
                "attributes": host_attributes,
            })
            index += 1
    apm_hosts = 0
    for host in result:
        tags, packages, host_attributes = host["tags"], host["packages"], host["attributes"]
        service = tags[1].split(":", 1)[1]
        region = tags[2].split(":", 1)[1]
        tags.append(f"datacenter:{region}")
        if service in EXTRA_SERVICE_TAGS:
            tags.append(f"service:{EXTRA_SERVICE_TAGS[service]}")
        if host_attributes["os"] == "linux" and "apm" in host_attributes["enabled_products"]:
            packages["datadog-apm-inject"] = APM_INJECT_VERSIONS[apm_hosts % len(APM_INJECT_VERSIONS)]
            apm_hosts += 1
            for tracer in host_attributes["tracers"]:
                if tracer["language"] in APM_LIBRARY_PACKAGES:
                    packages[APM_LIBRARY_PACKAGES[tracer["language"]]] = tracer["tracer_version"] + "-1"
    return sorted(result, key=lambda host: host["hostname"])


def schedule(id, name, query, status, version_to_latest, days, start, duration, timezone, created):
    return {
        "id": id,
        "name": name,
        "query": query,
        "status": status,
        "version_to_latest": version_to_latest,
        "rule": {"days_of_week": days, "start_maintenance_window": start,
                 "maintenance_window_duration": duration, "timezone": timezone},
        "created_at_unix": created,
        "created_by": "demo@fleetmock.example",
        "updated_at_unix": created,
        "updated_by": "demo@fleetmock.example",
    }


SCHEDULES = [
    schedule("3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10", "Weekly production Agent upgrades", "env:prod", "active", 0,
             ["Mon", "Wed"], "02:00", 180, "America/New_York", 1764547200),
    schedule("b7e4d2a9-1c3f-4a8e-8d25-6f9b0c1e3a27", "Staging, one major behind", "env:staging", "active", 1,
             ["Fri"], "22:00", 240, "UTC", 1764633600),
    schedule("c1d9e8f7-2a3b-4c5d-9e6f-7a8b9c0d1e2f", "Web canary in us-east-1 (paused)",
             "service:web-* AND region:us-east-1", "inactive", 0, ["Tue", "Thu"], "09:30", 60, "Europe/Paris",
             1764720000),
    schedule("0d6f3b8a-5e7c-4f21-a9b3-8c2d1e4f5a60", "Sandbox (matches no host)", "env:sandbox", "active", 2,
             ["Sun"], "04:00", 120, "Asia/Tokyo", 1764806400),
]


def main():
    fleet = {"agent_versions": AGENT_VERSIONS, "hosts": hosts(), "schedules": SCHEDULES}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fleet.json")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        json.dump(fleet, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
