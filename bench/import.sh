#!/usr/bin/env bash
# Import benchmark: on one synthetic CSV set, compare
#   (a) the practical limit — the sqlite3 shell's .import --csv into bare
#       tables (the CSV's columns, no indexes, no constraints), and
#   (b) `dossier import DIR --case Benchmark` into a fresh SQLite data
#       directory (holding only the user and case the import files into),
# reporting wall time, records per second, peak RSS and the ratio (b)/(a).
#
#   bench/import.sh [-n INCIDENTS] [-seed SEED] [-runs RUNS] [-work DIR] [-keep]
#
# Defaults: 1,000,000 incidents, seed 1, 3 runs, work files under bench/out/.
# Needs sqlite3 and GNU time (/usr/bin/time; apt-get install time).
set -euo pipefail

n=1000000 seed=1 runs=3 keep=0
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/out
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift 2 ;;
	-seed) seed=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	-work) work=$2; shift 2 ;;
	-keep) keep=1; shift ;;
	*) echo "usage: $0 [-n INCIDENTS] [-seed SEED] [-runs RUNS] [-work DIR] [-keep]" >&2; exit 2 ;;
	esac
done
for tool in sqlite3 /usr/bin/time go; do
	command -v "$tool" >/dev/null || { echo "import.sh: $tool is missing" >&2; exit 1; }
done

cd "$root"
. bench/common.sh
ensure_set "$n" "$seed"
bin=$work/bin
mkdir -p "$bin"
go build -o "$bin/dossier" ./cmd/dossier
echo "dossier built from $(git describe --always --dirty 2>/dev/null || echo 'an unknown revision'); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"

rows() { echo $(( $(wc -l <"$1") - 1 )); } # no field of the synthetic set spans lines
incidents=$(rows "$csv/incidents.csv")
acts=$(rows "$csv/acts.csv")

results=$work/import-results.txt
: >"$results"
# (a) bare tables: the CSV's own columns, all TEXT, nothing else.
bare_script=$work/bare.sql
write_bare_script "$csv" >"$bare_script"

for run in $(seq "$runs"); do
	rm -f "$work/bare.db"
	measure bare sqlite3 "$work/bare.db" ".read $bare_script"
	rm -rf "$work/data"
	# Through the server, an incident of no case is seen by nobody: the set
	# goes into a case, whose member the query benchmark reads as.
	"$bin/dossier" --data "$work/data" user add bench --role analyst >/dev/null
	"$bin/dossier" --data "$work/data" user join bench Benchmark --new >/dev/null
	measure dossier "$bin/dossier" --data "$work/data" import "$csv" --case Benchmark
	du -sh "$work/bare.db" "$work/data" | sed 's/^/size    /'
done

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
col() { awk -v l="$1" -v c="$2" '$1==l{print $c}' "$results" | median; }
bare_s=$(col bare 2) bare_cpu=$(col bare 3) bare_kib=$(col bare 4)
dossier_s=$(col dossier 2) dossier_cpu=$(col dossier 3) dossier_kib=$(col dossier 4)
echo
echo "set: $csv ($incidents incidents, $acts acts), $runs run(s), medians:"
printf '(a) sqlite3 .import, bare tables: %8.2f s wall %8.2f s CPU %7.1f MiB\n' "$bare_s" "$bare_cpu" "$(echo "$bare_kib/1024" | bc -l)"
printf '(b) dossier import:               %8.2f s wall %8.2f s CPU %7.1f MiB  %8.0f incidents/s  %8.0f acts/s\n' \
	"$dossier_s" "$dossier_cpu" "$(echo "$dossier_kib/1024" | bc -l)" "$(echo "$incidents/$dossier_s" | bc -l)" "$(echo "$acts/$dossier_s" | bc -l)"
printf 'ratio (b)/(a): %.2f wall, %.2f CPU (target ≤ 3); peak memory target < 500 MiB\n' \
	"$(echo "$dossier_s/$bare_s" | bc -l)" "$(echo "$dossier_cpu/$bare_cpu" | bc -l)"
if [ "$keep" = 0 ]; then
	rm -rf "$work/bare.db" "$work/data"
fi
