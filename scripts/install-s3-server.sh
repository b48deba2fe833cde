#!/usr/bin/env bash
# Installs the S3-compatible server the blob storage tests run against:
# versitygw (https://github.com/versity/versitygw) with its POSIX backend,
# built from the Go module proxy at the version internal/blob/blobtest pins.
# Idempotent: does nothing when that version is already installed.
#
#   scripts/install-s3-server.sh            # into $HOME/.cache/dossier/bin
#   DOSSIER_BIN=/opt/bin scripts/install-s3-server.sh
set -euo pipefail

version=v1.8.0
module=github.com/versity/versitygw
bin_dir=${DOSSIER_BIN:-$HOME/.cache/dossier/bin}
binary=$bin_dir/versitygw

installed=""
if [ -x "$binary" ]; then
  # The module version recorded in the binary's build information.
  installed=$(go version -m "$binary" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }')
fi
if [ "$installed" = "$version" ]; then
  echo "s3 test server: versitygw $version present ($binary)"
  exit 0
fi

echo "s3 test server: building versitygw $version into $bin_dir (about a minute)"
mkdir -p "$bin_dir"
GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$bin_dir" \
  go install "$module/cmd/versitygw@$version"
echo "s3 test server: installed $binary"
