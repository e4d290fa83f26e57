#!/usr/bin/env node
// The project's independent check of a keycard attestation: npm jose verifies
// the signature, nothing of keycard is used.
//
//   verify-attestation.mjs JWS_FILE JWKS_FILE [--check-jcs] [--expect-kid KID]
//
// JWS_FILE holds a JWS in the flattened JSON serialization (RFC 7515 §7.2.2),
// JWKS_FILE a JWK Set (RFC 7517 §5). The key is chosen by the protected
// header: its kid when it has one, and a key type that fits its alg (RS256 or
// EdDSA, nothing else). On success the payload is written to stdout byte for
// byte as it was signed (no newline) and a line "OK alg=... kid=..." to stderr.
//
//   --check-jcs      the payload must also be UTF-8 JSON already in the form
//                    RFC 8785 gives it (checked by the serializer below)
//   --expect-kid KID the protected header's kid must also be KID
//
// Exit status: 0 verified; 1 JWS refused (format, algorithm, key or
// signature); 2 bad usage or unreadable input; 3 payload not in RFC 8785 form
// (--check-jcs); 4 kid differs (--expect-kid).
import { readFileSync } from 'node:fs';
import { flattenedVerify, importJWK } from 'jose';

const ALGORITHMS = { RS256: (k) => k.kty === 'RSA', EdDSA: (k) => k.kty === 'OKP' && k.crv === 'Ed25519' };

function fail(code, message) {
	process.stderr.write(message + '\n');
	process.exit(code);
}

// --- command line -----------------------------------------------------------
const files = [];
let checkJcs = false;
let expectKid = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--check-jcs') checkJcs = true;
	else if (argv[i] === '--expect-kid') {
		if (i + 1 >= argv.length) fail(2, 'usage: --expect-kid needs a value');
		expectKid = argv[++i];
	} else if (argv[i].startsWith('--')) fail(2, `usage: unknown option ${argv[i]}`);
	else files.push(argv[i]);
}
if (files.length !== 2) fail(2, 'usage: verify-attestation.mjs JWS_FILE JWKS_FILE [--check-jcs] [--expect-kid KID]');

function readJson(file, what) {
	try {
		return JSON.parse(readFileSync(file, 'utf8'));
	} catch (e) {
		return fail(2, `cannot read ${what} ${file}: ${e.message}`);
	}
}
const jws = readJson(files[0], 'JWS');
const jwks = readJson(files[1], 'JWKS');
if (jwks === null || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) fail(2, `${files[1]}: not a JWK Set (no "keys" array)`);

// --- the JWS ------------------------------------------------------------------
const B64U = /^[A-Za-z0-9_-]*$/;
if (jws === null || typeof jws !== 'object' || Array.isArray(jws)) fail(1, 'REJECTED: the JWS is not a JSON object');
for (const member of ['protected', 'payload', 'signature']) {
	if (typeof jws[member] !== 'string') fail(1, `REJECTED: member "${member}" missing or not a string`);
	// base64url without padding (RFC 7515 §2): anything else is not this JWS
	if (!B64U.test(jws[member])) fail(1, `REJECTED: member "${member}" is not unpadded base64url`);
}
let header;
try {
	header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8'));
} catch (e) {
	fail(1, `REJECTED: protected header is not JSON: ${e.message}`);
}
if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(1, 'REJECTED: protected header is not an object');
if (!Object.hasOwn(ALGORITHMS, header.alg)) fail(1, `REJECTED: algorithm ${JSON.stringify(header.alg)} not accepted`);

// --- the key ------------------------------------------------------------------
const candidates = jwks.keys.filter((k) => k && typeof k === 'object' &&
	ALGORITHMS[header.alg](k) &&
	(header.kid === undefined || k.kid === header.kid) &&
	(k.alg === undefined || k.alg === header.alg) &&
	(k.use === undefined || k.use === 'sig'));
if (candidates.length === 0) fail(1, `REJECTED: no ${header.alg} key${header.kid === undefined ? '' : ` with kid ${header.kid}`} in the JWKS`);

let result = null;
let lastError = null;
for (const jwk of candidates) {
	try {
		const key = await importJWK({ ...jwk, alg: header.alg }, header.alg);
		result = await flattenedVerify(jws, key, { algorithms: [header.alg] });
		break;
	} catch (e) {
		lastError = e;
	}
}
if (result === null) fail(1, `REJECTED: ${lastError.code ?? lastError.name}: ${lastError.message}`);
const payload = Buffer.from(result.payload);

if (expectKid !== null && result.protectedHeader.kid !== expectKid)
	fail(4, `kid differs: the header has ${result.protectedHeader.kid}, expected ${expectKid}`);

// --- RFC 8785 -----------------------------------------------------------------
// Serializes a JSON.parse result as RFC 8785 §3.2 says: no whitespace, members
// sorted by their names' UTF-16 code units, numbers as ECMAScript prints them,
// strings with only the mandatory escapes; lone surrogates are an error.
function jcs(value) {
	if (value === null || typeof value === 'boolean') return String(value);
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new Error('number out of range');
		return Object.is(value, -0) ? '0' : String(value);
	}
	if (typeof value === 'string') {
		if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) throw new Error('lone surrogate');
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return '[' + value.map(jcs).join(',') + ']';
	// default sort compares UTF-16 code units, which is the order RFC 8785 §3.2.3 asks for
	return '{' + Object.keys(value).sort().map((k) => jcs(k) + ':' + jcs(value[k])).join(',') + '}';
}
if (checkJcs) {
	let canonical = null;
	try {
		const text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
		canonical = Buffer.from(jcs(JSON.parse(text)), 'utf8');
	} catch (e) {
		fail(3, `payload is not RFC 8785 JSON: ${e.message}`);
	}
	if (!canonical.equals(payload)) fail(3, 'payload is not in RFC 8785 canonical form');
}

process.stderr.write(`OK alg=${result.protectedHeader.alg} kid=${result.protectedHeader.kid}\n`);
process.stdout.write(payload);
