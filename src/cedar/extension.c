/*-------------------------------------------------------------------------
 *
 * extension.c
 *	  Cedar 4.13's extension types (ipaddr, decimal, datetime, duration):
 *	  parsers and operations, with the reference's semantics
 *	  (cedar-policy-core extensions/{ipaddr,decimal,datetime}.rs):
 *
 *	  - ipaddr strings are parsed as Rust's std::net::IpAddr does (IPv4 first,
 *	    then IPv6), after the reference's own refusals: longer than 43 bytes,
 *	    or at least two ':' and two '.' (IPv4 embedded in IPv6);
 *	  - decimal checks digits, then the integer part within int64, then at
 *	    most 4 fraction digits, then the scaled sum;
 *	  - duration sums its units from ms up to d, each step checked;
 *	  - datetime offsets are subtracted from the local time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/extension.h"
#include "common/int.h"
#include "keycard.h"

#define MS_PER_DAY INT64CONST(86400000)

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parses the n ASCII digits at s into *v; false on uint64 overflow.  Callers
 * have checked that they are digits.
 */
static bool
digits_u64(const char *s, int n, uint64 *v)
{
	*v = 0;
	for (int i = 0; i < n; i++)
	{
		if (pg_mul_u64_overflow(*v, 10, v) || pg_add_u64_overflow(*v, s[i] - '0', v))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- ipaddr */

/*
 * An IPv4 address at *pos (Rust's read_ipv4_addr: four decimal octets of
 * 1-3 digits, no leading zeros, each <= 255); writes its 4 bytes to out.
 */
static bool
read_ipv4(const char *s, int len, int *pos, uint8 *out)
{
	int			i = *pos;

	for (int part = 0; part < 4; part++)
	{
		int			start,
					val = 0;

		if (part > 0)
		{
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		start = i;
		while (i < len && is_digit(s[i]) && i - start < 3)
			val = val * 10 + (s[i++] - '0');
		/* a fourth digit cannot be followed by '.' or the end: fails below */
		if (i == start || val > 255 || (i - start > 1 && s[start] == '0'))
			return false;
		out[part] = (uint8) val;
	}
	*pos = i;
	return true;
}

/*
 * Rust's read_groups: up to limit 16-bit groups separated by ':' into
 * groups[]; an IPv4 address may take the place of the last two.  Returns
 * the number of groups read and sets *ipv4 if an IPv4 address ended them.
 */
static int
read_groups(const char *s, int len, int *pos, uint16 *groups, int limit, bool *ipv4)
{
	*ipv4 = false;
	for (int i = 0; i < limit; i++)
	{
		int			p = *pos,
					start;
		uint16		val = 0;

		if (i < limit - 1)
		{
			int			q = p;
			uint8		v4[4];

			if ((i == 0 || (q < len && s[q++] == ':')) && read_ipv4(s, len, &q, v4))
			{
				groups[i] = (uint16) (v4[0] << 8 | v4[1]);
				groups[i + 1] = (uint16) (v4[2] << 8 | v4[3]);
				*pos = q;
				*ipv4 = true;
				return i + 2;
			}
		}
		if (i > 0)
		{
			if (p >= len || s[p] != ':')
				return i;
			p++;
		}
		start = p;
		while (p < len && keycard_hex_digit(s[p]) >= 0 && p - start < 4)
			val = (uint16) (val << 4 | keycard_hex_digit(s[p++]));
		if (p == start)
			return i;
		groups[i] = val;
		*pos = p;
	}
	return limit;
}

/* Rust's Ipv6Addr parser on all of s[0..len) */
static bool
parse_ipv6(const char *s, int len, uint8 *out)
{
	uint16		head[8] = {0},
				tail[7] = {0};
	int			pos = 0,
				nhead,
				ntail;
	bool		ipv4;

	nhead = read_groups(s, len, &pos, head, 8, &ipv4);
	if (nhead < 8)
	{
		if (ipv4)
			return false;
		if (pos + 1 >= len || s[pos] != ':' || s[pos + 1] != ':')
			return false;
		pos += 2;
		ntail = read_groups(s, len, &pos, tail, 8 - (nhead + 1), &ipv4);
		memcpy(head + 8 - ntail, tail, ntail * sizeof(uint16));
	}
	if (pos != len)
		return false;
	for (int i = 0; i < 8; i++)
	{
		out[2 * i] = (uint8) (head[i] >> 8);
		out[2 * i + 1] = (uint8) head[i];
	}
	return true;
}

/* A prefix length: 1 to maxlen digits, no leading zeros, at most max */
static bool
parse_prefix(const char *s, int len, int max, int maxlen, int *prefix)
{
	int			v = 0;

	if (len == 0 || len > maxlen || (s[0] == '0' && len > 1))
		return false;
	for (int i = 0; i < len; i++)
	{
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*prefix = v;
	return v <= max;
}

bool
cedar_ipaddr_parse(const char *s, int len, CedarIpAddr *ip)
{
	const char *slash;
	int			alen,
				colons = 0,
				dots = 0,
				pos = 0;

	if (len > 43)
		return false;
	for (int i = 0; i < len; i++)
	{
		colons += s[i] == ':';
		dots += s[i] == '.';
	}
	if (colons >= 2 && dots >= 2)
		return false;
	memset(ip, 0, sizeof(*ip));
	slash = memchr(s, '/', len);
	alen = slash ? slash - s : len;
	if (read_ipv4(s, alen, &pos, ip->addr) && pos == alen)
		ip->prefix = 32;
	else
	{
		memset(ip->addr, 0, sizeof(ip->addr));
		if (!parse_ipv6(s, alen, ip->addr))
			return false;
		ip->v6 = true;
		ip->prefix = 128;
	}
	if (slash)
		return parse_prefix(slash + 1, len - alen - 1, ip->prefix, ip->v6 ? 3 : 2, &ip->prefix);
	return true;
}

bool
cedar_ipaddr_equal(const CedarIpAddr *a, const CedarIpAddr *b)
{
	return a->v6 == b->v6 && a->prefix == b->prefix &&
		memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

bool
cedar_ipaddr_is_loopback(const CedarIpAddr *ip)
{
	static const uint8 v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	if (!ip->v6)
		return ip->addr[0] == 127 && ip->prefix >= 8;
	return memcmp(ip->addr, v6_loopback, 16) == 0 && ip->prefix >= 128;
}

bool
cedar_ipaddr_is_multicast(const CedarIpAddr *ip)
{
	if (!ip->v6)
		return (ip->addr[0] & 0xf0) == 224 && ip->prefix >= 4;
	return ip->addr[0] == 0xff && ip->prefix >= 8;
}

bool
cedar_ipaddr_in_range(const CedarIpAddr *ip, const CedarIpAddr *range)
{
	int			nbytes;

	if (ip->v6 != range->v6)
		return false;
	nbytes = ip->v6 ? 16 : 4;

	/*
	 * Byte by byte, most significant first, the big-endian comparisons
	 * range.network <= ip.network and ip.broadcast <= range.broadcast.
	 */
	{
		int			net_cmp = 0,
					bc_cmp = 0;

		for (int i = 0; i < nbytes && (net_cmp == 0 || bc_cmp == 0); i++)
		{
			int			bit = i * 8;
			uint8		ipmask = ip->prefix >= bit + 8 ? 0xff : ip->prefix <= bit ? 0 : (uint8) (0xff << (8 - (ip->prefix - bit)));
			uint8		rmask = range->prefix >= bit + 8 ? 0xff : range->prefix <= bit ? 0 : (uint8) (0xff << (8 - (range->prefix - bit)));
			uint8		ip_net = ip->addr[i] & ipmask,
						r_net = range->addr[i] & rmask,
						ip_bc = ip->addr[i] | (uint8) ~ipmask,
						r_bc = range->addr[i] | (uint8) ~rmask;

			if (net_cmp == 0 && r_net != ip_net)
				net_cmp = r_net < ip_net ? -1 : 1;
			if (bc_cmp == 0 && ip_bc != r_bc)
				bc_cmp = ip_bc < r_bc ? -1 : 1;
		}
		return net_cmp <= 0 && bc_cmp <= 0;
	}
}

/* ---------------------------------------------------------------- decimal */

bool
cedar_decimal_parse(const char *s, int len, int64 *value)
{
	int			i = 0,
				int_start,
				int_end,
				frac_start,
				nfrac;
	bool		neg = false;
	uint64		int_part,
				frac;
	int64		v;

	if (i < len && s[i] == '-')
	{
		neg = true;
		i++;
	}
	int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	int_end = i;
	if (int_end == int_start || i >= len || s[i] != '.')
		return false;
	frac_start = ++i;
	while (i < len && is_digit(s[i]))
		i++;
	nfrac = len - frac_start;
	if (i != len || nfrac == 0 || nfrac > 4)
		return false;
	/* the signed integer part within int64, then times 10^4 */
	if (!digits_u64(s + int_start, int_end - int_start, &int_part) ||
		int_part > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		return false;
	v = neg ? (int64) (0 - int_part) : (int64) int_part;
	if (pg_mul_s64_overflow(v, 10000, &v))
		return false;
	(void) digits_u64(s + frac_start, nfrac, &frac);
	for (int k = nfrac; k < 4; k++)
		frac *= 10;
	if (neg ? pg_sub_s64_overflow(v, (int64) frac, &v) : pg_add_s64_overflow(v, (int64) frac, &v))
		return false;
	*value = v;
	return true;
}

/* ---------------------------------------------------------------- duration */

bool
cedar_duration_parse(const char *s, int len, int64 *ms)
{
	/* units in the order they must appear; their lengths in milliseconds */
	static const char *const units[] = {"d", "h", "m", "s", "ms"};
	static const int64 unit_ms[] = {MS_PER_DAY, 3600000, 60000, 1000, 1};
	uint64		qty[5] = {0, 0, 0, 0, 0};
	int			i = 0,
				next_unit = 0;
	bool		neg = false;
	int64		total;

	if (len > 0 && s[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i == len)
		return false;
	while (i < len)
	{
		int			start = i,
					u;

		while (i < len && is_digit(s[i]))
			i++;
		if (i == start || i == len)
			return false;
		if (i + 1 < len && s[i] == 'm' && s[i + 1] == 's')
			u = 4;
		else
		{
			for (u = 0; u < 4; u++)
				if (s[i] == units[u][0])
					break;
			if (u == 4)
				return false;
		}
		if (u < next_unit)
			return false;
		if (!digits_u64(s + start, i - start, &qty[u]))
			return false;
		i += strlen(units[u]);
		next_unit = u + 1;
	}

	/*
	 * The reference's order: the milliseconds (a negative duration may hold
	 * 2^63 of them), then seconds, minutes, hours and days, each quantity
	 * within int64 and each product and partial sum checked.
	 */
	if (qty[4] > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		return false;
	total = neg ? (int64) (0 - qty[4]) : (int64) qty[4];
	for (int u = 3; u >= 0; u--)
	{
		int64		part;

		if (qty[u] > (uint64) PG_INT64_MAX ||
			pg_mul_s64_overflow((int64) qty[u], unit_ms[u], &part) ||
			(neg ? pg_sub_s64_overflow(total, part, &total) : pg_add_s64_overflow(total, part, &total)))
			return false;
	}
	*ms = total;
	return true;
}

int64
cedar_duration_to_milliseconds(int64 d)
{
	return d;
}

int64
cedar_duration_to_seconds(int64 d)
{
	return cedar_duration_to_milliseconds(d) / 1000;
}

int64
cedar_duration_to_minutes(int64 d)
{
	return cedar_duration_to_seconds(d) / 60;
}

int64
cedar_duration_to_hours(int64 d)
{
	return cedar_duration_to_minutes(d) / 60;
}

int64
cedar_duration_to_days(int64 d)
{
	return cedar_duration_to_hours(d) / 24;
}

/* ---------------------------------------------------------------- datetime */

static bool
two_digits(const char *s, int *v)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar */
static int64
days_from_civil(int y, int m, int d)
{
	int			era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64) era * 146097 + doe - 719468;
}

bool
cedar_datetime_parse(const char *s, int len, int64 *ms)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				se = 0,
				milli = 0,
				offset_min = 0,
				i,
				mdmax;

	if (len < 10)
		return false;
	for (i = 0; i < 4; i++)
		if (!is_digit(s[i]))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (s[4] != '-' || !two_digits(s + 5, &mo) || s[7] != '-' || !two_digits(s + 8, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1)
		return false;
	mdmax = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		mdmax = 29;
	if (d > mdmax)
		return false;
	if (len > 10)
	{
		if (len < 19 || s[10] != 'T' || !two_digits(s + 11, &h) || s[13] != ':' ||
			!two_digits(s + 14, &mi) || s[16] != ':' || !two_digits(s + 17, &se))
			return false;
		if (h > 23 || mi > 59 || se > 59)
			return false;
		i = 19;
		if (i < len && s[i] == '.')
		{
			if (i + 4 > len || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
				return false;
			milli = (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
			i += 4;
		}
		if (i + 1 == len && s[i] == 'Z')
			;
		else if (i + 5 == len && (s[i] == '+' || s[i] == '-'))
		{
			int			oh,
						om;

			if (!two_digits(s + i + 1, &oh) || !two_digits(s + i + 3, &om) || oh >= 24 || om >= 60)
				return false;
			offset_min = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
		}
		else
			return false;
	}
	/* within years 0000-9999 and a day of offset: far from int64's limits */
	*ms = days_from_civil(y, mo, d) * MS_PER_DAY +
		((int64) h * 3600 + mi * 60 + se - offset_min * 60) * 1000 + milli;
	return true;
}

bool
cedar_datetime_offset(int64 dt, int64 dur, int64 *out)
{
	return !pg_add_s64_overflow(dt, dur, out);
}

bool
cedar_datetime_duration_since(int64 dt, int64 other, int64 *out)
{
	return !pg_sub_s64_overflow(dt, other, out);
}

/* dt modulo one day, in [0, MS_PER_DAY) */
static int64
ms_into_day(int64 dt)
{
	int64		rem = dt % MS_PER_DAY;

	return rem < 0 ? rem + MS_PER_DAY : rem;
}

bool
cedar_datetime_to_date(int64 dt, int64 *out)
{
	return !pg_sub_s64_overflow(dt, ms_into_day(dt), out);
}

int64
cedar_datetime_to_time(int64 dt)
{
	return ms_into_day(dt);
}
