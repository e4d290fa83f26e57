/*-------------------------------------------------------------------------
 *
 * base64url.h
 *	  RFC 7515 base64url (URL-safe alphabet, no padding).
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_BASE64URL_H
#define KEYCARD_BASE64URL_H

#include "lib/stringinfo.h"

#define BASE64URL_ALPHABET \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* Appends the base64url form of data to buf. */
extern void base64url_append(StringInfo buf, const void *data, size_t len);

/*
 * Decodes base64url text; what names the input in error messages (e.g. "JWS
 * signature").  Raises 22023 on anything but canonical unpadded base64url.
 */
extern bytea *base64url_decode(const char *src, size_t len, const char *what);

#endif							/* KEYCARD_BASE64URL_H */
