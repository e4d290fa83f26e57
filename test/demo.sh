#!/usr/bin/env bash
# make demo: builds nothing itself (the Makefile did); starts a throwaway
# cluster, walks through keycard, verifies its signatures with an independent
# JOSE library, and stops the cluster whatever happens.
set -euo pipefail
source "$(dirname "$0")/cluster.sh"

cluster_start
trap 'cluster_stop' EXIT
psql -q -X -v ON_ERROR_STOP=1 -c "CREATE DATABASE keycard_demo" >/dev/null
export PGDATABASE=keycard_demo
psql -q -X -v ON_ERROR_STOP=1 -c "CREATE EXTENSION keycard"

psql -X -v ON_ERROR_STOP=1 -v tmp="$KC_TMP" -t -A -q -f "$KC_REPO/test/demo.sql" | sed 's/^/  /'

echo
echo "== 5. Verified outside the database by an independent JOSE library (npm jose)"
for alg in rs256 eddsa; do
	printf '  %s: ' "$alg"
	verify_attestation "$KC_TMP/$alg.jws.json" "$KC_TMP/jwks.json" --check-jcs >/dev/null
done
echo
echo "demo complete"
