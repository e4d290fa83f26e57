# Sourced by test/run, test/demo.sh and bench/run: a throwaway PostgreSQL
# cluster (of major version PG, default 15) in a temporary directory, owned by an unprivileged OS user (the
# server refuses to run as root), with a fresh key-encryption key.
#
# cluster_start sets PGHOST/PGPORT/PGUSER/PGDATABASE and KC_TMP; cluster_stop
# stops the server and removes the directory (KEYCARD_KEEP=1 keeps it).
#
# The cluster runs with wal_level = logical (for test/suites/45-logical-replication)
# and accepts replication connections (initdb -A trust writes the "replication"
# lines of pg_hba.conf): standby_start makes a streaming replica of it
# (test/suites/44-hot-standby).

KC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-$(ls "/usr/lib/postgresql/${PG:-15}/bin/pg_config" 2>/dev/null || command -v pg_config)}
PGBIN=$("$PG_CONFIG" --bindir)
KC_OSUSER=${KEYCARD_OSUSER:-keycard}
export KC_REPO PG_CONFIG PGBIN

# The Node tools (jose among them) use the Web Crypto API through the global
# crypto object, which Node 18 (Debian 12's) has only behind this flag; Node
# 19 and later have it anyway.  Node's warnings are off: which of its
# features are "experimental" (Ed25519 in Web Crypto, say) depends on its
# version, and the tools' output is compared with expected files.
if command -v node >/dev/null && (($(node -p 'process.versions.node.split(".")[0]') < 19)); then
	export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-global-webcrypto"
fi
export NODE_NO_WARNINGS=1

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
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
keycard.kek_file = '$KC_TMP/kek'
CONF
	as_owner "$PGBIN/pg_ctl" -D "$KC_TMP/data" -l "$KC_TMP/server.log" -w -t 60 start >/dev/null ||
		{ cat "$KC_TMP/server.log" >&2; return 1; }
	export PGHOST=$KC_TMP PGPORT PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
	[[ -n ${KC_TMP:-} && -d $KC_TMP/data ]] || return 0
	# A standby a suite left running (killed before its own clean-up) goes first.
	local pid
	for pid in "$KC_TMP"/*/postmaster.pid; do
		[[ -f $pid && $pid != "$KC_TMP/data/postmaster.pid" ]] || continue
		as_owner "$PGBIN/pg_ctl" -D "$(dirname "$pid")" -m immediate stop >/dev/null 2>&1
	done
	as_owner "$PGBIN/pg_ctl" -D "$KC_TMP/data" -m fast -w stop >/dev/null 2>&1 ||
		as_owner "$PGBIN/pg_ctl" -D "$KC_TMP/data" -m immediate stop >/dev/null 2>&1
	if [[ ${KEYCARD_KEEP:-0} == 1 ]]; then
		echo "cluster files kept in $KC_TMP" >&2
	else
		rm -rf "$KC_TMP"
	fi
}

# The project's independent JOSE verifier (test/jose/verify-attestation.mjs:
# npm jose from test/node_modules, no keycard code). Exit 0 verified (payload
# on stdout), 1 refused, 2 usage, 3 payload not RFC 8785, 4 other kid.
#   verify_attestation JWS_FILE JWKS_FILE [--check-jcs] [--expect-kid KID]
verify_attestation() {
	node "$KC_REPO/test/jose/verify-attestation.mjs" "$@"
}

# --- Streaming replica ------------------------------------------------------------
# standby_start: a hot standby of the cluster in $KC_TMP/standby, made by
# pg_basebackup -R (it streams from the primary through primary_conninfo),
# with its own port and socket directory; sets and exports KC_STANDBY_DIR,
# KC_STANDBY_HOST (socket directory) and KC_STANDBY_PORT.  standby_stop stops
# it and removes its files (cluster_stop also stops one left running).
standby_start() {
	KC_STANDBY_DIR=$KC_TMP/standby
	KC_STANDBY_HOST=$KC_TMP/standby-socket
	export KC_STANDBY_DIR KC_STANDBY_HOST
	as_owner mkdir -p "$KC_STANDBY_HOST"
	as_owner "$PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$KC_STANDBY_DIR" -R -X stream -c fast \
		>"$KC_TMP/standby-basebackup.log" 2>&1 || { cat "$KC_TMP/standby-basebackup.log" >&2; return 1; }
	local try
	for try in 1 2 3 4 5; do
		KC_STANDBY_PORT=$((20000 + RANDOM % 20000))
		# Later lines win: the primary's port and socket directory are replaced.
		cat >>"$KC_STANDBY_DIR/postgresql.conf" <<CONF
port = $KC_STANDBY_PORT
unix_socket_directories = '$KC_STANDBY_HOST'
hot_standby = on
CONF
		if as_owner "$PGBIN/pg_ctl" -D "$KC_STANDBY_DIR" -l "$KC_TMP/standby.log" -w -t 60 start >/dev/null; then
			export KC_STANDBY_PORT
			return 0
		fi
		grep -q 'could not bind\|could not create lock file' "$KC_TMP/standby.log" || break
	done
	cat "$KC_TMP/standby.log" >&2
	return 1
}

standby_stop() {
	[[ -n ${KC_STANDBY_DIR:-} && -d $KC_STANDBY_DIR ]] || return 0
	as_owner "$PGBIN/pg_ctl" -D "$KC_STANDBY_DIR" -m fast -w stop >/dev/null 2>&1 ||
		as_owner "$PGBIN/pg_ctl" -D "$KC_STANDBY_DIR" -m immediate stop >/dev/null 2>&1
	[[ ${KEYCARD_KEEP:-0} == 1 ]] || rm -rf "$KC_STANDBY_DIR" "$KC_STANDBY_HOST"
}

# standby_wait_replay [SECONDS]: waits until the standby has replayed the
# primary's WAL up to the primary's position at the call (default 60 s).
standby_wait_replay() {
	local target i
	target=$(psql -X -At -d postgres -c "SELECT pg_current_wal_lsn()") || return 1
	for ((i = 0; i < ${1:-60} * 10; i++)); do
		[[ $(psql -X -At -h "$KC_STANDBY_HOST" -p "$KC_STANDBY_PORT" -d postgres \
			-c "SELECT pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null) == t ]] && return 0
		sleep 0.1
	done
	return 1
}

# --- Registry contents -------------------------------------------------------------
# registry_fill DB PREFIX: two zones (RS256 and EdDSA) named PREFIX-rs and
# PREFIX-ed, each holding rows of every kind: a member, policies (one
# updated, one archived), policy versions (one archived), policy sets (one
# renamed, one archived), set versions (one archived) with their manifest
# entries and attestations, activations in two slots, a shadow binding
# promoted and one cleared (binding history), a key rotation (retired key,
# re-signed attestations), drafts, a changed default schema version, audit
# records, a recorded shadow decision (0.3.0 on); then a schema version status event.  Only registry functions are
# called: the SQL surface of every version since 0.1.0.
registry_fill() { # db prefix
	PGOPTIONS="${PGOPTIONS:-} -c fill.prefix=$2" psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
\set SHOW_CONTEXT never
DO $$
DECLARE
	prefix text := current_setting('fill.prefix');
	z text; p text; q text; s text; t text;
	pv1 text; pv2 text; pv3 text; qv1 text; qv2 text;
	sv1 text; sv2 text; sv3 text; tv1 text;
	alg text;
BEGIN
	FOREACH alg IN ARRAY ARRAY['RS256', 'EdDSA'] LOOP
		z := (keycard.create_zone(prefix || CASE alg WHEN 'RS256' THEN '-rs' ELSE '-ed' END, alg)).zone_id;
		PERFORM keycard.add_zone_member(z, prefix || '_member');
		p := (keycard.create_policy(z, 'readers', 'who reads')).policy_id;
		q := (keycard.create_policy(z, 'writers')).policy_id;
		PERFORM keycard.update_policy(z, q, '{"description": "updated once"}');
		pv1 := (keycard.create_policy_version(z, p, '2026-03-16',
			cedar_raw => 'permit (principal, action == Action::"read", resource);')).version_id;
		pv2 := (keycard.create_policy_version(z, p, '2026-03-16',
			cedar_raw => 'permit (principal, action == Action::"read", resource) when { context has scopes && context.scopes.contains("r") };')).version_id;
		pv3 := (keycard.create_policy_version(z, p, '2026-03-16',
			cedar_json => keycard.cedar_policy_to_json('permit (principal, action == Action::"access", resource);'))).version_id;
		qv1 := (keycard.create_policy_version(z, q, '2026-02-24',
			cedar_raw => 'forbid (principal, action == Action::"write", resource);')).version_id;
		PERFORM keycard.archive_policy_version(z, q, qv1);
		qv2 := (keycard.create_policy_version(z, q, '2026-03-16',
			cedar_raw => 'forbid (principal, action == Action::"write", resource) unless { context.on_behalf };')).version_id;
		PERFORM keycard.archive_policy(z, (keycard.create_policy(z, 'gone')).policy_id);
		s := (keycard.create_policy_set(z, 'zone-policies')).policy_set_id;
		sv1 := (keycard.create_policy_set_version(z, s, jsonb_build_object('entries', jsonb_build_array(
			jsonb_build_object('policy_id', p, 'policy_version_id', pv1),
			jsonb_build_object('policy_id', q, 'policy_version_id', qv2))), '2026-03-16')).version_id;
		sv2 := (keycard.create_policy_set_version(z, s, jsonb_build_object('entries', jsonb_build_array(
			jsonb_build_object('policy_id', p, 'policy_version_id', pv3),
			jsonb_build_object('policy_id', q, 'policy_version_id', qv2))), '2026-03-16')).version_id;
		sv3 := (keycard.create_policy_set_version(z, s, jsonb_build_object('entries', jsonb_build_array(
			jsonb_build_object('policy_id', q, 'policy_version_id', qv2))), '2026-03-16')).version_id;
		t := (keycard.create_policy_set(z, 'user-policies', 'user')).policy_set_id;
		tv1 := (keycard.create_policy_set_version(z, t, jsonb_build_object('entries', jsonb_build_array(
			jsonb_build_object('policy_id', p, 'policy_version_id', pv2))), '2026-03-16')).version_id;
		PERFORM keycard.activate_policy_set_version(z, s, sv1);
		PERFORM keycard.shadow_policy_set_version(z, s, sv2);
		-- (0.3.0 on) a decision whose shadow differs (sv1 permits read, sv2 not), recorded
		IF to_regprocedure('keycard.authorize_and_record(text,jsonb)') IS NOT NULL THEN
			EXECUTE 'SELECT keycard.authorize_and_record($1, $2)' USING z, '{"principal": {"type": "Keycard::User", "id": "u"},
				"action": {"type": "Action", "id": "read"}, "resource": {"type": "Keycard::Resource", "id": "r"}}'::jsonb;
		END IF;
		PERFORM keycard.activate_policy_set_version(z, s, sv2);
		PERFORM keycard.shadow_policy_set_version(z, s, sv3);
		PERFORM keycard.clear_shadow_binding(z, s);
		PERFORM keycard.archive_policy_set_version(z, s, sv3);
		PERFORM keycard.activate_policy_set_version(z, t, tv1, 'user-1');
		PERFORM keycard.update_policy_set(z, t, '{"name": "users"}');
		PERFORM keycard.archive_policy_set(z, (keycard.create_policy_set(z, 'retired-set')).policy_set_id);
		PERFORM keycard.rotate_zone_key(z);
		PERFORM keycard.save_policy_draft(z, p, cedar_raw => 'permit (principal, action == Action::"write", resource);');
		PERFORM keycard.save_policy_set_draft(z, s, jsonb_build_object('entries', jsonb_build_array(
			jsonb_build_object('policy_id', p, 'policy_version_id', pv2))), name => 'next');
		PERFORM keycard.set_default_schema_version(z, '2026-02-24');
	END LOOP;
	PERFORM keycard.set_schema_version_status('2026-02-24', 'active');
END $$;
SQL
}

# registry_fingerprint [PSQL OPTIONS...]: one line per table of the keycard
# schema, "table rows md5" (the md5 of its rows as text, in text order).
registry_fingerprint() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM keycard.%I t',
			  c.relname, c.relname)
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = 'keycard' AND c.relkind = 'r'
ORDER BY c.relname \gexec
SQL
}
