-- make demo: what keycard does, step by step, on a throwaway cluster.
\pset footer off
\echo
\echo '== 1. Canonical JSON (RFC 8785): member order, whitespace and number spelling do not matter'
SELECT keycard.jcs('{"b": [1.0, 2e1, -0], "a": "\u00e9\n"}'::json) AS canonical;
SELECT keycard.jcs_sha256('{"b":[1,20,0],"a":"é\n"}'::json) = keycard.jcs_sha256('{"a": "\u00e9\n", "b": [1E0, 20.00, 0]}'::json)
       AS same_hash;

\echo
\echo '== 2. Zone signing keys: created in the database, private half sealed under a key-encryption key outside it'
SELECT keycard.create_signing_key('RS256') AS rsa_kid \gset
SELECT keycard.create_signing_key('EdDSA') AS ed_kid \gset
SELECT kid, alg, length(encrypted_private_key) AS sealed_bytes FROM keycard.signing_keys ORDER BY alg;
SELECT jsonb_pretty(keycard.jwk(:'ed_kid')) AS public_jwk;

\echo
\echo '== 3. An attestation signed with each key (JWS, Flattened JSON Serialization)'
\set statement '{"type":"policy_set_attestation","v":1,"zone_id":"demo","policy_set_id":"demo-set","policy_set_version":1,"manifest_sha":"8f96d5d0392a4e31db2f44bf9d0f17ba2ad86217e5748f9b6804608f8b683cfe","status":"created","attested_at":"2026-11-24T12:00:00Z","attested_by":"demo"}'
SELECT jsonb_pretty(keycard.jws_sign(:'statement', :'ed_kid')) AS eddsa_jws;
\o :tmp/rs256.jws.json
SELECT keycard.jws_sign(:'statement', :'rsa_kid');
\o :tmp/eddsa.jws.json
SELECT keycard.jws_sign(:'statement', :'ed_kid');
\o :tmp/jwks.json
SELECT jsonb_build_object('keys', jsonb_agg(keycard.jwk(kid) ORDER BY kid)) FROM keycard.signing_keys;
\o
\echo
\echo '== 4. Verified inside the database against the JWKS'
SELECT keycard.jws_verify(keycard.jws_sign(:'statement', :'rsa_kid'),
                          (SELECT jsonb_build_object('keys', jsonb_agg(keycard.jwk(kid))) FROM keycard.signing_keys))
       ->> 'manifest_sha' AS verified_manifest_sha;
