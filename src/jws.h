/*-------------------------------------------------------------------------
 *
 * jws.h
 *	  JWS (RFC 7515) Flattened JSON Serialization with zone signing keys.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_JWS_H
#define KEYCARD_JWS_H

#include "utils/jsonb.h"

/*
 * Signs payload bytes (already in their final form, e.g. a JCS text) with the
 * stored key kid.  Returns {"protected","payload","signature"}, with the
 * protected header {"alg","kid"} in canonical form.
 */
extern Jsonb *jws_sign_payload(const char *kid, const char *payload, size_t len);

#endif							/* KEYCARD_JWS_H */
