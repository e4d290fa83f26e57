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

psql -X -v ON_ERROR_STOP=1 -v tmp="$KC_TMP" -f "$KC_REPO/test/demo.sql" 2>&1 | sed 's/^/  /'

echo
echo "== 7. The attestations, checked outside the database by an independent JOSE library (npm jose)"
printf '  as created, with the JWKS of the time:           '
verify_attestation "$KC_TMP/attestation-created.json" "$KC_TMP/jwks-before.json" --check-jcs >/dev/null
printf '  as re-signed after rotation, with the new JWKS:   '
verify_attestation "$KC_TMP/attestation-re_signed.json" "$KC_TMP/jwks-after.json" --check-jcs >/dev/null
printf '  the original signature, with the new JWKS:        '
verify_attestation "$KC_TMP/attestation-created.json" "$KC_TMP/jwks-after.json" --check-jcs >/dev/null
echo
echo "SQL demo complete"

# ==============================================================================
# HTTP: the same registry at the documented paths, through the shipped nginx
# site (deploy/nginx/keycard.conf) and the PostgREST replay harness (test
# infrastructure standing in for PostgREST 12, which is not installed here).
# ==============================================================================
echo
echo "== 8. Over HTTP: nginx (shipped site) -> PostgREST replay harness -> api schema"
http_dir=$KC_TMP/http-demo
mkdir -p "$http_dir"
http_pids=()
http_stop() {
	[[ -f $http_dir/nginx.pid ]] && kill -QUIT "$(cat "$http_dir/nginx.pid")" 2>/dev/null
	for p in "${http_pids[@]}"; do kill "$p" 2>/dev/null; done
	return 0
}
trap 'http_stop; cluster_stop' EXIT
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);const v=eval("o"+process.argv[1]);console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }

psql -q -X -v ON_ERROR_STOP=1 <<'SQL'
DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keycard_authenticator') THEN
	CREATE ROLE keycard_authenticator LOGIN NOINHERIT; END IF; END$$;
GRANT keycard_anon, keycard_api, keycard_platform TO keycard_authenticator;
SQL
zone=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT zone_id FROM keycard.create_zone('http demo')")
secret=demo-secret-0123456789abcdefghijklmnop
harness_port=$(free_port)
PGRST_DB_URI="postgresql://keycard_authenticator@localhost/$PGDATABASE?host=$PGHOST&port=$PGPORT" \
	PGRST_JWT_SECRET=$secret PGRST_SERVER_PORT=$harness_port \
	node "$KC_REPO/test/postgrest/replay-harness.mjs" >"$http_dir/harness.log" 2>&1 &
http_pids+=($!)
port=$(free_port)
sed -e "s/server 127.0.0.1:3000;/server 127.0.0.1:$harness_port;/" -e "s/listen 8080;/listen 127.0.0.1:$port;/" \
	"$KC_REPO/deploy/nginx/keycard.conf" >"$http_dir/site.conf"
cat >"$http_dir/nginx.conf" <<CONF
pid $http_dir/nginx.pid;
error_log $http_dir/nginx-error.log;
events {}
http {
	access_log $http_dir/nginx-access.log;
	client_body_temp_path $http_dir/body; proxy_temp_path $http_dir/proxy;
	fastcgi_temp_path $http_dir/fcgi; uwsgi_temp_path $http_dir/uwsgi; scgi_temp_path $http_dir/scgi;
	include $http_dir/site.conf;
}
CONF
[[ $(id -u) == 0 ]] && chown -R "$KC_OSUSER:" "$http_dir"
as_owner nginx -c "$http_dir/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && curl -s -o /dev/null "http://127.0.0.1:$harness_port/" && break; sleep 0.2; done
token=$(cd "$KC_REPO/test" && node --input-type=module -e "
import { SignJWT } from 'jose';
console.log(await new SignJWT({ role: 'keycard_api', sub: 'demo-user', zones: ['$zone'] })
	.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('$secret')));")
api() { # METHOD PATH [BODY]: prints "METHOD PATH -> status", leaves the body in $http_dir/body.json
	local args=(-s -o "$http_dir/body.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" -H 'X-API-Version: 2026-02-01')
	[[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	local status
	status=$(curl "${args[@]}" "http://127.0.0.1:$port$2")
	echo "  $1 ${2//$zone/\{zone_id\}} -> $status"
}
Z=/zones/$zone
api GET "$Z/policy-schemas"
echo "    schemas: $(jget '.items.map(s => s.version + (s.is_default ? " (default)" : "")).join(", ")' <"$http_dir/body.json")"
api POST "$Z/policies" '{"name": "http-readers", "description": "Created over HTTP"}'
policy=$(jget '.id' <"$http_dir/body.json")
api POST "$Z/policies/$policy/versions" '{"schema_version": "2026-03-16", "cedar_raw": "permit (principal, action == Action::\"read\", resource);"}'
pv=$(jget '.id' <"$http_dir/body.json")
echo "    version $(jget '.version' <"$http_dir/body.json"), sha $(jget '.sha' <"$http_dir/body.json")"
api PATCH "$Z/policies/$policy" '{"description": "Readers, renamed over HTTP"}'
api GET "$Z/policies?query=readers&expand[]=total_count"
echo "    total_count $(jget '.pagination.total_count' <"$http_dir/body.json")"
api POST "$Z/policy-sets" '{"name": "http-prod"}'
set_id=$(jget '.id' <"$http_dir/body.json")
api POST "$Z/policy-sets/$set_id/versions" "{\"schema_version\": \"2026-03-16\", \"manifest\": {\"entries\": [{\"policy_id\": \"$policy\", \"policy_version_id\": \"$pv\"}]}}"
sv=$(jget '.id' <"$http_dir/body.json")
echo "    manifest_sha $(jget '.manifest_sha' <"$http_dir/body.json"), attestation $(jget '.attestation.status' <"$http_dir/body.json")"
api PATCH "$Z/policy-sets/$set_id/versions/$sv" '{"active": true}'
api GET "$Z/policy-sets/$set_id"
echo "    active $(jget '.active' <"$http_dir/body.json"), mode $(jget '.mode' <"$http_dir/body.json"), active_version $(jget '.active_version' <"$http_dir/body.json")"
api GET "$Z/policy-sets/$set_id/versions/$sv/policies?format=cedar"
api GET "$Z/policy-sets/$set_id/versions/$sv/attestation"
cp "$http_dir/body.json" "$http_dir/attestation.json"
curl -s -o "$http_dir/jwks.json" -w '  GET /zones/{zone_id}/.well-known/jwks.json (no token) -> %{http_code}\n' "http://127.0.0.1:$port$Z/.well-known/jwks.json"
api GET "$Z/policies/00000000-0000-7000-8000-000000000000"
echo "    $(jget '.code + ": " + o.message' <"$http_dir/body.json")"
printf '  attestation fetched over HTTP, verified with the JWKS fetched over HTTP (npm jose): '
verify_attestation "$http_dir/attestation.json" "$http_dir/jwks.json" --check-jcs >/dev/null
echo
echo "HTTP demo complete"
