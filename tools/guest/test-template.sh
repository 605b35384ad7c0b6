#!/usr/bin/env bash
# The template the integration tests boot: builds the podman image
# localhost/aether-test-python (tools/guest/test-image, python3-minimal on
# localhost/debian:12; once, then cached in podman's storage) and turns it into
# a template with build-template.sh (cached while nothing changed).
#   test-template.sh OUT_ROOT GUEST_DIR
set -euo pipefail
out_root="${1:?usage: test-template.sh OUT_ROOT GUEST_DIR}"
guest_dir="${2:?usage: test-template.sh OUT_ROOT GUEST_DIR}"
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="${AETHER_TEST_BASE_IMAGE:-localhost/debian:12}"
# The tag follows the Containerfile, so editing it builds a new image.
tag="localhost/aether-test-python:$(sha256sum "${script_dir}/test-image/Containerfile" | cut -c1-12)"
# A fresh machine: podman, runc, containers.conf and the base image come from
# tools/images/setup-podman.sh (each step skipped when done).
if ! command -v podman >/dev/null || ! podman image exists "${base}"; then
  echo "test-template: setting up podman and ${base} (tools/images/setup-podman.sh)" >&2
  AETHER_BASE_IMAGE="${base}" "${script_dir}/../images/setup-podman.sh" >&2
fi
if ! podman image exists "${tag}"; then
  echo "test-template: podman build ${tag}" >&2
  podman build -q --network host --build-arg "BASE_IMAGE=${base}" -t "${tag}" \
    -f "${script_dir}/test-image/Containerfile" "${script_dir}/test-image" >&2
fi
exec "${script_dir}/build-template.sh" --image "${tag}" --name python --out "${out_root}" --guest "${guest_dir}"
