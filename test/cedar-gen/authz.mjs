// Seeded generator of whole authorization calls, the argument of cedar-wasm's
// isAuthorized (test/suites/32-cedar-authorization-diff, make fuzz-diff,
// bench/25-cedar-authorize): a data model (entity types with attributes of
// every type, tags, hierarchy), sometimes a schema drawn from it, an entity
// set with parents (some absent, action groups), a request and its context,
// and a policy set of permits and forbids whose conditions use every
// operator and extension function over the model's attributes, mostly well
// typed so that decisions vary, with some ill-typed or erroring terms.  A few
// calls are malformed on purpose (the reference refuses them whole).
//
// A case is a plain object (model, entities, request, policies, flaw); render
// turns it into the call; the shrinker shortens its lists.
import { P, node, leaf, at, render, genString, strLit, genPattern, shrinkNode } from './gen.mjs';

// ---------------------------------------------------------------- vocabulary
const ETYPES = ['User', 'Group', 'Doc', 'Folder'];
// Color is an enumerated type under a schema (red, blue; green is not one)
const IDS = { Color: ['red', 'blue', 'green'], User: ['alice', 'bob', 'carol'], Group: ['admins', 'staff'], Doc: ['d1', 'd2', 'd3', 'é v'], Folder: ['root', 'f1', ''] };
const ACTIONS = ['read', 'write', 'delete', 'readOnly', 'all'];
const ACTION_GROUPS = { read: ['readOnly', 'all'], write: ['all'], delete: ['all'], readOnly: ['all'], all: [] };
const PARENT_TYPES = { User: ['Group'], Group: ['Group'], Doc: ['Folder'], Folder: ['Folder'] };
const ATTR_NAMES = ['name', 'age', 'level', 'owner', 'tags', 'ips', 'addr', 'score', 'since', 'ttl', 'flags', 'meta', 'active', 'nick'];
const EXT_NAMES = ['ipaddr', 'decimal', 'datetime', 'duration'];
const CTOR = { ipaddr: 'ip', decimal: 'decimal', datetime: 'datetime', duration: 'duration' };

// Extension literals: valid ones of each kind, and refused ones.
const EXT_LITS = {
	ipaddr: ['10.0.0.1', '10.0.0.0/8', '10.1.2.3/16', '127.0.0.1', '127.5.5.5/8', '127.0.0.0/7', '224.0.0.1', '239.1.2.3/4',
		'224.0.0.0/3', '192.168.1.0/24', '0.0.0.0/0', '::1', '::1/127', '::', '::/0', 'ff02::1', 'ff00::/8', 'ff00::/7',
		'2001:db8::/32', '2001:db8::1', '2001:DB8:0:0:0:0:0:1/128', 'fe80::1:2'],
	decimal: ['1.0', '1.00', '-0.5', '-0.50', '0.0001', '3.1416', '922337203685477.5807', '-922337203685477.5808', '12.34', '-1.2345', '0.0', '100.5'],
	datetime: ['2024-10-15', '2024-10-15T00:00:00Z', '2024-10-15T01:30:00+0130', '2024-10-15T11:35:00Z', '2024-10-15T11:35:00.123Z', '2024-10-15T11:35:00.123+0130',
		'2024-10-15T23:59:59-2359', '1970-01-01', '1969-12-31T23:59:59.999Z', '0000-01-01', '9999-12-31T23:59:59Z', '2024-02-29'],
	duration: ['1d', '24h', '2h30m', '150m', '-1s', '1d2h3m4s5ms', '0ms', '-90m', '36h', '-1ms', '1ms', '106751991167d', '-9223372036854775808ms', '59s999ms'],
};
const BAD_LITS = {
	ipaddr: ['10.0.0.256', '01.2.3.4', '::ffff:1.2.3.4', '1.2.3.4/33', '1.2.3.4/08', 'abc', '', '::1/129', '1:2:3:4:5:6:7:8:9'],
	decimal: ['1', '1.', '.5', '1.00000', '922337203685477.5808', '+1.0', 'x'],
	datetime: ['2024-13-01', '2023-02-29', '2024-10-15T24:00:00Z', '2024-10-15T11:35:00', '2024-10-15T11:35:00+2400', '24-10-15'],
	duration: ['', '-', '1', '1h1d', '9223372036854775808ms', '1.5h', '106751991168d'],
};
const LONGS = [0, 1, 2, 3, 7, 10, 18, 42, 100, 255, -1, -7, 65536, 2147483647, 9007199254740991, -9007199254740991];
const BIG_LONGS = ['9223372036854775807', '4611686018427387904', '3037000500', '-9223372036854775808', '9223372036854775806'];
const STRINGS = ['', 'a', 'alice', 'bob', 'x*y', 'hello world', 'Ab', 'é€', 'admin', 'read', '*'];

// ---------------------------------------------------------------- types
// {t: 'Long'|'String'|'Bool'|'Set'|'Rec'|'Ent'|'Ext', el?, attrs?, name?}
function genType(r, d, exts) {
	const k = r.wpick([[4, 'Long'], [4, 'String'], [3, 'Bool'], [exts ? 5 : 0, 'Ext'], [3, 'Set'], [d > 0 ? 2 : 0, 'Rec'], [3, 'Ent']]);
	if (k === 'Ext') return { t: 'Ext', name: r.pick(EXT_NAMES) };
	if (k === 'Set') return { t: 'Set', el: r.chance(0.7) ? { t: r.pick(['Long', 'String']) } : r.chance(0.5) ? { t: 'Ent', name: r.pick(ETYPES) } : { t: 'Ext', name: r.pick(EXT_NAMES) } };
	if (k === 'Rec') return { t: 'Rec', attrs: genAttrs(r, d - 1, 3) };
	if (k === 'Ent') return { t: 'Ent', name: r.chance(0.15) ? 'Color' : r.pick(ETYPES) };
	return { t: k };
}
function genAttrs(r, d, max) {
	const names = new Set();
	const out = [];
	for (let i = r.range(0, max); i > 0; i--) {
		const name = r.pick(ATTR_NAMES);
		if (names.has(name)) continue;
		names.add(name);
		out.push({ name, type: genType(r, d, true), opt: r.chance(0.25) });
	}
	return out;
}
const sameType = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function schemaType(t) {
	switch (t.t) {
	case 'Long': case 'String': case 'Bool': return t.t;
	case 'Ext': return t.name;
	case 'Set': return `Set<${schemaType(t.el)}>`;
	case 'Ent': return t.name;
	default: return `{${t.attrs.map((a) => `${a.name}${a.opt ? '?' : ''}: ${schemaType(a.type)}`).join(', ')}}`;
	}
}

// ---------------------------------------------------------------- values
// A value: {k: 'long'|'str'|'bool'|'set'|'rec'|'ent'|'ext', ...}, with the
// JSON form it is written in drawn once (implicit forms only under a schema).
function genValue(r, t, schema, d = 2) {
	switch (t.t) {
	case 'Long': return { k: 'long', v: r.chance(0.8) ? r.int(50) : r.pick(LONGS) };
	case 'String': return { k: 'str', v: r.chance(0.6) ? r.pick(STRINGS) : genString(r, 5) };
	case 'Bool': return { k: 'bool', v: r.chance(0.5) };
	// implicit forms: a plain string or {type, id}, read by the schema's type
	// (without one they stay a string and a record)
	case 'Ext': return { k: 'ext', fn: CTOR[t.name], arg: r.pick(EXT_LITS[t.name]), implicit: r.chance(schema ? 0.5 : 0.04) };
	case 'Set': return { k: 'set', els: Array.from({ length: r.range(0, 3) }, () => genValue(r, t.el, schema, d - 1)) };
	case 'Ent': return { k: 'ent', type: t.name, id: t.name === 'Color' && r.chance(0.9) ? r.pick(['red', 'blue']) : r.pick(IDS[t.name]), implicit: r.chance(schema ? 0.5 : 0.06) };
	default: return { k: 'rec', fields: t.attrs.filter((a) => !a.opt || r.chance(0.6)).map((a) => [a.name, genValue(r, a.type, schema, d - 1)]) };
	}
}
function valueJson(v) {
	switch (v.k) {
	case 'long': case 'str': case 'bool': return v.v;
	case 'ext': return v.implicit ? v.arg : { __extn: { fn: v.fn, arg: v.arg } };
	case 'set': return v.els.map(valueJson);
	case 'ent': return v.implicit ? { type: v.type, id: v.id } : { __entity: { type: v.type, id: v.id } };
	default: return Object.fromEntries(v.fields.map(([k, x]) => [k, valueJson(x)]));
	}
}
// Cedar text of a value (for == against a literal)
function valueText(v) {
	switch (v.k) {
	case 'long': return String(v.v);
	case 'str': return JSON.stringify(v.v);
	case 'bool': return String(v.v);
	case 'ext': return `${v.fn}(${JSON.stringify(v.arg)})`;
	case 'set': return `[${v.els.map(valueText).join(', ')}]`;
	case 'ent': return `${v.type}::${JSON.stringify(v.id)}`;
	default: return `{${v.fields.map(([k, x]) => `${k}: ${valueText(x)}`).join(', ')}}`;
	}
}

// ---------------------------------------------------------------- model
function genModel(r) {
	const types = {};
	for (const t of ETYPES) {
		types[t] = { attrs: genAttrs(r, 2, 5), tags: r.chance(0.3) ? r.pick([{ t: 'String' }, { t: 'Long' }, { t: 'Set', el: { t: 'String' } }, { t: 'Ext', name: r.pick(EXT_NAMES) }]) : null };
	}
	const ctx = genAttrs(r, 2, 4);
	return { types, ctx };
}
function genEntity(r, m, type, id, schema) {
	const T = m.types[type];
	const parents = [];
	for (const pt of PARENT_TYPES[type]) {
		// within a type, parents only later in IDS: a hierarchy without cycles
		IDS[pt].forEach((pid, i) => { if (r.chance(0.35) && (pt !== type || i > IDS[type].indexOf(id))) parents.push({ type: pt, id: pid }); });
	}
	if (r.chance(0.1)) parents.push({ type: r.pick(PARENT_TYPES[type]), id: 'ghost' });	// absent parent
	return {
		type, id,
		attrs: T.attrs.filter((a) => !a.opt || r.chance(0.6)).map((a) => [a.name, genValue(r, a.type, schema)]),
		parents,
		tags: T.tags ? Array.from({ length: r.range(0, 3) }, () => [r.pick(['color', 'level', 'x y', 'owner']), genValue(r, T.tags, schema)])
			.filter(([k], i, all) => all.findIndex(([k2]) => k2 === k) === i) : null,
		uidForm: r.chance(0.1) ? '__entity' : 'plain',
	};
}

// ---------------------------------------------------------------- expressions
// Paths of attributes reachable from a variable of a record type:
// [{text, type, guard}] where guard is the has-test that makes it safe.
function paths(v, attrs, m, depth = 2, prefix = null, guards = []) {
	const out = [];
	for (const a of attrs) {
		const text = `${v}.${a.name}`;
		const g = a.opt ? [...guards, `${prefix || v} has ${a.name}`] : guards;
		out.push({ text, type: a.type, guards: g });
		if (depth > 0 && a.type.t === 'Rec') out.push(...paths(text, a.type.attrs, m, depth - 1, text, g));
		if (depth > 1 && a.type.t === 'Ent' && m.types[a.type.name]) out.push(...paths(`${text}`, m.types[a.type.name].attrs, m, 0, text, g).map((p) => ({ ...p, viaEntity: true })));
	}
	return out;
}
const guarded = (p, body, P2 = P.AND) => (p.guards.length ? leaf(P2, `${p.guards.join(' && ')} && ${body}`) : null);

// The expression environment of a policy: the variables' types (when the
// scope pins them) and their attribute paths.
function envOf(m, ptype, rtype) {
	const vars = [];
	if (ptype) vars.push(...paths('principal', m.types[ptype].attrs, m));
	if (rtype) vars.push(...paths('resource', m.types[rtype].attrs, m));
	vars.push(...paths('context', m.ctx, m));
	return { m, ptype, rtype, paths: vars };
}
const kindOf = (t) => (t.t === 'Ext' ? t.name : t.t);

function lit(r, want) {
	switch (want) {
	case 'Long': return r.chance(0.75) ? leaf(P.PRI, String(r.pick(LONGS.slice(0, 10)))) : r.chance(0.4) ? leaf(P.UN, `-${r.pick(LONGS.slice(1, 8))}`) : ((b) => leaf(b[0] === '-' ? P.UN : P.PRI, b))(r.pick(BIG_LONGS));
	// (U+0000 through Cedar escapes too: authorization takes it, jsonb data cannot)
	case 'String': return leaf(P.PRI, r.chance(0.15) ? r.pick(['"a\\0b"', '"\\u{0}"', '"\\x00"', '"\\0"']) : strLit(r, r.chance(0.6) ? r.pick(STRINGS) : genString(r, 5)));
	case 'Bool': return leaf(P.PRI, r.pick(['true', 'false']));
	case 'Ent': { const t = r.chance(0.1) ? 'Color' : r.pick(ETYPES); return leaf(P.PRI, `${t}::${JSON.stringify(r.chance(0.9) ? r.pick(IDS[t]) : 'nobody')}`); }
	case 'Set': { const small = r.chance(0.5);	// from {1, 2}: sets that are often equal
		return leaf(P.PRI, `[${Array.from({ length: r.range(0, 3) }, () => small ? String(r.range(1, 2)) : r.chance(0.5) ? String(r.int(5)) : JSON.stringify(r.pick(STRINGS))).join(', ')}]`); }
	case 'Rec': return leaf(P.PRI, `{a: ${r.int(3)}, name: ${JSON.stringify(r.pick(STRINGS))}}`);
	default: {
		const bad = r.chance(0.1);
		return leaf(P.PRI, `${CTOR[want]}(${JSON.stringify(r.pick((bad ? BAD_LITS : EXT_LITS)[want]))})`);
	}
	}
}

// An expression of kind `want` (Long, String, Bool, Set, Rec, Ent, ipaddr, ...)
export function genT(r, env, want, d) {
	const cands = env.paths.filter((p) => kindOf(p.type) === want);
	const access = () => {
		const p = r.pick(cands);
		if (p.guards.length && r.chance(0.65)) {
			if (want === 'Bool') return leaf(P.AND, `${p.guards.join(' && ')} && ${p.text}`);
			return node(P.IF, ([e]) => `if ${p.guards.join(' && ')} then ${p.text} else ${e}`, [lit(r, want)]);
		}
		return leaf(P.MEM, p.text);
	};
	if (d <= 0 || r.chance(0.15)) return cands.length && r.chance(0.6) ? access() : lit(r, want);
	const t = (w) => genT(r, env, w, d - 1);
	const ite = [1, () => node(P.IF, ([a, b, c]) => `if ${a} then ${b} else ${c}`, [t('Bool'), t(want), t(want)])];
	const acc = [cands.length ? 4 : 0, access];
	const bin = (p, op, l, rr, lp, rp) => node(p, ([a, b], [x, y]) => `${at(x, lp, a)} ${op} ${at(y, rp, b)}`, [l, rr]);
	switch (want) {
	case 'Long': return r.wpick([acc, ite,
		[3, () => bin(P.ADD, r.pick(['+', '-']), t('Long'), t('Long'), P.ADD, P.MUL)],
		[2, () => bin(P.MUL, '*', t('Long'), t('Long'), P.MUL, P.UN)],
		[1, () => node(P.UN, ([a], [x]) => `-${at(x, P.MEM, a)}`, [t('Long')])],
		[2, () => { const m = r.pick(['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds']); return node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.${m}()`, [t('duration')]); }],
		[1, () => lit(r, 'Long')],
		[1, () => { const tag = JSON.stringify(r.pick(['level', 'color'])); const e = r.pick(['principal', 'resource']);
			return r.chance(0.7) ? leaf(P.IF, `if ${e}.hasTag(${tag}) then ${e}.getTag(${tag}) else 0`) : leaf(P.MEM, `${e}.getTag(${tag})`); }],
	])();
	case 'String': return r.wpick([acc, ite, [2, () => lit(r, 'String')],
		[1, () => { const e = r.pick(['principal', 'resource']); const tag = r.pick(['color', 'owner', 'x y']); return leaf(P.IF, `if ${e}.hasTag(${JSON.stringify(tag)}) then ${e}.getTag(${JSON.stringify(tag)}) else ""`); }],
	])();
	case 'Ent': return r.wpick([acc, ite, [3, () => leaf(P.PRI, r.pick(['principal', 'resource', 'action']))], [2, () => lit(r, 'Ent')]])();
	case 'Set': return r.wpick([acc, ite, [2, () => lit(r, 'Set')],
		[1, () => node(P.PRI, (ks) => `[${ks.join(', ')}]`, Array.from({ length: r.range(0, 3) }, () => t(r.pick(['Long', 'String', 'Ent']))), true)]])();
	case 'Rec': return r.wpick([acc, [2, () => lit(r, 'Rec')],
		[1, () => { const keys = [...new Set(Array.from({ length: r.range(0, 3) }, () => r.pick(ATTR_NAMES)))];
			return node(P.PRI, (ks, kids) => `{${ks.map((x, i) => `${kids[i].key}: ${x}`).join(', ')}}`,
				keys.map((key) => Object.assign(t(r.pick(['Long', 'String', 'Bool'])), { key })), true); }]])();
	case 'datetime': return r.wpick([acc, ite, [2, () => lit(r, 'datetime')],
		[2, () => node(P.MEM, ([a, b], [x]) => `${at(x, P.MEM, a)}.offset(${b})`, [t('datetime'), t('duration')])],
		[1, () => node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.toDate()`, [t('datetime')])]])();
	case 'duration': return r.wpick([acc, ite, [2, () => lit(r, 'duration')],
		[2, () => node(P.MEM, ([a, b], [x]) => `${at(x, P.MEM, a)}.durationSince(${b})`, [t('datetime'), t('datetime')])],
		[1, () => node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.toTime()`, [t('datetime')])]])();
	case 'ipaddr': case 'decimal': return r.wpick([acc, ite, [3, () => lit(r, want)]])();
	default: return genBool(r, env, d, t, acc, ite);
	}
}
function genBool(r, env, d, t, acc, ite) {
	const rel = (op, l, rr) => node(P.REL, ([a, b], [x, y]) => `${at(x, P.ADD, a)} ${op} ${at(y, P.ADD, b)}`, [l, rr]);
	const anyKind = () => r.pick(['Long', 'String', 'Bool', 'Ent', 'Set', 'Rec', 'ipaddr', 'decimal', 'datetime', 'duration']);
	const ordered = () => r.wpick([[4, 'Long'], [2, 'datetime'], [2, 'duration'], [1, 'decimal'], [1, 'String']]);
	const entTest = () => r.pick(['principal', 'resource', 'action']);
	return r.wpick([acc, ite,
		[4, () => { const k = anyKind(); return rel(r.pick(['==', '!=']), t(k), r.chance(0.9) ? t(k) : t(anyKind())); }],
		[4, () => { const k = ordered(); return rel(r.pick(['<', '<=', '>', '>=']), t(k), t(k)); }],
		[3, () => node(P.AND, ([a, b], [x, y]) => `${at(x, P.AND, a)} && ${at(y, P.REL, b)}`, [t('Bool'), t('Bool')])],
		[3, () => node(P.OR, ([a, b], [x, y]) => `${at(x, P.OR, a)} || ${at(y, P.AND, b)}`, [t('Bool'), t('Bool')])],
		[2, () => node(P.UN, ([a], [x]) => `!${at(x, P.MEM, a)}`, [t('Bool')])],
		// hierarchy: in an entity, in a set of entities
		[3, () => rel('in', t('Ent'), t('Ent'))],
		[2, () => { const v = entTest(); const grp = (tp) => `${tp}::${JSON.stringify(r.pick(IDS[tp]))}`;
			return leaf(P.REL, v === 'action' ? `action in [${Array.from({ length: r.range(0, 2) }, () => `Action::${JSON.stringify(r.pick(ACTIONS))}`).join(', ')}]`
				: `${v} in [${Array.from({ length: r.range(0, 3) }, () => grp(r.pick(ETYPES))).join(', ')}]`); }],
		[2, () => { const v = entTest(); const tp = r.pick([...ETYPES, 'Action']);
			return r.chance(0.5) ? leaf(P.REL, `${v} is ${tp}`) : node(P.REL, ([b], [y]) => `${v} is ${tp} in ${at(y, P.ADD, b)}`, [t('Ent')]); }],
		// has: an attribute or a path (maybe absent), on a variable or a record
		[3, () => { const p = env.paths.length && r.chance(0.7) ? r.pick(env.paths) : null;
			if (p) { const parts = p.text.split('.'); const cut = r.range(1, parts.length - 1);
				return leaf(P.REL, `${parts.slice(0, cut).join('.')} has ${parts.slice(cut).join('.')}`); }
			return leaf(P.REL, `${r.pick(['principal', 'resource', 'context'])} has ${r.pick(ATTR_NAMES)}${r.chance(0.3) ? '.' + r.pick(ATTR_NAMES) : ''}`); }],
		[2, () => { const pat = r.chance(0.5) ? genPattern(r) : r.chance(0.1) ? r.pick(['"a\\0*"', '"*\\u{0}*"']) : JSON.stringify(r.pick(['*', 'a*', '*e', 'al*ce', '*l*', 'bob', '']));
			return node(P.REL, ([a], [x]) => `${at(x, P.ADD, a)} like ${pat}`, [t('String')]); }],
		[3, () => { const m = r.pick(['contains', 'containsAll', 'containsAny']);
			return node(P.MEM, ([a, b], [x]) => `${at(x, P.MEM, a)}.${m}(${b})`, [t('Set'), m === 'contains' ? t(r.pick(['Long', 'String', 'Ent'])) : t('Set')]); }],
		[1, () => node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.isEmpty()`, [t('Set')])],
		[2, () => { const e = r.pick(['principal', 'resource', 'action']); const tag = JSON.stringify(r.pick(['color', 'level', 'x y', 'owner', 'nope']));
			return r.chance(0.6) ? leaf(P.MEM, `${e}.hasTag(${tag})`) : leaf(P.AND, `${e}.hasTag(${tag}) && ${e}.getTag(${tag}) == ${r.chance(0.5) ? '"a"' : '1'}`); }],
		[2, () => { const m = r.pick(['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual']);
			return node(P.MEM, ([a, b], [x]) => `${at(x, P.MEM, a)}.${m}(${b})`, [t('decimal'), t('decimal')]); }],
		[3, () => { const m = r.pick(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast']);
			return node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.${m}()`, [t('ipaddr')]); }],
		[2, () => node(P.MEM, ([a, b], [x]) => `${at(x, P.MEM, a)}.isInRange(${b})`, [t('ipaddr'), t('ipaddr')])],
		[1, () => lit(r, 'Bool')],
		// calls of the wrong shape: some the parser refuses (the whole call
		// then), some that error when evaluated; action attributes
		[1, () => leaf(P.AND, r.pick(ODD_CALLS))],
		// ill-typed on purpose: an operator on the wrong kind of operand
		[1, () => { const k = anyKind(); const op = r.pick(['<', '+', '&&', 'like "*"', '.isEmpty()', '.lessThan(decimal("1.0"))', '.isIpv4()', '.toDays()', 'in', '.contains(1)']);
			if (op.startsWith('.')) return node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}${op}${op === '.toDays()' ? ' > 0' : ''}`, [t(k)]);
			if (op.startsWith('like')) return node(P.REL, ([a], [x]) => `${at(x, P.ADD, a)} ${op}`, [t(k)]);
			if (op === '+') return node(P.REL, ([a, b], [x, y]) => `${at(x, P.ADD, a)} + ${at(y, P.MUL, b)} == 0`, [t(k), t(anyKind())]);
			return rel(op === '&&' ? '==' : op, t(k), t(anyKind())); }],
	])();
}

const ODD_CALLS = ['ip("1.2.3.4").isLoopback(1)', 'decimal() == decimal("1.0")', 'decimal("1.0", "2.0") == decimal("1.0")', 'ip("1.2.3.4").isInRange()',
	'datetime("2024-01-01").offset(duration("1d"), 1) == datetime("2024-01-01")', 'ip(context) == ip("::1")', 'decimal(1) == decimal("1.0")',
	'"a".contains("a")', 'context.isEmpty()', 'ip("1.2.3.4").foo()', 'foo(1)', '[1].contains()', 'principal.getTag()', 'isIpv4(ip("1.2.3.4"))',
	'lessThan(decimal("1.0"), decimal("2.0"))', '[].isEmpty(1)', 'action has level && action.level > 1', 'action.level == 2',
	'action has "level"', 'principal.hasTag(1)', 'context has "x y"', 'context["name"] == "a"', 'principal["age"] > 1'];

// ---------------------------------------------------------------- policies
const entRef = (r, t) => `${t}::${JSON.stringify(r.chance(0.9) ? r.pick(IDS[t]) : 'ghost')}`;
// The scope of principal or resource, biased toward the request's entity so
// that policies often apply: [scope text, entity type it pins or null]
function genScope(r, v, req) {
	const t = r.chance(0.6) ? req.type : r.pick(v === 'principal' ? ['User', 'Group'] : ['Doc', 'Folder']);
	const ref = () => (t === req.type && r.chance(0.6) ? `${t}::${JSON.stringify(req.id)}` : entRef(r, t));
	const grp = r.pick(PARENT_TYPES[t]);
	return r.wpick([
		[3, () => [v, null]],
		[4, () => [`${v} is ${t}`, t]],
		[2, () => [`${v} == ${ref()}`, t]],
		[2, () => [`${v} in ${r.chance(0.3) ? ref() : entRef(r, grp)}`, null]],
		[1, () => [`${v} is ${t} in ${entRef(r, grp)}`, t]],
	])();
}
function genPolicy(r, m, req) {
	const [ps, pt] = genScope(r, 'principal', req.principal);
	const [rs, rt] = genScope(r, 'resource', req.resource);
	const someAction = () => JSON.stringify(r.chance(0.5) ? req.action.id : r.pick(ACTIONS));
	const act = r.wpick([
		[3, () => 'action'],
		[3, () => `action == Action::${someAction()}`],
		[2, () => `action in Action::${someAction()}`],
		[2, () => `action in [${Array.from({ length: r.range(1, 3) }, () => `Action::${someAction()}`).join(', ')}]`],
	])();
	// an unpinned variable is sometimes read as if it had some type's attributes
	const loose = (pinned, types) => pinned || (r.chance(0.3) ? r.pick(types) : null);
	const env = envOf(m, loose(pt, ['User', 'Group']), loose(rt, ['Doc', 'Folder']));
	return {
		effect: r.chance(0.6) ? 'permit' : 'forbid',
		scope: [ps, act, rs],
		id: r.chance(0.15) ? `@id(${JSON.stringify('p' + r.int(9))})\n` : '',
		conditions: Array.from({ length: r.wpick([[3, 0], [5, 1], [1, 2]]) },
			() => ({ kind: r.chance(0.75) ? 'when' : 'unless', expr: genT(r, env, 'Bool', r.range(1, 4)) })),
	};
}
const renderPolicy = (p) => `${p.id}${p.effect}(${p.scope.join(', ')})${p.conditions.map((c) => ` ${c.kind} { ${render(c.expr)} }`).join('')};`;

// ---------------------------------------------------------------- schema
function renderSchema(m, s) {
	const out = ['entity Color enum ["red", "blue"];'];
	for (const t of ETYPES) {
		const T = m.types[t];
		let line = `entity ${t}`;
		const parents = PARENT_TYPES[t];
		if (parents.length) line += ` in [${parents.join(', ')}]`;
		line += ` {${T.attrs.map((a) => `${a.name}${a.opt ? '?' : ''}: ${schemaType(a.type)}`).join(', ')}}`;
		if (T.tags) line += ` tags ${schemaType(T.tags)}`;
		out.push(line + ';');
	}
	for (const a of ACTIONS) {
		const groups = ACTION_GROUPS[a].filter((g) => s.groups);
		let line = `action ${JSON.stringify(a)}`;
		if (groups.length) line += ` in [${groups.map((g) => JSON.stringify(g)).join(', ')}]`;
		const ap = s.applies ? s.applies[a] : s;
		if (ap) line += ` appliesTo { principal: [${ap.principals.join(', ')}], resource: [${ap.resources.join(', ')}], context: ${schemaType({ t: 'Rec', attrs: m.ctx })} }`;
		out.push(line + ';');
	}
	return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- calls
// Flaws: ways a call is malformed or does not conform (the reference refuses
// most of them whole; a few turn out fine, which is compared all the same).
const FLAWS = ['no-context', 'no-entities', 'context-not-record', 'unknown-member', 'duplicate-entity', 'duplicate-differing', 'extn-wrong-type', 'tag-wrong-type', 'tags-undeclared', 'null-attr', 'escape-shape', 'entity-shape', 'entity-shape', 'uid-escape-extra', 'policies-array', 'context-wrong-value', 'context-wrong-value', 'cycle', 'bad-extn', 'missing-id',
	'policy-syntax', 'template', 'attr-wrong-type', 'undeclared-attr', 'missing-required', 'request-type',
	'unknown-action', 'entity-unknown-member', 'bad-parent', 'context-extra', 'action-entity', 'unknown-type'];

export function genAuthz(r) {
	const m = genModel(r);
	const withSchema = r.chance(0.5);
	const schema = withSchema ? { groups: r.chance(0.8), principals: ['User', 'Group'], resources: ['Doc', 'Folder'] } : null;
	// sometimes actions that apply to fewer types, or to none
	if (schema && r.chance(0.2)) {
		schema.applies = Object.fromEntries(ACTIONS.map((a) => [a, r.chance(0.15) ? null
			: { principals: r.pick([['User'], ['Group'], ['User', 'Group']]), resources: r.pick([['Doc'], ['Folder'], ['Doc', 'Folder']]) }]));
	}
	const entities = [];
	for (const t of ETYPES) for (const id of IDS[t]) if (r.chance(0.8)) entities.push(genEntity(r, m, t, id, withSchema));
	// action entities (without a schema, the call carries the action groups)
	const actionEntities = !withSchema && r.chance(0.7)
		? ACTIONS.filter(() => r.chance(0.8)).map((a) => ({ type: 'Action', id: a, attrs: r.chance(0.3) ? [['level', { k: 'long', v: r.int(4) }]] : [], parents: ACTION_GROUPS[a].filter(() => r.chance(0.9)).map((g) => ({ type: 'Action', id: g })), tags: null, uidForm: 'plain' }))
		: [];
	const pt = r.pick(['User', 'User', 'Group']);
	const rt = r.pick(['Doc', 'Doc', 'Folder']);
	const request = {
		principal: { type: pt, id: r.chance(0.9) ? r.pick(IDS[pt]) : 'nobody' },
		action: { type: 'Action', id: r.pick(ACTIONS) },
		resource: { type: rt, id: r.chance(0.9) ? r.pick(IDS[rt]) : 'nothing' },
		context: m.ctx.filter((a) => !a.opt || r.chance(0.6)).map((a) => [a.name, genValue(r, a.type, withSchema)]),
		validateRequest: withSchema && r.chance(0.2) ? r.chance(0.5) : null,
	};
	request.forms = ['principal', 'action', 'resource'].filter(() => r.chance(0.05));	// written as {"__entity": ...}
	// sometimes the policies as an object of texts by id (the ids are its keys)
	request.policyIds = r.chance(0.1) ? ['a', 'b', 'policy1', 'p 1', 'é', '', 'policy0', 'z'].filter(() => r.chance(0.7)) : null;
	const policies = Array.from({ length: r.range(1, 6) }, () => genPolicy(r, m, request));
	const flaw = r.chance(0.1) ? r.pick(FLAWS) : null;
	return { m, schema, entities: [...entities, ...actionEntities], request, policies, flaw, flawSeed: r.int(1 << 30), ns: r.chance(0.2) };
}

const uidJson = (e) => (e.uidForm === '__entity' ? { __entity: { type: e.type, id: e.id } } : { type: e.type, id: e.id });
function entityJson(e) {
	const j = { uid: uidJson(e), attrs: Object.fromEntries(e.attrs.map(([k, v]) => [k, valueJson(v)])), parents: e.parents };
	if (e.tags) j.tags = Object.fromEntries(e.tags.map(([k, v]) => [k, valueJson(v)]));
	return j;
}
// The call object (the argument of isAuthorized)
export function renderAuthz(c) {
	const call = {
		principal: c.request.principal,
		action: c.request.action,
		resource: c.request.resource,
		context: Object.fromEntries(c.request.context.map(([k, v]) => [k, valueJson(v)])),
		policies: { staticPolicies: c.policies.map(renderPolicy).join('\n') },
		entities: c.entities.map(entityJson),
	};
	for (const v of c.request.forms || []) call[v] = { __entity: call[v] };
	if (c.request.policyIds) {
		const ids = c.request.policyIds;
		call.policies.staticPolicies = Object.fromEntries(c.policies.slice(0, ids.length).map((p, i) => [ids[i], renderPolicy(p)]));
	}
	if (c.schema) call.schema = renderSchema(c.m, c.schema);
	if (c.request.validateRequest !== null) call.validateRequest = c.request.validateRequest;
	if (c.flaw) applyFlaw(c, call);
	return c.ns ? inNamespace(call) : call;
}
// The same call with every entity type in namespace App (App::User, ...,
// App::Action): type names in JSON, in policy text, and the schema wrapped.
const TYPE_NAME = /\b(User|Group|Doc|Folder|Action|Color)\b(?!")/g;
function inNamespace(call) {
	const out = JSON.parse(JSON.stringify(call).replace(/"type":"(User|Group|Doc|Folder|Action|Color)"/g, '"type":"App::$1"'));
	if (out.policies && typeof out.policies.staticPolicies === 'string') out.policies.staticPolicies = out.policies.staticPolicies.replace(TYPE_NAME, 'App::$1');
	if (out.schema) out.schema = `namespace App {\n${out.schema}}\n`;
	return out;
}
function applyFlaw(c, call) {
	// its own PRNG, so that shrinking the rest keeps the flaw
	let s = c.flawSeed >>> 0;
	const pick = (a) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return a[s % a.length]; };
	const ents = call.entities || [];
	switch (c.flaw) {
	case 'no-context': delete call.context; break;
	case 'no-entities': delete call.entities; break;
	case 'context-not-record': call.context = pick([[1, 2], 'ctx', 7, null, true]); break;
	case 'unknown-member': call[pick(['extra', 'slice', 'Principal'])] = {}; break;
	// the reference takes an entity listed twice alike, not listed twice differently
	case 'duplicate-entity': if (ents.length) ents.push(JSON.parse(JSON.stringify(pick(ents)))); break;
	case 'duplicate-differing': if (ents.length) { const e = JSON.parse(JSON.stringify(pick(ents))); e.attrs = pick([{}, { x: 1 }]); e.parents = pick([[], [{ type: 'Group', id: 'x' }]]); ents.push(e); } break;
	case 'cycle': if (ents.length) { const e = pick(ents); e.parents.push({ ...e.uid.__entity || e.uid }); } break;
	case 'extn-wrong-type': if (ents.length) { const e = pick(ents); const k = Object.keys(e.attrs)[0] || 'age'; e.attrs[k] = { __extn: { fn: pick(['ip', 'decimal', 'datetime', 'duration']), arg: pick(['1.0', '10.0.0.1', '1d', '2024-01-01']) } }; } break;
	case 'tag-wrong-type': { const e = ents.find((x) => x.tags && Object.keys(x.tags).length); if (e) e.tags[Object.keys(e.tags)[0]] = pick([true, { a: 1 }, 'x', 3]); break; }
	case 'tags-undeclared': if (ents.length) { const e = pick(ents); e.tags = { ...(e.tags || {}), color: 'red' }; } break;
	case 'null-attr': if (ents.length) pick(ents).attrs.nick = null; break;
	case 'escape-shape': call.context.odd = pick([{ __extn: { fn: 'ip' } }, { __extn: { fn: 'ip', arg: '1.2.3.4', x: 1 } }, { __extn: { fn: 'ip', arg: 5 } },
		{ __entity: { type: 'User' } }, { __entity: { type: 'User', id: 'alice', x: 1 } }, { __entity: { type: 'Nope::', id: 'a' } }, { __expr: 'true' }]); break;
	case 'entity-shape': if (ents.length) {
		const e = pick(ents);
		const k = pick(['no-attrs', 'no-parents', 'parents-escaped', 'parent-string', 'uid-string', 'uid-expr', 'tags-null', 'attrs-null', 'parents-dup', 'self-parent', 'uid-extra']);
		if (k === 'no-attrs') delete e.attrs;
		else if (k === 'no-parents') delete e.parents;
		else if (k === 'parents-escaped') e.parents = e.parents.map((x) => ({ __entity: x }));
		else if (k === 'parent-string') e.parents.push('Group::"admins"');
		else if (k === 'uid-string') e.uid = `${(e.uid.__entity || e.uid).type}::"${(e.uid.__entity || e.uid).id}"`;
		else if (k === 'uid-expr') e.uid = { __expr: 'User::"alice"' };
		else if (k === 'tags-null') e.tags = null;
		else if (k === 'attrs-null') e.attrs = null;
		else if (k === 'parents-dup') e.parents = [...e.parents, ...e.parents];
		else if (k === 'self-parent') e.parents.push(e.uid.__entity || e.uid);
		else e.uid = { ...(e.uid.__entity || e.uid), extra: 1 };
	} break;
	// a uid in __entity form with other members beside it (the reference
	// reads the __entity member alone)
	case 'uid-escape-extra': {
		const extra = pick([{ extra: 1 }, { type: 'Doc', id: 'other' }, { id: 'x' }]);
		const v = pick(['principal', 'resource', 'entity', 'parent']);
		if (v === 'principal' || v === 'resource') call[v] = { __entity: call[v].__entity || call[v], ...extra };
		else if (ents.length) {
			const e = pick(ents);
			if (v === 'entity') e.uid = { __entity: e.uid.__entity || e.uid, ...extra };
			else if (e.parents.length) e.parents[0] = { __entity: e.parents[0], ...extra };
		}
		break;
	}
	// staticPolicies as an array of single policies (ids policy0, ...)
	case 'policies-array': call.policies.staticPolicies = pick([[], c.policies.slice(0, 1).map(renderPolicy), c.policies.slice(0, 2).map(renderPolicy)]); break;
	// a context value of the wrong type or an enum id out of its choices,
	// often with validateRequest false (which skips the request's check)
	case 'context-wrong-value':
		if (call.context && typeof call.context === 'object') {
			const keys = Object.keys(call.context);
			call.context[keys.length ? pick(keys) : 'age'] = pick(['x', 7, true, [1], { type: 'Color', id: 'green' }, { __entity: { type: 'Color', id: 'green' } }]);
			if (call.schema && pick([0, 1])) call.validateRequest = false;
		}
		break;
	case 'bad-extn': call.context[pick(['bad', 'addr'])] = { __extn: { fn: pick(['ip', 'decimal', 'datetime', 'duration', 'nope']), arg: pick(['1.2.3', 'x', '1']) } }; break;
	case 'missing-id': delete call[pick(['principal', 'resource', 'action'])].id; break;
	case 'policy-syntax': call.policies.staticPolicies += pick(['\npermit(principal, action, resource) when { 1 + };', '\nforbid(principal);', '\npermit(principal, action, resource) when { principal.a.b( };']); break;
	case 'template': call.policies.staticPolicies += '\npermit(principal == ?principal, action, resource);'; break;
	case 'attr-wrong-type': if (ents.length && ents[0].attrs) { const e = pick(ents); const k = Object.keys(e.attrs)[0] || 'age'; e.attrs[k] = pick(['str', 5, true, [1], { a: 1 }]); } break;
	case 'undeclared-attr': if (ents.length) pick(ents).attrs.undeclared = 1; break;
	case 'missing-required': if (ents.length) { const e = pick(ents); for (const k of Object.keys(e.attrs)) { delete e.attrs[k]; break; } } break;
	case 'request-type': call.principal = { type: pick(['Doc', 'Folder', 'Nope']), id: 'd1' }; break;
	case 'unknown-action': call.action = { type: 'Action', id: pick(['fly', 'Read']) }; break;
	case 'entity-unknown-member': if (ents.length) pick(ents).extra = 1; break;
	case 'bad-parent': if (ents.length) pick(ents).parents.push(pick([{ type: 'User' }, 'Group::"x"', { type: 'Nope', id: 'x' }])); break;
	case 'context-extra': if (call.context && typeof call.context === 'object') call.context.unexpected = pick([1, 'x', { __entity: { type: 'User', id: 'alice' } }]); break;
	case 'action-entity': ents.push({ uid: { type: 'Action', id: pick(ACTIONS) }, attrs: {}, parents: pick([[], [{ type: 'Action', id: 'all' }]]) }); break;
	case 'unknown-type': ents.push({ uid: { type: pick(['Robot', 'App::User']), id: 'r' }, attrs: {}, parents: [] }); break;
	}
}

// ---------------------------------------------------------------- shrinking
export function* shrinkAuthz(c) {
	const without = (list, i) => list.filter((_, j) => j !== i);
	if (c.flaw) yield { ...c, flaw: null };
	if (c.ns) yield { ...c, ns: false };
	for (let i = 0; i < c.policies.length; i++) if (c.policies.length > 1) yield { ...c, policies: without(c.policies, i) };
	for (let i = 0; i < c.entities.length; i++) yield { ...c, entities: without(c.entities, i) };
	if (c.schema) yield { ...c, schema: null, request: { ...c.request, validateRequest: null } };
	for (let i = 0; i < c.request.context.length; i++) yield { ...c, request: { ...c.request, context: without(c.request.context, i) } };
	for (let i = 0; i < c.policies.length; i++) {
		const p = c.policies[i];
		const set = (q) => ({ ...c, policies: c.policies.map((x, j) => (j === i ? q : x)) });
		for (let k = 0; k < p.conditions.length; k++) yield set({ ...p, conditions: without(p.conditions, k) });
		for (let k = 0; k < 3; k++) if (p.scope[k] !== ['principal', 'action', 'resource'][k])
			yield set({ ...p, scope: p.scope.map((s, j) => (j === k ? ['principal', 'action', 'resource'][k] : s)) });
		if (p.id) yield set({ ...p, id: '' });
		for (let k = 0; k < p.conditions.length; k++)
			for (const e of shrinkNode(p.conditions[k].expr)) yield set({ ...p, conditions: p.conditions.map((x, j) => (j === k ? { ...x, expr: e } : x)) });
	}
	for (let i = 0; i < c.entities.length; i++) {
		const e = c.entities[i];
		const set = (f) => ({ ...c, entities: c.entities.map((x, j) => (j === i ? { ...x, ...f } : x)) });
		for (let k = 0; k < e.attrs.length; k++) yield set({ attrs: without(e.attrs, k) });
		for (let k = 0; k < e.parents.length; k++) yield set({ parents: without(e.parents, k) });
		if (e.tags && e.tags.length) yield set({ tags: e.tags.length > 1 ? e.tags.slice(1) : null });
	}
}

// ---------------------------------------------------------------- extension grids
// Deterministic calls that hold one permit per fact about extension values:
// every constructor on edge literals (valid ones satisfy their policy,
// refused ones error it), and every method and comparison over pairs of
// values, plain and derived (toDate, toTime, offset, durationSince).  The
// reasons and errored policies of one call then pin down every result.
const EDGE_LITS = {
	ip: [...EXT_LITS.ipaddr, ...BAD_LITS.ipaddr, '1.2.3.4/0', '1.2.3.4/32', '::/128', '::ffff:7f00:1', '0.0.0.0', '255.255.255.255/31',
		'fe80::/10', 'ff01::1/16', '1:2:3:4:5:6:7:8', '1::8/64', ' 1.2.3.4', '1.2.3.4 ', '1.2.3', '00::1', '::00001'],
	decimal: [...EXT_LITS.decimal, ...BAD_LITS.decimal, '-0.0', '00001.1', '9223372036854775807.0', '-.5', '1.0e2', '- 1.0', '0.00001'],
	datetime: [...EXT_LITS.datetime, ...BAD_LITS.datetime, '2024-10-15T00:00:00+2359', '2024-10-15T23:59:59.999-2359', '0000-02-29', '1900-02-29',
		'2000-02-29', '2024-04-31', '2024-10-15T11:35:00.12Z', '2024-10-15Z', '2024-10-15T11:35:00z', '1969-12-31', '0000-01-01T00:00:00+0001'],
	duration: [...EXT_LITS.duration, ...BAD_LITS.duration, '-106751991167d', '9223372036854775807ms', '2562047788015215h', '2562047788015216h',
		'-1d1ms', '1m1ms', '1ms1s', '00001d', '1d1d', '-0ms', '9223372036854775s', '9223372036854776s'],
};
function gridCall(policies) {
	return { principal: { type: 'User', id: 'alice' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Doc', id: 'd1' },
		context: {}, policies: { staticPolicies: policies.map((w) => `permit(principal, action, resource) when { ${w} };`).join('\n') }, entities: [] };
}
const q = JSON.stringify;
export function extensionGridCalls() {
	const calls = [];
	// constructors on edge literals
	for (const [fn, lits] of Object.entries(EDGE_LITS)) calls.push([`${fn} literals`, gridCall(lits.map((l) => `${fn}(${q(l)}) == ${fn}(${q(l)})`))]);
	// ipaddr methods and pairs
	const ips = [...EXT_LITS.ipaddr, '1.2.3.4/0', '10.0.0.1/32', '::ffff:7f00:1', 'fe80::/10'].map((l) => `ip(${q(l)})`);
	calls.push(['ip methods', gridCall(ips.flatMap((a) => ['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'].map((m) => `${a}.${m}()`)))]);
	calls.push(['ip pairs', gridCall(ips.flatMap((a) => ips.flatMap((b) => [`${a}.isInRange(${b})`, `${a} == ${b}`])))]);
	// decimal pairs
	const decs = EXT_LITS.decimal.map((l) => `decimal(${q(l)})`);
	calls.push(['decimal pairs', gridCall(decs.flatMap((a) => decs.flatMap((b) => ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'].map((m) => `${a}.${m}(${b})`).concat(`${a} == ${b}`))))]);
	// datetime and duration values, plain and derived, compared pairwise
	const dts = EXT_LITS.datetime.map((l) => `datetime(${q(l)})`);
	const durs = EXT_LITS.duration.map((l) => `duration(${q(l)})`);
	const dtDerived = [...dts, ...dts.map((d) => `${d}.toDate()`), ...dts.slice(0, 6).flatMap((d) => durs.slice(0, 6).map((u) => `${d}.offset(${u})`)),
		'datetime("9999-12-31T23:59:59Z").offset(duration("-9223372036854775808ms"))', 'datetime("0000-01-01").offset(duration("106751991167d"))'];
	const durDerived = [...durs, ...dts.map((d) => `${d}.toTime()`), ...dts.slice(0, 5).flatMap((a) => dts.slice(0, 5).map((b) => `${a}.durationSince(${b})`)),
		'datetime("0000-01-01").durationSince(datetime("9999-12-31"))'];
	const cmp = (xs) => xs.flatMap((a, i) => xs.filter((_, j) => (i * 7 + j) % 3 === 0).flatMap((b) => [`${a} < ${b}`, `${a} <= ${b}`, `${a} == ${b}`]));
	calls.push(['datetime pairs', gridCall(cmp(dtDerived))]);
	calls.push(['duration pairs', gridCall(cmp(durDerived))]);
	// duration conversions against small numbers, zero and each other
	const longs = [-2, -1, 0, 1, 2, 24, 36, 60, 90, 150];
	calls.push(['duration conversions', gridCall(durDerived.flatMap((d) => ['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds']
		.flatMap((m) => longs.map((n) => `${d}.${m}() ${n < 0 ? '<' : '=='} ${n}`))))]);
	calls.push(['datetime limits', gridCall(['datetime("1970-01-01").offset(duration("9223372036854775807ms")) == datetime("1970-01-01")',
		'datetime("1970-01-01").offset(duration("-9223372036854775808ms")).toDate() == datetime("1970-01-01")',
		'datetime("1969-12-31T23:59:59.999Z").toTime() == duration("86399999ms")', 'datetime("1969-12-31T23:59:59.999Z").toDate() == datetime("1969-12-31")',
		'datetime("2024-10-15T00:30:00+0100").toDate() == datetime("2024-10-14")', 'datetime("2024-10-15T23:30:00-0100").toDate() == datetime("2024-10-16")',
		'datetime("2024-10-15") < duration("1d")', 'datetime("2024-10-15") == duration("1d")', 'decimal("1.0") < decimal("2.0")',
		'ip("1.2.3.4") < ip("1.2.3.5")', 'duration("1d") + 1 == 2', '[datetime("2024-10-15"), datetime("2024-10-15T00:00:00Z")] == [datetime("2024-10-15")]',
		'[ip("::1"), ip("::1/128")].containsAll([ip("0::1")])', '{a: decimal("1.0")} == {a: decimal("1.00")}'])]);
	return calls;
}
