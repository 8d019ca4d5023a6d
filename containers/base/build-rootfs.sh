#!/usr/bin/env bash
# Builds a Debian bookworm base image without an image registry: debootstrap a minbase tree,
# make it look like the official debian:bookworm-slim (same apt sources, no docs/man pages,
# apt lists cleaned), then `docker import` it.
# Usage: build-rootfs.sh IMAGE:TAG   (MIRROR overrides the Debian mirror; default: the host's)
set -euo pipefail
image=${1:?usage: build-rootfs.sh IMAGE:TAG}

# The mirror the host's apt already uses, so the image reaches the same archive the host does.
mirror=${MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
security=${mirror%/debian}/debian-security

command -v debootstrap >/dev/null || {
  echo "build-rootfs: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/chaos-rootfs.XXXXXX")
trap 'rm -rf "$dir"' EXIT
log="$dir.debootstrap.log"
echo "build-rootfs: debootstrap --variant=minbase bookworm ($mirror), log $log"
if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "build-rootfs: debootstrap failed (full log: $log)" >&2
  exit 1
fi
rm -f "$log"

# What the official slim image configures (its dpkg/apt snippets are named docker-*).
cat >"$dir/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
rm -f "$dir/etc/apt/sources.list"
cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
echo 'APT::Install-Recommends "false";' >"$dir/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
  "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log
find "$dir/usr/share/doc" -type f ! -name copyright -delete
: >"$dir/etc/hostname"

echo "build-rootfs: docker import -> $image"
tar --numeric-owner -C "$dir" -c . | docker import \
  --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' \
  --change 'LABEL chaos-harness=1 chaos-harness.base=debootstrap-minbase-bookworm' \
  - "$image" >/dev/null
