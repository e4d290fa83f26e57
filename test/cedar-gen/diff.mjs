// Differential checks of keycard's Cedar front end against the reference
// @cedar-policy/cedar-wasm 4.13 (the oracle, tests only): the cases come from
// the seeded generators in gen.mjs and the hand-written files in cases/; the
// reference computes every expected output at test time.  All of a suite's
// cases go through one psql session; a failing case is re-run alone while the
// shrinker makes it smaller, and printed with its seed and minimal input.
//
// Documented differences, kept explicit (not compared, counted as excluded):
//   - keycard refuses U+0000 in Cedar strings (22P05): the generators never
//     write one, and a case that holds one must be refused with 22P05;
//   - keycard stops a validation past 5,000,000 steps (54000): counted, not
//     compared (the generated inputs are far below it).
//   - the reference (wasm) hands long integers over as JS numbers: integers of
//     16 digits and more are swapped for unique small stand-ins around each
//     reference call and swapped back in its output, so they compare exactly.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as G from './gen.mjs';
import * as A from './authz.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, '..', 'package.json'));
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

// ---------------------------------------------------------------- reference
const I64 = 2n ** 63n;
function standIns(text) {
	const map = [];
	const out = text.replace(/(-?)(\d{16,})/g, (m, minus, digits) => {
		const v = BigInt(digits);
		if (v > I64 || (v === I64 && !minus)) return m;	// out of range: the reference must see it
		const s = String(900719925400000 + map.length);
		map.push([s, String(v)]);	// back in canonical form (no leading zeros)
		return minus + s;
	});
	const back = (s) => map.reduce((acc, [k, d]) => acc.split(k).join(d), s);
	return { text: out, back };
}
export function refPolicy(text) {
	const { text: t, back } = standIns(text);
	let j;
	try { j = cedar.policyToJson(t); } catch (e) { return { ok: false, error: 'threw: ' + e.message }; }
	if (j.type !== 'success') return { ok: false, error: j.errors.map((e) => e.message).join('; ') };
	const tx = cedar.policyToText(j.json);
	if (tx.type !== 'success') return { ok: false, error: 'policyToText: ' + tx.errors.map((e) => e.message).join('; ') };
	return { ok: true, json: back(JSON.stringify(j.json)), text: back(tx.text) };
}
export function refSchema(text) {
	let j;
	try { j = cedar.schemaToJson(text); } catch (e) { return { ok: false, error: 'threw: ' + e.message }; }
	if (j.type !== 'success') return { ok: false, error: j.errors.map((e) => e.message).join('; ') };
	const tx = cedar.schemaToText(j.json);
	if (tx.type !== 'success') return { ok: false, error: 'schemaToText: ' + tx.errors.map((e) => e.message).join('; ') };
	// the reference's own round trip (its text names action parents as Action::"x")
	const back = cedar.schemaToJson(tx.text);
	if (back.type !== 'success') return { ok: false, error: 'schemaToJson of its own text: ' + back.errors.map((e) => e.message).join('; ') };
	return { ok: true, json: JSON.stringify(j.json), text: tx.text, round: JSON.stringify(back.json) };
}
// Reference validation error messages -> keycard's error codes.
const KINDS = [
	[/unrecognized entity type/, 'unrecognized_entity_type'],
	[/unrecognized action/, 'unrecognized_action_id'],
	[/unable to guarantee safety of access to optional attribute/, 'unsafe_optional_attribute_access'],
	[/unable to guarantee safety of access to tag/, 'unsafe_tag_access'],
	[/attribute .* not found|does not have the attribute/, 'unsafe_attribute_access'],
	[/the types .* are not compatible/, 'incompatible_types'],
	[/unexpected type/, 'unexpected_type'],
	[/empty set literals are forbidden/, 'empty_set_forbidden'],
	[/non-literal expression/, 'non_lit_ext_constructor'],
	[/undefined extension function/, 'undefined_function'],
	[/wrong number of arguments/, 'wrong_number_arguments'],
	[/error during extension function argument validation/, 'function_argument_validation'],
	[/no `tags` were declared/, 'no_tags_allowed'],
	[/enum/, 'invalid_enum_entity'],
];
export function refValidate(schema, policies) {
	const r = cedar.validate({ schema, policies: { staticPolicies: policies }, validationSettings: { mode: 'strict' } });
	if (r.type !== 'success') return { ok: false, error: r.errors.map((e) => e.message).join('; ') };
	const msgs = r.validationErrors.map((e) => e.error.message);
	const kinds = msgs.map((m) => (KINDS.find(([re]) => re.test(m)) || [null, null])[1]);
	// the policies found impossible (false in every request environment)
	const impossible = [...new Set(r.validationWarnings.filter((w) => /policy is impossible/.test(w.error.message))
		.map((w) => w.policyId))].sort();
	return { ok: true, valid: msgs.length === 0, kinds: kinds.includes(null) ? null : [...new Set(kinds)].sort(), msgs, impossible };
}
// isAuthorized on the call's JSON text: {error: message} when the reference
// refuses the call whole (or cannot even read it), else the decision with
// its reasons and errored policies as sorted id lists.
export function refAuthorize(text) {
	let r;
	try { r = cedar.isAuthorized(JSON.parse(text)); } catch (e) { return { error: 'threw: ' + e.message }; }
	if (r.type !== 'success') return { error: r.errors.map((e) => e.message).join('; ') };
	const d = r.response;
	return { decision: d.decision, reasons: [...d.diagnostics.reason].sort(),
		errored: [...new Set(d.diagnostics.errors.map((e) => e.policyId))].sort() };
}

// ---------------------------------------------------------------- psql
const copyField = (s) => (s === null || s === undefined ? '\\N'
	: String(s).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
const FUNCS = `
CREATE FUNCTION pg_temp.try(q text, a text, b text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text;
BEGIN EXECUTE q INTO r USING a, b; RETURN 'OK ' || coalesce(r, '');
EXCEPTION WHEN OTHERS THEN RETURN 'ERROR ' || SQLSTATE || ' ' || SQLERRM; END $f$;
CREATE FUNCTION pg_temp.jeq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN RETURN a::jsonb = b::jsonb; EXCEPTION WHEN OTHERS THEN RETURN false; END $f$;`;
// SQL of each check, run as pg_temp.try(sql, a, b): $1 and $2 are a and b.
export const Q = {
	p_json: 'SELECT keycard.cedar_policy_to_json($1)::text',
	p_text: 'SELECT keycard.cedar_policy_to_text($2::jsonb)',
	p_round: 'SELECT keycard.cedar_policy_to_json(keycard.cedar_policy_to_text($2::jsonb))::text',
	p_norm: 'SELECT (keycard.cedar_policy_normalize($1) = keycard.cedar_policy_normalize($2::jsonb))::text',
	s_json: 'SELECT keycard.cedar_schema_to_json($1)::text',
	s_text: 'SELECT keycard.cedar_schema_to_text($2::jsonb)',
	s_round: 'SELECT keycard.cedar_schema_to_json(keycard.cedar_schema_to_text($2::jsonb))::text',
	s_norm: 'SELECT keycard.cedar_schema_normalize($1)',
	v_text: 'SELECT keycard.cedar_validate_with_schema_text($1, $2)::text',
	v_est: 'SELECT keycard.cedar_validate(keycard.cedar_policy_to_json($1), keycard.cedar_schema_to_json($2))::text',
	az: 'SELECT keycard.cedar_is_authorized($1::jsonb)::text',
};
// calls: [[id, queryName, a, b]] -> Map id -> result text
export function runSql(calls, tmp) {
	const sql = `\\set ON_ERROR_STOP 1
SET client_min_messages = warning;
${FUNCS}
CREATE TEMP TABLE q (name text, sql text);
INSERT INTO q VALUES ${Object.entries(Q).map(([k, v]) => `('${k}', '${v.replace(/'/g, "''")}')`).join(', ')};
CREATE TEMP TABLE c (id text, qn text, a text, b text);
COPY c FROM STDIN;
${calls.map((c) => c.map(copyField).join('\t')).join('\n')}
\\.
\\pset format unaligned
\\pset tuples_only on
SELECT json_build_array(c.id, pg_temp.try(q.sql, c.a, c.b)) FROM c JOIN q ON q.name = c.qn;
`;
	const file = path.join(tmp || process.env.KC_TMP || '/tmp', `cedar-diff-${process.pid}.sql`);
	fs.writeFileSync(file, sql);
	const res = spawnSync('psql', ['-X', '-q', '-f', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
	if (res.status !== 0) throw new Error('psql failed: ' + res.stderr.slice(0, 4000));
	const out = new Map();
	for (const line of res.stdout.split('\n')) if (line) { const [id, v] = JSON.parse(line); out.set(id, v); }
	return out;
}

// ---------------------------------------------------------------- checks
const errIs = (v, code) => typeof v === 'string' && v.startsWith('ERROR ' + code);
const okVal = (v) => (typeof v === 'string' && v.startsWith('OK ') ? v.slice(3) : null);
function jsonEq(a, b) {
	// keycard's jsonb text against the reference JSON (numbers exactly, keys in any order)
	const canon = (v) => (Array.isArray(v) ? v.map(canon)
		: v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
	// long integers compared exactly: as strings (numbers outside string literals only)
	const big = (s) => s.replace(/"(?:\\.|[^"\\])*"|-?\d{16,}/g, (m) => (m[0] === '"' ? m : `"#${m}"`));
	try { return JSON.stringify(canon(JSON.parse(big(a)))) === JSON.stringify(canon(JSON.parse(big(b)))); } catch (e) { return false; }
}

// A policy case: text -> checks [[name, sqlcall, judge(result) -> null | why]]
export function policyChecks(text) {
	const ref = refPolicy(text);
	if (!ref.ok) {
		return { kind: 'invalid', ref, checks: [['rejected (42601) like the reference', ['p_json', text, null],
			(v) => (errIs(v, '42601') ? null : `keycard: ${v.slice(0, 300)}; reference: ${ref.error.slice(0, 300)}`)]] };
	}
	return { kind: 'valid', ref, checks: [
		['text -> EST equals the reference', ['p_json', text, null], (v) => (okVal(v) !== null && jsonEq(okVal(v), ref.json) ? null : `keycard: ${v}\nreference: ${ref.json}`)],
		['EST -> text is byte-equal to the reference', ['p_text', null, ref.json], (v) => (okVal(v) === ref.text ? null : `keycard: ${JSON.stringify(okVal(v) ?? v)}\nreference: ${JSON.stringify(ref.text)}`)],
		['EST -> text -> EST round trip', ['p_round', null, ref.json], (v) => (okVal(v) !== null && jsonEq(okVal(v), ref.json) ? null : `keycard: ${v}\nreference: ${ref.json}`)],
		['normalize(text) = normalize(EST)', ['p_norm', text, ref.json], (v) => (okVal(v) === 'true' ? null : `keycard: ${v}`)],
	] };
}
export function schemaChecks(text) {
	const ref = refSchema(text);
	if (!ref.ok) {
		return { kind: 'invalid', ref, checks: [['rejected like the reference', ['s_json', text, null],
			(v) => (v.startsWith('ERROR ') && !errIs(v, 'XX') ? null : `keycard: ${v.slice(0, 300)}; reference: ${ref.error.slice(0, 300)}`)]] };
	}
	return { kind: 'valid', ref, checks: [
		['text -> JSON equals the reference', ['s_json', text, null], (v) => (okVal(v) !== null && jsonEq(okVal(v), ref.json) ? null : `keycard: ${v}\nreference: ${ref.json}`)],
		['JSON -> text is byte-equal to the reference', ['s_text', null, ref.json], (v) => (okVal(v) === ref.text ? null : `keycard: ${JSON.stringify(okVal(v) ?? v)}\nreference: ${JSON.stringify(ref.text)}`)],
		['JSON -> text -> JSON round trip equals the reference\'s', ['s_round', null, ref.json], (v) => (okVal(v) !== null && jsonEq(okVal(v), ref.round) ? null : `keycard: ${v}\nreference: ${ref.round}`)],
		['normalize(text) is byte-equal to the reference text', ['s_norm', text, null], (v) => (okVal(v) === ref.text ? null : `keycard: ${JSON.stringify(okVal(v) ?? v)}\nreference: ${JSON.stringify(ref.text)}`)],
	] };
}
export function validationChecks({ schema, policies }, single) {
	const ref = refValidate(schema, policies);
	if (!ref.ok) {
		return { kind: 'invalid', ref, checks: [['refused like the reference', ['v_text', policies, schema],
			(v) => (v.startsWith('ERROR ') && !errIs(v, 'XX') ? null : `keycard: ${v.slice(0, 300)}; reference: ${ref.error.slice(0, 300)}`)]] };
	}
	const parse = (v) => { try { return JSON.parse(okVal(v)); } catch (e) { return null; } };
	const checks = [
		[`verdict ${ref.valid ? 'valid' : 'invalid'}`, ['v_text', policies, schema], (v) => {
			if (errIs(v, '54000')) return 'excluded';
			const g = parse(v);
			return g && g.valid === ref.valid ? null : `keycard: ${v.slice(0, 1500)}\nreference: ${JSON.stringify(ref.msgs)}`;
		}],
	];
	if (ref.kinds) {
		checks.push([`error kinds [${ref.kinds.join(', ')}]`, ['v_text', policies, schema], (v) => {
			if (errIs(v, '54000')) return 'excluded';
			const g = parse(v);
			const kinds = g ? [...new Set(g.errors.map((e) => e.code))].sort() : null;
			return JSON.stringify(kinds) === JSON.stringify(ref.kinds) ? null : `keycard: ${JSON.stringify(kinds)}\nreference: ${JSON.stringify(ref.msgs)}`;
		}]);
	}
	checks.push([`impossible policies [${ref.impossible.join(', ')}]`, ['v_text', policies, schema], (v) => {
		if (errIs(v, '54000')) return 'excluded';
		const g = parse(v);
		const ids = g ? [...new Set(g.warnings.filter((w) => w.code === 'impossible_policy').map((w) => w.policy_id))].sort() : null;
		return JSON.stringify(ids) === JSON.stringify(ref.impossible) ? null : `keycard: ${JSON.stringify(ids)}\nreference: ${JSON.stringify(ref.impossible)}`;
	}]);
	if (single) {
		checks.push(['verdict from EST equals the reference', ['v_est', policies, schema], (v) => {
			if (errIs(v, '54000')) return 'excluded';
			const g = parse(v);
			return g && g.valid === ref.valid ? null : `keycard: ${v.slice(0, 1500)}`;
		}]);
	}
	return { kind: 'valid', ref, checks };
}

// An authorization call (JSON text), compared as the corpus README says:
// error-ness equal, else decision equal and reasons and errored policies
// equal as sets.
export function authzChecks(text) {
	const ref = refAuthorize(text);
	if (ref.error) {
		return { kind: 'invalid', ref, checks: [['decision: refused like the reference', ['az', text, null],
			(v) => (v.startsWith('ERROR ') && !errIs(v, 'XX') ? null : `keycard: ${v.slice(0, 500)}\nreference: ${ref.error.slice(0, 500)}`)]] };
	}
	const want = JSON.stringify({ decision: ref.decision, reasons: ref.reasons, errored_policies: ref.errored });
	return { kind: 'valid', ref, checks: [[`decision: ${ref.decision}`, ['az', text, null], (v) => {
		let g = null;
		try { g = JSON.parse(okVal(v)); } catch (e) { /* not an answer */ }
		const set = (a) => (Array.isArray(a) ? JSON.stringify([...new Set(a)].sort()) : null);
		if (g && g.decision === ref.decision && set(g.reasons) === JSON.stringify(ref.reasons) &&
			set(g.errored_policies) === JSON.stringify(ref.errored)) return null;
		return `keycard: ${v.slice(0, 1500)}\nreference: ${want}`;
	}]] };
}
// A grid call (one permit per fact, authz.mjs extensionGridCalls): the same
// comparison, and a disagreement names the policies whose outcome differs.
function gridChecks(text) {
	const p = authzChecks(text);
	const [[what, call, judge]] = p.checks;
	const lines = JSON.parse(text).policies.staticPolicies.split('\n');
	const outcome = (reasons, errored, id) => (errored.includes(id) ? 'error' : reasons.includes(id) ? 'true' : 'false');
	return { ...p, checks: [[what, call, (v) => {
		const why = judge(v);
		let g = null;
		try { g = JSON.parse(okVal(v)); } catch (e) { /* not an answer */ }
		if (why === null || !g || p.ref.error) return why;
		const diffs = lines.map((l, i) => [l, outcome(g.reasons, g.errored_policies, `policy${i}`), outcome(p.ref.reasons, p.ref.errored, `policy${i}`)])
			.filter(([, k, r]) => k !== r);
		return `${diffs.length} policies differ (keycard / reference):\n` + diffs.slice(0, 25).map(([l, k, r]) => `${k} / ${r}: ${l}`).join('\n');
	}]] };
}
export function extensionGridCases() {
	return A.extensionGridCalls().map(([name, call]) => ({ name: `grid: ${name}`, text: JSON.stringify(call), checksOf: gridChecks, grid: true }));
}
// allow / deny / with errored policies / refused, of planned authorization cases
export function authzTally(planned) {
	const t = { allow: 0, deny: 0, errored: 0, refused: 0 };
	for (const { ref } of planned) {
		if (ref.error) t.refused++;
		else { t[ref.decision]++; if (ref.errored.length) t.errored++; }
	}
	return `reference decisions: ${t.allow} allow, ${t.deny} deny (${t.errored} with errored policies), ${t.refused} calls refused`;
}

// ---------------------------------------------------------------- runner
// cases: [{name, seed?, text (string or {schema, policies}), checksOf, shrink?: {kind}}]
export function runCases(label, cases, opts = {}) {
	const t0 = Date.now();
	const planned = cases.map((c) => ({ c, p: c.checksOf(c.text) }));
	const calls = [];
	planned.forEach(({ p }, i) => p.checks.forEach(([, call], j) => calls.push([`${i}/${j}`, ...call])));
	const res = runSql(calls, opts.tmp);
	const stats = { cases: cases.length, checks: 0, agree: 0, disagree: 0, excluded: 0, refAccepted: 0, refRejected: 0 };
	let shrinks = 0;
	planned.forEach(({ c, p }, i) => {
		stats[p.kind === 'valid' ? 'refAccepted' : 'refRejected']++;
		p.checks.forEach(([what, , judge], j) => {
			stats.checks++;
			const v = res.get(`${i}/${j}`);
			const why = v === undefined ? 'no result' : judge(v);
			if (why === 'excluded') {
				stats.excluded++;
				console.log(`ok - ${label} ${c.name}: ${what} # excluded: 54000 step limit (documented)`);
				return;
			}
			if (why === null) { stats.agree++; console.log(`ok - ${label} ${c.name}: ${what}`); return; }
			stats.disagree++;
			console.log(`not ok - ${label} ${c.name}: ${what}`);
			if (c.seed !== undefined) console.log(`# seed ${c.seed} (case ${c.name}; regenerate with FUZZ_DIFF_SEED and the index)`);
			let minimal = c.text, mwhy = why;
			if (c.shrink && shrinks++ < 10) {
				// in a child process: a crash there costs only the shrinking
				const out = spawnSync(process.execPath, [path.join(here, 'shrink.mjs'), c.shrink.kind, String(c.seed), what],
					{ encoding: 'utf8', maxBuffer: 1 << 26 });
				try {
					({ minimal, why: mwhy } = JSON.parse(out.stdout.trim().split('\n').pop()));
				} catch (e) {
					console.log(`# (shrinking failed: exit ${out.status}; ${String(out.stderr).trim().split('\n')[0]})`);
				}
			}
			const show = typeof minimal === 'string' ? minimal : `-- schema\n${minimal.schema}-- policies\n${minimal.policies}`;
			// (a grid call is too large to print: its message names what differs)
			if (!c.grid) console.log('# minimal input:\n# ' + show.replace(/\n/g, '\n# '));
			console.log('# ' + String(mwhy).slice(0, 3000).replace(/\n/g, '\n# '));
		});
	});
	if (opts.summary) console.log(`# ${label}: ${opts.summary(planned.map(({ p }) => p))}`);
	stats.seconds = (Date.now() - t0) / 1000;
	console.log(`# ${label}: ${stats.cases} cases (reference accepted ${stats.refAccepted}, rejected ${stats.refRejected}), ` +
		`${stats.checks} checks: ${stats.agree} agree, ${stats.disagree} disagree, ${stats.excluded} excluded; ${stats.seconds.toFixed(1)} s`);
	return stats;
}

// ---------------------------------------------------------------- case lists
const noNul = (t) => !holdsNul(typeof t === 'string' ? t : t.schema + t.policies);
// True if a string literal of Cedar text holds U+0000 (\0, \x00, \u{0})
export function holdsNul(src) {
	return /\\0|\\x00|\\u\{0+\}/.test(src.replace(/\\\\/g, ''));
}
export function policyCases(seed, n) {
	const out = [];
	for (let i = 0; i < n; i++) {
		const s = G.caseSeed(seed, i);
		const r = G.prng(s);
		const p = G.genPolicy(r);
		let text = G.renderPolicy(p);
		const mutated = r.chance(0.2);
		if (mutated) { text = G.mutate(r, text); if (!noNul(text)) continue; }
		out.push({ name: `policy#${i}${mutated ? ' (mutated)' : ''}`, seed: s, text, value: p, checksOf: policyChecks,
			shrink: mutated ? null : { kind: 'policy' } });
	}
	return out;
}
export function schemaCases(seed, n) {
	const out = [];
	for (let i = 0; i < n; i++) {
		const s = G.caseSeed(seed ^ 0x5c4e, i);
		const r = G.prng(s);
		const sc = G.genSchema(r);
		let text = G.renderSchema(sc);
		const mutated = r.chance(0.15);
		if (mutated) { text = G.mutate(r, text); if (!noNul(text)) continue; }
		out.push({ name: `schema#${i}${mutated ? ' (mutated)' : ''}`, seed: s, text, value: sc, checksOf: schemaChecks,
			shrink: mutated ? null : { kind: 'schema' } });
	}
	return out;
}
const validationChecksOf = (t) => validationChecks(t, !/;[\s\S]*;/.test(t.policies.replace(/"(\\.|[^"\\])*"/g, '""')));
export function validationCases(seed, n) {
	const out = [];
	for (let i = 0; i < n; i++) {
		const s = G.caseSeed(seed ^ 0x7a11, i);
		const r = G.prng(s);
		const v = G.genValidation(r);
		const text = G.renderValidation(v);
		if (!noNul(text)) continue;
		out.push({ name: `validation#${i}`, seed: s, text, value: v, checksOf: validationChecksOf, shrink: { kind: 'validation' } });
	}
	return out;
}
export function authzCases(seed, n) {
	const out = [];
	for (let i = 0; i < n; i++) {
		const s = G.caseSeed(seed ^ 0xa2c4, i);
		const c = A.genAuthz(G.prng(s));
		out.push({ name: `authorization#${i}${c.flaw ? ` (${c.flaw})` : ''}`, seed: s, text: renderAuthzText(c), value: c,
			checksOf: authzChecks, shrink: { kind: 'authz' } });
	}
	return out;
}
const renderAuthzText = (c) => JSON.stringify(A.renderAuthz(c));
// Hand-written cases: cases/*.cedar (one policy each, blank-line separated
// policies in one file are separate cases), cases/*.cedarschema, and
// cases/validation/*.{cedarschema,cedar} pairs.
export function handCases(kind) {
	const dir = path.join(here, 'cases');
	const out = [];
	if (kind === 'policy') {
		for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.cedar')).sort()) {
			fs.readFileSync(path.join(dir, f), 'utf8').split(/\n\n+/).filter((t) => t.trim()).forEach((t, i) => {
				if (holdsNul(t)) out.push({ name: `${f}#${i}`, text: t, checksOf: nulPolicyChecks });
				else out.push({ name: `${f}#${i}`, text: t, checksOf: policyChecks });
			});
		}
	} else if (kind === 'schema') {
		for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.cedarschema')).sort()) {
			fs.readFileSync(path.join(dir, f), 'utf8').split(/\n---\n/).forEach((t, i) =>
				out.push({ name: `${f}#${i}`, text: t, checksOf: schemaChecks }));
		}
	} else {
		const vdir = path.join(dir, 'validation');
		for (const f of fs.readdirSync(vdir).filter((f) => f.endsWith('.cedarschema')).sort()) {
			const base = f.replace(/\.cedarschema$/, '');
			const schema = fs.readFileSync(path.join(vdir, f), 'utf8');
			fs.readFileSync(path.join(vdir, base + '.cedar'), 'utf8').split(/\n\n+/).filter((t) => t.trim()).forEach((p, i) =>
				out.push({ name: `validation/${base}#${i}`, text: { schema, policies: p }, checksOf: (t) => validationChecks(t, true) }));
		}
	}
	return out;
}
// U+0000 in a string: keycard refuses it with 22P05 (documented difference)
function nulPolicyChecks(text) {
	return { kind: 'valid', ref: refPolicy(text), checks: [
		['refused for U+0000 (22P05, documented)', ['p_json', text, null], (v) => (errIs(v, '22P05') ? null : `keycard: ${v.slice(0, 300)}`)],
	] };
}

// Shrinks the generated case of case seed `seed` while the check `what`
// (its first word) still fails: {minimal, why} (run by shrink.mjs).
const SHRINK = {
	policy: { gen: G.genPolicy, variants: G.shrinkPolicy, render: G.renderPolicy, checksOf: policyChecks },
	schema: { gen: G.genSchema, variants: G.shrinkSchema, render: G.renderSchema, checksOf: schemaChecks },
	validation: { gen: G.genValidation, variants: G.shrinkValidation, render: G.renderValidation, checksOf: validationChecksOf },
	authz: { gen: A.genAuthz, variants: A.shrinkAuthz, render: renderAuthzText, checksOf: authzChecks,
		// the call as replayable JSON, then its policies and schema as text
		show: (c) => { const call = A.renderAuthz(c);
			return `${JSON.stringify(call)}\n-- policies\n${call.policies.staticPolicies}${call.schema ? `\n-- schema\n${call.schema}` : ''}`; } },
};
// a check's name without the parts that depend on the expected result
const checkKey = (w) => w.replace(/^verdict (valid|invalid)$/, 'verdict').replace(/^error kinds .*/, 'error kinds')
	.replace(/^impossible policies .*/, 'impossible policies').replace(/^decision: .*/, 'decision');
export function shrinkCase(kind, seed, what) {
	const k = SHRINK[kind];
	let why = null;
	const fails = (val) => {
		const pp = k.checksOf(k.render(val));
		const chk = pp.checks.find(([w]) => checkKey(w) === checkKey(what)) || pp.checks[0];
		const r = runSql([['x', ...chk[1]]]).get('x');
		const w = r === undefined ? 'no result' : chk[2](r);
		if (w !== null && w !== 'excluded') { why = w; return true; }
		return false;
	};
	const start = k.gen(G.prng(seed));
	fails(start);
	const small = G.shrink(start, k.variants, fails, 150);
	const minimal = (k.show || k.render)(small);
	return { minimal, why };
}
