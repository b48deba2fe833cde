#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the benchmarks, on a Unix socket.
#
#   bench/pg.sh start DIR   # initdb (if need be) and start; prints the database URL
#   bench/pg.sh url DIR     # prints the URL of the cluster in DIR
#   bench/pg.sh stop DIR    # stops it (the files stay until you delete DIR)
#
# PGBENCH_OPTS adds server settings at start, e.g.
# PGBENCH_OPTS="-c shared_preload_libraries=pg_prewarm" to keep the cache
# across restarts (docs/cli.md, "dossier serve").
#
# Settings for a dedicated database server with 16 GB of memory: a quarter of
# it as shared_buffers (4 GB, PostgreSQL's usual advice; the million-incident
# set takes 11 GB on disk), work_mem 32 MB. fsync and synchronous_commit are off: the cluster holds
# nothing but benchmark data, and the import figures on PostgreSQL are then
# those of the database work, not of this machine's disk flushes.
# As root the cluster runs as the postgres user (initdb refuses root).
set -euo pipefail

cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|url|stop DIR" >&2; exit 2; }
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -1)")
[ -x "$bin/pg_ctl" ] || { echo "pg.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
as=() owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
	as=(runuser -u postgres --)
	owner=postgres
fi
url="postgres://$owner@/dossier_bench?host=$dir"

case $cmd in
start)
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		"${as[@]}" "$bin/initdb" -D "$dir/data" -U "$owner" -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
	fi
	opts="-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	opts+=" -c shared_buffers=4GB -c work_mem=32MB -c maintenance_work_mem=512MB -c effective_cache_size=12GB"
	opts+=" -c max_wal_size=8GB -c checkpoint_timeout=30min -c random_page_cost=1.1 ${PGBENCH_OPTS:-}"
	"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/log" -w -t 60 start >/dev/null
	"${as[@]}" psql -h "$dir" -U "$owner" -d postgres -qAtc \
		"SELECT 1 FROM pg_database WHERE datname = 'dossier_bench'" | grep -q 1 ||
		"${as[@]}" psql -h "$dir" -U "$owner" -d postgres -qc "CREATE DATABASE dossier_bench" >/dev/null
	echo "$url"
	;;
url) echo "$url" ;;
stop) "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null ;;
*) echo "usage: $0 start|url|stop DIR" >&2; exit 2 ;;
esac
