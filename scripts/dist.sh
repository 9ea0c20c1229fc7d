#!/usr/bin/env bash
# make dist: from the release build, dist/fleetmock-VERSION-linux-ARCH.tar.gz (the executable and
# the README) and dist/fleetmock-VERSION-py3-none-PLATFORM.whl (the same executable in a wheel).
#   scripts/dist.sh .build/release/fleetmock
# Refuses an executable that needs a shared library beyond glibc's, libstdc++ and libgcc_s: copied
# to another machine, it has to run with no Swift, libevent, SQLite or jemalloc installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
binary="$1"

unexpected="$(ldd "$binary" | awk '{print $1}' \
    | grep -Ev '^(linux-vdso\.so|.*ld-linux[^/]*\.so|libc\.so|libm\.so|libstdc\+\+\.so|libgcc_s\.so)' || true)"
if [ -n "$unexpected" ]; then
    echo "dist.sh: $binary needs shared libraries a plain glibc Linux lacks: $unexpected" >&2
    exit 1
fi

version="$("$binary" --version | cut -d' ' -f2)"
name="fleetmock-$version-linux-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" dist
# Only this build in dist/: an older wheel or tarball beside it would be picked up as well.
rm -f dist/fleetmock-*.tar.gz dist/fleetmock-*.whl
install -m 0755 "$binary" "$stage/$name/fleetmock"
install -m 0644 README.md "$stage/$name/README.md"
# Same bytes for the same inputs: fixed owner, order and times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - "$name" | gzip -n > "dist/$name.tar.gz"
echo "dist/$name.tar.gz"
python3 python/build_wheel.py --binary "$binary" --out dist
