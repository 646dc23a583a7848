#!/usr/bin/env bash
# Builds a JRE base image from Debian packages, for machines that cannot pull from a container
# registry (air-gapped hosts, this project's CI):
#   bash docker/build-base-image.sh [IMAGE_NAME]      (default pulse/jre-base:17)
# debootstrap makes a minimal Debian 12 root with openjdk-17-jre-headless from the Debian mirror
# apt already uses (or DEBIAN_MIRROR), and `docker import` turns it into an image. Does nothing
# when the image exists. Needs root, debootstrap and a running Docker engine.
set -euo pipefail

image="${1:-pulse/jre-base:17}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image exists"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)"
fi
if [ -z "$mirror" ]; then
  mirror="$(grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)"
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
echo "building $image with debootstrap (about a minute)"
debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates \
  bookworm "$rootfs" ${mirror:+"$mirror"} >/dev/null
# What a runtime image does not need.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  - "$image" >/dev/null
echo "built $image"
