#!/usr/bin/env bash
# The floor under an import: on one synthetic CSV set, the least work any
# store that answers the issue's lists and searches must do, timed step by
# step in the sqlite3 shell (C) and through the pure-Go driver Dossier is
# built on (bench/floor):
#   bare    every CSV row into a bare table (bench/import.sh's (a));
#   search  a full-text index of the incidents' titles, summaries and
#           places, made as Dossier's is (tokeniser, prefixes, build buffer);
#   keys    the indexes that find a record by ID, an incident's acts and
#           links, an act's perpetrators, and incidents in date order.
# No validation, references, revisions, audit log or list filters: what
# `dossier import` does beyond these is its own cost.
#
#   bench/floor.sh [-n INCIDENTS] [-seed SEED] [-work DIR]
#
# Needs sqlite3 and GNU time (/usr/bin/time; apt-get install time).
set -euo pipefail

n=1000000 seed=1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/out
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift 2 ;;
	-seed) seed=$2; shift 2 ;;
	-work) work=$2; shift 2 ;;
	*) echo "usage: $0 [-n INCIDENTS] [-seed SEED] [-work DIR]" >&2; exit 2 ;;
	esac
done
for tool in sqlite3 /usr/bin/time go bc; do
	command -v "$tool" >/dev/null || { echo "floor.sh: $tool is missing" >&2; exit 1; }
done

cd "$root"
. bench/common.sh
ensure_set "$n" "$seed"
mkdir -p "$work/bin"
go build -o "$work/bin/floor" ./bench/floor
results=$work/floor-results.txt
: >"$results"

write_bare_script "$csv" >"$work/bare.sql"
# The store's 64 MiB cache and FTS5 build buffer (incident/search.go). The
# shell's SQLite (3.40 on Debian 12) predates contentless_delete, which the
# store's index also sets; neither run sets it.
cat >"$work/search.sql" <<'SQL'
PRAGMA cache_size = -65536;
BEGIN;
CREATE VIRTUAL TABLE incident_search USING fts5 (title, summary, place, content = '',
	tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
INSERT INTO incident_search (incident_search, rank) VALUES ('hashsize', 67108864);
INSERT INTO incident_search (rowid, title, summary, place)
	SELECT rowid, title, summary, place_name || ' ' || place_admin_area FROM incidents;
COMMIT;
SQL
cat >"$work/keys.sql" <<'SQL'
PRAGMA cache_size = -65536;
BEGIN;
CREATE UNIQUE INDEX incidents_id ON incidents (id);
CREATE INDEX incidents_date ON incidents (date_start, id);
CREATE UNIQUE INDEX acts_id ON acts (id);
CREATE INDEX acts_incident ON acts (incident_id);
CREATE INDEX perpetrators_act ON perpetrators (act_id);
CREATE UNIQUE INDEX information_links_id ON information_links (id);
CREATE INDEX information_links_incident ON information_links (incident_id);
CREATE UNIQUE INDEX situations_id ON situations (id);
CREATE UNIQUE INDEX parties_id ON parties (id);
CREATE UNIQUE INDEX sources_id ON sources (id);
COMMIT;
SQL

echo "set: $csv; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
rm -f "$work/floor-c.db" "$work/floor-go.db"
measure c-bare sqlite3 "$work/floor-c.db" ".read $work/bare.sql"
measure c-search sqlite3 "$work/floor-c.db" ".read $work/search.sql"
measure c-keys sqlite3 "$work/floor-c.db" ".read $work/keys.sql"
measure go-bare "$work/bin/floor" -db "$work/floor-go.db" -csv "$csv"
measure go-search "$work/bin/floor" -db "$work/floor-go.db" -sql "$work/search.sql"
measure go-keys "$work/bin/floor" -db "$work/floor-go.db" -sql "$work/keys.sql"
rm -f "$work/floor-c.db" "$work/floor-go.db"

sum() { awk -v p="$1" -v c="$2" 'index($1, p) == 1 {s += $c} END {printf "%.2f", s}' "$results"; }
bare=$(awk '$1 == "c-bare" {print $2}' "$results")
echo
for engine in c go; do
	total=$(sum "$engine-" 2)
	printf '%-3s bare + search + keys: %8.2f s wall %8.2f s CPU = %.2f× the shell'"'"'s bare import\n' \
		"$engine" "$total" "$(sum "$engine-" 3)" "$(echo "$total/$bare" | bc -l)"
done
