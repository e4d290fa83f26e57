#!/usr/bin/env node
// jws-samples.mjs OUTDIR: the inputs and expected outputs sql/jws.sql compares
// keycard with, made in the run by openssl and npm jose (no keycard code):
//
//   rfc7515.pem, rfc8037.pem   the RFC 7515 A.2 and RFC 8037 A.1 keys (JWKs in
//                              test/vectors/jws) as PKCS#8 PEM, by node:crypto
//   rfc7515.kid                RFC 7638 thumbprint of the RFC 7515 A.2 key (jose)
//   rsa.pem, ed.pem            fresh RSA-2048 and Ed25519 keys (openssl genpkey)
//   rsa.jwk.json, ed.jwk.json  their public JWKs with kid (thumbprint), alg, use
//   rsa.kid, ed.kid, jwks.json the kids, and a JWK Set of both keys
//   s1..s3.json                attestation statements (RS256 created, EdDSA
//                              created, EdDSA re_signed), members unsorted
//   p3.json                    RFC 8785 form of s3 (npm canonicalize)
//   j1..j3.json                jose's flattened JWS of the RFC 8785 form of
//                              each statement, header {"alg","kid"}
//   t1..t6.json                j1/j2 tampered: payload altered, signature bit
//                              flipped, unknown kid, RSA signature under the
//                              Ed25519 header, alg none, padded base64 signature
//   t6.position                position (counted from 1) of the first character
//                              of t6's signature outside the base64url alphabet
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlattenedSign, flattenedVerify, exportJWK, calculateJwkThumbprint, importJWK } from 'jose';
import canonicalize from 'canonicalize';

const out = process.argv[2];
if (!out) {
	process.stderr.write('usage: jws-samples.mjs OUTDIR\n');
	process.exit(2);
}
mkdirSync(out, { recursive: true });
const vectors = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'jws');
const put = (name, text) => writeFileSync(join(out, name), text);
const putJson = (name, value) => put(name, JSON.stringify(value));

// --- the RFC keys as PEM, and the RFC 7515 key's thumbprint -----------------------
const rfc7515 = JSON.parse(readFileSync(join(vectors, 'rfc7515-a2-rs256.json'), 'utf8'));
const rfc8037 = JSON.parse(readFileSync(join(vectors, 'rfc8037-a-ed25519.json'), 'utf8'));
const pemOf = (jwk) => createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' });
put('rfc7515.pem', pemOf(rfc7515.jwk_private));
put('rfc8037.pem', pemOf(rfc8037.jwk_private));
put('rfc7515.kid', await calculateJwkThumbprint(rfc7515.jwk_public));
// the RFC vectors hold together under jose (a wrong copy would fail here, not in keycard)
for (const [v, alg] of [[rfc7515, 'RS256'], [rfc8037, 'EdDSA']]) {
	await flattenedVerify(v.flattened, await importJWK(v.jwk_public, alg));
	if (`${v.flattened.protected}.${v.flattened.payload}` !== v.signing_input) throw new Error(`${alg}: signing input differs`);
}
if (await calculateJwkThumbprint(rfc8037.jwk_public) !== rfc8037.jwk_thumbprint) throw new Error('RFC 8037 A.3 thumbprint differs');

// --- fresh keys -------------------------------------------------------------------
execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(out, 'rsa.pem')], { stdio: 'pipe' });
execFileSync('openssl', ['genpkey', '-algorithm', 'ED25519', '-out', join(out, 'ed.pem')], { stdio: 'pipe' });
const keys = {};
for (const [name, alg] of [['rsa', 'RS256'], ['ed', 'EdDSA']]) {
	const priv = createPrivateKey(readFileSync(join(out, `${name}.pem`)));
	const jwk = await exportJWK(createPublicKey(priv));
	const kid = await calculateJwkThumbprint(jwk);
	const pub = { ...jwk, kid, alg, use: 'sig' };
	keys[name] = { priv, kid, alg, pub };
	putJson(`${name}.jwk.json`, pub);
	put(`${name}.kid`, kid);
}
putJson('jwks.json', { keys: [keys.rsa.pub, keys.ed.pub] });

// --- statements and their JWS ---------------------------------------------------------
const statement = (key, status, at, by) => ({
	type: 'policy_set_attestation', v: 1,
	zone_id: '019538a0-0000-7000-8000-00000000f001', policy_set_id: '019538a0-0000-7000-8000-00000000c001',
	policy_set_version: 1, manifest_sha: '8f96d5d0392a4e31db2f44bf9d0f17ba2ad86217e5748f9b6804608f8b683cfe',
	key_id: key.kid, status, attested_at: at, attested_by: by,
});
const statements = [
	[keys.rsa, statement(keys.rsa, 'created', '2026-03-01T12:00:00Z', 'user_01HZX3P7')],
	[keys.ed, statement(keys.ed, 'created', '2026-03-02T08:30:00.250Z', 'zoë ☃ 😀')],
	[keys.ed, statement(keys.ed, 're_signed', '2026-04-10T00:00:00Z', 'keycard_admin')],
];
const jws = [];
for (const [i, [key, s]] of statements.entries()) {
	putJson(`s${i + 1}.json`, s);
	const signed = await new FlattenedSign(Buffer.from(canonicalize(s), 'utf8'))
		.setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.priv);
	jws.push(signed);
	putJson(`j${i + 1}.json`, signed);
}
put('p3.json', canonicalize(statements[2][1]));

// --- tampered -------------------------------------------------------------------------
const [j1, j2] = jws;
const b64u = (text) => Buffer.from(text, 'utf8').toString('base64url');
const payload1 = Buffer.from(j1.payload, 'base64url').toString('utf8');
if (!payload1.includes('"v":1')) throw new Error('statement has no "v":1');
putJson('t1.json', { ...j1, payload: b64u(payload1.replace('"v":1', '"v":2')) });
const flipped = Buffer.from(j2.signature, 'base64url');
flipped[10] ^= 0x01;
putJson('t2.json', { ...j2, signature: flipped.toString('base64url') });
putJson('t3.json', { ...j1, protected: b64u(JSON.stringify({ alg: 'RS256', kid: 'A'.repeat(43) })) });
putJson('t4.json', { protected: j2.protected, payload: j1.payload, signature: j1.signature });
putJson('t5.json', { protected: b64u(JSON.stringify({ alg: 'none', kid: keys.ed.kid })), payload: j2.payload, signature: '' });
const padded = Buffer.from(j2.signature, 'base64url').toString('base64');
putJson('t6.json', { ...j2, signature: padded });
put('t6.position', String(padded.search(/[^A-Za-z0-9_-]/) + 1));
