// An independent verifier of keycard zone logs: RFC 9162 (Certificate
// Transparency v2) Merkle tree hashes, inclusion proofs and consistency proofs,
// and signed tree heads (JWS, checked with jose against the zone's JWKS).
// Only node:crypto and jose: no keycard code, nothing from the database but
// the documents it serves.
//
//   node test/zone-log-verifier.mjs BUNDLE.json
//
// BUNDLE: {"jwks", "head" (JWS), "leaves": [leaf text, ...] (index order),
//          "inclusion": [proof, ...], "consistency": [proof, ...],
//          "saved_head" (optional: a head kept from earlier),
//          "saved_leaves" (optional: the leaves seen with it)}
// Prints TAP-style "ok - ..." / "not ok - ..." lines.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, flattenedVerify } from 'jose';

const sha256 = (...parts) => {
	const h = createHash('sha256');
	for (const p of parts) h.update(p);
	return h.digest();
};

// RFC 9162 §2.1.1
export const leafHash = (leaf) => sha256(Buffer.from([0]), Buffer.from(leaf, 'utf8'));
export const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);

// Largest power of two strictly below n (n >= 2).
const split = (n) => {
	let k = 1;
	while (k * 2 < n) k *= 2;
	return k;
};

// MTH(D[a:b]) from leaf hashes.
export function mth(hashes, a = 0, b = hashes.length) {
	if (b === a) return sha256(Buffer.alloc(0));
	if (b - a === 1) return hashes[a];
	const k = split(b - a);
	return nodeHash(mth(hashes, a, a + k), mth(hashes, a + k, b));
}

// RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null.
export function inclusionRoot(index, size, leaf, path) {
	if (!(index >= 0 && index < size)) return null;
	let fn = BigInt(index), sn = BigInt(size - 1), r = leaf;
	for (const p of path) {
		if (sn === 0n) return null;
		if ((fn & 1n) === 1n || fn === sn) {
			r = nodeHash(p, r);
			while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
		} else {
			r = nodeHash(r, p);
		}
		fn >>= 1n; sn >>= 1n;
	}
	return sn === 0n ? r : null;
}

// RFC 9162 §2.1.4.2: true if path proves the tree of size first (root
// firstRoot) is a prefix of the tree of size second (root secondRoot).
export function verifyConsistency(first, second, path, firstRoot, secondRoot) {
	if (!(first > 0 && first <= second)) return false;
	if (first === second) return path.length === 0 && firstRoot.equals(secondRoot);
	if (path.length === 0) return false;
	let p = path;
	if ((first & (first - 1)) === 0) p = [firstRoot, ...path];
	let fn = BigInt(first - 1), sn = BigInt(second - 1);
	while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
	let fr = p[0], sr = p[0];
	for (const c of p.slice(1)) {
		if (sn === 0n) return false;
		if ((fn & 1n) === 1n || fn === sn) {
			fr = nodeHash(c, fr);
			sr = nodeHash(c, sr);
			while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
		} else {
			sr = nodeHash(sr, c);
		}
		fn >>= 1n; sn >>= 1n;
	}
	return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0n;
}

// A signed tree head: its payload if the JWS verifies against the JWKS and
// is a zone_log_head, else throws.
export async function verifyHead(jws, jwks) {
	const { payload, protectedHeader } = await flattenedVerify(jws, createLocalJWKSet(jwks));
	const head = JSON.parse(new TextDecoder().decode(payload));
	if (head.type !== 'zone_log_head' || head.v !== 1) throw new Error('not a zone_log_head v1');
	if (!Number.isInteger(head.tree_size) || !/^[0-9a-f]{64}$/.test(head.root_hash)) throw new Error('malformed head');
	return { head, kid: protectedHeader.kid };
}

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => Buffer.from(s, 'hex');

async function main(file) {
	const bundle = JSON.parse(readFileSync(file, 'utf8'));
	const say = (ok, what) => console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
	let head;
	try {
		({ head } = await verifyHead(bundle.head, bundle.jwks));
		say(true, `signed head verified with the zone JWKS (tree_size ${head.tree_size})`);
	} catch (e) {
		say(false, `signed head: ${e.message}`);
		return;
	}
	const hashes = bundle.leaves.map(leafHash);
	const root = hashes.length === head.tree_size ? mth(hashes) : null;
	say(root !== null && hex(root) === head.root_hash,
		`head root ${head.root_hash.slice(0, 12)}... is the Merkle tree hash of the ${hashes.length} leaves`);

	if (bundle.inclusion) {
		let good = 0, bad = [];
		for (const p of bundle.inclusion) {
			const r = inclusionRoot(p.leaf_index, p.tree_size, hashes[p.leaf_index], p.audit_path.map(unhex));
			const want = p.tree_size === head.tree_size ? root : mth(hashes, 0, p.tree_size);
			if (r && r.equals(want)) good++; else bad.push(p.leaf_index);
		}
		say(bad.length === 0 && good > 0, `${good} of ${bundle.inclusion.length} inclusion proofs lead to the root${bad.length ? ` (failed: ${bad.slice(0, 5)})` : ''}`);
		// Positive controls: each kind of damage is refused.
		const sample = bundle.inclusion.filter((p) => p.audit_path.length > 0).slice(0, 50);
		let refused = 0, tried = 0;
		for (const p of sample) {
			const path = p.audit_path.map(unhex);
			const want = p.tree_size === head.tree_size ? root : mth(hashes, 0, p.tree_size);
			const damaged = [
				[p.leaf_index, path.map((h, i) => (i === path.length - 1 ? Buffer.from(h).fill(h[0] ^ 1, 0, 1) : h))],
				[p.leaf_index, path.slice(0, -1)],
				[p.leaf_index, [...path, path[0]]],
				[(p.leaf_index + 1) % p.tree_size, path],
				[p.leaf_index, [...path].reverse()],
			];
			for (const [i, d] of damaged) {
				if (i === p.leaf_index && d.length === path.length && d.every((h, j) => h.equals(path[j]))) continue;
				tried++;
				const r = inclusionRoot(i, p.tree_size, hashes[p.leaf_index], d);
				if (!(r && r.equals(want))) refused++;
			}
			// another leaf's content with this proof
			tried++;
			const other = leafHash(bundle.leaves[p.leaf_index] + ' ');
			const r = inclusionRoot(p.leaf_index, p.tree_size, other, path);
			if (!(r && r.equals(want))) refused++;
		}
		say(tried > 0 && refused === tried, `${refused} of ${tried} tampered inclusion proofs refused`);
	}

	if (bundle.consistency) {
		let good = 0, bad = [], refused = 0, tried = 0;
		for (const p of bundle.consistency) {
			const r1 = mth(hashes, 0, p.first_size), r2 = mth(hashes, 0, p.second_size);
			const path = p.consistency_path.map(unhex);
			if (verifyConsistency(p.first_size, p.second_size, path, r1, r2)) good++; else bad.push(`${p.first_size}-${p.second_size}`);
			if (path.length > 0) {
				const flipped = path.map((h, i) => (i === 0 ? Buffer.from(h).fill(h[0] ^ 1, 0, 1) : h));
				const controls = [
					[p.first_size, p.second_size, flipped, r1, r2],
					[p.first_size, p.second_size, path.slice(1), r1, r2],
					[p.first_size, p.second_size, [...path, path[0]], r1, r2],
					[p.first_size, p.second_size, path, r2.equals(r1) ? r1 : r2, r1],
					[p.first_size, p.second_size, path, leafHash('forged'), r2],
				];
				for (const c of controls) {
					tried++;
					if (!verifyConsistency(...c)) refused++;
				}
			}
		}
		say(bad.length === 0 && good > 0, `${good} of ${bundle.consistency.length} consistency proofs verified${bad.length ? ` (failed: ${bad.slice(0, 5)})` : ''}`);
		say(tried > 0 && refused === tried, `${refused} of ${tried} tampered consistency proofs refused`);
	}

	if (bundle.saved_head) {
		// A client that kept an earlier head: the new head must extend it.
		let saved;
		try {
			({ head: saved } = await verifyHead(bundle.saved_head, bundle.jwks));
		} catch (e) {
			say(false, `saved head: ${e.message}`);
			return;
		}
		const proof = bundle.saved_consistency;
		const extends_ = proof && proof.first_size === saved.tree_size && proof.second_size === head.tree_size &&
			verifyConsistency(saved.tree_size, head.tree_size, proof.consistency_path.map(unhex),
				unhex(saved.root_hash), unhex(head.root_hash));
		const prefix = hashes.length >= saved.tree_size && hex(mth(hashes, 0, saved.tree_size)) === saved.root_hash;
		console.log(`history: ${extends_ && prefix ? 'consistent' : 'rewritten'} (saved tree_size ${saved.tree_size}, now ${head.tree_size};` +
			` consistency proof ${extends_ ? 'verifies' : 'fails'}, first ${saved.tree_size} leaves ${prefix ? 'match' : 'differ'})`);
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	main(process.argv[2]).catch((e) => { console.log(`not ok - verifier: ${e.message}`); process.exit(1); });
}
