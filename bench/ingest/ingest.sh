#!/usr/bin/env bash
# Ingest benchmark: on one large file, in the same run, time
#   openssl    `openssl dgst -sha256` — the practical limit for hashing it
#   sha256sum  `sha256sum` — for reference (coreutils does not use SHA-NI)
#   dd-copy    `dd … oflag=direct conv=fsync` copying the file into the store's
#              file system as Put writes it (around the page cache): the floor
#              for any ingest that keeps a copy
#   put-plain  blob.Store.Put into a store keeping content in clear (as before
#              encryption at rest), through bench/ingest
#   put-sealed the same into a sealed store, Dossier's default: hash, encrypt,
#              write, fsync, publish
#   cli        `dossier evidence add --incident ID FILE`: the whole command, from
#              process start (database, keys) to the item recorded
#   http       a raw POST of the file to /api/v1/evidence on `dossier serve` over
#              loopback, by a small Go client (bench/ingest upload); its CPU time
#              is the client's plus the server's, its peak RSS the larger
# and report each one's median wall and CPU time, its ratio to openssl and to
# sha256sum, and its peak RSS.
#
#   bench/ingest/ingest.sh [-size MIB] [-runs RUNS] [-work DIR] [-keep]
#
# Defaults: a 2048 MiB file, 3 runs, work files under bench/out/ingest.
# Every command reads the file from the page cache (it was just written, and
# each is run in turn), so the figures compare CPU paths, not the disk. Every
# store also writes the file once and waits for it to reach the disk (fsync).
# Needs openssl, sha256sum and GNU time (/usr/bin/time; apt-get install time).
#
# More commands are measured by adding a `measure LABEL CMD…` line to
# measure_all below; reset_stores runs before every round.
set -euo pipefail

size=2048 runs=3 keep=0
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$root/bench/out/ingest
while [ $# -gt 0 ]; do
	case $1 in
	-size) size=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	-work) work=$2; shift 2 ;;
	-keep) keep=1; shift ;;
	*) echo "usage: $0 [-size MIB] [-runs RUNS] [-work DIR] [-keep]" >&2; exit 2 ;;
	esac
done
for tool in openssl sha256sum /usr/bin/time go; do
	command -v "$tool" >/dev/null || { echo "ingest.sh: $tool is missing" >&2; exit 1; }
done

mkdir -p "$work/bin"
cd "$root"
go build -o "$work/bin/ingest" ./bench/ingest
go build -o "$work/bin/dossier" ./cmd/dossier
bin=$work/bin
file=$work/input-${size}MiB.bin
if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" -ne $((size << 20)) ]; then
	"$bin/ingest" gen -size "$size" -seed 1 -out "$file"
fi
echo "ingest of a ${size} MiB file; built from $(git describe --always --dirty 2>/dev/null || echo 'an unknown revision');" \
	"$(nproc) cores;$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); $(grep -qw sha_ni /proc/cpuinfo && echo SHA-NI || echo 'no SHA-NI')"

# Stores written by measured commands; emptied before every round so that
# no Put finds its content already stored.
store=$work/store
reset_stores() {
	chmod -R u+w "$store" 2>/dev/null || true
	rm -rf "$store"
	mkdir -p "$store"
}

# measure LABEL CMD…: runs CMD under GNU time and appends
# "LABEL WALL_S CPU_S MAXRSS_KIB" to $results. CPU time (user + system) is
# given beside wall time because the machine may be shared.
results=$work/results.txt
: >"$results"
measure() {
	local label=$1; shift
	local t; t=$(mktemp)
	/usr/bin/time -f "%e %U %S %M" -o "$t" "$@" >"$work/$label.log" 2>&1 || {
		echo "ingest.sh: $label failed:" >&2; tail -20 "$work/$label.log" >&2; cat "$t" >&2; exit 1; }
	read -r secs user sys kib <"$t"; rm -f "$t"
	local cpu; cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	echo "$label $secs $cpu $kib" >>"$results"
	printf '  %-10s %7.2f s wall %7.2f s CPU %8.1f MiB peak RSS  (load average %s)\n' "$label" "$secs" "$cpu" \
		"$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# measure_http LABEL DATA INCIDENT TOKEN: starts `dossier serve` on DATA on a
# free loopback port, measures one upload of $file through it, and adds the
# server's CPU time to the client's and its peak RSS (a fresh server each
# round, so its VmHWM is this upload's) to the results.
measure_http() {
	local label=$1 data=$2 incident=$3 token=$4
	local port; port=$("$bin/ingest" freeport)
	"$bin/dossier" --data "$data" serve --addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
	local pid=$!
	# A failed measurement exits the script: the server must not outlive it.
	trap "kill $pid 2>/dev/null" EXIT
	"$bin/ingest" wait -url "http://127.0.0.1:$port/api/v1/" || { kill "$pid"; cat "$work/server.log" >&2; exit 1; }
	local stats=$work/server-stats.txt
	measure "$label" "$bin/ingest" upload -token "$token" -server-pid "$pid" -server-stats "$stats" \
		-url "http://127.0.0.1:$port/api/v1/evidence?incident=$incident&filename=$(basename "$file")" "$file"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	trap - EXIT
	local server_cpu server_kib
	read -r server_cpu server_kib <"$stats"
	# Replace the last line (the client alone) by client + server.
	local last; last=$(tail -1 "$results")
	sed -i '$d' "$results"
	awk -v c="$server_cpu" -v k="$server_kib" '{ printf "%s %s %.2f %d\n", $1, $2, $3 + c, ($4 > k ? $4 : k) }' <<<"$last" >>"$results"
	printf '  %-10s server: %s s CPU, %s MiB peak RSS; client: %s\n' "$label" "$server_cpu" \
		"$(awk -v k="$server_kib" 'BEGIN { print k / 1024 }')" "$(cut -d' ' -f3- <<<"$last")"
}

# new_dossier DIR: a data directory holding one incident, in a case whose
# member (an investigator) has an API token; prints "INCIDENT TOKEN".
new_dossier() {
	local data=$1
	local out incident token
	"$bin/dossier" --data "$data" user add admin --role administrator --json >/dev/null
	"$bin/dossier" --data "$data" user add bench --role investigator --json >/dev/null
	"$bin/dossier" --data "$data" user join bench 'Ingest benchmark' --new >/dev/null
	out=$("$bin/dossier" --data "$data" incident add --title 'Ingest benchmark' --date 2023-10-07 --case 'Ingest benchmark')
	incident=$(sed -n 's/^Added incident \([0-9a-f-]*\):.*/\1/p' <<<"$out")
	[ -n "$incident" ] || { echo "ingest.sh: incident add said: $out" >&2; exit 1; }
	token=$("$bin/dossier" --data "$data" token create --user bench --name 'ingest benchmark' --json |
		sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
	[ -n "$token" ] || { echo "ingest.sh: no API token" >&2; exit 1; }
	echo "$incident $token"
}

measure_all() {
	measure openssl openssl dgst -sha256 "$file"
	measure sha256sum sha256sum "$file"
	measure dd-copy dd if="$file" of="$store/copy" bs=1M oflag=direct conv=fsync status=none
	measure put-plain "$bin/ingest" put -plain -data "$store/plain" "$file"
	# The sealed store's keys are made before the clock starts.
	"$bin/ingest" put -data "$store/sealed" /dev/null >/dev/null
	measure put-sealed "$bin/ingest" put -data "$store/sealed" "$file"
	local incident token
	read -r incident token < <(new_dossier "$store/cli")
	measure cli "$bin/dossier" --data "$store/cli" evidence add --incident "$incident" "$file"
	read -r incident token < <(new_dossier "$store/http")
	measure_http http "$store/http" "$incident" "$token"
}

for run in $(seq "$runs"); do
	echo "run $run"
	reset_stores
	measure_all
done

# Every command must have seen the same bytes.
want=$(sed -n 's/.*= //p' "$work/openssl.log")
for label in sha256sum put-plain put-sealed http; do
	got=$(awk '{ print $1; exit }' "$work/$label.log")
	[ "$got" = "$want" ] || { echo "ingest.sh: $label reports SHA-256 $got, openssl $want" >&2; exit 1; }
done
grep -q "SHA-256 $want)" "$work/cli.log" || { echo "ingest.sh: the CLI does not report SHA-256 $want:" >&2; cat "$work/cli.log" >&2; exit 1; }
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bin/ingest" report -baseline openssl -reference sha256sum -bytes $((size << 20)) "$results"

if [ "$keep" -eq 0 ]; then
	reset_stores
	rm -f "$file"
fi
