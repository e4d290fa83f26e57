/*-------------------------------------------------------------------------
 *
 * json_value.c
 *	  Cedar JSON values (entity attributes and tags, request context, entity
 *	  uids) -> runtime values, as the reference's JSON value parser reads
 *	  them (cedar-policy-core entities/json/value.rs): without a schema the
 *	  escapes {"__entity": {...}} and {"__extn": {...}} must be explicit;
 *	  with a schema type the value is parsed by it, accepting the implicit
 *	  forms ({"type", "id"} for an entity, a bare string for an extension
 *	  value) and refusing what does not conform.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/eval_int.h"
#include "cedar/jsonb_read.h"
#include "cedar/parser.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#define MALFORMED ERRCODE_INVALID_TEXT_REPRESENTATION
#define NONCONFORMING ERRCODE_INVALID_PARAMETER_VALUE

static const CedarValue *json_to_value(const JsonbValue *v, const CedarType *type, bool check_types,
									   const CedarSchema *schema, StringInfo path,
									   int level);

static const char *const value_hint =
"Cedar values in JSON are booleans, 64-bit integers, strings, arrays, objects, {\"__entity\": {\"type\", \"id\"}} and {\"__extn\": {\"fn\", \"arg\"}}.";

static const char *const schema_hint =
"Entities and context must conform to the schema given with the request.";

/* A jsonb string as a counted, NUL-terminated copy */
#define jsonb_string(v) cedarpol_make_string((v)->val.string.val, (v)->val.string.len)

/* A JSON number that is an integer within int64 (serde's i64) */
static bool
numeric_to_int64(Numeric num, int64 *out)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	bool		neg = false;
	int64		v = 0;

	if (*s == '-')
	{
		neg = true;
		s++;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		/* accumulate negatively: -9223372036854775808 fits */
		if (pg_mul_s64_overflow(v, 10, &v) || pg_sub_s64_overflow(v, *s - '0', &v))
			return false;
	}
	if (!neg)
	{
		if (v == PG_INT64_MIN)
			return false;
		v = -v;
	}
	*out = v;
	return true;
}

/* {"type": T, "id": I}: members already read */
static const CedarValue *
uid_from_members(CedarJsonbMember *m, int n, StringInfo path)
{
	const JsonbValue *t = cedar_jsonb_member(m, n, "type");
	const JsonbValue *id = cedar_jsonb_member(m, n, "id");
	CedarString type;

	if (t == NULL || id == NULL || t->type != jbvString || id->type != jbvString)
		authz_error_at(MALFORMED, path,
					   "An entity uid is written {\"type\": \"T\", \"id\": \"I\"} or {\"__entity\": {\"type\": \"T\", \"id\": \"I\"}}.",
					   "an entity uid needs string members \"type\" and \"id\"");
	type = jsonb_string(t);
	if (!cedarpol_is_valid_name(type.data, type.len))
		authz_error_at(MALFORMED, path,
					   "Entity type names are identifiers joined by \"::\", with no spaces.",
					   "\"%s\" is not a valid entity type name", type.data);
	return cedar_value_entity(type, jsonb_string(id));
}

/*
 * {"type": T, "id": I} or {"__entity": {"type": T, "id": I}}, other members
 * ignored; the escape wins when both are there (the reference tries its
 * forms in this order: __expr, which is refused, then __entity, then the
 * implicit form).
 */
const CedarValue *
cedar_json_to_uid(const JsonbValue *v, StringInfo path)
{
	CedarJsonbMember *m;
	int			n;
	const JsonbValue *esc;

	if (!cedar_jsonb_is_object(v))
		authz_error_at(MALFORMED, path, NULL,
					   "an entity uid must be an object, not %s", cedar_jsonb_kind(v));
	m = cedar_jsonb_members(v, &n);
	esc = cedar_jsonb_member(m, n, "__expr");
	if (esc != NULL && esc->type == jbvString)
		authz_error_at(MALFORMED, path, value_hint,
					   "the __expr escape is no longer supported");
	esc = cedar_jsonb_member(m, n, "__entity");
	if (esc != NULL && cedar_jsonb_is_object(esc))
	{
		CedarJsonbMember *em;
		int			en;
		const JsonbValue *t,
				   *id;

		em = cedar_jsonb_members(esc, &en);
		t = cedar_jsonb_member(em, en, "type");
		id = cedar_jsonb_member(em, en, "id");
		if (t != NULL && id != NULL && t->type == jbvString && id->type == jbvString)
		{
			int			saved = cedar_jsonb_push_key(path, "__entity", 8);
			const CedarValue *r = uid_from_members(em, en, path);

			cedar_jsonb_pop(path, saved);
			return r;
		}
	}
	return uid_from_members(m, n, path);
}

void
cedar_check_uid_in_schema(const CedarSchema *schema, const CedarValue *uid,
						  StringInfo path)
{
	const CedarString *type = &uid->u.uid.type;
	const CedarString *id = &uid->u.uid.id;
	CedarEntityTypeDef *def;

	if (schema == NULL)
		return;
	def = cedar_schema_entity_type(schema, type->data, type->len);
	if (def != NULL && def->is_enum)
	{
		bool		found = false;

		for (int i = 0; i < def->nchoices && !found; i++)
			found = def->choices[i].len == id->len &&
				memcmp(def->choices[i].data, id->data, id->len) == 0;
		if (!found)
			authz_error_at(NONCONFORMING, path, schema_hint,
						   "entity %s::\"%s\" is not one of the choices of enumerated type %s",
						   type->data, id->data, type->data);
	}
	if (cedarpol_is_action_type(type) &&
		cedar_schema_action(schema, type->data, type->len, id->data, id->len) == NULL)
		authz_error_at(NONCONFORMING, path, schema_hint,
					   "action %s::\"%s\" is not declared in the schema", type->data, id->data);
}

/* {"fn": F, "arg": A} or {"fn": F, "args": [...]}: NULL if not that form */
static const CedarValue *
extn_call(CedarJsonbMember *m, int n, StringInfo path, int level)
{
	const JsonbValue *fn = cedar_jsonb_member(m, n, "fn");
	const JsonbValue *arg = cedar_jsonb_member(m, n, "arg");
	const JsonbValue *args = cedar_jsonb_member(m, n, "args");
	const CedarValue **vals;
	int			nvals;
	const CedarValue *r;
	const char *why = NULL;

	if (n < 2 || fn == NULL || fn->type != jbvString)
		return NULL;
	if (arg != NULL)
	{
		int			saved = cedar_jsonb_push_key(path, "arg", 3);

		vals = palloc(sizeof(CedarValue *));
		vals[0] = json_to_value(arg, NULL, true, NULL, path, level + 1);
		nvals = 1;
		cedar_jsonb_pop(path, saved);
	}
	else if (args != NULL && cedar_jsonb_is_array(args))
	{
		int			saved = cedar_jsonb_push_key(path, "args", 4);
		JsonbValue *elems = cedar_jsonb_elems(args, &nvals);

		vals = palloc(sizeof(CedarValue *) * Max(nvals, 1));
		for (int i = 0; i < nvals; i++)
		{
			int			s2 = cedar_jsonb_push_index(path, i);

			vals[i] = json_to_value(&elems[i], NULL, true, NULL, path, level + 2);
			cedar_jsonb_pop(path, s2);
		}
		cedar_jsonb_pop(path, saved);
	}
	else
		return NULL;
	r = cedar_ext_call(fn->val.string.val, fn->val.string.len, vals, nvals, &why);
	if (r == NULL)
		authz_error_at(MALFORMED, path, value_hint, "extension function %.*s failed: %s",
					   fn->val.string.len, fn->val.string.val, why ? why : "error");
	return r;
}

/* The declared attribute name of a record type (binary search), or NULL */
static const CedarAttrType *
find_attr_type(const CedarType *rectype, const CedarString *name)
{
	int			lo = 0,
				hi = rectype->nattrs - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = cedar_string_bytes_cmp(&rectype->attrs[mid].name, name);

		if (c == 0)
			return &rectype->attrs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Schemaless parse of an object: escapes, else a record */
static const CedarValue *
object_to_value(const JsonbValue *v, const CedarType *rectype, bool check_types,
				const CedarSchema *schema, StringInfo path, int level)
{
	CedarJsonbMember *m;
	int			n;
	CedarString *keys;
	const CedarValue **vals;
	const CedarValue *r;

	m = cedar_jsonb_members(v, &n);
	if (rectype == NULL && n == 1)
	{
		const char *k = m[0].key.data;

		if (strcmp(k, "__extn") == 0 && cedar_jsonb_is_object(&m[0].val))
		{
			CedarJsonbMember *im;
			int			in;
			int			saved = cedar_jsonb_push_key(path, k, 6);

			im = cedar_jsonb_members(&m[0].val, &in);
			r = extn_call(im, in, path, level + 1);
			cedar_jsonb_pop(path, saved);
			if (r != NULL)
				return r;
		}
		else if (strcmp(k, "__expr") == 0 && m[0].val.type == jbvString)
			authz_error_at(MALFORMED, path, value_hint,
						   "the __expr escape is no longer supported");
		else if (strcmp(k, "__entity") == 0 && cedar_jsonb_is_object(&m[0].val))
		{
			CedarJsonbMember *im;
			int			in;

			im = cedar_jsonb_members(&m[0].val, &in);
			if (in >= 2 && cedar_jsonb_member(im, in, "type") && cedar_jsonb_member(im, in, "type")->type == jbvString &&
				cedar_jsonb_member(im, in, "id") && cedar_jsonb_member(im, in, "id")->type == jbvString)
			{
				int			saved = cedar_jsonb_push_key(path, k, 8);

				r = uid_from_members(im, in, path);
				cedar_jsonb_pop(path, saved);
				cedar_check_uid_in_schema(schema, r, path);
				return r;
			}
		}
	}

	keys = palloc(sizeof(CedarString) * Max(n, 1));
	vals = palloc(sizeof(CedarValue *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		const CedarType *at = NULL;
		int			saved;

		if (rectype != NULL)
		{
			const CedarAttrType *decl = find_attr_type(rectype, &m[i].key);

			if (decl != NULL)
				at = decl->type;
			else if (!rectype->open)
				authz_error_at(NONCONFORMING, path, schema_hint,
							   "attribute \"%s\" is not declared by the schema", m[i].key.data);
		}
		saved = cedar_jsonb_push_key(path, m[i].key.data, m[i].key.len);
		keys[i] = m[i].key;
		vals[i] = json_to_value(&m[i].val, at, check_types, schema, path, level + 1);
		cedar_jsonb_pop(path, saved);
	}
	/* jsonb gives keys sorted by (length, bytes): sort by bytes */
	r = cedar_value_record(keys, vals, n);
	Assert(r != NULL);
	if (rectype != NULL)
	{
		for (int j = 0; j < rectype->nattrs; j++)
			if (rectype->attrs[j].required &&
				cedar_record_get(r, rectype->attrs[j].name.data, rectype->attrs[j].name.len) == NULL)
				authz_error_at(NONCONFORMING, path, schema_hint,
							   "required attribute \"%s\" is missing",
							   rectype->attrs[j].name.data);
	}
	return r;
}

static CedarValueKind
ext_kind(const char *ext)
{
	if (strcmp(ext, "ipaddr") == 0)
		return CEDAR_V_IPADDR;
	if (strcmp(ext, "decimal") == 0)
		return CEDAR_V_DECIMAL;
	if (strcmp(ext, "datetime") == 0)
		return CEDAR_V_DATETIME;
	return CEDAR_V_DURATION;
}

static const char *
ext_constructor(CedarValueKind k)
{
	switch (k)
	{
		case CEDAR_V_IPADDR:
			return "ip";
		case CEDAR_V_DECIMAL:
			return "decimal";
		case CEDAR_V_DATETIME:
			return "datetime";
		default:
			return "duration";
	}
}

pg_attribute_noreturn()
static void
type_mismatch(StringInfo path, const CedarType *type, const char *got)
{
	StringInfoData t;

	initStringInfo(&t);
	cedar_type_append(&t, type);
	authz_error_at(NONCONFORMING, path, schema_hint,
				   "expected a value of type %s, got %s", t.data, got);
}

/* A value of an extension type: __extn escape, {fn, arg}, or a bare string */
static const CedarValue *
ext_value(const JsonbValue *v, const CedarType *type, StringInfo path, int level)
{
	CedarValueKind want = ext_kind(type->ext);
	const CedarValue *r = NULL;

	if (v->type == jbvString)
	{
		const char *why = NULL;
		CedarValue *arg = cedar_value_new(CEDAR_V_STRING);
		const CedarValue *args[1];
		const char *ctor = ext_constructor(want);

		arg->u.str = jsonb_string(v);
		args[0] = arg;
		r = cedar_ext_call(ctor, strlen(ctor), args, 1, &why);
		if (r == NULL)
			authz_error_at(MALFORMED, path, value_hint, "%s(\"%s\") failed: %s",
						   ctor, arg->u.str.data, why ? why : "error");
	}
	else if (cedar_jsonb_is_object(v))
	{
		CedarJsonbMember *m;
		int			n;

		m = cedar_jsonb_members(v, &n);
		if (n == 1 && strcmp(m[0].key.data, "__extn") == 0 && cedar_jsonb_is_object(&m[0].val))
		{
			int			saved = cedar_jsonb_push_key(path, "__extn", 6);

			m = cedar_jsonb_members(&m[0].val, &n);
			r = extn_call(m, n, path, level + 1);
			cedar_jsonb_pop(path, saved);
		}
		else
			r = extn_call(m, n, path, level);
	}
	if (r == NULL)
		type_mismatch(path, type, cedar_jsonb_kind(v));
	if (r->kind != want)
		type_mismatch(path, type, cedar_value_kind_name(r->kind));
	return r;
}

const CedarValue *
cedar_json_to_value(const JsonbValue *v, const CedarType *type, bool check_types,
					const CedarSchema *schema, StringInfo path, int level)
{
	return json_to_value(v, type, check_types, schema, path, level);
}

/*
 * check_types false reads by the schema only the shape (records with the
 * attributes they declare, sets as arrays, extension values from strings,
 * entity uids of any type): Long, Bool and String values, entity types and
 * enum ids are left to request validation, which is how the reference reads
 * a context it will not validate.
 */
static const CedarValue *
json_to_value(const JsonbValue *v, const CedarType *type, bool check_types,
			  const CedarSchema *schema, StringInfo path, int level)
{
	CedarValue *r;

	if (level > CEDAR_JSON_MAX_LEVEL && v->type == jbvBinary)
		authz_error_at(ERRCODE_PROGRAM_LIMIT_EXCEEDED, path,
					   "The call may nest arrays and objects at most 127 levels deep, as the reference reads it.",
					   "JSON nested too deeply");
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();

	if (type != NULL)
	{
		switch (type->kind)
		{
			case CEDAR_T_BOOL:
			case CEDAR_T_TRUE:
			case CEDAR_T_FALSE:
				if (check_types && v->type != jbvBool)
					type_mismatch(path, type, cedar_jsonb_kind(v));
				break;
			case CEDAR_T_LONG:
				if (check_types && v->type != jbvNumeric)
					type_mismatch(path, type, cedar_jsonb_kind(v));
				break;
			case CEDAR_T_STRING:
				if (check_types && v->type != jbvString)
					type_mismatch(path, type, cedar_jsonb_kind(v));
				break;
			case CEDAR_T_SET:
				if (!cedar_jsonb_is_array(v))
					type_mismatch(path, type, cedar_jsonb_kind(v));
				break;
			case CEDAR_T_RECORD:
				if (!cedar_jsonb_is_object(v))
					type_mismatch(path, type, cedar_jsonb_kind(v));
				return object_to_value(v, type, check_types, schema, path, level);
			case CEDAR_T_ENTITY:
			case CEDAR_T_ANY_ENTITY:
				{
					const CedarValue *uid = cedar_json_to_uid(v, path);

					if (!check_types)
						return uid;
					if (type->kind == CEDAR_T_ENTITY)
					{
						bool		ok = false;

						for (int i = 0; i < type->nlub && !ok; i++)
							ok = strlen(type->lub[i]) == uid->u.uid.type.len &&
								memcmp(type->lub[i], uid->u.uid.type.data, uid->u.uid.type.len) == 0;
						if (!ok)
							type_mismatch(path, type, psprintf("an entity of type %s", uid->u.uid.type.data));
					}
					cedar_check_uid_in_schema(schema, uid, path);
					return uid;
				}
			case CEDAR_T_EXT:
				return ext_value(v, type, path, level);
			case CEDAR_T_NEVER:
				type_mismatch(path, type, cedar_jsonb_kind(v));
		}
	}

	switch (v->type)
	{
		case jbvNull:
			authz_error_at(MALFORMED, path, value_hint, "null is not a Cedar value");
			break;
		case jbvBool:
			return cedar_value_bool(v->val.boolean);
		case jbvNumeric:
			r = cedar_value_new(CEDAR_V_LONG);
			if (!numeric_to_int64(v->val.numeric, &r->u.l))
				authz_error_at(MALFORMED, path,
							   "Cedar numbers are 64-bit integers.",
							   "number is not a 64-bit integer");
			return r;
		case jbvString:
			r = cedar_value_new(CEDAR_V_STRING);
			r->u.str = jsonb_string(v);
			return r;
		case jbvBinary:
			if (cedar_jsonb_is_array(v))
			{
				int			n;
				JsonbValue *elems = cedar_jsonb_elems(v, &n);
				const CedarValue **items = palloc(sizeof(CedarValue *) * Max(n, 1));
				const CedarType *et = type ? type->elem : NULL;

				for (int i = 0; i < n; i++)
				{
					int			saved = cedar_jsonb_push_index(path, i);

					items[i] = json_to_value(&elems[i], et, check_types, schema, path, level + 1);
					cedar_jsonb_pop(path, saved);
				}
				return cedar_value_set(items, n);
			}
			return object_to_value(v, NULL, check_types, schema, path, level);
		default:
			break;
	}
	authz_error_at(MALFORMED, path, value_hint, "unexpected JSON value");
	return NULL;
}
