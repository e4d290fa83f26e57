/*-------------------------------------------------------------------------
 *
 * zone_log.c
 *	  The per-zone transparency log: an RFC 9162 Merkle tree over every
 *	  registry event of a zone, with inclusion and consistency proofs.
 *
 * Each event (an audit record, a binding change, an attestation) is a leaf:
 * its canonical (JCS) JSON, stored in keycard.zone_log at the next index of
 * the zone (gapless from 0), with its leaf hash SHA-256(0x00 || leaf)
 * (RFC 9162 §2.1.1).  Interior nodes are SHA-256(0x01 || left || right).
 *
 * What proofs need is stored as the tree grows, so that a proof reads
 * O(log n) rows: a leaf row also holds the roots of the complete subtrees
 * that it completes (nodes: level 1, 2, ... as 32-byte hashes one after the
 * other; leaf i completes as many levels as i has trailing one bits), and
 * the roots of the complete subtrees that make up the tree it ends
 * (frontier: one per set bit of leaf_index + 1, largest first), from which
 * the next leaf is appended.  The zone's head (keycard.zone_log_heads) is
 * its last leaf, so an append writes one row per leaf and nothing else.
 *
 * A writer's leaves wait in memory until its transaction commits (those of
 * an aborted subtransaction are dropped); just before the commit they are
 * appended under a transaction advisory lock per zone, taken in zone id
 * order: the last leaf is read with the latest snapshot (every earlier
 * holder of the lock has committed), then the new leaf rows are inserted
 * with one statement.  So indexes are gapless under concurrency, writers of
 * a zone wait for each other only during their commits, and REPEATABLE READ
 * writers see the leaves others committed after their snapshot.
 *
 * The subtree root of the leaves [a, b) that the RFC's recursions ask for
 * is either a complete aligned subtree (one stored hash) or splits at the
 * largest power of two below b - a; the hashes a proof needs are collected
 * first and read with one statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "canon.h"
#include "keycard.h"
#include "registry/registry.h"
#include "sha.h"

PG_FUNCTION_INFO_V1(keycard_zone_log_append);
PG_FUNCTION_INFO_V1(keycard_zone_log_root);
PG_FUNCTION_INFO_V1(keycard_zone_log_inclusion_proof);
PG_FUNCTION_INFO_V1(keycard_zone_log_consistency_proof);

#define HASH_LEN 32

enum
{
	Q_TAIL,
	Q_APPEND,
	Q_APPEND_ONE,
	Q_TAIL_0_2,
	Q_APPEND_0_2,
	Q_SIZE,
	Q_NODES,
	NUM_QUERIES
};

static RegistryQuery queries[NUM_QUERIES] = {
	[Q_TAIL] = {"SELECT l.leaf_index, l.frontier FROM keycard.zone_log l WHERE l.zone_id = $1 "
		"ORDER BY l.leaf_index DESC LIMIT 1", 1, {TEXTOID}},
	/* A commit's leaves of one zone, in the order written. */
	[Q_APPEND] = {"INSERT INTO keycard.zone_log (zone_id, leaf_index, event_id, object_type, object_id, leaf, "
		"leaf_hash, nodes, frontier) SELECT $1, u.* FROM unnest($2, $3, $4, $5, $6, $7, $8, $9) u",
	9, {TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	BYTEAARRAYOID, BYTEAARRAYOID, BYTEAARRAYOID}},
	/*
	 * The same for a database still at 0.2.0 (this library serves it until
	 * ALTER EXTENSION UPDATE), which keeps each zone's frontier in a table of
	 * heads; the update computes the leaves' own frontiers.
	 */
	/* The same for one leaf, the common case: no function scan to set up. */
	[Q_APPEND_ONE] = {"INSERT INTO keycard.zone_log (zone_id, leaf_index, event_id, object_type, object_id, leaf, "
		"leaf_hash, nodes, frontier) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	9, {TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BYTEAOID, BYTEAOID, BYTEAOID}},
	[Q_TAIL_0_2] = {"SELECT h.tree_size - 1, h.frontier FROM keycard.zone_log_heads h WHERE h.zone_id = $1",
	1, {TEXTOID}},
	[Q_APPEND_0_2] = {"WITH h AS (INSERT INTO keycard.zone_log_heads AS x (zone_id, tree_size, frontier) "
		"VALUES ($1, $2[cardinality($2)] + 1, $9[cardinality($9)]) ON CONFLICT (zone_id) DO UPDATE "
		"SET tree_size = excluded.tree_size, frontier = excluded.frontier) "
		"INSERT INTO keycard.zone_log (zone_id, leaf_index, event_id, object_type, object_id, leaf, leaf_hash, nodes) "
		"SELECT $1, u.i, u.e, u.t, u.o, u.l, u.h, u.n FROM unnest($2, $3, $4, $5, $6, $7, $8, $9) u (i, e, t, o, l, h, n, f)",
	9, {TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	BYTEAARRAYOID, BYTEAARRAYOID, BYTEAARRAYOID}},
	[Q_SIZE] = {"SELECT l.leaf_index + 1 FROM keycard.zone_log l WHERE l.zone_id = $1 "
		"ORDER BY l.leaf_index DESC LIMIT 1", 1, {TEXTOID}},
	[Q_NODES] = {"SELECT l.leaf_index, l.leaf_hash, l.nodes FROM keycard.zone_log l "
		"WHERE l.zone_id = $1 AND l.leaf_index = ANY ($2)", 2, {TEXTOID, INT8ARRAYOID}},
};

/* SHA-256(0x01 || left || right) */
static void
node_hash(const uint8 *left, const uint8 *right, uint8 *out)
{
	uint8		buf[1 + 2 * HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, HASH_LEN);
	memcpy(buf + 1 + HASH_LEN, right, HASH_LEN);
	sha256_bytes(buf, sizeof(buf), out);
}

static bytea *
make_bytea(const uint8 *data, int len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	if (len > 0)
		memcpy(VARDATA(b), data, len);
	return b;
}

/* First key of a zone log's advisory lock (the second is a hash of the zone id). */
#define LOG_LOCK_CLASS 1801675529

/*
 * Leaves waiting for their transaction's commit, in the order they were
 * written, in TopTransactionContext; subxact is the subtransaction that
 * wrote each (an aborted one takes its leaves with it).
 */
typedef struct PendingLeaf
{
	struct PendingLeaf *next;
	SubTransactionId subxact;
	char	   *zone_id;
	char	   *event_id;
	char	   *object_type;
	char	   *object_id;
	char	   *leaf;
	int			len;
} PendingLeaf;

/* keycard.zone_log_skip: benchmarks measure the registry without the log. */
static bool zone_log_skip = false;

void
keycard_zone_log_init(void)
{
	DefineCustomBoolVariable("keycard.zone_log_skip",
							 "For benchmarks only: registry events append no leaf to their zone's log.",
							 "verify_zone then reports every such event as missing_log_leaf.",
							 &zone_log_skip,
							 false,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
}

static PendingLeaf *pending_head = NULL;
static PendingLeaf *pending_tail = NULL;
static bool callbacks_registered = false;

/*
 * Appends the pending leaves of one zone (SPI connected, the zone's log lock
 * held), in the order they were written: reads the zone's last leaf with the
 * latest snapshot (what the lock holders before committed), hashes each
 * leaf and the subtrees it completes, and inserts the leaf rows with one
 * statement.
 */
static void
append_zone(const char *zone, bool layout_0_2)
{
	Datum		values[9];
	bool		isnull;
	int64		n = 0;
	int			flen = 0;
	uint8	   *f;
	int			count = 0;
	int			i = 0;
	Datum	   *indexes,
			   *event_ids,
			   *object_types,
			   *object_ids,
			   *leaves,
			   *leaf_hashes,
			   *nodes_of,
			   *frontiers;

	/* Room for one root per bit of a tree size. */
	f = palloc(64 * HASH_LEN);
	values[0] = CStringGetTextDatum(zone);
	if (registry_run_latest(&queries[layout_0_2 ? Q_TAIL_0_2 : Q_TAIL], values, NULL, 1) == 1)
	{
		bytea	   *frontier = DatumGetByteaPP(registry_result(2, &isnull));

		n = DatumGetInt64(registry_result(1, &isnull)) + 1;
		flen = VARSIZE_ANY_EXHDR(frontier);
		if (flen != pg_popcount64((uint64) n) * HASH_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the log of zone \"%s\" is damaged at leaf " INT64_FORMAT, zone, n - 1),
					 errdetail("A tree of " INT64_FORMAT " leaves has %d subtree roots, the leaf holds %d bytes of them.",
							   n, pg_popcount64((uint64) n), flen),
					 errhint("keycard.verify_zone reports what else differs.")));
		memcpy(f, VARDATA_ANY(frontier), flen);
	}

	for (PendingLeaf *p = pending_head; p; p = p->next)
		if (strcmp(p->zone_id, zone) == 0)
			count++;
	indexes = palloc(sizeof(Datum) * count);
	event_ids = palloc(sizeof(Datum) * count);
	object_types = palloc(sizeof(Datum) * count);
	object_ids = palloc(sizeof(Datum) * count);
	leaves = palloc(sizeof(Datum) * count);
	leaf_hashes = palloc(sizeof(Datum) * count);
	nodes_of = palloc(sizeof(Datum) * count);
	frontiers = palloc(sizeof(Datum) * count);
	for (PendingLeaf *p = pending_head; p; p = p->next)
	{
		uint8		h[HASH_LEN];
		uint8		nodes[64 * HASH_LEN];
		int			levels = 0;
		char	   *buf;

		if (strcmp(p->zone_id, zone) != 0)
			continue;
		/* The leaf hash, then every subtree the new leaf completes. */
		buf = palloc(p->len + 1);
		buf[0] = 0x00;
		memcpy(buf + 1, p->leaf, p->len);
		sha256_bytes(buf, p->len + 1, h);
		pfree(buf);
		leaf_hashes[i] = PointerGetDatum(make_bytea(h, HASH_LEN));
		while ((n >> levels) & 1)
		{
			flen -= HASH_LEN;
			node_hash(f + flen, h, h);
			memcpy(nodes + levels * HASH_LEN, h, HASH_LEN);
			levels++;
		}
		memcpy(f + flen, h, HASH_LEN);
		flen += HASH_LEN;

		indexes[i] = Int64GetDatum(n);
		event_ids[i] = CStringGetTextDatum(p->event_id);
		object_types[i] = CStringGetTextDatum(p->object_type);
		object_ids[i] = CStringGetTextDatum(p->object_id);
		leaves[i] = PointerGetDatum(cstring_to_text_with_len(p->leaf, p->len));
		nodes_of[i] = PointerGetDatum(make_bytea(nodes, levels * HASH_LEN));
		frontiers[i] = PointerGetDatum(make_bytea(f, flen));
		n++;
		i++;
	}
	if (count == 1 && !layout_0_2)
	{
		values[1] = indexes[0];
		values[2] = event_ids[0];
		values[3] = object_types[0];
		values[4] = object_ids[0];
		values[5] = leaves[0];
		values[6] = leaf_hashes[0];
		values[7] = nodes_of[0];
		values[8] = frontiers[0];
		registry_run_latest(&queries[Q_APPEND_ONE], values, NULL, 0);
		return;
	}
	values[1] = PointerGetDatum(construct_array(indexes, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_array(event_ids, count, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(object_types, count, TEXTOID, -1, false, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(object_ids, count, TEXTOID, -1, false, TYPALIGN_INT));
	values[5] = PointerGetDatum(construct_array(leaves, count, TEXTOID, -1, false, TYPALIGN_INT));
	values[6] = PointerGetDatum(construct_array(leaf_hashes, count, BYTEAOID, -1, false, TYPALIGN_INT));
	values[7] = PointerGetDatum(construct_array(nodes_of, count, BYTEAOID, -1, false, TYPALIGN_INT));
	values[8] = PointerGetDatum(construct_array(frontiers, count, BYTEAOID, -1, false, TYPALIGN_INT));
	registry_run_latest(&queries[layout_0_2 ? Q_APPEND_0_2 : Q_APPEND], values, NULL, 0);
}

static int
zone_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * At commit: each zone's log lock in zone id order (no deadlock between two
 * committers of several zones), then the zone's leaves in the order written.
 * The locks are held for the rest of the commit only.
 */
static void
flush_pending(void)
{
	int			nzones = 0;
	char	  **zones;
	Oid			log_relid;
	HeapTuple	rel;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	bool		layout_0_2;

	if (pending_head == NULL)
		return;
	/*
	 * A database still at 0.1.0 (this library serves it until ALTER
	 * EXTENSION UPDATE) has no log: the update fills it from the rows.
	 */
	log_relid = get_relname_relid("zone_log", get_namespace_oid("keycard", false));
	if (!OidIsValid(log_relid))
	{
		pending_head = pending_tail = NULL;
		return;
	}
	layout_0_2 = get_attnum(log_relid, "frontier") == InvalidAttrNumber;
	/* The commit may run as any role: the log is written as its owner. */
	rel = SearchSysCache1(RELOID, ObjectIdGetDatum(log_relid));
	if (!HeapTupleIsValid(rel))
		elog(ERROR, "cache lookup failed for relation %u", log_relid);
	owner = ((Form_pg_class) GETSTRUCT(rel))->relowner;
	ReleaseSysCache(rel);
	for (PendingLeaf *p = pending_head; p; p = p->next)
		nzones++;
	zones = palloc(sizeof(char *) * nzones);
	nzones = 0;
	for (PendingLeaf *p = pending_head; p; p = p->next)
		zones[nzones++] = p->zone_id;
	qsort(zones, nzones, sizeof(char *), zone_cmp);
	for (int i = 0; i < nzones; i++)
	{
		if (i > 0 && strcmp(zones[i], zones[i - 1]) == 0)
			continue;
		DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(LOG_LOCK_CLASS),
							Int32GetDatum(DatumGetInt32(hash_any((const unsigned char *) zones[i],
																 strlen(zones[i])))));
	}

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	for (int i = 0; i < nzones; i++)
		if (i == 0 || strcmp(zones[i], zones[i - 1]) != 0)
			append_zone(zones[i], layout_0_2);
	PopActiveSnapshot();
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	pending_head = pending_tail = NULL;
}

static void
log_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			flush_pending();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
			/* (the memory goes with TopTransactionContext) */
			pending_head = pending_tail = NULL;
			break;
		default:
			break;
	}
}

static void
log_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	PendingLeaf *kept = NULL;
	PendingLeaf *tail = NULL;

	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (PendingLeaf *p = pending_head; p; p = p->next)
			if (p->subxact == mySubid)
				p->subxact = parentSubid;
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* Leaves of the aborted subtransaction and of its children go. */
		for (PendingLeaf *p = pending_head, *next; p; p = next)
		{
			next = p->next;
			if (p->subxact >= mySubid)
				continue;
			p->next = NULL;
			if (tail)
				tail->next = p;
			else
				kept = p;
			tail = p;
		}
		pending_head = kept;
		pending_tail = tail;
	}
}

void
registry_log_append(text *zone_id, const char *event_id, const char *object_type,
					const char *object_id, const char *leaf, int len)
{
	MemoryContext old;
	PendingLeaf *p;

	if (zone_log_skip)
		return;
	if (!callbacks_registered)
	{
		RegisterXactCallback(log_xact_callback, NULL);
		RegisterSubXactCallback(log_subxact_callback, NULL);
		callbacks_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc0(sizeof(PendingLeaf));
	p->subxact = GetCurrentSubTransactionId();
	p->zone_id = text_to_cstring(zone_id);
	p->event_id = pstrdup(event_id);
	p->object_type = pstrdup(object_type);
	p->object_id = pstrdup(object_id);
	p->leaf = pnstrdup(leaf, len);
	p->len = len;
	MemoryContextSwitchTo(old);
	if (pending_tail)
		pending_tail->next = p;
	else
		pending_head = p;
	pending_tail = p;
}

/*
 * SQL function: keycard.zone_log_append(zone_id text, event_id text,
 *   object_type text, object_id text, leaf jsonb) returns void
 *
 * Internal: appends the JCS form of leaf when the transaction commits (the
 * upgrade fills the logs of zones created before them this way).
 */
Datum
keycard_zone_log_append(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	registry_require_writable("keycard.zone_log_append()");
	/* The transaction writes (at its commit): it has an xid from now on. */
	(void) GetCurrentTransactionId();
	initStringInfo(&buf);
	jcs_append_jsonb(&buf, PG_GETARG_JSONB_P(4));
	registry_log_append(PG_GETARG_TEXT_PP(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
						text_to_cstring(PG_GETARG_TEXT_PP(2)),
						text_to_cstring(PG_GETARG_TEXT_PP(3)), buf.data, buf.len);
	PG_RETURN_VOID();
}

/* Proofs ----------------------------------------------------------------------- */

/*
 * The hashes a computation needs, as (level, index) of complete aligned
 * subtrees: level 0 is a leaf hash, level L > 0 the root of leaves
 * [index * 2^L, (index + 1) * 2^L), stored with the leaf that completes it.
 * The first pass (have == false) records the keys and yields zeros; then
 * fetch_nodes reads them all; the second pass yields the hashes.
 */
typedef struct NodeSet
{
	int			n;
	int			cap;
	int		   *level;
	int64	   *index;
	uint8	   *hash;
	bool		have;
	text	   *zone_id;
} NodeSet;

static const uint8 *
node_get(NodeSet *s, int level, int64 index)
{
	static const uint8 zero[HASH_LEN];

	for (int i = 0; i < s->n; i++)
		if (s->level[i] == level && s->index[i] == index)
			return s->have ? s->hash + i * HASH_LEN : zero;
	if (s->have)
		elog(ERROR, "zone log node (%d, " INT64_FORMAT ") was not read", level, index);
	if (s->n == s->cap)
	{
		s->cap *= 2;
		s->level = repalloc(s->level, sizeof(int) * s->cap);
		s->index = repalloc(s->index, sizeof(int64) * s->cap);
	}
	s->level[s->n] = level;
	s->index[s->n] = index;
	s->n++;
	return zero;
}

static void
fetch_nodes(NodeSet *s)
{
	Datum	   *rows = palloc(sizeof(Datum) * Max(s->n, 1));
	Datum		values[2];

	s->hash = palloc0(HASH_LEN * Max(s->n, 1));
	for (int i = 0; i < s->n; i++)
		rows[i] = Int64GetDatum(((s->index[i] + 1) << s->level[i]) - 1);
	values[0] = PointerGetDatum(s->zone_id);
	values[1] = PointerGetDatum(construct_array(rows, s->n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	registry_run(&queries[Q_NODES], values, NULL, 0);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		int64		row = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		bytea	   *leaf_hash = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
		bytea	   *nodes = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 3, &isnull));

		for (int i = 0; i < s->n; i++)
		{
			const char *src;
			int			have;

			if (((s->index[i] + 1) << s->level[i]) - 1 != row)
				continue;
			if (s->level[i] == 0)
			{
				src = VARDATA_ANY(leaf_hash);
				have = VARSIZE_ANY_EXHDR(leaf_hash);
			}
			else
			{
				src = VARDATA_ANY(nodes) + (s->level[i] - 1) * HASH_LEN;
				have = VARSIZE_ANY_EXHDR(nodes) - (s->level[i] - 1) * HASH_LEN;
			}
			if (have < HASH_LEN)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("zone log row " INT64_FORMAT " of zone \"%s\" is damaged", row,
								text_to_cstring(s->zone_id)),
						 errdetail("It lacks the hash of level %d.", s->level[i])));
			memcpy(s->hash + i * HASH_LEN, src, HASH_LEN);
		}
	}
	if (SPI_processed != (uint64) s->n)
	{
		/* Keys may share a row; count the distinct rows. */
		int			distinct = 0;

		for (int i = 0; i < s->n; i++)
		{
			bool		seen = false;

			for (int j = 0; j < i && !seen; j++)
				seen = DatumGetInt64(rows[j]) == DatumGetInt64(rows[i]);
			distinct += !seen;
		}
		if (SPI_processed != (uint64) distinct)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the log of zone \"%s\" is missing rows", text_to_cstring(s->zone_id))));
	}
	s->have = true;
}

/* Largest power of two strictly below n (n >= 2). */
static int64
split_point(int64 n)
{
	return (int64) 1 << pg_leftmost_one_pos64((uint64) (n - 1));
}

/* MTH(D[a:b]) for a range the RFC's recursions produce. */
static void
subtree_root(NodeSet *s, int64 a, int64 b, uint8 *out)
{
	int64		n = b - a;

	if ((n & (n - 1)) == 0 && a % n == 0)
	{
		memcpy(out, node_get(s, pg_rightmost_one_pos64((uint64) n), a / n), HASH_LEN);
		return;
	}
	else
	{
		int64		k = split_point(n);
		uint8		l[HASH_LEN];
		uint8		r[HASH_LEN];

		subtree_root(s, a, a + k, l);
		subtree_root(s, a + k, b, r);
		node_hash(l, r, out);
	}
}

/* Appends PATH(m, D[a:b]) (RFC 9162 §2.1.3.1), leaf side first, to out. */
static void
inclusion_path(NodeSet *s, int64 m, int64 a, int64 b, StringInfo out, int *count)
{
	int64		k;
	uint8		h[HASH_LEN];

	if (b - a <= 1)
		return;
	k = split_point(b - a);
	if (m < k)
	{
		inclusion_path(s, m, a, a + k, out, count);
		subtree_root(s, a + k, b, h);
	}
	else
	{
		inclusion_path(s, m - k, a + k, b, out, count);
		subtree_root(s, a, a + k, h);
	}
	appendBinaryStringInfo(out, (char *) h, HASH_LEN);
	(*count)++;
}

/* Appends SUBPROOF(m, D[a:b], flag) (RFC 9162 §2.1.4.1) to out. */
static void
consistency_subproof(NodeSet *s, int64 m, int64 a, int64 b, bool flag, StringInfo out, int *count)
{
	int64		k;
	uint8		h[HASH_LEN];

	if (m == b - a)
	{
		if (flag)
			return;
		subtree_root(s, a, b, h);
	}
	else
	{
		k = split_point(b - a);
		if (m <= k)
		{
			consistency_subproof(s, m, a, a + k, flag, out, count);
			subtree_root(s, a + k, b, h);
		}
		else
		{
			consistency_subproof(s, m - k, a + k, b, false, out, count);
			subtree_root(s, a, a + k, h);
		}
	}
	appendBinaryStringInfo(out, (char *) h, HASH_LEN);
	(*count)++;
}

/* Lowercase hex of a hash into out[2 * HASH_LEN + 1]. */
static void
hex_of(const uint8 *h, char *out)
{
	out[hex_encode((const char *) h, HASH_LEN, out)] = '\0';
}

/* The zone's tree_size (SPI connected); not_found unless the zone has a log. */
static int64
tree_size(text *zone_id)
{
	Datum		v = PointerGetDatum(zone_id);
	bool		isnull;

	if (registry_run(&queries[Q_SIZE], &v, NULL, 1) == 0)
		return 0;
	return DatumGetInt64(registry_result(1, &isnull));
}

static void
check_size(text *zone_id, int64 size, int64 current, const char *what)
{
	if (size < 0 || size > current)
		registry_error("invalid_request",
					   psprintf("The zone's log holds " INT64_FORMAT " leaves.", current),
					   "Ask for a size between 0 and the tree_size of a signed head.",
					   "%s " INT64_FORMAT " is beyond the log of zone \"%s\"", what, size,
					   text_to_cstring(zone_id));
}

static NodeSet *
node_set(text *zone_id)
{
	NodeSet    *s = palloc0(sizeof(NodeSet));

	s->cap = 64;
	s->level = palloc(sizeof(int) * s->cap);
	s->index = palloc(sizeof(int64) * s->cap);
	s->zone_id = zone_id;
	return s;
}

/* A jsonb array of hex hashes from n consecutive 32-byte hashes. */
static Jsonb *
hex_hash_array(const uint8 *hashes, int n)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		char	   *hex = palloc(2 * HASH_LEN + 1);

		hex_of(hashes + i * HASH_LEN, hex);
		v.type = jbvString;
		v.val.string.val = hex;
		v.val.string.len = 2 * HASH_LEN;
		pushJsonbValue(&state, WJB_ELEM, &v);
	}
	res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
}

/* The hex root of the first size leaves (SPI connected, size checked). */
static char *
root_hex(text *zone_id, int64 size)
{
	uint8		h[HASH_LEN];
	char	   *hex = palloc(2 * HASH_LEN + 1);

	if (size == 0)
		sha256_bytes("", 0, h);
	else
	{
		NodeSet    *s = node_set(zone_id);

		subtree_root(s, 0, size, h);
		fetch_nodes(s);
		subtree_root(s, 0, size, h);
	}
	hex_of(h, hex);
	return hex;
}

/*
 * SQL function: keycard.zone_log_root(zone_id text, tree_size bigint) returns text
 *
 * Internal (zone_log_head and the API check the zone): MTH of the first
 * tree_size leaves as hex.
 */
Datum
keycard_zone_log_root(PG_FUNCTION_ARGS)
{
	text	   *zone_id = PG_GETARG_TEXT_PP(0);
	int64		size = PG_GETARG_INT64(1);
	char	   *hex;

	MemoryContext caller = CurrentMemoryContext;

	SPI_connect();
	check_size(zone_id, size, tree_size(zone_id), "tree_size");
	hex = MemoryContextStrdup(caller, root_hex(zone_id, size));
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}

/*
 * SQL function: keycard.zone_log_inclusion_proof(zone_id text, leaf_index
 *   bigint, tree_size bigint) returns jsonb
 *
 * {"leaf_index", "tree_size", "leaf_hash", "root_hash", "audit_path": [...]}
 * with the path as RFC 9162 §2.1.3.1 gives it (the leaf's sibling first).
 * The caller's zone check is done by the SQL wrapper.
 */
Datum
keycard_zone_log_inclusion_proof(PG_FUNCTION_ARGS)
{
	text	   *zone_id = PG_GETARG_TEXT_PP(0);
	int64		m = PG_GETARG_INT64(1);
	int64		size = PG_GETARG_INT64(2);
	NodeSet    *s;
	StringInfoData path;
	int			count = 0;
	uint8		root[HASH_LEN];
	char		hex[2 * HASH_LEN + 1];
	char		leaf_hex[2 * HASH_LEN + 1];
	StringInfoData json;
	MemoryContext caller = CurrentMemoryContext;
	char	   *out;

	SPI_connect();
	check_size(zone_id, size, tree_size(zone_id), "tree_size");
	if (m < 0 || m >= size)
		registry_error("invalid_request", "A leaf index is below the tree_size it is proven in.", NULL,
					   "leaf_index " INT64_FORMAT " is not in a tree of " INT64_FORMAT " leaves", m, size);
	s = node_set(zone_id);
	initStringInfo(&path);
	node_get(s, 0, m);
	inclusion_path(s, m, 0, size, &path, &count);
	subtree_root(s, 0, size, root);
	fetch_nodes(s);
	resetStringInfo(&path);
	count = 0;
	inclusion_path(s, m, 0, size, &path, &count);
	subtree_root(s, 0, size, root);
	hex_of(root, hex);
	hex_of(node_get(s, 0, m), leaf_hex);

	initStringInfo(&json);
	appendStringInfo(&json, "{\"leaf_index\": " INT64_FORMAT ", \"tree_size\": " INT64_FORMAT
					 ", \"leaf_hash\": \"%s\", \"root_hash\": \"%s\", \"audit_path\": ", m, size, leaf_hex, hex);
	{
		Jsonb	   *arr = hex_hash_array((uint8 *) path.data, count);

		appendStringInfoString(&json, JsonbToCString(NULL, &arr->root, VARSIZE(arr)));
	}
	appendStringInfoChar(&json, '}');
	out = MemoryContextStrdup(caller, json.data);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out)));
}

/*
 * SQL function: keycard.zone_log_consistency_proof(zone_id text, first_size
 *   bigint, second_size bigint) returns jsonb
 *
 * {"first_size", "second_size", "first_root_hash", "second_root_hash",
 * "consistency_path": [...]}: PROOF(first_size, D[second_size]) of RFC 9162
 * §2.1.4.1 (empty when the sizes are equal or the first is 0).
 */
Datum
keycard_zone_log_consistency_proof(PG_FUNCTION_ARGS)
{
	text	   *zone_id = PG_GETARG_TEXT_PP(0);
	int64		m = PG_GETARG_INT64(1);
	int64		size = PG_GETARG_INT64(2);
	NodeSet    *s;
	StringInfoData path;
	int			count = 0;
	char	   *first;
	char	   *second;
	StringInfoData json;
	Jsonb	   *arr;
	MemoryContext caller = CurrentMemoryContext;
	char	   *out;

	SPI_connect();
	check_size(zone_id, size, tree_size(zone_id), "second_size");
	if (m < 0 || m > size)
		registry_error("invalid_request", "A consistency proof goes from a smaller tree to a larger one.", NULL,
					   "first_size " INT64_FORMAT " is not between 0 and second_size " INT64_FORMAT, m, size);
	s = node_set(zone_id);
	initStringInfo(&path);
	if (m > 0 && m < size)
	{
		consistency_subproof(s, m, 0, size, true, &path, &count);
		fetch_nodes(s);
		resetStringInfo(&path);
		count = 0;
		consistency_subproof(s, m, 0, size, true, &path, &count);
	}
	first = root_hex(zone_id, m);
	second = root_hex(zone_id, size);
	arr = hex_hash_array((uint8 *) path.data, count);
	initStringInfo(&json);
	appendStringInfo(&json, "{\"first_size\": " INT64_FORMAT ", \"second_size\": " INT64_FORMAT
					 ", \"first_root_hash\": \"%s\", \"second_root_hash\": \"%s\", \"consistency_path\": %s}",
					 m, size, first, second, JsonbToCString(NULL, &arr->root, VARSIZE(arr)));
	out = MemoryContextStrdup(caller, json.data);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out)));
}
