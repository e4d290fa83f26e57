// Seeded random generators of Cedar inputs for the differential tests
// (test/suites/2x-cedar-*-diff, make fuzz-diff): policies (text), schemas
// (text) and policy/schema pairs drawn to be mostly well-typed.  Every draw
// comes from one small PRNG, so a (seed, index) pair names a case for good.
//
// A generated expression is a tree of nodes {f, k, v}: f renders the node
// from the rendered kids k; v marks a node whose kids are list members (set
// elements, record entries, arguments) that the shrinker may drop.  A case
// is an object with lists (annotations, conditions, declarations, ...) that
// the shrinker may shorten, rendered by its own render().

// mulberry32: 32-bit state, good enough for test generation.
export function prng(seed) {
	let s = seed >>> 0;
	const next = () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const r = {
		next,
		int: (n) => Math.floor(next() * n),
		range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
		chance: (p) => next() < p,
		pick: (a) => a[Math.floor(next() * a.length)],
		// weighted: [[w, value], ...]
		wpick: (a) => {
			let t = a.reduce((x, [w]) => x + w, 0) * next();
			for (const [w, v] of a) if ((t -= w) < 0) return v;
			return a[a.length - 1][1];
		},
	};
	return r;
}

// Seed of case i of a run with seed s (cases are independent of each other).
export const caseSeed = (s, i) => (Math.imul(s >>> 0, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) >>> 0;

// ---------------------------------------------------------------- strings
// Characters a string may hold (never U+0000: keycard refuses it by design).
const CHARS = ['a', 'b', 'z', 'A', '0', '9', ' ', '_', '-', '.', ':', '/', '*', '"', '\\', "'",
	'\n', '\t', '\r', '\u0001', '\u001f', '\u007f', 'é', 'ß', '€', '\u2028', '😀', '𝄞', '\u00a0', '{', '}'];

function escChar(r, c, inPattern) {
	const cp = c.codePointAt(0);
	switch (c) {
	case '"': return '\\"';
	case '\\': return '\\\\';
	case '*': return inPattern ? '\\*' : '*';
	case '\n': return r.pick(['\\n', '\\u{a}', '\\x0a']);
	case '\t': return r.pick(['\\t', '\\x09']);
	case '\r': return '\\r';
	case "'": return r.pick(["'", "\\'"]);
	}
	if (cp < 0x20 || cp === 0x7f) return r.chance(0.5) ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
	if (cp > 0x7f && r.chance(0.3)) return `\\u{${cp.toString(16)}}`;
	return c;
}
export function genString(r, max = 8) {
	let s = '';
	const n = r.wpick([[3, 0], [6, r.range(1, 4)], [2, r.range(1, max)]]);
	for (let i = 0; i < n; i++) s += r.chance(0.6) ? r.pick('abcdefxyz') : r.pick(CHARS);
	return s;
}
export const strLit = (r, s) => '"' + [...s].map((c) => escChar(r, c, false)).join('') + '"';

// ---------------------------------------------------------------- names
const IDENTS = ['a', 'b', 'name', 'owner', 'age', 'tags', 'x1', '_y', 'level', 'isPublic', 'ifx',
	'then_', 'contains', 'principal', 'action', 'resource', 'context', 'permit', 'forbid', 'when', 'unless'];
const RESERVED = ['if', 'then', 'else', 'in', 'like', 'has', 'is', 'true', 'false'];
const TYPES = ['User', 'Group', 'Photo', 'Album', 'NS::User', 'NS::Doc', 'A::B::C', 'Ns_2::T'];
const VARS = ['principal', 'action', 'resource', 'context'];

// ---------------------------------------------------------------- expressions
// Precedence: 0 if, 1 ||, 2 &&, 3 relations, 4 + -, 5 *, 6 unary, 7 member, 8 primary
export const P = { IF: 0, OR: 1, AND: 2, REL: 3, ADD: 4, MUL: 5, UN: 6, MEM: 7, PRI: 8 };
export const node = (p, f, k = [], v = false) => ({ p, f, k, v });
export const leaf = (p, text) => node(p, () => text);
// kid c rendered at a position that needs precedence >= min (force: parens anyway)
export function at(c, min, text, force) {
	return (c.p < min || force) ? '(' + text + ')' : text;
}
export function render(n) {
	const texts = n.k.map(render);
	return n.f(texts, n.k);
}

const LONGS = ['0', '1', '7', '42', '255', '65536', '2147483647', '4294967296', '9007199254740993',
	'9223372036854775807', '1000000000000000000'];
function genLong(r) {
	const v = r.chance(0.7) ? String(r.int(100)) : r.pick(LONGS);
	if (r.chance(0.15)) return leaf(P.UN, v === '9223372036854775807' && r.chance(0.5) ? '-9223372036854775808' : '-' + v);
	return leaf(P.PRI, v);
}
const entityRef = (r) => `${r.pick(TYPES)}::${strLit(r, genString(r, 5))}`;

const EXT = {
	decimal: () => ['"1.0"', '"-0.5"', '"922337203685477.5807"', '"3.1416"', '"0.0001"'],
	ip: () => ['"127.0.0.1"', '"10.0.0.0/8"', '"::1"', '"2001:db8::/32"', '"192.168.1.255"'],
	datetime: () => ['"2024-10-15"', '"2024-10-15T11:35:00Z"', '"2024-10-15T11:35:00.123+0130"', '"1970-01-01"'],
	duration: () => ['"1d"', '"2h30m"', '"-1s"', '"1d2h3m4s5ms"', '"0ms"'],
};
const METHODS0 = ['isEmpty', 'isIpv4', 'isIpv6', 'isLoopback', 'isMulticast', 'toDate', 'toTime', 'toDays',
	'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds'];
const METHODS1 = ['contains', 'containsAll', 'containsAny', 'getTag', 'hasTag', 'lessThan', 'lessThanOrEqual',
	'greaterThan', 'greaterThanOrEqual', 'isInRange', 'offset', 'durationSince'];

export function genPattern(r) {
	let s = '';
	const n = r.range(0, 5);
	for (let i = 0; i < n; i++) {
		const k = r.int(6);
		if (k === 0) s += '*';
		else if (k === 1) s += '\\*';
		else s += escChar(r, r.pick(CHARS), true);
	}
	return '"' + s + '"';
}

export function genExpr(r, d) {
	if (d <= 0 || r.chance(0.25)) {
		return r.wpick([
			[3, () => leaf(P.PRI, r.pick(['true', 'false']))],
			[3, () => genLong(r)],
			[3, () => leaf(P.PRI, strLit(r, genString(r)))],
			[2, () => leaf(P.PRI, entityRef(r))],
			[5, () => leaf(P.PRI, r.pick(VARS))],
		])();
	}
	const e = () => genExpr(r, d - 1);
	const paren = r.chance(0.1);
	return r.wpick([
		[3, () => { const op = r.pick(['==', '!=', '<', '<=', '>', '>=', 'in']);
			return node(P.REL, ([a, b], [x, y]) => `${at(x, P.ADD, a, paren)} ${op} ${at(y, P.ADD, b)}`, [e(), e()]); }],
		[2, () => { const op = r.pick(['+', '-']);
			return node(P.ADD, ([a, b], [x, y]) => `${at(x, P.ADD, a)} ${op} ${at(y, P.MUL, b, paren)}`, [e(), e()]); }],
		[1, () => node(P.MUL, ([a, b], [x, y]) => `${at(x, P.MUL, a)} * ${at(y, P.UN, b)}`, [e(), e()])],
		[3, () => node(P.AND, ([a, b], [x, y]) => `${at(x, P.AND, a)} && ${at(y, P.REL, b, paren)}`, [e(), e()])],
		[2, () => node(P.OR, ([a, b], [x, y]) => `${at(x, P.OR, a)} || ${at(y, P.AND, b)}`, [e(), e()])],
		[2, () => { const op = r.pick(['!', '-']);
			return node(P.UN, ([a], [x]) => `${op}${at(x, P.MEM, a)}`, [e()]); }],
		[2, () => node(P.IF, ([a, b, c]) => `if ${a} then ${b} else ${c}`, [e(), e(), e()])],
		[3, () => { const id = r.pick(IDENTS);
			return node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.${id}`, [e()]); }],
		[1, () => { const s = strLit(r, r.chance(0.5) ? r.pick(RESERVED) : genString(r, 4));
			return node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}[${s}]`, [e()]); }],
		[2, () => { const path = r.chance(0.3) ? `${r.pick(IDENTS)}.${r.pick(IDENTS)}` : r.chance(0.2) ? strLit(r, genString(r, 4)) : r.pick(IDENTS);
			return node(P.REL, ([a], [x]) => `${at(x, P.ADD, a)} has ${path}`, [e()]); }],
		[2, () => { const pat = genPattern(r);
			return node(P.REL, ([a], [x]) => `${at(x, P.ADD, a)} like ${pat}`, [e()]); }],
		[2, () => { const t = r.pick(TYPES); const withIn = r.chance(0.4);
			return node(P.REL, ([a, b], [x, y]) => `${at(x, P.ADD, a)} is ${t}` + (withIn ? ` in ${at(y, P.ADD, b)}` : ''), [e(), e()]); }],
		[2, () => node(P.PRI, (ks) => `[${ks.join(', ')}]`, Array.from({ length: r.range(0, 3) }, e), true)],
		[2, () => { const keys = Array.from({ length: r.range(0, 3) }, () => r.chance(0.7) ? r.pick(IDENTS) : strLit(r, genString(r, 4)));
			return node(P.PRI, (ks, kids) => `{${ks.map((t, i) => `${kids[i].key}: ${t}`).join(', ')}}`,
				keys.map((key) => Object.assign(e(), { key })), true); }],
		[2, () => { const fn = r.pick(Object.keys(EXT)); const arg = r.pick(EXT[fn]());
			return leaf(P.PRI, `${fn}(${arg})`); }],
		[2, () => { const m = r.pick(METHODS0); return node(P.MEM, ([a], [x]) => `${at(x, P.MEM, a)}.${m}()`, [e()]); }],
		[3, () => { const m = r.pick(METHODS1); return node(P.MEM, ([a, b], [x]) => `${at(x, P.MEM, a)}.${m}(${b})`, [e(), e()]); }],
	])();
}

// ---------------------------------------------------------------- policies
function genScopeVar(r, v) {
	const k = r.int(6);
	if (k === 0 || k === 1) return v;
	if (k === 2) return `${v} == ${entityRef(r)}`;
	if (k === 3) return `${v} in ${entityRef(r)}`;
	if (k === 4) return `${v} is ${r.pick(TYPES)}`;
	return `${v} is ${r.pick(TYPES)} in ${entityRef(r)}`;
}
const actionRef = (r) => `${r.pick(['Action', 'Action', 'NS::Action'])}::${strLit(r, r.pick(['read', 'write', 'del ete', genString(r, 4)]))}`;
function genActionScope(r) {
	const k = r.int(5);
	if (k <= 1) return 'action';
	if (k === 2) return `action == ${actionRef(r)}`;
	if (k === 3) return `action in ${actionRef(r)}`;
	return `action in [${Array.from({ length: r.range(0, 3) }, () => actionRef(r)).join(', ')}]`;
}
function genAnnotation(r, used) {
	let key;
	do key = r.pick(['id', 'doc', 'advice', 'a', 'x_1', 'if', 'permit', 'principal']); while (used.has(key) && used.size < 8);
	used.add(key);
	return r.chance(0.2) ? `@${key}` : `@${key}(${strLit(r, genString(r))})`;
}

export function genPolicy(r) {
	const used = new Set();
	return {
		annotations: Array.from({ length: r.wpick([[5, 0], [3, 1], [2, r.range(2, 3)]]) }, () => genAnnotation(r, used)),
		effect: r.pick(['permit', 'forbid']),
		scope: [genScopeVar(r, 'principal'), genActionScope(r), genScopeVar(r, 'resource')],
		conditions: Array.from({ length: r.wpick([[2, 0], [5, 1], [2, 2], [1, 3]]) },
			() => ({ kind: r.pick(['when', 'when', 'unless']), expr: genExpr(r, r.range(1, 5)) })),
		ws: r.pick([' ', '\n  ', '  ']),
		comment: r.chance(0.1),
	};
}
export function renderPolicy(p) {
	const head = p.annotations.map((a) => a + '\n').join('') + (p.comment ? '// generated\n' : '');
	const conds = p.conditions.map((c) => `${p.ws}${c.kind} { ${render(c.expr)} }`).join('');
	return `${head}${p.effect}(${p.scope.join(`,${p.ws}`)})${conds};`;
}

// Invalid mutations: a few textual edits of a valid policy (most break it).
const TOKENS = ['(', ')', '{', '}', '[', ']', ',', ';', '.', '::', '==', '!', '&&', '||', 'if', 'then', 'else', 'in',
	'has', 'like', 'is', '"', '1', 'principal', '@', '?principal', '-', '*', 'when', 'unless', 'permit', '9223372036854775808'];
export function mutate(r, text) {
	let t = Array.from(text);	// by code point: never split a surrogate pair
	const n = r.range(1, 2);
	for (let i = 0; i < n; i++) {
		const pos = r.int(t.length + 1);
		const k = r.int(4);
		if (k === 0) t = [...t.slice(0, pos), ...t.slice(pos + r.range(1, 3))];
		else if (k === 1) t = [...t.slice(0, pos), ' ', r.pick(TOKENS), ' ', ...t.slice(pos)];
		else if (k === 2) t = t.slice(0, pos);
		else { const q = r.int(t.length); t = [...t.slice(0, pos), ...t.slice(q, q + r.range(1, 6)), ...t.slice(pos)]; }
	}
	return t.join('');
}

// ---------------------------------------------------------------- schemas
const PRIMS = ['Long', 'String', 'Bool', '__cedar::Long', '__cedar::String', 'ipaddr', 'decimal', 'datetime', 'duration'];
function genSType(r, ctx, d) {
	const k = r.wpick([[6, 'prim'], [2, 'set'], [d > 0 ? 2 : 0, 'rec'], [2, 'ent'], [1, 'act'], [ctx.common.length ? 2 : 0, 'common']]);
	if (k === 'prim') return { t: 'prim', name: r.pick(PRIMS) };
	if (k === 'set') return { t: 'set', el: genSType(r, ctx, d - 1) };
	if (k === 'rec') return genRecord(r, ctx, d - 1);
	if (k === 'ent') return { t: 'ent', name: r.pick(ctx.entities).name };
	// the entity type of the namespace's actions (every generated schema
	// declares some), as written or qualified, or rarely one that no
	// namespace declares actions of
	if (k === 'act') return { t: 'ent', act: true, name: r.wpick([[4, 'Action'], [2, qual(ctx, 'Action')], [1, 'Nope::Action']]) };
	return { t: 'common', name: r.pick(ctx.common).name };
}
function genRecord(r, ctx, d) {
	const names = new Set();
	const attrs = [];
	for (let i = r.range(0, 4); i > 0; i--) {
		const name = r.chance(0.85) ? r.pick(['name', 'age', 'owner', 'level', 'flags', 'ip', 'score', 'since', 'a', 'b']) : r.pick(['x y', 'if', 'ünï', 'in']);
		if (names.has(name)) continue;
		names.add(name);
		attrs.push({ name, opt: r.chance(0.25), type: genSType(r, ctx, d), ann: r.chance(0.05) ? '@doc("a") ' : '' });
	}
	return { t: 'rec', attrs };
}
const attrName = (n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && !RESERVED.includes(n) ? n : JSON.stringify(n);
export function renderSType(t) {
	if (t.t === 'prim' || t.t === 'ent' || t.t === 'common') return t.name;
	if (t.t === 'set') return `Set<${renderSType(t.el)}>`;
	return `{${t.attrs.map((a) => `${a.ann}${attrName(a.name)}${a.opt ? '?' : ''}: ${renderSType(a.type)}`).join(', ')}}`;
}

export function genSchema(r) {
	const ns = r.wpick([[3, 'App'], [1, 'A::B'], [1, '']]);
	const ctx = { ns, entities: [], common: [], actions: [] };
	const n = r.range(1, 5);
	const ENAMES = ['User', 'Group', 'Doc', 'Folder', 'Team', 'Color', 'Device'];
	for (let i = 0; i < n; i++) {
		const e = { name: ENAMES[i], parents: [], shape: null, tags: null, enumv: null };
		if (i > 0 && r.chance(0.15)) e.enumv = [...new Set(Array.from({ length: r.range(1, 3) }, () => r.pick(['red', 'blue', 'a b', 'é'])))];
		ctx.entities.push(e);
	}
	for (let i = r.range(0, 2); i > 0; i--) {
		const c = { name: 'T' + ctx.common.length };
		c.type = r.chance(0.5) ? genRecord(r, ctx, 1) : genSType(r, ctx, 2);
		ctx.common.push(c);
	}
	for (const e of ctx.entities) {
		if (e.enumv) continue;
		e.parents = ctx.entities.filter((p) => p !== e && r.chance(0.3)).map((p) => p.name);
		if (r.chance(0.7)) e.shape = genRecord(r, ctx, 2);
		if (r.chance(0.25)) e.tags = genSType(r, ctx, 1);
	}
	const recCommon = ctx.common.filter((c) => c.type.t === 'rec' || r.chance(0.05));
	const ANAMES = ['read', 'write', 'delete', 'list all', 'admin'];
	for (let i = r.range(1, 4); i >= 0; i--) {
		const a = { name: ANAMES[ctx.actions.length], parents: [], applies: null };
		if (ctx.actions.length && r.chance(0.3)) a.parents = [r.pick(ctx.actions).name];
		const plain = ctx.entities.filter((x) => !x.enumv);
		if (r.chance(0.85) && plain.length) {
			a.applies = {
				principal: [...new Set(Array.from({ length: r.range(1, 2) }, () => r.pick(ctx.entities).name))],
				resource: [...new Set(Array.from({ length: r.range(1, 2) }, () => r.pick(ctx.entities).name))],
				context: r.chance(0.6) ? (recCommon.length && r.chance(0.3) ? { t: 'common', name: r.pick(recCommon).name } : genRecord(r, ctx, 1)) : null,
			};
		}
		ctx.actions.push(a);
		if (ctx.actions.length >= ANAMES.length) break;
	}
	ctx.annotate = r.chance(0.15);
	// sometimes a second namespace that refers to the first one's types
	if (r.chance(0.2)) {
		const e = qual(ctx, r.pick(ctx.entities).name);
		ctx.extra = `namespace Other {\n  entity Thing in [${e}]${r.chance(0.5) ? ` { ref: ${e}, own?: Thing${r.chance(0.3) ? `, act: ${r.pick(['Action', 'Other::Action', qual(ctx, 'Action')])}` : ''} }` : ''};\n` +
			`  action ${r.pick(['x', '"y z"'])} appliesTo { principal: [${e}${r.chance(0.5) ? ', Thing' : ''}], resource: [Thing]${r.chance(0.3) ? ', context: {}' : ''} };\n}\n`;
	}
	return ctx;
}
export function renderSchema(s) {
	const ind = s.ns ? '  ' : '';
	const out = [];
	for (const c of s.common) out.push(`${ind}type ${c.name} = ${renderSType(c.type)};`);
	for (const e of s.entities) {
		let line = `${ind}${s.annotate ? '@doc("entity")\n' + ind : ''}entity ${e.name}`;
		if (e.enumv) line += ` enum [${e.enumv.map((v) => JSON.stringify(v)).join(', ')}]`;
		else {
			if (e.parents.length) line += ` in [${e.parents.join(', ')}]`;
			if (e.shape) line += ` ${renderSType(e.shape)}`;
			if (e.tags) line += ` tags ${renderSType(e.tags)}`;
		}
		out.push(line + ';');
	}
	for (const a of s.actions) {
		let line = `${ind}action ${/^[a-z]+$/.test(a.name) ? a.name : JSON.stringify(a.name)}`;
		if (a.parents.length) line += ` in [${a.parents.map((p) => JSON.stringify(p)).join(', ')}]`;
		if (a.applies) {
			const parts = [`principal: [${a.applies.principal.join(', ')}]`, `resource: [${a.applies.resource.join(', ')}]`];
			if (a.applies.context) parts.push(`context: ${renderSType(a.applies.context)}`);
			line += ` appliesTo { ${parts.join(', ')} }`;
		}
		out.push(line + ';');
	}
	const body = out.join('\n');
	return (s.ns ? `namespace ${s.ns} {\n${body}\n}\n` : body + '\n') + (s.extra || '');
}

// ---------------------------------------------------------------- typed policies
// Expressions of a wanted type against a schema (mostly well-typed).
function qual(s, name) { return s.ns ? `${s.ns}::${name}` : name; }
function resolve(s, t) {
	if (t && t.t === 'common') { const c = s.common.find((x) => x.name === t.name); return c ? resolve(s, c.type) : t; }
	return t;
}
function primOf(t) {
	if (!t || t.t !== 'prim') return t && t.t;
	return t.name.replace('__cedar::', '');
}
// attributes reachable from var v of entity e: [{path, type, opt}]
function attrsOf(s, rec) {
	rec = resolve(s, rec);
	return rec && rec.t === 'rec' ? rec.attrs : [];
}
function genTyped(r, s, env, want, d) {
	const lit = {
		Bool: () => leaf(P.PRI, r.pick(['true', 'false'])),
		Long: () => leaf(P.PRI, String(r.int(1000))),
		String: () => leaf(P.PRI, strLit(r, genString(r, 5))),
	};
	// an attribute access of the wanted primitive, guarded by has when optional
	const cands = [];
	for (const [v, rec] of env) {
		for (const a of attrsOf(s, rec)) {
			if (primOf(resolve(s, a.type)) === want) cands.push({ v, a });
		}
	}
	// an attribute of an action's entity type compared with an action
	const acts = [];
	if (want === 'Bool') for (const [v, rec] of env) for (const a of attrsOf(s, rec)) if (resolve(s, a.type).act && !a.opt) acts.push({ v, a });
	if (acts.length && r.chance(0.3)) {
		const { v, a } = r.pick(acts);
		const access = attrName(a.name) === a.name ? `${v}.${a.name}` : `${v}[${JSON.stringify(a.name)}]`;
		return leaf(P.REL, `${access} ${r.pick(['==', 'in'])} ${qual(s, 'Action')}::${JSON.stringify(r.pick(s.actions).name)}`);
	}
	if (d <= 0 || r.chance(0.2)) {
		if (cands.length && r.chance(0.6)) {
			const { v, a } = r.pick(cands);
			const access = attrName(a.name) === a.name ? `${v}.${a.name}` : `${v}[${JSON.stringify(a.name)}]`;
			if (a.opt && want === 'Bool') return leaf(P.PRI, `(${v} has ${attrName(a.name)} && ${access})`);
			if (a.opt) return leaf(P.IF, `if ${v} has ${attrName(a.name)} then ${access} else ${lit[want] ? render(lit[want]()) : '0'}`);
			return leaf(P.MEM, access);
		}
		return (lit[want] || lit.Bool)();
	}
	const t = (w) => genTyped(r, s, env, w, d - 1);
	if (want === 'Long') {
		return r.wpick([
			[2, () => node(P.ADD, ([a, b], [x, y]) => `${at(x, P.ADD, a)} ${r.pick(['+', '-'])} ${at(y, P.MUL, b)}`, [t('Long'), t('Long')])],
			[1, () => node(P.MUL, ([a, b], [x, y]) => `${at(x, P.MUL, a)} * ${at(y, P.UN, b)}`, [t('Long'), t('Long')])],
			[1, () => node(P.IF, ([a, b, c]) => `if ${a} then ${b} else ${c}`, [t('Bool'), t('Long'), t('Long')])],
			[2, () => t('Long')],
		])();
	}
	if (want === 'String') return r.chance(0.3) ? node(P.IF, ([a, b, c]) => `if ${a} then ${b} else ${c}`, [t('Bool'), t('String'), t('String')]) : t('String');
	return r.wpick([
		[3, () => { const w = r.pick(['Long', 'String', 'Bool']); const op = w === 'Long' ? r.pick(['==', '!=', '<', '<=', '>', '>=']) : r.pick(['==', '!=']);
			return node(P.REL, ([a, b], [x, y]) => `${at(x, P.ADD, a)} ${op} ${at(y, P.ADD, b)}`, [t(w), t(w)]); }],
		[2, () => node(P.AND, ([a, b], [x, y]) => `${at(x, P.AND, a)} && ${at(y, P.REL, b)}`, [t('Bool'), t('Bool')])],
		[2, () => node(P.OR, ([a, b], [x, y]) => `${at(x, P.OR, a)} || ${at(y, P.AND, b)}`, [t('Bool'), t('Bool')])],
		[1, () => node(P.UN, ([a], [x]) => `!${at(x, P.MEM, a)}`, [t('Bool')])],
		[1, () => node(P.REL, ([a], [x]) => `${at(x, P.ADD, a)} like "*${r.pick(['a', 'b*', ''])}"`, [t('String')])],
		[1, () => leaf(P.REL, `principal in ${r.pick(['resource', 'principal'])}`)],
		[1, () => leaf(P.REL, `resource is ${qual(s, r.pick(s.entities).name)}`)],
		[1, () => leaf(P.MEM, `[1, 2].contains(${String(r.int(3))})`)],
		[1, () => leaf(P.REL, `decimal("1.5").lessThan(decimal("${r.int(3)}.0"))`)],
		[1, () => { const [v] = r.pick(env); return leaf(P.REL, `${v} has ${r.pick(['name', 'age', 'owner', 'nope'])}`); }],
		[1, () => node(P.IF, ([a, b, c]) => `if ${a} then ${b} else ${c}`, [t('Bool'), t('Bool'), t('Bool')])],
		[1, () => t('Bool')],
		// where the reference's typing hinges on singleton booleans, operands
		// that failed, tags: literals folded through && and || compared with
		// ==, tag tests, and an ill-typed operand after maybe-false ones
		[1, () => { const op = r.pick(['==', '!=', '==']); const [x, y] = r.chance(0.5) ? [foldedBool(r, 2), foldedBool(r, 1)] : [foldedBool(r, 0), foldedBool(r, 2)];
			return node(P.REL, ([a, b], [p, q]) => `${at(p, P.ADD, a)} ${op} ${at(q, P.ADD, b)}`, [x, y]); }],
		[1, () => genTagTest(r, env, t)],
		[1, () => node(P.AND, ([a, b], [x, y]) => `${at(x, P.AND, a)} && ${at(y, P.REL, b)}`, [t('Bool'), illTyped(r, env)])],
	])();
}
// && and || of boolean literals (the reference folds them into one literal)
function foldedBool(r, d) {
	if (d <= 0 || r.chance(0.3)) return leaf(P.PRI, r.pick(['true', 'false']));
	return r.chance(0.5)
		? node(P.AND, ([a, b], [x, y]) => `${at(x, P.AND, a)} && ${at(y, P.REL, b)}`, [foldedBool(r, d - 1), foldedBool(r, d - 1)])
		: node(P.OR, ([a, b], [x, y]) => `${at(x, P.OR, a)} || ${at(y, P.AND, b)}`, [foldedBool(r, d - 1), foldedBool(r, d - 1)]);
}
// hasTag / getTag on entities with and without tags (and on non-entities),
// with keys of the right and of the wrong type
function genTagTest(r, env, t) {
	const on = r.wpick([[5, () => r.pick(env)[0]], [2, () => r.pick(['{}', '{a: 1}', '1', '[principal]'])]])();
	const key = r.wpick([[5, () => strLit(r, r.pick(['a', 'name', 'x y', '']))], [1, () => '1'], [1, () => r.pick(['principal', 'context', 'true', '["a"]'])]])();
	const other = r.pick(['"a"', '1', 'true', 'action', 'principal', `${on}.getTag(${key})`]);
	return r.wpick([
		[2, () => leaf(P.MEM, `${on}.hasTag(${key})`)],
		[2, () => node(P.AND, ([a], [x]) => `${on}.hasTag(${key}) && ${at(x, P.REL, a)}`, [t('Bool')])],
		[2, () => leaf(P.AND, `${on}.hasTag(${key}) && ${on}.getTag(${key}) == ${other}`)],
		[1, () => leaf(P.REL, `${on}.getTag(${key}) == ${other}`)],
		[2, () => leaf(P.REL, `${on}.hasTag(${key}) == ${other}`)],
	])();
}
// an expression of the wrong type or with a missing attribute
function illTyped(r, env) {
	const [v] = r.pick(env);
	return leaf(P.REL, r.pick([`${v}.nope`, `${v}.getTag(1) == 1`, `${v} has nope && ${v}.nope`, '1 + "a" == 2', `${v} < 1`, `{}.nope`, `if 1 then true else false`]));
}

// A schema plus policies drawn against it (a fraction ill-typed on purpose).
export function genValidation(r) {
	const schema = genSchema(r);
	const policies = [];
	for (let i = r.range(1, 3); i > 0; i--) {
		const acts = schema.actions.filter((a) => a.applies);
		if (!acts.length || r.chance(0.12)) {
			policies.push(genPolicy(r));	// untyped: mostly invalid
			continue;
		}
		const a = r.pick(acts);
		const pt = r.pick(a.applies.principal), rt = r.pick(a.applies.resource);
		const pe = schema.entities.find((e) => e.name === pt), re = schema.entities.find((e) => e.name === rt);
		const env = [['principal', pe.shape], ['resource', re.shape]];
		if (a.applies.context) env.push(['context', a.applies.context]);
		const actRef = `${qual(schema, 'Action')}::${JSON.stringify(a.name)}`;
		const pol = {
			annotations: r.chance(0.2) ? ['@id("p")'] : [],
			effect: r.pick(['permit', 'forbid']),
			scope: [
				r.chance(0.6) ? `principal is ${qual(schema, pt)}` : r.chance(0.5) ? 'principal' : `principal == ${qual(schema, pt)}::"alice"`,
				r.chance(0.7) ? `action == ${actRef}` : r.chance(0.5) ? `action in [${actRef}]` : 'action',
				r.chance(0.6) ? `resource is ${qual(schema, rt)}` : r.chance(0.3) ? `resource in ${qual(schema, rt)}::"r"` : 'resource',
			],
			conditions: Array.from({ length: r.range(0, 2) }, () => ({
				kind: r.pick(['when', 'unless']),
				expr: r.chance(0.1) ? genExpr(r, 2) : genTyped(r, schema, env, 'Bool', r.range(1, 3)),
			})),
			ws: ' ',
			comment: false,
		};
		policies.push(pol);
	}
	return { schema, policies };
}
export const renderValidation = (v) => ({ schema: renderSchema(v.schema), policies: v.policies.map(renderPolicy).join('\n') });

// ---------------------------------------------------------------- shrinking
// Smaller variants of an expression node: each kid in its place, each list
// member dropped, each kid shrunk.
export function* shrinkNode(n) {
	for (const k of n.k) yield Object.assign({}, k, { key: n.key });
	if (n.v) for (let i = 0; i < n.k.length; i++) yield { ...n, k: n.k.filter((_, j) => j !== i) };
	for (let i = 0; i < n.k.length; i++)
		for (const s of shrinkNode(n.k[i])) yield { ...n, k: n.k.map((x, j) => (j === i ? Object.assign(s, { key: x.key }) : x)) };
}
export function* shrinkPolicy(p) {
	for (let i = 0; i < p.annotations.length; i++) yield { ...p, annotations: p.annotations.filter((_, j) => j !== i) };
	for (let i = 0; i < p.conditions.length; i++) yield { ...p, conditions: p.conditions.filter((_, j) => j !== i) };
	for (let i = 0; i < 3; i++) if (p.scope[i] !== ['principal', 'action', 'resource'][i])
		yield { ...p, scope: p.scope.map((s, j) => (j === i ? ['principal', 'action', 'resource'][i] : s)) };
	if (p.comment || p.ws !== ' ') yield { ...p, comment: false, ws: ' ' };
	for (let i = 0; i < p.conditions.length; i++)
		for (const e of shrinkNode(p.conditions[i].expr))
			yield { ...p, conditions: p.conditions.map((c, j) => (j === i ? { ...c, expr: e } : c)) };
}
export function* shrinkSchema(s) {
	const without = (list, i) => list.filter((_, j) => j !== i);
	for (let i = 0; i < s.actions.length; i++) yield { ...s, actions: without(s.actions, i) };
	for (let i = 0; i < s.common.length; i++) yield { ...s, common: without(s.common, i) };
	for (let i = 0; i < s.entities.length; i++) yield { ...s, entities: without(s.entities, i) };
	for (let i = 0; i < s.entities.length; i++) {
		const e = s.entities[i];
		const set = (f) => ({ ...s, entities: s.entities.map((x, j) => (j === i ? { ...x, ...f } : x)) });
		if (e.parents.length) yield set({ parents: [] });
		if (e.shape) yield set({ shape: null });
		if (e.tags) yield set({ tags: null });
		if (e.shape && e.shape.attrs.length) for (let k = 0; k < e.shape.attrs.length; k++)
			yield set({ shape: { ...e.shape, attrs: without(e.shape.attrs, k) } });
	}
	for (let i = 0; i < s.actions.length; i++) {
		const a = s.actions[i];
		const set = (f) => ({ ...s, actions: s.actions.map((x, j) => (j === i ? { ...x, ...f } : x)) });
		if (a.parents.length) yield set({ parents: [] });
		if (a.applies && a.applies.context) yield set({ applies: { ...a.applies, context: null } });
		if (a.applies) yield set({ applies: null });
	}
	if (s.annotate) yield { ...s, annotate: false };
	if (s.extra) yield { ...s, extra: null };
}
export function* shrinkValidation(v) {
	for (let i = 0; i < v.policies.length; i++) if (v.policies.length > 1) yield { ...v, policies: v.policies.filter((_, j) => j !== i) };
	for (let i = 0; i < v.policies.length; i++)
		for (const p of shrinkPolicy(v.policies[i])) yield { ...v, policies: v.policies.map((x, j) => (j === i ? p : x)) };
	for (const s of shrinkSchema(v.schema)) yield { ...v, schema: s };
}
// Greedy: keep the first smaller variant that still fails, up to a budget.
export function shrink(value, variants, fails, budget = 400) {
	let cur = value;
	let progress = true;
	while (progress && budget > 0) {
		progress = false;
		for (const cand of variants(cur)) {
			if (--budget < 0) break;
			if (fails(cand)) { cur = cand; progress = true; break; }
		}
	}
	return cur;
}
