#!/usr/bin/env bash
# Validates the Kubernetes manifests in deploy/k8s offline: every resource
# against the Kubernetes 1.37 schemas shipped inside the pinned PyPI package
# `kubernetes-validate` (strict: unknown fields fail), every manifest listed
# in the kustomization, and every secret key the pods read present in
# secrets.env.example. No cluster, no network after the package install.
#
# Usage: deploy/k8s-validate.sh        (or `make k8s-validate`)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.37.0
KUBERNETES=1.37.0
dir=deploy/k8s

fail() { echo "k8s-validate: $*" >&2; exit 1; }

installed() { command -v kubernetes-validate >/dev/null && [[ "$(kubernetes-validate --version 2>/dev/null)" == "$VERSION" ]]; }
if ! installed; then
  python=$(command -v python3 || true)
  [[ -n "$python" ]] && "$python" -m pip --version >/dev/null 2>&1 \
    || fail "pip is missing: install Python 3 with pip (Debian: apt-get install python3-pip)"
  echo "k8s-validate: installing kubernetes-validate==$VERSION with pip"
  # Debian's own Python refuses system-wide installs unless told (PEP 668).
  "$python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION" 2>/dev/null \
    || "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages "kubernetes-validate==$VERSION"
  hash -r
  installed || fail "kubernetes-validate $VERSION is not on PATH after installing it"
fi

mapfile -t manifests < <(find "$dir" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)
[[ ${#manifests[@]} -gt 0 ]] || fail "no manifests in $dir"
kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES" "${manifests[@]}" \
  || fail "a manifest does not match the Kubernetes $KUBERNETES schemas"

for manifest in "${manifests[@]}"; do
  grep -qE "^  - $(basename "$manifest")\$" "$dir/kustomization.yaml" \
    || fail "$(basename "$manifest") is not listed in $dir/kustomization.yaml resources"
done
for key in $(grep -ho 'key: INNOMATCH_[A-Z_]*' "${manifests[@]}" | awk '{print $2}' | sort -u); do
  grep -q "^$key=" "$dir/secrets.env.example" || fail "the pods read secret key $key, missing from secrets.env.example"
done
echo "k8s-validate: ${#manifests[@]} manifests valid for Kubernetes $KUBERNETES (kubernetes-validate $VERSION)"
