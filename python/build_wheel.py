#!/usr/bin/env python3
"""Writes the fleetmock platform wheel by hand (no build backend), the way ruff and uv ship theirs.

    python3 python/build_wheel.py --binary .build/release/fleetmock --out dist

The wheel holds the Python package (python/fleetmock/) and the binary as a script
(fleetmock-VER.data/scripts/fleetmock, installed into the environment's bin/ as it is; the binary
carries the bundled fleet and the dashboard page itself). The version is the
binary's own (`BINARY --version`); the platform tag comes from the binary: its ELF machine and the
newest GLIBC_2.N symbol version it needs. Output is deterministic: fixed timestamps, sorted entries.
Prints the wheel's path.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import List, Tuple

HERE = Path(__file__).resolve().parent
NAME = "fleetmock"
EPOCH = (1980, 1, 1, 0, 0, 0)
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}


def binary_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.fullmatch(r"fleetmock (\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?)\s*", out)
    if not match:
        sys.exit(f"build_wheel: unexpected '{binary} --version' output: {out!r}")
    return match.group(1)


def platform_tag(binary: Path) -> str:
    data = binary.read_bytes()
    if data[:4] != b"\x7fELF":
        sys.exit(f"build_wheel: {binary} is not an ELF executable (only Linux wheels are built)")
    little = data[5] == 1
    machine = int.from_bytes(data[18:20], "little" if little else "big")
    arch = ELF_MACHINES.get(machine)
    if arch is None:
        sys.exit(f"build_wheel: unsupported ELF machine {machine:#x}")
    versions = {(int(m.group(1)), int(m.group(2)))
                for m in re.finditer(rb"GLIBC_(\d+)\.(\d+)(?:\.\d+)?\x00", data)}
    if not versions:
        sys.exit(f"build_wheel: {binary} names no GLIBC_ symbol version (not a glibc binary?)")
    major, minor = max(versions)
    return f"manylinux_{major}_{minor}_{arch}"


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def metadata(version: str) -> str:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {version}\n"
        "Summary: A local emulator of Datadog's Fleet Automation API, with a Python wrapper and pytest plugin\n"
        "Keywords: datadog,fleet,mock,testing,pytest\n"
        "Classifier: Framework :: Pytest\n"
        "Classifier: Operating System :: POSIX :: Linux\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Topic :: Software Development :: Testing :: Mocking\n"
        "Requires-Python: >=3.9\n"
        "Provides-Extra: datadog\n"
        'Requires-Dist: datadog-api-client>=2.57.0; extra == "datadog"\n'
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def build(binary: Path, out: Path) -> Path:
    version = binary_version(binary)
    tag = f"py3-none-{platform_tag(binary)}"
    dist_info = f"{NAME}-{version}.dist-info"
    data_dir = f"{NAME}-{version}.data"

    files: List[Tuple[str, bytes, int]] = []  # (archive name, content, mode)
    for source in sorted((HERE / NAME).glob("*.py")) + sorted((HERE / NAME).glob("py.typed")):
        files.append((f"{NAME}/{source.name}", source.read_bytes(), 0o644))
    files.append((f"{data_dir}/scripts/{NAME}", binary.read_bytes(), 0o755))
    files.append((f"{dist_info}/METADATA", metadata(version).encode(), 0o644))
    files.append((f"{dist_info}/WHEEL", (
        "Wheel-Version: 1.0\n"
        "Generator: fleetmock build_wheel.py\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {tag}\n").encode(), 0o644))
    files.append((f"{dist_info}/entry_points.txt",
                  f"[pytest11]\n{NAME} = {NAME}.pytest_plugin\n".encode(), 0o644))
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data, _ in files)
    record += f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{NAME}-{version}-{tag}.whl"
    temporary = wheel.with_suffix(".whl.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, data, mode in files:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # Unix, so installers honour the mode bits
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    temporary.replace(wheel)
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, type=Path, help="the fleetmock executable to ship")
    parser.add_argument("--out", required=True, type=Path, help="folder to write the wheel into")
    args = parser.parse_args()
    print(build(args.binary, args.out))


if __name__ == "__main__":
    main()
