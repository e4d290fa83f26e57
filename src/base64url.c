/*-------------------------------------------------------------------------
 *
 * base64url.c
 *	  RFC 7515 base64url, on top of PostgreSQL's own base64 (common/base64.h).
 *
 * JWS requires the URL-safe alphabet without padding.  Decoding is strict:
 * padding, whitespace, foreign characters and non-zero unused trailing bits
 * are all rejected, so every byte string has exactly one accepted encoding
 * (a signature cannot be re-encoded into a second valid form).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "common/base64.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "base64url.h"
#include "keycard.h"
#include "pg_compat.h"

PG_FUNCTION_INFO_V1(keycard_base64url_encode);
PG_FUNCTION_INFO_V1(keycard_base64url_decode);

void
base64url_append(StringInfo buf, const void *data, size_t len)
{
	int			enclen;
	int			written;
	char	   *out;

	if (len > (size_t) (MaxAllocSize / 4 * 3 - 4))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("input of %zu bytes is too long to encode", len)));
	enclen = pg_b64_enc_len((int) len);
	enlargeStringInfo(buf, enclen + 1);
	out = buf->data + buf->len;
	written = pg_b64_encode(data, (int) len, out, enclen);
	if (written < 0)
		elog(ERROR, "pg_b64_encode() failed");

	/* Translate to the URL-safe alphabet and drop the padding. */
	while (written > 0 && out[written - 1] == '=')
		written--;
	for (int i = 0; i < written; i++)
	{
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	buf->len += written;
	buf->data[buf->len] = '\0';
}

/* Position of c in the base64url alphabet, or -1. */
static int
base64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

bytea *
base64url_decode(const char *src, size_t len, const char *what)
{
	char	   *std;
	size_t		padded;
	int			declen;
	int			last_bits;
	bytea	   *result;

	if (len % 4 == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid base64url in %s", what),
				 errdetail("A length of %zu characters cannot encode whole bytes.", len)));

	for (size_t i = 0; i < len; i++)
	{
		if (base64url_value(src[i]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid base64url in %s", what),
					 errdetail("Character at position %zu is not in the base64url alphabet.", i + 1),
					 src[i] == '=' ? errhint("base64url in JWS carries no \"=\" padding.") : 0));
	}

	/* Unused bits of the last character must be zero (one encoding per value). */
	last_bits = len % 4 == 2 ? 4 : len % 4 == 3 ? 2 : 0;
	if (last_bits && (base64url_value(src[len - 1]) & ((1 << last_bits) - 1)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid base64url in %s", what),
				 errdetail("The last character has non-zero unused bits.")));

	padded = add_size(len, (4 - len % 4) % 4);
	if (padded > (size_t) INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s is too long to decode", what)));
	std = palloc(padded + 1);
	for (size_t i = 0; i < len; i++)
		std[i] = src[i] == '-' ? '+' : src[i] == '_' ? '/' : src[i];
	for (size_t i = len; i < padded; i++)
		std[i] = '=';

	declen = pg_b64_dec_len((int) padded);
	result = palloc(VARHDRSZ + declen);
	declen = pg_b64_decode(std, (int) padded, VARDATA(result), declen);
	if (declen < 0)
		elog(ERROR, "pg_b64_decode() failed on validated input");
	SET_VARSIZE(result, VARHDRSZ + declen);
	pfree(std);
	return result;
}

/* SQL function: base64url_encode(bytea) returns text */
Datum
keycard_base64url_encode(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;

	initStringInfo(&buf);
	base64url_append(&buf, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/* SQL function: base64url_decode(text) returns bytea */
Datum
keycard_base64url_decode(PG_FUNCTION_ARGS)
{
	text	   *src = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BYTEA_P(base64url_decode(VARDATA_ANY(src), VARSIZE_ANY_EXHDR(src), "input"));
}
