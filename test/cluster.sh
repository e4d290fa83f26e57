# Sourced by test/run, test/demo.sh and bench/run: a throwaway PostgreSQL 15
# cluster in a temporary directory, owned by an unprivileged OS user (the
# server refuses to run as root), with a fresh key-encryption key.
#
# cluster_start sets PGHOST/PGPORT/PGUSER/PGDATABASE and KC_TMP; cluster_stop
# stops the server and removes the directory (KEYCARD_KEEP=1 keeps it).

KC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KC_SHARED=${KEYCARD_SHARED:-$(cd "$KC_REPO/../shared" 2>/dev/null && pwd)}
PG_CONFIG=${PG_CONFIG:-$(ls /usr/lib/postgresql/15/bin/pg_config 2>/dev/null || command -v pg_config)}
PGBIN=$("$PG_CONFIG" --bindir)
KC_OSUSER=${KEYCARD_OSUSER:-keycard}
export KC_REPO KC_SHARED PG_CONFIG PGBIN

# Runs a command as the cluster's owner.
as_owner() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u "$KC_OSUSER" -- "$@"
	else
		"$@"
	fi
}

cluster_start() {
	if [[ $(id -u) == 0 ]] && ! id "$KC_OSUSER" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$KC_OSUSER"
	fi
	KC_TMP=$(mktemp -d /tmp/keycard.XXXXXX)
	chmod 755 "$KC_TMP"
	[[ $(id -u) == 0 ]] && chown "$KC_OSUSER:" "$KC_TMP"
	export KC_TMP

	# The key-encryption key lives outside the database, readable only by the server.
	as_owner sh -c "umask 077 && openssl rand -hex 32 > '$KC_TMP/kek'"

	as_owner "$PGBIN/initdb" -D "$KC_TMP/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
		>"$KC_TMP/initdb.log" 2>&1 || { cat "$KC_TMP/initdb.log" >&2; return 1; }
	PGPORT=${KEYCARD_PORT:-$((20000 + RANDOM % 20000))}
	cat >>"$KC_TMP/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$KC_TMP'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
keycard.kek_file = '$KC_TMP/kek'
CONF
	as_owner "$PGBIN/pg_ctl" -D "$KC_TMP/data" -l "$KC_TMP/server.log" -w -t 60 start >/dev/null ||
		{ cat "$KC_TMP/server.log" >&2; return 1; }
	export PGHOST=$KC_TMP PGPORT PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
	[[ -n ${KC_TMP:-} && -d $KC_TMP/data ]] || return 0
	as_owner "$PGBIN/pg_ctl" -D "$KC_TMP/data" -m fast -w stop >/dev/null 2>&1 ||
		as_owner "$PGBIN/pg_ctl" -D "$KC_TMP/data" -m immediate stop >/dev/null 2>&1
	if [[ ${KEYCARD_KEEP:-0} == 1 ]]; then
		echo "cluster files kept in $KC_TMP" >&2
	else
		rm -rf "$KC_TMP"
	fi
}

# The independent JOSE verifier of shared/vectors (npm jose), run from a
# scratch copy whose node_modules is test/node_modules (see test/package.json).
#   verify_attestation JWS_FILE JWKS_FILE [--check-jcs] [--expect-kid KID]
verify_attestation() {
	local dir=$KC_TMP/verifier
	if [[ ! -f $dir/verify-attestation.mjs ]]; then
		mkdir -p "$dir"
		cp "$KC_SHARED/vectors/jws/verifier/verify-attestation.mjs" "$dir/"
		ln -sfn "$KC_REPO/test/node_modules" "$dir/node_modules"
	fi
	node "$dir/verify-attestation.mjs" "$@"
}
