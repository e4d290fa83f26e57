// An independent verifier of keycard policy bundles (keycard.policy_bundle,
// GET /zones/{zone_id}/bundle): everything an offline decision point must
// check before it trusts one.  node:crypto, jose and canonicalize (RFC 8785)
// only, plus the RFC 9162 functions of zone-log-verifier.mjs: no keycard
// code.  Cedar text cannot be hashed without parsing it, so the caller may
// pass a Cedar parser (the suite passes the reference, cedar-wasm) to check
// that each policy's text and the schema texts say what their hashed JSON
// forms say.
//
//   node test/bundle-verifier.mjs BUNDLE.json [TRUSTED-JWKS.json]
//
// Without TRUSTED-JWKS the bundle's own JWKS is used: that proves integrity,
// not origin (pin the zone's keys for that).  Prints "ok - ..." / "not ok -
// ..." lines, one per check; exits 1 if any fails.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { createLocalJWKSet, flattenedVerify } from 'jose';
import { inclusionRoot, leafHash, verifyHead } from './zone-log-verifier.mjs';

const sha256hex = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const jcsSha = (v) => sha256hex(canonicalize(v));
const unhex = (s) => Buffer.from(s, 'hex');
const sameJson = (a, b) => canonicalize(a) === canonicalize(b);

async function verifyJws(jws, jwks) {
	const { payload, protectedHeader } = await flattenedVerify(jws, createLocalJWKSet(jwks));
	return { payload: JSON.parse(new TextDecoder().decode(payload)), kid: protectedHeader.kid };
}

// Checks one bundle; returns [{id, ok, what}], one per check (id names the
// kind of check, the same for every set version).  opts: {jwks (trusted),
// parsePolicy(text) -> EST, parseSchema(text) -> JSON schema}.
export async function verifyBundle(bundle, opts = {}) {
	const out = [];
	const check = (id, ok, what) => out.push({ id, ok: !!ok, what });
	const jwks = opts.jwks || bundle.jwks;
	const zone = bundle.zone_id;
	check('shape', bundle.type === 'policy_bundle' && bundle.v === 1 && typeof zone === 'string' &&
		Array.isArray(bundle.set_versions), 'a policy_bundle v1 document');

	// The signature over the rest of the document.
	try {
		const { payload } = await verifyJws(bundle.signature, jwks);
		const { signature, ...rest } = bundle;
		check('bundle_signature', payload.type === 'policy_bundle_signature' && payload.v === 1 &&
			payload.zone_id === zone && payload.bundle_sha === jcsSha(rest),
			'bundle signature verifies and its bundle_sha is the SHA-256 of the JCS form of the rest');
	} catch (e) {
		check('bundle_signature', false, `bundle signature: ${e.message}`);
	}

	// The signed log head every proof leads to.
	let head = null;
	try {
		({ head } = await verifyHead(bundle.log_head, jwks));
		check('log_head', head.zone_id === zone, `signed log head of the zone (tree_size ${head.tree_size})`);
	} catch (e) {
		check('log_head', false, `log head: ${e.message}`);
	}

	const targets = bundle.targets || {};
	const slots = new Set();
	for (const sv of bundle.set_versions || []) {
		const name = `${sv.scope_type}:${sv.scope_target_id} ${sv.mode} version ${sv.version_id}`;
		const wanted = sv.scope_type === 'zone' ? sv.scope_target_id === zone : targets[sv.scope_type] === sv.scope_target_id;
		const key = `${sv.scope_type}\u0000${sv.scope_target_id}\u0000${sv.mode}`;
		check('slot', wanted && !slots.has(key) && ['active', 'shadow'].includes(sv.mode),
			`${name}: bound to a slot the bundle is for, once`);
		slots.add(key);

		// Attestation: signed by the zone, over this version's manifest_sha.
		try {
			const { payload: st } = await verifyJws(sv.attestation, jwks);
			check('attestation', st.type === 'policy_set_attestation' && st.v === 1 && st.zone_id === zone &&
				st.policy_set_id === sv.policy_set_id && st.policy_set_version === sv.version &&
				st.manifest_sha === sv.manifest_sha, `${name}: attestation verifies and names this manifest_sha`);
		} catch (e) {
			check('attestation', false, `${name}: attestation: ${e.message}`);
		}
		check('manifest_sha', jcsSha(sv.manifest) === sv.manifest_sha, `${name}: manifest_sha is the SHA-256 of the JCS form of the manifest`);

		// Policies: the manifest's entries in order, each content hashing to its sha.
		const entries = (sv.manifest && sv.manifest.entries) || [];
		const pols = sv.policies || [];
		check('policies', entries.length === pols.length && entries.every((e, i) =>
			Object.keys(e).length === 3 && e.policy_id === pols[i].policy_id &&
			e.policy_version_id === pols[i].policy_version_id && e.sha === pols[i].sha),
		`${name}: the ${pols.length} policies are the manifest's entries, in order`);
		for (const p of pols) {
			check('policy_sha', jcsSha(p.cedar_json) === p.sha, `${name}: policy version ${p.policy_version_id} content hashes to its sha`);
			if (opts.parsePolicy) {
				let est = null;
				try { est = opts.parsePolicy(p.cedar_raw); } catch (e) { est = null; }
				check('policy_text', est !== null && sameJson(est, p.cedar_json), `${name}: policy version ${p.policy_version_id} text parses to its JSON`);
			}
		}

		// The pinned schema.
		const schema = (bundle.schemas || {})[sv.schema_version];
		check('schema', schema && typeof schema.cedar_schema === 'string' && schema.cedar_schema_json, `${name}: pinned schema ${sv.schema_version} is in the bundle`);
		if (schema && opts.parseSchema) {
			let json = null;
			try { json = opts.parseSchema(schema.cedar_schema); } catch (e) { json = null; }
			check('schema_text', json !== null && sameJson(json, schema.cedar_schema_json), `${name}: schema ${sv.schema_version} text parses to its JSON`);
		}

		// The log: the leaves that created, attested and bound this version,
		// each proven to be in the tree the signed head commits to.
		const log = sv.log || {};
		const leafOf = (k) => { try { return JSON.parse(log[k].leaf); } catch (e) { return null; } };
		const created = leafOf('created'), attested = leafOf('attested'), bound = leafOf('bound');
		check('leaf_created', created && created.type === 'audit' && created.action === 'create' &&
			created.zone_id === zone && created.object_type === 'policy_set_version' && created.object_id === sv.version_id &&
			created.detail && created.detail.manifest_sha === sv.manifest_sha && created.detail.policy_set_id === sv.policy_set_id &&
			created.detail.version === sv.version, `${name}: creation leaf commits to this manifest_sha`);
		check('leaf_attested', attested && attested.type === 'attestation' && attested.zone_id === zone &&
			attested.version_id === sv.version_id && attested.jws_sha === jcsSha(sv.attestation),
		`${name}: attestation leaf commits to this attestation`);
		check('leaf_bound', bound && bound.type === 'binding_change' && bound.zone_id === zone &&
			bound.to_version_id === sv.version_id && bound.scope_type === sv.scope_type &&
			bound.scope_target_id === sv.scope_target_id && bound.mode === sv.mode,
		`${name}: binding leaf puts this version in its slot`);
		for (const k of ['created', 'attested', 'bound']) {
			const l = log[k];
			let ok = false;
			if (head && l && typeof l.leaf === 'string' && l.proof && Array.isArray(l.proof.audit_path)) {
				const r = inclusionRoot(l.proof.leaf_index, head.tree_size, leafHash(l.leaf), l.proof.audit_path.map(unhex));
				ok = l.proof.tree_size === head.tree_size && r !== null && r.toString('hex') === head.root_hash;
			}
			check('inclusion', ok, `${name}: ${k} leaf is in the log under the signed head`);
		}
	}
	return out;
}

export const refused = (results) => results.some((r) => !r.ok);

if (import.meta.url === `file://${process.argv[1]}`) {
	const bundle = JSON.parse(readFileSync(process.argv[2], 'utf8'));
	const jwks = process.argv[3] ? JSON.parse(readFileSync(process.argv[3], 'utf8')) : undefined;
	verifyBundle(bundle, { jwks }).then((rs) => {
		for (const r of rs) console.log(`${r.ok ? 'ok' : 'not ok'} - ${r.what}`);
		process.exit(refused(rs) ? 1 : 0);
	}).catch((e) => { console.log(`not ok - verifier: ${e.message}`); process.exit(1); });
}
