-- keycard.sha256_hex(bytea): lowercase hex SHA-256 (FIPS 180-4 examples)
SELECT keycard.sha256_hex(''::bytea) AS empty,
       keycard.sha256_hex('abc'::bytea) AS abc;
SELECT keycard.sha256_hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'::bytea) AS two_blocks;
SELECT keycard.sha256_hex(convert_to(repeat('a', 1000000), 'SQL_ASCII')) AS million_a;
-- agrees with the built-in sha256() at every length around the block size
SELECT count(*) AS lengths,
       count(*) FILTER (WHERE keycard.sha256_hex(b) = encode(sha256(b), 'hex')) AS agree
FROM generate_series(0, 200) n, LATERAL (SELECT convert_to(repeat(chr(33 + n % 90), n), 'UTF8') AS b) s;
-- binary input, and the hex form is lowercase
SELECT keycard.sha256_hex('\x00ff00ff'::bytea) ~ '^[0-9a-f]{64}$' AS lowercase_hex;
-- STRICT
SELECT keycard.sha256_hex(NULL) IS NULL AS null_in_null_out;
