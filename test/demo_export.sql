-- Included by test/demo.sql after each signing: the set version's current
-- attestation (JWS) to :tmp/attestation-:status.json and the zone's JWKS to
-- :tmp/jwks-:keys.json, for the independent verifier (test/demo.sh).
\pset tuples_only on
\pset format unaligned
\o :tmp/attestation-:status.json
SELECT jws FROM keycard.current_attestations WHERE version_id = :'set_version';
\o :tmp/jwks-:keys.json
SELECT keycard.zone_jwks(:'zone');
\o
\pset tuples_only off
\pset format aligned
