#!/usr/bin/env bash
# Installs what the test suite needs and a fresh Debian machine lacks:
# Chromium for the browser tests, PostgreSQL server binaries for the storage
# tests, the sqlite3 shell for the import benchmark, fonts with Arabic and
# Hebrew glyphs so screenshots show real text, and openssl and xxd, with
# which a court bundle is checked without Dossier. Idempotent: installs only
# what is missing.
set -euo pipefail
"$(dirname "$0")/install-s3-server.sh"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
# A court bundle is checked with these alone (internal/bundle tests run them).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v xxd >/dev/null 2>&1 || missing+=(xxd)
# Evidence: metadata and poster frames of audio and video.
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)

if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test dependencies: installed ${missing[*]}"
