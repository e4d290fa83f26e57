-- Signing keys, JWK thumbprints and JWS: against the published vectors in
-- test/vectors/jws (RFC 7515 A.2, RFC 8037 A, RFC 7638 3.1), and against npm
-- jose on keys made in this run (test/jose/jws-samples.mjs: openssl genpkey,
-- jose's FlattenedSign; see that file for what it writes).
\getenv repo KC_REPO
\getenv tmp KC_TMP
\set vectors :repo/test/vectors/jws
\set samples :tmp/jws-samples
\set made `node :repo/test/jose/jws-samples.mjs :samples && echo made`
SELECT :'made' AS jose_samples;
\set rfc7515 `cat :vectors/rfc7515-a2-rs256.json`
\set rfc7515_pem `cat :samples/rfc7515.pem`
\set rfc7515_kid `cat :samples/rfc7515.kid`
\set rfc8037 `cat :vectors/rfc8037-a-ed25519.json`
\set rfc8037_pem `cat :samples/rfc8037.pem`
\set rfc7638 `cat :vectors/rfc7638-3.1-thumbprint.json`
\set rsa_pem `cat :samples/rsa.pem`
\set rsa_jwk `cat :samples/rsa.jwk.json`
\set rsa_kid `cat :samples/rsa.kid`
\set ed_pem `cat :samples/ed.pem`
\set ed_jwk `cat :samples/ed.jwk.json`
\set ed_kid `cat :samples/ed.kid`
\set jwks `cat :samples/jwks.json`
\i :repo/test/regress_error_of.sql
-- The error of a statement (SQLSTATE, message, detail) with the kids of the
-- keys made in this run masked: they differ from run to run.
CREATE FUNCTION pg_temp.refusal(statement text, masks jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
	m record;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	msg := st || ': ' || msg || coalesce(' DETAIL: ' || nullif(det, ''), '');
	FOR m IN SELECT key, value FROM jsonb_each_text(masks) LOOP
		msg := replace(msg, m.value, m.key);
	END LOOP;
	RETURN msg;
END $$;
SELECT jsonb_build_object('<rsa_kid>', :'rsa_kid', '<ed_kid>', :'ed_kid') AS masks \gset

-- RFC 7638 §3.1: thumbprint of a public JWK (alg and kid ignored)
SELECT keycard.jwk_thumbprint((:'rfc7638'::jsonb)->'jwk') = :'rfc7638'::jsonb->>'thumbprint' AS rfc7638;
SELECT keycard.jwk_thumbprint((:'rfc8037'::jsonb)->'jwk_public') = :'rfc8037'::jsonb->>'jwk_thumbprint' AS rfc8037_thumbprint;

-- RFC 7515 A.2: RS256 is deterministic; the imported key reproduces the signature byte for byte
-- (the kid is the key's RFC 7638 thumbprint as jose computes it)
SELECT keycard.import_signing_key(:'rfc7515_pem') = :'rfc7515_kid' AS rfc7515_kid;
SELECT keycard.base64url_encode(keycard.sign_bytes(:'rfc7515_kid',
           convert_to(:'rfc7515'::jsonb->>'signing_input', 'UTF8'))) = :'rfc7515'::jsonb->>'signature_b64u' AS rfc7515_signature;
-- RFC 8037 A.4: Ed25519
SELECT keycard.import_signing_key(:'rfc8037_pem') = :'rfc8037'::jsonb->>'jwk_thumbprint' AS rfc8037_kid;
SELECT keycard.base64url_encode(keycard.sign_bytes(:'rfc8037'::jsonb->>'jwk_thumbprint',
           convert_to(:'rfc8037'::jsonb->>'signing_input', 'UTF8'))) = :'rfc8037'::jsonb->>'signature_b64u' AS rfc8037_signature;
-- the stored public JWKs are the published ones plus kid, alg, use
SELECT keycard.jwk(:'rfc8037'::jsonb->>'jwk_thumbprint') AS rfc8037_jwk;
SELECT keycard.jwk(:'rfc7515_kid') @> (:'rfc7515'::jsonb->'jwk_public') AS rfc7515_jwk;
-- RFC 7515 A.2 verifies (no kid in its header: the only key of the right type is chosen);
-- RFC 8037's payload is not JSON, which jws_verify reports after checking the signature
SELECT keycard.jws_verify(:'rfc8037'::jsonb->'flattened',
           jsonb_build_object('keys', jsonb_build_array(:'rfc8037'::jsonb->'jwk_public')));
SELECT keycard.jws_verify(jsonb_set(:'rfc8037'::jsonb->'flattened', '{signature}', to_jsonb(:'rfc7515'::jsonb->>'signature_b64u')),
           jsonb_build_object('keys', jsonb_build_array(:'rfc8037'::jsonb->'jwk_public')));
SELECT keycard.jws_verify(:'rfc7515'::jsonb->'flattened',
           jsonb_build_object('keys', jsonb_build_array(:'rfc7515'::jsonb->'jwk_public'))) AS rfc7515_payload;

-- keys made by openssl in this run: the same key, header and payload give exactly jose's JWS
SELECT keycard.import_signing_key(:'rsa_pem') = :'rsa_kid' AS rsa_kid_is_thumbprint,
       keycard.import_signing_key(:'ed_pem') = :'ed_kid' AS ed_kid_is_thumbprint;
SELECT keycard.jwk(:'rsa_kid') = :'rsa_jwk'::jsonb AS rsa_jwk_equal, keycard.jwk(:'ed_kid') = :'ed_jwk'::jsonb AS ed_jwk_equal;
\set s1 `cat :samples/s1.json`
\set j1 `cat :samples/j1.json`
\set s2 `cat :samples/s2.json`
\set j2 `cat :samples/j2.json`
\set s3 `cat :samples/s3.json`
\set j3 `cat :samples/j3.json`
\set p3 `cat :samples/p3.json`
SELECT keycard.jws_sign(:'s1', :'rsa_kid') = :'j1'::jsonb AS rs256_created,
       keycard.jws_sign(:'s2', :'ed_kid') = :'j2'::jsonb AS eddsa_created,
       keycard.jws_sign(:'s3', :'ed_kid') = :'j3'::jsonb AS eddsa_re_signed;
SELECT keycard.jws_verify(:'j1', :'jwks') = :'s1'::jsonb AS verify_1,
       keycard.jws_verify(:'j2', :'jwks') = :'s2'::jsonb AS verify_2,
       keycard.jws_verify(:'j3', :'jwks') = :'s3'::jsonb AS verify_3;
-- the payload is the JCS form of the statement (npm canonicalize)
SELECT convert_from(keycard.base64url_decode(keycard.jws_sign(:'s3', :'ed_kid')->>'payload'), 'UTF8') = :'p3' AS payload_is_jcs;

-- every tampered variant is refused, each for its reason
\set t1 `cat :samples/t1.json`
\set t2 `cat :samples/t2.json`
\set t3 `cat :samples/t3.json`
\set t4 `cat :samples/t4.json`
\set t5 `cat :samples/t5.json`
\set t6 `cat :samples/t6.json`
\set t6_position `cat :samples/t6.position`
SELECT pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'t1', :'jwks'), :'masks') AS payload_altered;
SELECT pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'t2', :'jwks'), :'masks') AS signature_bit_flipped;
SELECT pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'t3', :'jwks'), :'masks') AS unknown_kid;
SELECT pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'t4', :'jwks'), :'masks') AS rsa_signature_under_ed25519_header;
SELECT pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'t5', :'jwks'), :'masks') AS alg_none;
-- the position reported is the first character outside base64url (computed by jws-samples.mjs)
SELECT replace(pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'t6', :'jwks'), :'masks'),
               'position ' || :'t6_position' || ' ', 'position <first non-base64url character> ') AS padded_base64;

-- new keys: both algorithms sign and verify against their own JWK
CREATE TEMP TABLE new_keys AS
SELECT alg, keycard.create_signing_key(alg) AS kid FROM (VALUES ('RS256'), ('EdDSA')) a(alg);
SELECT k.alg, length(k.kid) AS kid_length,
       keycard.jwk_thumbprint(keycard.jwk(k.kid)) = k.kid AS kid_is_thumbprint,
       keycard.jwk(k.kid)->>'alg' = k.alg AS jwk_alg,
       keycard.jws_verify(keycard.jws_sign('{"b":[1,2.50,"x"],"a":true}', k.kid),
                          jsonb_build_object('keys', jsonb_build_array(keycard.jwk(k.kid)))) AS payload
FROM new_keys k ORDER BY alg;
SELECT alg, length(decode(translate(keycard.jwk(kid)->>'n', '-_', '+/') || '==', 'base64')) * 8 AS rsa_bits
FROM new_keys WHERE alg = 'RS256';
-- a key created and used in one transaction works, and is gone after rollback
BEGIN;
SELECT keycard.create_signing_key('EdDSA') AS tx_kid \gset
SELECT keycard.jws_sign('{}', :'tx_kid') IS NOT NULL AS signed_in_transaction;
ROLLBACK;
SELECT replace(pg_temp.error_of($$SELECT keycard.jws_sign('{}', '$$ || :'tx_kid' || $$')$$, ''), :'tx_kid', '<kid>') AS after_rollback;

-- private keys never appear in clear: not in the table, not in any JWK
-- (control: the PEM decodes to the whole PKCS#8 DER that is searched for)
SELECT length(decode(regexp_replace(:'rsa_pem', '-----[A-Z ]+-----|\s', '', 'g'), 'base64')) > 1200 AS rsa_pkcs8_decoded;
SELECT count(*) AS stored, count(*) FILTER (WHERE position(
           decode(regexp_replace(:'rsa_pem', '-----[A-Z ]+-----|\s', '', 'g'), 'base64')
           IN encrypted_private_key) > 0) AS rsa_pkcs8_in_clear
FROM keycard.signing_keys;
SELECT count(*) FILTER (WHERE keycard.jwk(kid) ? 'd' OR keycard.jwk(kid) ? 'p') AS jwks_with_private_members
FROM keycard.signing_keys;
-- tampering with a sealed key (superuser, trigger disabled) is detected
ALTER TABLE keycard.signing_keys DISABLE TRIGGER signing_keys_immutable;
SELECT :'rfc8037'::jsonb->>'jwk_thumbprint' AS other_kid \gset
UPDATE keycard.signing_keys SET encrypted_private_key = (SELECT encrypted_private_key FROM keycard.signing_keys WHERE kid = :'ed_kid')
WHERE kid = :'other_kid';
ALTER TABLE keycard.signing_keys ENABLE ALWAYS TRIGGER signing_keys_immutable;
\c
\i :repo/test/regress_error_of.sql
CREATE FUNCTION pg_temp.refusal(statement text, masks jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
	m record;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	msg := st || ': ' || msg || coalesce(' DETAIL: ' || nullif(det, ''), '');
	FOR m IN SELECT key, value FROM jsonb_each_text(masks) LOOP
		msg := replace(msg, m.value, m.key);
	END LOOP;
	RETURN msg;
END $$;
SELECT keycard.jws_sign('{}', :'other_kid');
-- a different key-encryption key cannot open the stored keys (fresh backend: nothing cached)
\set other_kek :tmp/other.kek
COPY (SELECT repeat('ab', 32)) TO :'other_kek';
SET keycard.kek_file = :'other_kek';
-- the file is readable by others (COPY made it 0644): refused
SELECT pg_temp.error_of($$SELECT keycard.jws_sign('{}', '$$ || :'ed_kid' || $$')$$, :'tmp');
\set chmod `chmod 600 :other_kek && echo done`
-- (the cluster's key-encryption key is random: its fingerprint is masked; the other one is fixed)
SELECT regexp_replace(pg_temp.refusal(format('SELECT keycard.jws_sign(%L, %L)', '{}', :'ed_kid'), :'masks'),
                      'sealed under key-encryption key [0-9a-f]{16}', 'sealed under key-encryption key <cluster kek>') AS other_kek;
RESET keycard.kek_file;
SELECT keycard.jws_sign('{}', :'ed_kid') IS NOT NULL AS right_kek_opens;

-- keys are immutable
UPDATE keycard.signing_keys SET alg = 'EdDSA' WHERE kid = :'rsa_kid';
DELETE FROM keycard.signing_keys WHERE kid = :'rsa_kid';
TRUNCATE keycard.signing_keys;

-- errors
SELECT keycard.create_signing_key('ES256');
SELECT pg_temp.refusal(format('SELECT keycard.import_signing_key(%L)', :'rsa_pem'), :'masks') AS imported_twice;
SELECT keycard.import_signing_key('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----');
SELECT keycard.jws_sign('{}', 'no-such-kid');
SELECT keycard.jws_sign('{}', repeat('A', 43));
SELECT keycard.jwk('no-such-kid');
SELECT keycard.jws_sign('{"a":1,"a":2}', :'ed_kid');
SELECT keycard.jws_verify('[]', :'jwks');
SELECT keycard.jws_verify(:'j1'::jsonb || '{"header":{}}', :'jwks');
SELECT keycard.jws_verify(:'j1', '{"keys":{}}');
SELECT keycard.jws_verify(:'j1'::jsonb - 'signature', :'jwks');
SELECT pg_temp.refusal(format('SELECT keycard.jws_verify(%L, %L)', :'j1',
           jsonb_build_object('keys', jsonb_build_array(:'rsa_jwk'::jsonb || '{"alg":"EdDSA"}'))), :'masks') AS key_for_other_alg;
SELECT keycard.jwk_thumbprint('{"kty":"EC","crv":"P-256"}');
-- without a key-encryption key, key creation fails and says how to configure one
SET keycard.kek_file = '';
SELECT keycard.create_signing_key();
RESET keycard.kek_file;
-- only the owner may create keys, sign or read the key table
CREATE ROLE keycard_jws_outsider;
GRANT USAGE ON SCHEMA keycard TO keycard_jws_outsider;
SET ROLE keycard_jws_outsider;
SELECT keycard.create_signing_key();
SELECT keycard.jws_sign('{}', :'ed_kid');
SELECT * FROM keycard.signing_keys;
SELECT keycard.jwk(:'ed_kid') = :'ed_jwk'::jsonb AS public_jwk_readable;
RESET ROLE;
REVOKE USAGE ON SCHEMA keycard FROM keycard_jws_outsider;
DROP ROLE keycard_jws_outsider;
