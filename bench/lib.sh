# Sourced by the benchmarks.  Pairs are measured interleaved: the scripts of
# one comparison run at random in ONE pgbench run (one client, prepared
# statements), so the noise of this shared machine (round trips vary 4x from
# minute to minute) hits them alike; the run of median ratio is reported.

# interleaved_latencies SECONDS [PGBENCH_OPTION...] -- SCRIPT...
# The average latency (ms) of each script, in the order given.
interleaved_latencies() {
	local seconds=$1 opts=() scripts=() n
	shift
	while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	n=$#
	for f in "$@"; do scripts+=(-f "$f"); done
	pgbench -n -M prepared -c 1 -j 1 -T "$seconds" "${opts[@]}" "${scripts[@]}" 2>&1 |
		awk -v n="$n" '/^SQL script [0-9]+:/ { k = $3 + 0 } / - latency average = / && k { lat[k] = $5 }
			END { for (i = 1; i <= n; i++) { if (lat[i] == "") exit 1; printf "%s%s", lat[i], (i < n ? " " : "\n") } }'
}

# median_run < lines "RATIO ...": prints "LOW HIGH" (the range of the ratios)
# followed by the line of median ratio.
median_run() {
	sort -n | awk '{ line[NR] = $0; r[NR] = $1 } END { print r[1], r[NR], line[int((NR + 1) / 2)] }'
}
