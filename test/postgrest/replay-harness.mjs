// TEST INFRASTRUCTURE, NOT A PRODUCT: a PostgREST 12 replay harness.
//
// PostgREST cannot be installed on the test machines, so the HTTP tests put
// this small server where PostgREST would be (behind the shipped nginx site).
// For each HTTP request it runs exactly the SQL that PostgREST 12 runs, as
// described in shared/spec/postgrest-protocol.md: one transaction
// (BEGIN ... READ ONLY|READ WRITE), the role switch and request.* settings in
// one set_config statement, the db-pre-request function, the main query in
// PostgREST's shape (RPC calls and simple view reads), then COMMIT or ROLLBACK;
// the response is assembled the same way (response.status/response.headers,
// SQLSTATE -> HTTP status, {code, details, hint, message} error bodies).
// JWTs are verified here with an HS256 test secret, as PostgREST's jwt-secret.
//
// Configuration (environment), mirroring postgrest.conf:
//   PGRST_DB_URI            connection for the authenticator role (LOGIN NOINHERIT)
//   PGRST_DB_SCHEMAS        exposed schema (one)              default api
//   PGRST_DB_ANON_ROLE      anonymous role                    default keycard_anon
//   PGRST_DB_PRE_REQUEST    pre-request function              default api.check_request
//   PGRST_DB_EXTRA_SEARCH_PATH                                default public
//   PGRST_JWT_SECRET        HMAC secret (>= 32 characters)
//   PGRST_SERVER_PORT       loopback port                     default 3000
//   REPLAY_LOG              file that receives every SQL statement run (optional)
//
// Not replayed (postgrest-protocol.md section 13 lists why): OpenAPI, writes on
// tables/views, resource embedding, CSV, Range headers, LISTEN/NOTIFY reloads
// (the schema cache is read once at start; restart the harness after DDL).

import http from 'node:http';
import fs from 'node:fs';
import pg from 'pg';
import * as jose from 'jose';

const cfg = {
	dbUri: process.env.PGRST_DB_URI,
	schema: process.env.PGRST_DB_SCHEMAS || 'api',
	anonRole: process.env.PGRST_DB_ANON_ROLE || 'keycard_anon',
	preRequest: process.env.PGRST_DB_PRE_REQUEST ?? 'api.check_request',
	extraSearchPath: (process.env.PGRST_DB_EXTRA_SEARCH_PATH || 'public').split(',').map((s) => s.trim()).filter(Boolean),
	jwtSecret: process.env.PGRST_JWT_SECRET || '',
	port: Number(process.env.PGRST_SERVER_PORT || 3000),
	log: process.env.REPLAY_LOG || null,
};
if (!cfg.dbUri) throw new Error('PGRST_DB_URI is required');
if (cfg.jwtSecret.length < 32) throw new Error('PGRST_JWT_SECRET must have at least 32 characters');

const pool = new pg.Pool({ connectionString: cfg.dbUri, max: 4 });
// PostgREST returns the body text exactly as PostgreSQL produced it.
pg.types.setTypeParser(114, (v) => v);   // json
pg.types.setTypeParser(3802, (v) => v);  // jsonb

const qi = (s) => '"' + String(s).replace(/"/g, '""') + '"';

// ---- schema cache ------------------------------------------------------------
const cache = { functions: new Map(), relations: new Map(), roleSettings: new Map() };

async function loadSchemaCache() {
	const c = await pool.connect();
	try {
		const f = await c.query(`
			SELECT p.proname, p.provolatile, p.proretset, p.pronargs, p.pronargdefaults,
			       coalesce(p.proargnames, '{}') AS argnames, coalesce(p.proargmodes::text[], '{}') AS argmodes,
			       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t) AS argtypes,
			       rt.typname = 'void' AS is_void, rt.typtype = 'c' OR rt.typname = 'record' AS is_composite
			FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace
			JOIN pg_type rt ON rt.oid = p.prorettype
			WHERE n.nspname = $1 AND p.prokind = 'f'`, [cfg.schema]);
		cache.functions.clear();
		for (const r of f.rows) {
			// Only IN / INOUT / VARIADIC arguments are call arguments.
			const names = [];
			for (let i = 0; i < r.pronargs; i++) names.push(r.argnames[i] || '');
			const fn = {
				name: r.proname, volatile: r.provolatile === 'v', retset: r.proretset,
				isVoid: r.is_void, composite: r.is_composite,
				args: names.map((n, i) => ({ name: n, type: r.argtypes[i], required: i < r.pronargs - r.pronargdefaults })),
			};
			if (!cache.functions.has(r.proname)) cache.functions.set(r.proname, []);
			cache.functions.get(r.proname).push(fn);
		}
		const v = await c.query(`
			SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'f', 'p')`, [cfg.schema]);
		cache.relations = new Map(v.rows.map((r) => [r.relname, true]));
		const s = await c.query(`
			SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
			WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))`);
		cache.roleSettings = new Map(s.rows.map((r) => [r.rolname, r.setconfig.map((kv) => kv.split(/=(.*)/s).slice(0, 2))]));
	} finally {
		c.release();
	}
}

// ---- errors ------------------------------------------------------------------
class HttpError extends Error {
	constructor(status, body, headers = {}) {
		super(body.message);
		this.status = status;
		this.body = body;
		this.headers = headers;
	}
}
const pgrstError = (status, code, message, details = null, hint = null, headers = {}) =>
	new HttpError(status, { code, details, hint, message }, headers);

// postgrest-protocol.md section 8.3: first matching row wins.
function pgErrorStatus(code, message, role) {
	const p2 = code.slice(0, 2);
	if (p2 === '08') return 503;
	if (p2 === '09') return 500;
	if (p2 === '0L' || p2 === '0P') return 403;
	if (code === '23503' || code === '23505') return 409;
	if (code === '25006') return 405;
	if (code === '21000') return /requires a WHERE clause$/.test(message) ? 400 : 500;
	if (code === '22023') return 400;   // v12
	if (p2 === '25') return 500;
	if (p2 === '28') return 403;
	if (['2D', '38', '39', '3B', '40'].includes(p2)) return 500;
	if (code === '53400') return 500;
	if (p2 === '53') return 503;
	if (['54', '55'].includes(p2)) return 500;
	if (code === '57P01') return 503;
	if (['57', '58', 'F0', 'HV'].includes(p2)) return 500;
	if (code === 'P0001') return 400;
	if (p2 === 'P0' || p2 === 'XX') return 500;
	if (code === '42883') return message.startsWith('function xmlagg(') ? 406 : 404;
	if (code === '42P01') return 404;
	if (code === '42P17') return 500;
	if (code === '42501') return role === cfg.anonRole ? 401 : 403;
	if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
	return 400;
}

function dbError(e, role) {
	if (e.code === 'PGRST') {
		// Custom error: MESSAGE is the body, DETAIL the status and headers (section 8.4).
		let body, resp;
		try {
			body = JSON.parse(e.message);
			resp = JSON.parse(e.detail);
			if (typeof body.code !== 'string' || typeof body.message !== 'string' || !Number.isInteger(resp.status)) throw new Error();
		} catch {
			return pgrstError(500, 'PGRST121', 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
				`Invalid JSON value for MESSAGE or DETAIL: '${e.message}'`, null);
		}
		return new HttpError(resp.status,
			{ code: body.code, details: body.details ?? null, hint: body.hint ?? null, message: body.message },
			resp.headers || {});
	}
	const status = pgErrorStatus(e.code || 'XX000', e.message || '', role);
	const headers = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
	return new HttpError(status, { code: e.code, details: e.detail ?? null, hint: e.hint ?? null, message: e.message }, headers);
}

// ---- auth (section 9) ----------------------------------------------------------
async function authenticate(headers) {
	const auth = headers.authorization;
	if (auth === undefined) return { role: cfg.anonRole, claims: { role: cfg.anonRole } };
	const m = /^Bearer\s+(.*)$/i.exec(auth);
	const invalid = (desc, code = 'PGRST301') => pgrstError(401, code, desc, null, null,
		{ 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${desc}"` });
	if (!m || m[1].trim() === '') throw invalid('Empty JWT is sent in Authorization header');
	let claims;
	try {
		({ payload: claims } = await jose.jwtVerify(m[1].trim(), new TextEncoder().encode(cfg.jwtSecret),
			{ algorithms: ['HS256', 'HS384', 'HS512'], clockTolerance: 30 }));
	} catch (e) {
		if (e.code === 'ERR_JWT_EXPIRED') throw invalid('JWT expired', 'PGRST303');
		if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw invalid('JWT not yet valid', 'PGRST303');
		throw invalid('JWSError JWSInvalidSignature');
	}
	const role = typeof claims.role === 'string' && claims.role !== '' ? claims.role : cfg.anonRole;
	return { role, claims: { ...claims, role } };
}

// ---- SQL building ------------------------------------------------------------------
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'and', 'or', 'on_conflict']);

function resolveFunction(name, givenKeys, unnamedBody) {
	const cands = cache.functions.get(name) || [];
	const isSingleUnnamed = (f) => f.args.length === 1 && f.args[0].name === '' && ['json', 'jsonb'].includes(f.args[0].type);
	let matches;
	if (unnamedBody) {
		matches = cands.filter(isSingleUnnamed);
		if (matches.length === 0) matches = cands.filter((f) => !isSingleUnnamed(f) && matchesNamed(f, givenKeys));
		else return { fn: matches[0], unnamed: true };
	} else {
		matches = cands.filter((f) => matchesNamed(f, givenKeys));
	}
	if (matches.length === 1) return { fn: matches[0], unnamed: false };
	if (matches.length > 1) {
		throw pgrstError(300, 'PGRST203', `Could not choose the best candidate function between: ${matches.map((f) => `${cfg.schema}.${name}(${f.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`,
			null, 'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
	}
	const sig = [...givenKeys].sort().join(', ');
	throw pgrstError(404, 'PGRST202', `Could not find the function ${cfg.schema}.${name}(${sig}) in the schema cache`,
		`Searched for the function ${cfg.schema}.${name} with parameters ${sig} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`, null);
}
function matchesNamed(f, keys) {
	if (f.args.some((a) => a.name === '')) return f.args.length === 0 && keys.size === 0;
	const names = new Set(f.args.map((a) => a.name));
	for (const k of keys) if (!names.has(k)) return false;
	return f.args.every((a) => !a.required || keys.has(a.name));
}

function buildRpc(method, name, query, body, bodyIsEmpty) {
	const params = [];
	const p = (v) => { params.push(v); return '$' + params.length; };
	let resolved, from, fn;
	const callName = `${qi(cfg.schema)}.${qi(name)}`;
	if (method === 'GET' || method === 'HEAD') {
		const keys = new Set([...query.keys()].filter((k) => !RESERVED.has(k)));
		resolved = resolveFunction(name, keys, false);
		fn = resolved.fn;
		const args = fn.args.filter((a) => keys.has(a.name))
			.map((a) => `${qi(a.name)} := ${p(query.get(a.name))}::${a.type}`);
		from = { call: `${callName}(${args.join(', ')})`, pre: '' };
	} else {
		let obj = {};
		if (!bodyIsEmpty) obj = body;
		const isObj = obj !== null && typeof obj === 'object';
		const keys = new Set(isObj && !Array.isArray(obj) ? Object.keys(obj) : []);
		resolved = resolveFunction(name, keys, true);
		fn = resolved.fn;
		if (resolved.unnamed) {
			from = { call: `${callName}(${p(bodyIsEmpty ? '{}' : JSON.stringify(body))}::${fn.args[0].type})`, pre: '' };
		} else if (fn.args.length === 0 || keys.size === 0) {
			from = { call: `${callName}()`, pre: '' };
		} else {
			const used = fn.args.filter((a) => keys.has(a.name));
			const recfn = Array.isArray(obj) ? 'json_to_recordset' : 'json_to_record';
			from = {
				pre: `(SELECT ${p(JSON.stringify(obj))}::json AS json_data) pgrst_payload, ` +
					`LATERAL (SELECT ${used.map((a) => qi(a.name)).join(', ')} FROM ${recfn}(pgrst_payload.json_data) ` +
					`AS _(${used.map((a) => `${qi(a.name)} ${a.type}`).join(', ')}) LIMIT 1) pgrst_body, `,
				call: `${callName}(${used.map((a) => `${qi(a.name)} := pgrst_body.${qi(a.name)}`).join(', ')})`,
			};
		}
	}
	const scalar = !fn.composite;
	const source = scalar
		? `SELECT pgrst_call.pgrst_scalar FROM ${from.pre}LATERAL (SELECT ${from.call} pgrst_scalar) pgrst_call`
		: `SELECT pgrst_call.* FROM ${from.pre}LATERAL ${from.call} pgrst_call`;
	let bodyExpr;
	if (scalar && !fn.retset) bodyExpr = `coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')`;
	else if (scalar) bodyExpr = `coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')`;
	else if (!fn.retset) bodyExpr = `coalesce(json_agg(_postgrest_t)->0, 'null')`;
	else bodyExpr = `coalesce(json_agg(_postgrest_t), '[]')`;
	const sql = `WITH pgrst_source AS ( ${source} ) ` +
		`SELECT null::bigint AS total_result_set, ${fn.retset ? 'pg_catalog.count(_postgrest_t)' : '1'} AS page_total, ` +
		`${bodyExpr} AS body, ` +
		`nullif(current_setting('response.headers', true), '') AS response_headers, ` +
		`nullif(current_setting('response.status', true), '') AS response_status, ` +
		`'' AS response_inserted ` +
		`FROM ( SELECT ${qi(name)}.* FROM "pgrst_source" AS ${qi(name)} ) _postgrest_t`;
	const readOnly = method === 'GET' || method === 'HEAD' || !fn.volatile;
	return { sql, params, readOnly, isVoid: fn.isVoid, kind: 'rpc' };
}

// Horizontal filters of a view read (section 5), the subset the API needs.
const OPS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'like', ilike: 'ilike', match: '~', imatch: '~*' };
function parseInList(s) {
	const m = /^\((.*)\)$/s.exec(s);
	if (!m) throw pgrstError(400, 'PGRST100', `"failed to parse filter (in.${s})" (line 1, column 4)`, 'unexpected end of input', null);
	const out = [];
	const re = /\s*("((?:[^"\\]|\\.)*)"|[^,]*)\s*(,|$)/gy;
	if (m[1] === '') return out;
	let mm;
	while ((mm = re.exec(m[1])) !== null) {
		out.push(mm[2] !== undefined ? mm[2].replace(/\\(.)/g, '$1') : mm[1]);
		if (mm[3] === '') break;
	}
	return out;
}
const arrayLiteral = (vals) => '{' + vals.map((v) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';

function buildRead(view, query, headers) {
	const params = [];
	const p = (v) => { params.push(v); return '$' + params.length; };
	const rel = `${qi(cfg.schema)}.${qi(view)}`;
	const col = (c) => `${rel}.${qi(c)}`;
	const sel = query.get('select');
	const cols = !sel || sel === '*' ? `${rel}.*` : sel.split(',').map((c) => {
		const m = /^(?:([A-Za-z_][A-Za-z0-9_]*):)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(c.trim());
		if (!m) throw pgrstError(400, 'PGRST100', `"failed to parse select parameter (${sel})"`, null, null);
		return col(m[2]) + (m[1] ? ` AS ${qi(m[1])}` : '');
	}).join(', ');
	const where = [];
	for (const [k, raw] of query) {
		if (RESERVED.has(k)) continue;
		let v = raw, neg = false;
		if (v.startsWith('not.')) { neg = true; v = v.slice(4); }
		const dot = v.indexOf('.');
		const op = dot < 0 ? v : v.slice(0, dot);
		const val = dot < 0 ? '' : v.slice(dot + 1);
		let frag;
		if (op in OPS) {
			const x = op === 'like' || op === 'ilike' ? val.replace(/\*/g, '%') : val;
			frag = `${col(k)} ${OPS[op]} ${p(x)}`;
		} else if (op === 'in') {
			frag = `${col(k)} = ANY (${p(arrayLiteral(parseInList(val)))})`;
		} else if (op === 'is' && ['null', 'not_null', 'true', 'false', 'unknown'].includes(val)) {
			frag = `${col(k)} IS ${val === 'not_null' ? 'NOT NULL' : val.toUpperCase()}`;
		} else {
			throw pgrstError(400, 'PGRST100', `"failed to parse filter (${raw})" (line 1, column ${op.length + 1})`, `unexpected "${val.slice(0, 1)}" expecting operator`, null);
		}
		where.push((neg ? 'NOT ' : '') + frag);
	}
	const order = query.get('order');
	const orderSql = order ? ' ORDER BY ' + order.split(',').map((o) => {
		const [c, ...mods] = o.split('.');
		return col(c) + mods.map((m) => ({ asc: ' ASC', desc: ' DESC', nullsfirst: ' NULLS FIRST', nullslast: ' NULLS LAST' })[m] ?? (() => {
			throw pgrstError(400, 'PGRST100', `"failed to parse order (${order})"`, null, null);
		})()).join('');
	}).join(', ') : '';
	const limit = query.get('limit');
	const offset = query.get('offset') || '0';
	const whereSql = where.length ? ' WHERE ' + where.join(' AND ') : '';
	const limitSql = limit ? ` LIMIT ${p(limit)} OFFSET ${p(offset)}` : (query.has('offset') ? ` LIMIT ALL OFFSET ${p(offset)}` : '');
	const prefer = headers.prefer || '';
	const count = /count=exact/.test(prefer);
	const singular = (headers.accept || '').includes('application/vnd.pgrst.object+json');
	const sql = `WITH pgrst_source AS ( SELECT ${cols} FROM ${rel}${whereSql}${orderSql}${limitSql} )` +
		(count ? `, pgrst_source_count AS ( SELECT 1 FROM ${rel}${whereSql} )` : '') +
		` SELECT ${count ? '(SELECT pg_catalog.count(*) FROM pgrst_source_count)' : 'null::bigint'} AS total_result_set, ` +
		`pg_catalog.count(_postgrest_t) AS page_total, ` +
		(singular ? `coalesce(json_agg(_postgrest_t)->0, 'null')` : `coalesce(json_agg(_postgrest_t), '[]')`) + ` AS body, ` +
		`nullif(current_setting('response.headers', true), '') AS response_headers, ` +
		`nullif(current_setting('response.status', true), '') AS response_status, ` +
		`'' AS response_inserted ` +
		`FROM ( SELECT * FROM pgrst_source ) _postgrest_t`;
	return { sql, params, readOnly: true, kind: 'read', singular, count, offset: Number(offset) };
}

// ---- one request = one transaction (section 2) ----------------------------------------------
function log(text, params) {
	if (cfg.log) fs.appendFileSync(cfg.log, text + (params && params.length ? `  -- ${JSON.stringify(params)}` : '') + ';\n');
}
async function q(client, text, params) {
	log(text, params);
	return client.query(params ? { text, values: params } : text);
}

async function serve(req, rawBody) {
	const url = new URL(req.url, 'http://replay');
	const method = req.method;
	const headers = {};
	for (const [k, v] of Object.entries(req.headers)) if (k !== 'cookie') headers[k] = Array.isArray(v) ? v[v.length - 1] : v;
	const { role, claims } = await authenticate(headers);

	let plan;
	const path = url.pathname;
	const rpc = /^\/rpc\/([^/]+)$/.exec(path);
	if (rpc) {
		if (!['GET', 'HEAD', 'POST'].includes(method)) throw pgrstError(405, 'PGRST101', 'Only GET, HEAD or POST are allowed for RPC', null, null);
		let body = null;
		const bodyIsEmpty = rawBody.length === 0;
		if (method === 'POST' && !bodyIsEmpty) {
			try { body = JSON.parse(rawBody.toString('utf8')); } catch (e) {
				throw pgrstError(400, 'PGRST102', 'Empty or invalid json', null, null);
			}
		}
		plan = buildRpc(method, decodeURIComponent(rpc[1]), url.searchParams, body, bodyIsEmpty);
	} else {
		const m = /^\/([^/]+)$/.exec(path);
		if (!m) throw pgrstError(404, 'PGRST125', `Invalid path specified in request URL`, null, null);
		if (!['GET', 'HEAD'].includes(method)) throw pgrstError(501, 'PGRST127', `the replay harness replays reads of tables and views only (${method} ${path})`, null, null);
		plan = buildRead(decodeURIComponent(m[1]), url.searchParams, headers);
	}

	const searchPath = [cfg.schema, ...cfg.extraSearchPath].map(qi).join(', ');
	const roleSettings = cache.roleSettings.get(role) || [];
	const client = await pool.connect();
	for (let attempt = 0; ; attempt++) {
		try {
			await q(client, `BEGIN ISOLATION LEVEL READ COMMITTED ${plan.readOnly ? 'READ ONLY' : 'READ WRITE'}`);
			const settings = [['search_path', searchPath], ...roleSettings, ['role', role],
				['request.jwt.claims', JSON.stringify(claims)], ['request.method', method], ['request.path', path],
				['request.headers', JSON.stringify(headers)], ['request.cookies', '{}']];
			// Names are constants in PostgREST's statement, values bind parameters.
			await q(client, 'SELECT ' + settings.map(([k], i) => `set_config('${k.replace(/'/g, "''")}', $${i + 1}, true)`).join(', '),
				settings.map(([, v]) => v));
			if (cfg.preRequest) await q(client, `SELECT ${cfg.preRequest.split('.').map(qi).join('.')}()`);
			const r = (await q(client, plan.sql, plan.params)).rows[0];
			if (plan.singular && Number(r.page_total) !== 1) {
				await q(client, 'ROLLBACK');
				throw pgrstError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned',
					`The result contains ${r.page_total} rows`, null);
			}
			await q(client, 'COMMIT');
			client.release();
			return respond(plan, r, method);
		} catch (e) {
			if (!(e instanceof HttpError)) await client.query('ROLLBACK').catch(() => {});
			if (!(e instanceof HttpError) && ['40001', '40P01'].includes(e.code) && attempt < 5) continue;
			client.release();
			if (e instanceof HttpError) throw e;
			if (e.code === undefined) throw e;
			throw dbError(e, role);
		}
	}
}

function respond(plan, r, method) {
	const headers = { 'Content-Type': 'application/json; charset=utf-8' };
	let status = 200;
	if (plan.kind === 'read') {
		const total = r.total_result_set === null ? null : Number(r.total_result_set);
		const n = Number(r.page_total);
		headers['Content-Range'] = n === 0 ? `*/${total ?? '*'}` : `${plan.offset}-${plan.offset + n - 1}/${total ?? '*'}`;
		if (plan.count) headers['Preference-Applied'] = 'count=exact';
		if (total !== null && n < total) status = 206;
	}
	let body = r.body;
	if (plan.isVoid) { status = 204; body = ''; delete headers['Content-Type']; }
	if (r.response_headers !== null) {
		let arr;
		try { arr = JSON.parse(r.response_headers); } catch { arr = null; }
		if (!Array.isArray(arr) || !arr.every((o) => o && typeof o === 'object' && Object.keys(o).length === 1)) {
			throw pgrstError(500, 'PGRST111', 'response.headers guc must be a JSON array composed of objects with a single key and a string value', null, null);
		}
		for (const o of arr) {
			const [k, v] = Object.entries(o)[0];
			const existing = Object.keys(headers).find((h) => h.toLowerCase() === k.toLowerCase());
			if (existing) delete headers[existing];
			headers[k] = String(v);
		}
	}
	if (r.response_status !== null) {
		if (!/^\d+$/.test(r.response_status)) throw pgrstError(500, 'PGRST112', 'response.status guc must be a valid status code', null, null);
		status = Number(r.response_status);
	}
	return { status, headers, body: method === 'HEAD' ? '' : body };
}

function send(res, out) {
	res.writeHead(out.status, out.headers);
	res.end(out.body);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', async () => {
		try {
			send(res, await serve(req, Buffer.concat(chunks)));
		} catch (e) {
			if (e instanceof HttpError) {
				send(res, {
					status: e.status,
					headers: { 'Content-Type': 'application/json; charset=utf-8', 'Proxy-Status': `PostgREST; error=${e.body.code}`, ...e.headers },
					body: JSON.stringify({ code: e.body.code, details: e.body.details, hint: e.body.hint, message: e.body.message }),
				});
			} else {
				console.error(e);
				send(res, { status: 500, headers: { 'Content-Type': 'application/json; charset=utf-8' },
					body: JSON.stringify({ code: 'PGRSTX00', details: String(e.message), hint: null, message: 'replay harness internal error' }) });
			}
		}
	});
});

await loadSchemaCache();
server.listen(cfg.port, '127.0.0.1', () => console.log(`replay harness listening on 127.0.0.1:${cfg.port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); pool.end().finally(() => process.exit(0)); });
