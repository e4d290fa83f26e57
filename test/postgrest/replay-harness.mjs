// TEST INFRASTRUCTURE, NOT A PRODUCT: a replay of PostgREST 12 or 13.
//
// PostgREST cannot be installed on the test machines, so the HTTP tests put
// this small server where PostgREST would be (behind the shipped nginx site).
// For each HTTP request it runs the SQL that the chosen PostgREST version runs
// (shared/spec/postgrest-protocol.md, checked against PostgREST's source at
// tags v12.2.12 and v13.0.8; the comments cite src/PostgREST/<file>:<line> as
// "12:" and "13:"): one transaction (BEGIN ... READ ONLY|READ WRITE), the role
// switch and request.* settings in one set_config statement, the
// db-pre-request function, the main query in PostgREST's shape (RPC calls and
// simple view reads), then COMMIT or ROLLBACK; the response is assembled the
// same way (response.status/response.headers, SQLSTATE -> HTTP status,
// {code, details, hint, message} error bodies).  JWTs are verified here with
// an HS256 test secret, as PostgREST's jwt-secret.
//
// Where the two versions differ, this follows each (--postgrest 12|13, or
// PGRST_VERSION; default 12):
//   Authorization       12: a header that is not "Bearer <token>", or an
//                       empty token, is anonymous (Auth.hs:108 reads a
//                       missing token as "", parseToken "" = no claims);
//                       13: not Bearer is anonymous, "Bearer " with an empty
//                       token is 401 PGRST301 (Auth.hs:62, 168).
//   JWT errors          12: every one is PGRST301, an expired token too
//                       (Auth.hs:75, Error.hs:549-550, 695); 13: decoding
//                       errors PGRST301, claim errors (exp, nbf, iat) PGRST303
//                       (Error.hs:740-742, 755).
//   Proxy-Status        13 only, on every error it answers (Error.hs:510-511,
//                       and the PgrstError Error instance); 12 has none.
//   GET /rpc call       12: the query parameters as one JSON object through
//                       json_to_record (Plan.hs:179, CallPlan.hs:34,
//                       QueryBuilder.hs:193, SqlFragment.hs:299); 13: each
//                       argument bound directly, "name" := $n::type
//                       (Plan.hs:185, QueryBuilder.hs:172).
//   role that does not exist (22023)   12: 400; 13: 401 (Error.hs:605).
// The same in both (cited for 12; 13 unchanged unless noted):
//   * Function choice (Plan.hs:211, 13: 222): a function whose named
//     parameters match the argument keys wins; only when none does, one with
//     a single json/jsonb parameter takes the body as it is.  POST bodies
//     (ApiRequest.hs:255, 13: 260): empty = no keys and raw text '' (so a
//     single unnamed jsonb parameter gets ''::jsonb, 22P02); an object's keys
//     are its members; an array's those of its first object; a scalar or []
//     has no keys and raw text '[]'.  The raw text is bound untouched.
//   * GET arguments: a value that parses as an operator (eq.x, in.(..),
//     not.x) is a filter, not an argument (QueryParams.hs:228); a repeated
//     argument: the last one (HM.fromList).
//   * request.headers: lower-cased names, the LAST of repeated headers
//     (SqlFragment.hs:559, HM.fromList); Authorization: the FIRST (Auth.hs
//     lookup).
//   * RPC responses carry Content-Range (Response.hs:200-218, RangeQuery.hs:96);
//     HEAD runs the call and sends no body; the body is the database's JSON
//     text, untouched.
//   * response.headers: an array of one-member objects with STRING values,
//     else 500 PGRST111 (GucHeader.hs:23); they replace PostgREST's headers
//     of the same name and are all sent, repeated ones too (Response.hs:284).
//     response.status: its leading digits (Response.hs:270).
//   * 401 from a SQLSTATE carries WWW-Authenticate: Bearer (Error.hs:420);
//     an error raised with SQLSTATE PGRST carries only the headers its DETAIL
//     names.
//   * No retry: a serialization failure or deadlock is the answer (500).
//
// Configuration (environment), mirroring postgrest.conf:
//   PGRST_VERSION           12 or 13 (or --postgrest 12|13)   default 12
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
// (the schema cache is read once at start; restart the harness after DDL),
// filters on the result of a function call (501), Content-Types other than JSON.

import http from 'node:http';
import fs from 'node:fs';
import pg from 'pg';
import * as jose from 'jose';

const argVersion = process.argv.indexOf('--postgrest');
const cfg = {
	version: Number(argVersion > 0 ? process.argv[argVersion + 1] : (process.env.PGRST_VERSION || 12)),
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
if (![12, 13].includes(cfg.version)) throw new Error('--postgrest takes 12 or 13');
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
	// 13: Error.hs:605 (a JWT role that does not exist); 12 has no such case.
	if (code === '22023') return cfg.version === 13 && /^role .* does not exist$/.test(message) ? 401 : 400;
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
// Wai's extractBearerAuth: "Bearer" (any case), then the token after the blanks.
function bearerToken(value) {
	if (value === undefined) return undefined;
	const m = /^(\S*)\s*(.*)$/s.exec(value);
	return m[1].toLowerCase() === 'bearer' ? m[2] : undefined;
}
async function authenticate(authorization) {
	const v12 = cfg.version === 12;
	let token = bearerToken(authorization);
	if (v12 && token === undefined) token = '';   // 12: Auth.hs:108, fromMaybe ""
	const anon = () => ({ role: cfg.anonRole, claims: { role: cfg.anonRole } });
	if (token === undefined || (v12 && token === '')) return anon();
	// 12: JwtTokenInvalid (PGRST301) for everything; 13: decode errors PGRST301, claim errors PGRST303.
	const invalid = (desc, claimError) => pgrstError(401, claimError && !v12 ? 'PGRST303' : 'PGRST301', desc, null, null,
		{ 'WWW-Authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(desc)}` });
	if (token === '') throw invalid('Empty JWT is sent in Authorization header');
	const parts = token.split('.').length;
	if (!v12 && parts !== 3) throw invalid(`Expected 3 parts in JWT; got ${parts}`);
	let payload;
	try {
		({ payload } = await jose.compactVerify(token, new TextEncoder().encode(cfg.jwtSecret), { algorithms: ['HS256', 'HS384', 'HS512'] }));
	} catch (e) {
		throw invalid(v12 ? 'JWSError JWSInvalidSignature' : 'JWT cryptographic operation failed');
	}
	let claims;
	try { claims = JSON.parse(new TextDecoder().decode(payload)); } catch { claims = null; }
	if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw invalid(v12 ? 'JWTClaimsSetDecodeError' : 'Parsing claims failed', true);
	// 30 seconds of skew both ways (12: Auth.hs:69; 13: Auth.hs:101).
	const now = Math.floor(Date.now() / 1000);
	if (typeof claims.exp === 'number' && now > claims.exp + 30) throw invalid('JWT expired', true);
	if (typeof claims.nbf === 'number' && now < claims.nbf - 30) throw invalid(v12 ? 'JWTNotYetValid' : 'JWT not yet valid', true);
	if (!v12 && typeof claims.iat === 'number' && now < claims.iat - 30) throw invalid('JWT issued at future', true);
	// jwt-role-claim-key .role: a string as it is, any other JSON value as its encoding; absent: anonymous.
	const role = claims.role === undefined ? cfg.anonRole : typeof claims.role === 'string' ? claims.role : JSON.stringify(claims.role);
	return { role, claims: { ...claims, role } };
}

// ---- SQL building ------------------------------------------------------------------
// Query parameters that are never function arguments (QueryParams.hs: select,
// columns, on_conflict, and keys ending in order, limit, offset, and, or).
const isReservedKey = (k) => ['select', 'columns', 'on_conflict'].includes(k) ||
	['order', 'limit', 'offset', 'and', 'or'].includes(k.split('.').pop());
// An operator expression (QueryParams.hs pOpExpr): such a value is a filter.
const OPERATOR = /^(?:eq|neq|gt|gte|lt|lte|like|ilike|match|imatch)(?:\((?:any|all)\))?\.|^(?:in|is|isdistinct|cs|cd|ov|sl|sr|nxr|nxl|adj)\.|^(?:fts|plfts|phfts|wfts)(?:\([^)]*\))?\./;
function splitRpcQuery(query) {
	const args = new Map();
	const filters = [];
	for (const [k, v] of query) {
		if (isReservedKey(k) || v === '') continue;
		if (v.startsWith('not.')) {
			if (!OPERATOR.test(v.slice(4))) {
				throw pgrstError(400, 'PGRST100', `"failed to parse filter (${v})" (line 1, column 5)`, 'unexpected end of input expecting operator (eq, gt, ...)', null);
			}
			filters.push(k);
		} else if (OPERATOR.test(v)) filters.push(k);
		else args.set(k, v);   // a repeated argument: the last one
	}
	return { args, filters };
}

// Plan.hs:211 findProc.  isPost: a POST call with a JSON body.
function resolveFunction(name, keys, isPost) {
	const cands = cache.functions.get(name) || [];
	const matchesParams = (f) => {
		if (f.args.length === 0) return keys.size === 0;
		const req = f.args.filter((a) => a.required).map((a) => a.name);
		const opt = new Set(f.args.filter((a) => !a.required).map((a) => a.name));
		const rest = new Set([...keys].filter((k) => !opt.has(k)));
		return rest.size === req.length && req.every((r) => rest.has(r));
	};
	const singleJson = (f) => isPost && f.args.length === 1 && ['json', 'jsonb'].includes(f.args[0].type);
	const named = cands.filter(matchesParams);
	const fallback = cands.filter((f) => !matchesParams(f) && singleJson(f));
	const pick = named.length ? named : fallback;
	if (pick.length === 1) return pick[0];
	if (pick.length > 1) {
		throw pgrstError(300, 'PGRST203', `Could not choose the best candidate function between: ${pick.map((f) => `${cfg.schema}.${name}(${f.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`,
			null, 'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
	}
	const sig = [...keys].sort().join(', ');
	throw pgrstError(404, 'PGRST202', `Could not find the function ${cfg.schema}.${name}(${sig}) in the schema cache`,
		`Searched for the function ${cfg.schema}.${name} with parameters ${sig} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`, null);
}

// ApiRequest.hs:255 getPayload/payloadAttributes: the keys and raw text of a POST body.
function postPayload(raw) {
	if (raw.length === 0) return { keys: new Set(), raw: '' };
	let v;
	try { v = JSON.parse(raw.toString('utf8')); } catch {
		throw pgrstError(400, 'PGRST102', 'Empty or invalid json', null, null);
	}
	if (Array.isArray(v)) {
		if (v.length === 0) return { keys: new Set(), raw: '[]' };
		const first = v[0];
		const keysOf = (o) => (o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o).sort().join('\0') : null);
		if (keysOf(first) === null || !v.every((o) => keysOf(o) === keysOf(first))) {
			throw pgrstError(400, 'PGRST102', 'All object keys must match', null, null);
		}
		return { keys: new Set(Object.keys(first)), raw: raw.toString('utf8') };
	}
	if (v !== null && typeof v === 'object') return { keys: new Set(Object.keys(v)), raw: raw.toString('utf8') };
	return { keys: new Set(), raw: '[]' };
}

function buildRpc(method, name, query, rawBody) {
	const params = [];
	const p = (v) => { params.push(v); return '$' + params.length; };
	const callName = `${qi(cfg.schema)}.${qi(name)}`;
	const isGet = method === 'GET' || method === 'HEAD';
	let fn, from;
	// FROM <json body> pgrst_payload, LATERAL json_to_record(set) pgrst_body (SqlFragment.hs:299)
	const fromJsonBody = (json, used) => {
		const recfn = /^[ \t\n\r]*\{/.test(json) ? 'json_to_record' : 'json_to_recordset';
		return `(SELECT ${p(json)}::json AS json_data) pgrst_payload, ` +
			`LATERAL (SELECT ${used.map((a) => qi(a.name)).join(', ')} FROM ${recfn}(pgrst_payload.json_data) ` +
			`AS _(${used.map((a) => `${qi(a.name)} ${a.type}`).join(', ')}) LIMIT 1) pgrst_body, `;
	};
	const viaBody = (used) => `${callName}(${used.map((a) => `${qi(a.name)} := pgrst_body.${qi(a.name)}`).join(', ')})`;
	if (isGet) {
		const { args, filters } = splitRpcQuery(query);
		fn = resolveFunction(name, new Set(args.keys()), false);
		if (filters.length) throw pgrstError(501, 'PGRSTX01', `the replay harness does not replay filters on a function's result (${filters.join(', ')})`, null, null);
		const used = fn.args.filter((a) => args.has(a.name));
		if (used.length === 0) from = { pre: '', call: `${callName}()` };
		else if (cfg.version === 12) from = { pre: fromJsonBody(JSON.stringify(Object.fromEntries(args)), used), call: viaBody(used) };
		else from = { pre: '', call: `${callName}(${used.map((a) => `${qi(a.name)} := ${p(args.get(a.name))}::${a.type}`).join(', ')})` };
	} else {
		const body = postPayload(rawBody);
		fn = resolveFunction(name, body.keys, true);
		if (fn.args.length === 1 && fn.args[0].name === '') {
			// OnePosParam: the raw body as the one argument (SqlFragment.hs singleParameter).
			from = { pre: '', call: `${callName}(${p(body.raw)}::${fn.args[0].type})` };
		} else {
			const used = fn.args.filter((a) => body.keys.has(a.name));
			from = used.length === 0 ? { pre: '', call: `${callName}()` } : { pre: fromJsonBody(body.raw, used), call: viaBody(used) };
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
	const sql = `WITH pgrst_source AS (${source}) ` +
		`SELECT null::bigint AS total_result_set, ${fn.retset ? 'pg_catalog.count(_postgrest_t)' : '1'} AS page_total, ` +
		`(${bodyExpr})::text AS body, ` +
		`nullif(current_setting('response.headers', true), '') AS response_headers, ` +
		`nullif(current_setting('response.status', true), '') AS response_status, ` +
		`'' AS response_inserted ` +
		`FROM (SELECT ${qi(name)}.* FROM "pgrst_source" AS ${qi(name)}) _postgrest_t`;
	const readOnly = isGet || !fn.volatile;
	return { sql, params, readOnly, isVoid: fn.isVoid, kind: 'rpc', offset: 0 };
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
		if (isReservedKey(k)) continue;
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
	// request.headers: lower-cased names, the last of repeated headers, no Cookie (SqlFragment.hs:559).
	const headers = {};
	let authorization;
	for (let i = 0; i < req.rawHeaders.length; i += 2) {
		const k = req.rawHeaders[i].toLowerCase();
		if (k === 'authorization' && authorization === undefined) authorization = req.rawHeaders[i + 1];   // Auth.hs: lookup, the first
		if (k !== 'cookie') headers[k] = req.rawHeaders[i + 1];
	}
	const { role, claims } = await authenticate(authorization);

	let plan;
	const path = url.pathname;
	const rpc = /^\/rpc\/([^/]+)$/.exec(path);
	if (rpc) {
		if (!['GET', 'HEAD', 'POST'].includes(method)) throw pgrstError(405, 'PGRST101', 'Only GET, HEAD or POST are allowed for RPC', null, null);
		plan = buildRpc(method, decodeURIComponent(rpc[1]), url.searchParams, rawBody);
	} else {
		const m = /^\/([^/]+)$/.exec(path);
		if (!m) throw pgrstError(404, 'PGRST125', `Invalid path specified in request URL`, null, null);
		if (!['GET', 'HEAD'].includes(method)) throw pgrstError(501, 'PGRST127', `the replay harness replays reads of tables and views only (${method} ${path})`, null, null);
		plan = buildRead(decodeURIComponent(m[1]), url.searchParams, headers);
	}

	const searchPath = [cfg.schema, ...cfg.extraSearchPath].map(qi).join(', ');
	const roleSettings = cache.roleSettings.get(role) || [];
	const client = await pool.connect();
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
			throw pgrstError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned',
				`The result contains ${r.page_total} rows`, null);
		}
		await q(client, 'COMMIT');
		// Assembled after the transaction ended (12: App.hs:149-150, runQuery then actionResponse):
		// a malformed response.headers is a 500 of a committed call.
		return respond(plan, r, method);
	} catch (e) {
		// No retry (PostgREST has none): a serialization failure or deadlock is the answer.
		await client.query('ROLLBACK').catch(() => {});
		if (e instanceof HttpError || e.code === undefined) throw e;
		throw dbError(e, role);
	} finally {
		client.release();
	}
}

function respond(plan, r, method) {
	// [name, value] pairs: response.headers may repeat a name, and PostgREST sends every one.
	let headers = [['Content-Type', 'application/json; charset=utf-8']];
	let status = 200;
	const n = Number(r.page_total);
	const total = r.total_result_set === null ? null : Number(r.total_result_set);
	// Content-Range on reads and on calls alike (RangeQuery.hs:96).
	const range = n === 0 || total === 0 ? `*/${total ?? '*'}` : `${plan.offset}-${plan.offset + n - 1}/${total ?? '*'}`;
	headers.unshift(['Content-Range', range]);
	if (plan.kind === 'read') {
		if (plan.count) headers.push(['Preference-Applied', 'count=exact']);
		if (total !== null && n < total) status = 206;
	}
	let body = r.body;
	if (plan.isVoid) { status = 204; body = ''; headers = headers.filter(([k]) => k !== 'Content-Type'); }
	if (r.response_headers !== null) {
		let arr;
		try { arr = JSON.parse(r.response_headers); } catch { arr = null; }
		// GucHeader.hs:23: one member, a string value.
		const ok = Array.isArray(arr) && arr.every((o) => o !== null && typeof o === 'object' && !Array.isArray(o) &&
			Object.keys(o).length === 1 && typeof Object.values(o)[0] === 'string');
		if (!ok) {
			throw pgrstError(500, 'PGRST111', 'response.headers guc must be a JSON array composed of objects with a single key and a string value', null, null);
		}
		const guc = arr.map((o) => Object.entries(o)[0]);
		const names = new Set(guc.map(([k]) => k.toLowerCase()));
		// Response.hs:284 addHeadersIfNotIncluded: PostgREST's own headers only where none of the name is set.
		headers = [...headers.filter(([k]) => !names.has(k.toLowerCase())), ...guc];
	}
	if (r.response_status !== null) {
		const m = /^\d+/.exec(r.response_status);   // Response.hs:270: Data.Text.Read.decimal, leading digits
		if (!m) throw pgrstError(500, 'PGRST112', 'response.status guc must be a valid status code', null, null);
		status = Number(m[0]);
	}
	return { status, headers, body: method === 'HEAD' ? '' : body };
}

function send(res, out) {
	res.writeHead(out.status, out.headers.flat());
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
				const headers = [['Content-Type', 'application/json; charset=utf-8'], ...Object.entries(e.headers)];
				if (cfg.version === 13) headers.unshift(['Proxy-Status', `PostgREST; error=${e.body.code}`]);
				send(res, {
					status: e.status, headers,
					body: req.method === 'HEAD' ? '' : JSON.stringify({ code: e.body.code, details: e.body.details, hint: e.body.hint, message: e.body.message }),
				});
			} else {
				console.error(e);
				send(res, { status: 500, headers: [['Content-Type', 'application/json; charset=utf-8']],
					body: JSON.stringify({ code: 'PGRSTX00', details: String(e.message), hint: null, message: 'replay harness internal error' }) });
			}
		}
	});
});

await loadSchemaCache();
server.listen(cfg.port, '127.0.0.1', () => console.log(`replay harness (PostgREST ${cfg.version}) listening on 127.0.0.1:${cfg.port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); pool.end().finally(() => process.exit(0)); });
