/*-------------------------------------------------------------------------
 *
 * extension.h
 *	  Cedar 4.13's extension types: ipaddr, decimal, datetime and duration.
 *	  One parser per type, shared by the validator (literal checks of
 *	  ip("..."), decimal("..."), ...) and the evaluator, and the operations
 *	  the evaluator's extension functions run on parsed values.
 *
 *	  Every parser takes the string's bytes s[0..len) (not NUL-terminated)
 *	  and returns false for any string the reference's constructor refuses,
 *	  be it bad syntax or a value out of range: the reference raises the same
 *	  kind of evaluation error for both, so callers need no distinction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_EXTENSION_H
#define KEYCARD_CEDAR_EXTENSION_H

/*
 * An ipaddr value: an address and a prefix length.  IPv4 addresses are in
 * addr[0..3] (the rest zero), IPv6 in addr[0..15], both in network order.
 * prefix is in bits, 32 or 128 when the string has none.  The address keeps
 * its host bits (10.1.2.3/8 is not 10.0.0.0/8).
 */
typedef struct CedarIpAddr
{
	bool		v6;
	uint8		addr[16];
	int			prefix;
} CedarIpAddr;

/*
 * decimal: [-]digits.digits with 1 to 4 fraction digits; *value is the
 * decimal times 10^4, within int64.
 */
extern bool cedar_decimal_parse(const char *s, int len, int64 *value);

/*
 * ipaddr: an IPv4 address (dotted quad, no leading zeros) or an IPv6
 * address (hex groups, "::"), optionally "/prefix" (decimal, no leading
 * zeros, at most 32 or 128).  IPv4 embedded in IPv6 (::ffff:1.2.3.4) is
 * refused, and so is any string longer than 43 bytes.
 */
extern bool cedar_ipaddr_parse(const char *s, int len, CedarIpAddr *ip);

/* Same family, same address bits (host bits included), same prefix. */
extern bool cedar_ipaddr_equal(const CedarIpAddr *a, const CedarIpAddr *b);

/*
 * Loopback: IPv4 127.0.0.0/8 with a prefix of at least 8; IPv6 exactly
 * ::1/128.
 */
extern bool cedar_ipaddr_is_loopback(const CedarIpAddr *ip);

/*
 * Multicast: IPv4 224.0.0.0/4 with a prefix of at least 4; IPv6 ff00::/8
 * with a prefix of at least 8.
 */
extern bool cedar_ipaddr_is_multicast(const CedarIpAddr *ip);

/*
 * Whether every address of ip's network lies within range's network (both
 * taken with their prefixes); false across families.
 */
extern bool cedar_ipaddr_in_range(const CedarIpAddr *ip, const CedarIpAddr *range);

/*
 * datetime: YYYY-MM-DD, optionally followed by THH:MM:SS, optional .SSS,
 * and Z or a +hhmm/-hhmm offset (hh < 24, mm < 60); the date must exist
 * (proleptic Gregorian, years 0000-9999).  *ms is milliseconds since the
 * Unix epoch, UTC.
 */
extern bool cedar_datetime_parse(const char *s, int len, int64 *ms);

/*
 * duration: an optional '-' and one or more of Nd Nh Nm Ns Nms in that
 * order, each unit at most once; *ms is the total in milliseconds, which
 * must fit int64 (so must every quantity and every partial sum).
 */
extern bool cedar_duration_parse(const char *s, int len, int64 *ms);

/* dt.offset(dur): false on int64 overflow */
extern bool cedar_datetime_offset(int64 dt, int64 dur, int64 *out);

/* dt.durationSince(other) = dt - other: false on int64 overflow */
extern bool cedar_datetime_duration_since(int64 dt, int64 other, int64 *out);

/* dt.toDate(): midnight UTC of dt's day; false on int64 overflow */
extern bool cedar_datetime_to_date(int64 dt, int64 *out);

/* dt.toTime(): the duration since midnight UTC of dt's day (never negative) */
extern int64 cedar_datetime_to_time(int64 dt);

/* duration.toX(): whole units, truncating toward zero */
extern int64 cedar_duration_to_milliseconds(int64 d);
extern int64 cedar_duration_to_seconds(int64 d);
extern int64 cedar_duration_to_minutes(int64 d);
extern int64 cedar_duration_to_hours(int64 d);
extern int64 cedar_duration_to_days(int64 d);

#endif							/* KEYCARD_CEDAR_EXTENSION_H */
