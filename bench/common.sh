# Shared by bench/import.sh and bench/floor.sh (sourced, not run).

# measure LABEL CMD…: runs CMD under GNU time, appends "label wall_s cpu_s
# maxrss_kib" to $results and prints the figures; CMD's output goes to
# $work/LABEL.log. CPU time (user + system) is reported beside wall time
# because the machine may be shared: it is less disturbed by other
# processes than wall time.
measure() {
	local label=$1; shift
	local t; t=$(mktemp)
	/usr/bin/time -f "%e %U %S %M" -o "$t" "$@" >"$work/$label.log" 2>&1 || {
		echo "$(basename "$0"): $label failed:" >&2; tail -20 "$work/$label.log" >&2; cat "$t" >&2; exit 1; }
	read -r secs user sys kib <"$t"; rm -f "$t"
	local cpu; cpu=$(echo "$user + $sys" | bc -l)
	echo "$label $secs $cpu $kib" >>"$results"
	printf '%-12s %8.2f s wall  %8.2f s CPU  %7.1f MiB peak RSS  (load average %s)\n' "$label" "$secs" "$cpu" \
		"$(echo "$kib/1024" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# write_bare_script CSVDIR: the sqlite3 shell script that loads every CSV of
# CSVDIR into a bare table: the CSV's own columns, all TEXT, nothing else.
write_bare_script() {
	local f t cols
	for f in "$1"/*.csv; do
		t=$(basename "$f" .csv)
		cols=$(head -1 "$f" | sed 's/,/ TEXT, /g')
		echo "CREATE TABLE $t ($cols TEXT);"
		echo ".import --csv --skip 1 '$f' $t"
	done
}

# ensure_set N SEED: the synthetic CSV set of N incidents from SEED under
# $work (generated once), in $csv.
ensure_set() {
	csv=$work/csv-$1-seed$2
	mkdir -p "$work"
	if [ ! -f "$csv/information_links.csv" ]; then
		go run ./bench/gen -n "$1" -seed "$2" -out "$csv"
	fi
}
