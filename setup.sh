#!/usr/bin/env bash
# One-step set-up for anchor on Debian (Python 3.11).
#   bash setup.sh demo   install everything, then render scripts/demo.md into out/
#   bash setup.sh test   install everything (with test tools), then run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
what="${1:-demo}"
shift || true

# build-essential and python3.11-dev: pyworld (the second Mandarin voice) is built from its source
APT_PACKAGES=(espeak-ng libespeak-ng1 fonts-noto-cjk build-essential python3.11-dev)
# the studio's browser tests drive Debian's Chromium (Playwright with executable_path=/usr/bin/chromium)
[ "$what" = "test" ] && APT_PACKAGES+=(chromium chromium-driver)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo ">> apt: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "anchor needs Python 3.11"'
if [ ! -x .venv/bin/python ]; then
  echo ">> creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
extras=""; [ "$what" = "test" ] && extras="[test]"
echo ">> pip: installing anchor$extras and its models"
.venv/bin/python -m pip install -q -e ".$extras"
.venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check; exit 1; }

export GRADIO_ANALYTICS_ENABLED=False TF_CPP_MIN_LOG_LEVEL=3
case "$what" in
  demo)
    echo ">> rendering scripts/demo.md (offline)"
    .venv/bin/anchor render scripts/demo.md --out out "$@"
    echo ">> done: out/demo.mp4, out/demo.cover.jpg, out/demo.srt, out/demo.vtt, out/demo.json"
    ;;
  test)
    .venv/bin/python -m pytest -ra "$@"
    ;;
  *)
    echo "usage: bash setup.sh demo|test" >&2; exit 2 ;;
esac
