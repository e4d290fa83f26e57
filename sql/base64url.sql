-- base64url: RFC 7515 §2 / Appendix C
SELECT keycard.base64url_encode(''::bytea) AS empty,
       keycard.base64url_encode('\x03ecff'::bytea) AS rfc_appendix_c,
       keycard.base64url_encode('\xfbff'::bytea) AS url_safe,
       keycard.base64url_encode('f'::bytea) AS one, keycard.base64url_encode('fo'::bytea) AS two,
       keycard.base64url_encode('foo'::bytea) AS three;
SELECT keycard.base64url_decode('A-z_') AS rfc_appendix_c, keycard.base64url_decode('') AS empty,
       keycard.base64url_decode('-_8') AS url_safe;
-- round trip: every length 0..64 at four offsets into the 256 byte values
WITH all_bytes AS (SELECT decode(string_agg(lpad(to_hex(i), 2, '0'), '' ORDER BY i), 'hex') AS b
                   FROM generate_series(0, 255) i)
SELECT count(*) AS cases, count(*) FILTER (WHERE keycard.base64url_decode(keycard.base64url_encode(s)) = s) AS round_trips
FROM all_bytes, generate_series(0, 64) n, generate_series(0, 3) k, substring(b FROM k * 64 + 1 FOR n) s;
-- errors: padding, standard alphabet, whitespace, impossible length, non-zero unused bits
SELECT keycard.base64url_decode('Zm8=');
SELECT keycard.base64url_decode('+/8');
SELECT keycard.base64url_decode('Zm 8');
SELECT keycard.base64url_decode('Zm9vY');
SELECT keycard.base64url_decode('Zm9');
