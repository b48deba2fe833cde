package bundle

import (
	"fmt"
	"strings"
)

// readme explains, to someone who does not have Dossier and need not trust
// it, how to check the bundle with sha256sum, openssl and a shell.
func readme(m Manifest) string {
	var files strings.Builder
	for _, e := range m.Evidence {
		fmt.Fprintf(&files, "| `%s` | %s | %d bytes | `%s` |\n", e.File, e.Type, e.Size, e.SHA256)
	}
	if files.Len() == 0 {
		files.WriteString("| (no evidence files are in this bundle) | | | |\n")
	}
	for _, x := range m.Excluded {
		fmt.Fprintf(&files, "| left out: evidence item %s | | | %s |\n", x.ID, x.Reason)
	}
	return fmt.Sprintf(`# Evidence bundle for incident %[1]s

Exported on %[2]s by %[3]s from the Dossier log %[4]s.

Everything here can be checked without Dossier, with sha256sum, openssl and a
POSIX shell. Do not take this bundle's word for the log's public key: get it
from the organisation that published it, and compare it with log/log-key.txt:

    %[5]s

## What is here

| file | type | size | SHA-256 |
|---|---|---|---|
%[6]s
- records/incident.json: the incident as it stood when exported.
- records/evidence/ID.json: what is recorded of each evidence file (who captured
  it, when, where, its type and hash). Metadata extracted from a file is shown
  apart from what people asserted and is not to be trusted blindly.
- custody/ID/EVENT.json: each file's chain of custody, one event per file,
  including the export into this bundle.
- log/: the audit log entries about these records, with inclusion proofs, and a
  checkpoint of the log signed with the log's Ed25519 key.

## 1. Every file is as exported

    sha256sum -c SHA256SUMS

Every line must say OK. The log/ files are not listed: they prove themselves
(steps 2 and 3). SHA256SUMS itself is vouched for by the log: its SHA-256 is
the content_hash of the entry with "kind":"bundle" in log/entries.jsonl:

    sha256sum SHA256SUMS

## 2. The checkpoint is signed by the log

log/checkpoint.body is the signed text (origin, number of entries, root hash);
log/checkpoint.sig its raw Ed25519 signature; log/log-key.pem the public key
(the same key as log/log-key.txt, in PEM):

    openssl pkeyutl -verify -pubin -inkey log/log-key.pem -rawin \
        -in log/checkpoint.body -sigfile log/checkpoint.sig

It must say "Signature Verified Successfully". log/checkpoint.txt is the same
checkpoint as a signed note (C2SP tlog-checkpoint), with any witnesses'
cosignatures.

## 3. Each entry is in the signed log

log/proofs.json holds, for each entry, its text (the "leaf") and an RFC 6962
inclusion proof against the checkpoint's root. check-proof.sh recomputes the
root from one entry and its proof with sha256sum, xxd and base64:

    sh check-proof.sh log/proofs.json 0     # the first entry; 1, 2, … for the others

It prints the root it computed and the checkpoint's; they must be equal.
RFC 6962 §2.1: a leaf hash is SHA-256(0x00 ‖ leaf), a node SHA-256(0x01 ‖ left ‖ right).

## 4. The records are the ones the log vouches for

Each entry's content_hash is the SHA-256 of a record as written: the newest
"kind":"incident" entry's content_hash equals sha256sum records/incident.json,
each "kind":"evidence" entry's the sha256sum of records/evidence/ID.json for
that version, and each "kind":"custody" entry's the sha256sum of one file in
custody/ID/. Each evidence file's SHA-256 (step 1) equals the "sha256" in its
record.

Or, with Dossier: dossier verify-bundle . --key '%[5]s'
`, m.Incident, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.CreatedBy, m.Log.Origin, m.Log.VerifierKey, files.String())
}

// checkProofScript recomputes an RFC 6962 root from one entry of
// log/proofs.json with standard tools. It reads the JSON with sed, which is
// enough for the file Dossier writes (one field per line).
const checkProofScript = `#!/bin/sh
# Usage: sh check-proof.sh log/proofs.json N
# Recomputes the Merkle root from entry N (0-based, in file order) and its
# inclusion proof (RFC 6962), and prints it beside the checkpoint's root.
set -eu
file=$1
n=$2
size=$(sed -n 's/^  "size": \([0-9]*\),$/\1/p' "$file")
root=$(sed -n 's/^  "root": "\(.*\)",$/\1/p' "$file")
# The N-th entry block: its index, leaf and proof lines.
block=$(awk -v n="$n" '/^    {$/ {i++} i == n+1 {print}' "$file")
index=$(printf '%s\n' "$block" | sed -n 's/^      "index": \([0-9]*\),$/\1/p')
leaf=$(printf '%s\n' "$block" | sed -n 's/^      "leaf": "\(.*\)",$/\1/p' | sed 's/\\"/"/g; s/\\\\/\\/g')
proof=$(printf '%s\n' "$block" | sed -n 's/^        "\([A-Za-z0-9+\/=]*\)",\{0,1\}$/\1/p')
hex() { base64 -d | xxd -p -c 64; }
h=$( { printf '\000'; printf '%s' "$leaf"; } | sha256sum | cut -c1-64)
# Walk up as RFC 9162 section 2.1.3.2 describes.
fn=$index
sn=$((size - 1))
for p in $proof; do
  ph=$(printf '%s' "$p" | hex)
  if [ "$sn" -eq 0 ]; then echo "proof too long" >&2; exit 1; fi
  if [ $((fn % 2)) -eq 1 ] || [ "$fn" -eq "$sn" ]; then
    h=$( { printf '\001'; printf '%s%s' "$ph" "$h" | xxd -r -p; } | sha256sum | cut -c1-64)
    if [ $((fn % 2)) -eq 0 ]; then
      while [ $((fn % 2)) -eq 0 ] && [ "$fn" -ne 0 ]; do fn=$((fn / 2)); sn=$((sn / 2)); done
    fi
  else
    h=$( { printf '\001'; printf '%s%s' "$h" "$ph" | xxd -r -p; } | sha256sum | cut -c1-64)
  fi
  fn=$((fn / 2)); sn=$((sn / 2))
done
echo "entry $index"
echo "computed root:   $(printf '%s' "$h" | xxd -r -p | base64)"
echo "checkpoint root: $root"
`
