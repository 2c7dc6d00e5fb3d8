#!/usr/bin/env bash
# Installs the Debian packages the book needs, or says which ones are missing.
# Used by `make` (target system); idempotent: does nothing when everything is there.
set -euo pipefail

# libfluidsynth3: renders the scores of the offline corpus (pyfluidsynth loads it)
# espeak-ng, flite: speech synthesis for the speech/music corpus
# festival + festvox-*: more synthetic voices for the speech/music corpus (English, Italian and
#   Finnish diphone voices, and the HTS voice of its disjoint-source "transfer" split)
# fluid-soundfont-gm: a second General MIDI soundfont (FluidR3) for the cross-soundfont test rows
# chromium: the browser test reads the built book in it (tests/test_browser.py, via Playwright)
#   (on Ubuntu, whose chromium is a snap, point MIRBOOK_CHROMIUM at another Chromium or Chrome)
PACKAGES=(libfluidsynth3 espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts festvox-italp16k festvox-suopuhe-lj fluid-soundfont-gm chromium)
if [ -n "${MIRBOOK_CHROMIUM:-}" ] && [ -x "${MIRBOOK_CHROMIUM}" ]; then
  PACKAGES=("${PACKAGES[@]/chromium/}")
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  [ -n "$pkg" ] || continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "mirbook needs these Debian/Ubuntu packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# the package lists first: on a fresh machine they are empty or stale
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
