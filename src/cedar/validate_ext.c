/*-------------------------------------------------------------------------
 *
 * validate_ext.c
 *	  Literal checks of the extension constructors, as the reference's
 *	  validator runs them on string literals: ip("..."), decimal("..."),
 *	  datetime("..."), duration("...").  The accepted forms follow
 *	  cedar-policy-core extensions/{ipaddr,decimal,datetime}.rs (IPv4/IPv6 as
 *	  Rust's std::net parses them, no IPv4-embedded IPv6, optional /prefix
 *	  without leading zeros; decimals with 1-4 fractional digits within i64;
 *	  datetimes YYYY-MM-DD[THH:MM:SS[.SSS](Z|+hhmm|-hhmm)]; durations
 *	  [-]NdNhNmNsNms within i64 milliseconds).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/validate.h"
#include "common/int.h"
#include "keycard.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Rust's read_ipv4_addr at *pos (no leading zeros, octets <= 255) */
static bool
read_ipv4(const char *s, int len, int *pos)
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
		if (i == start || val > 255 || (i - start > 1 && s[start] == '0'))
			return false;
	}
	*pos = i;
	return true;
}

/* Rust Ipv4Addr::from_str */
static bool
parse_ipv4(const char *s, int len)
{
	int			pos = 0;

	return read_ipv4(s, len, &pos) && pos == len;
}

/* Rust's read_groups: up to limit groups; *ipv4 if it ended in an IPv4 */
static int
read_groups(const char *s, int len, int *pos, int limit, bool *ipv4)
{
	*ipv4 = false;
	for (int i = 0; i < limit; i++)
	{
		int			p = *pos,
					start;

		if (i < limit - 1)
		{
			int			q = p;

			if (i == 0 || (q < len && s[q++] == ':'))
			{
				if (read_ipv4(s, len, &q))
				{
					*pos = q;
					*ipv4 = true;
					return i + 2;
				}
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
			p++;
		if (p == start)
			return i;
		*pos = p;
	}
	return limit;
}

/* Rust Ipv6Addr::from_str */
static bool
parse_ipv6(const char *s, int len)
{
	int			pos = 0,
				head,
				tail;
	bool		ipv4;

	head = read_groups(s, len, &pos, 8, &ipv4);
	if (head == 8)
		return pos == len;
	if (ipv4)
		return false;
	if (pos + 1 >= len || s[pos] != ':' || s[pos + 1] != ':')
		return false;
	pos += 2;
	tail = read_groups(s, len, &pos, 8 - (head + 1), &ipv4);
	(void) tail;
	return pos == len;
}

static bool
parse_prefix(const char *s, int len, int max, int maxlen)
{
	int			v = 0;

	if (len > maxlen || len == 0)
		return false;
	for (int i = 0; i < len; i++)
	{
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (s[0] == '0' && len > 1)
		return false;
	return v <= max;
}

static bool
valid_ip(const char *s, int len)
{
	const char *slash;
	int			colons = 0,
				dots = 0;

	if (len > 43)
		return false;
	for (int i = 0; i < len; i++)
	{
		colons += s[i] == ':';
		dots += s[i] == '.';
	}
	if (colons >= 2 && dots >= 2)
		return false;
	slash = memchr(s, '/', len);
	if (slash)
	{
		int			alen = slash - s;

		if (parse_ipv4(s, alen))
			return parse_prefix(slash + 1, len - alen - 1, 32, 2);
		if (parse_ipv6(s, alen))
			return parse_prefix(slash + 1, len - alen - 1, 128, 3);
		return false;
	}
	return parse_ipv4(s, len) || parse_ipv6(s, len);
}

/* Parses digits[0..n) into *v; false on u64 overflow */
static bool
parse_u64(const char *s, int n, uint64 *v)
{
	*v = 0;
	for (int i = 0; i < n; i++)
	{
		if (pg_mul_u64_overflow(*v, 10, v) || pg_add_u64_overflow(*v, s[i] - '0', v))
			return false;
	}
	return true;
}

static bool
valid_decimal(const char *s, int len)
{
	int			i = 0,
				ls,
				le,
				rs;
	bool		neg = false;
	uint64		l,
				r;
	int64		lv,
				rv;

	if (i < len && s[i] == '-')
	{
		neg = true;
		i++;
	}
	ls = i;
	while (i < len && is_digit(s[i]))
		i++;
	le = i;
	if (le == ls || i >= len || s[i] != '.')
		return false;
	i++;
	rs = i;
	while (i < len && is_digit(s[i]))
		i++;
	if (i != len || i == rs)
		return false;
	if (len - rs > 4)
		return false;
	if (!parse_u64(s + ls, le - ls, &l) || !parse_u64(s + rs, len - rs, &r))
		return false;
	/* i64::from_str on the signed integer part, then * 10^4 */
	if (l > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		return false;
	lv = neg ? (int64) (0 - l) : (int64) l;
	if (pg_mul_s64_overflow(lv, 10000, &lv))
		return false;
	rv = (int64) r;
	for (int k = len - rs; k < 4; k++)
		rv *= 10;
	return neg ? !pg_sub_s64_overflow(lv, rv, &lv) : !pg_add_s64_overflow(lv, rv, &lv);
}

static bool
valid_duration(const char *s, int len)
{
	static const char *const units[] = {"d", "h", "m", "s", "ms"};
	static const int64 mult[] = {86400000, 3600000, 60000, 1000, 1};
	uint64		vals[5] = {0, 0, 0, 0, 0};
	int			i = 0,
				next_unit = 0;
	bool		neg = false;
	int64		ms;

	if (len == 0 || (len == 1 && s[0] == '-'))
		return false;
	if (s[0] == '-')
	{
		neg = true;
		i = 1;
	}
	while (i < len)
	{
		int			start = i,
					u;

		while (i < len && is_digit(s[i]))
			i++;
		if (i == start || i >= len)
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
		if (!parse_u64(s + start, i - start, &vals[u]))
			return false;
		i += strlen(units[u]);
		next_unit = u + 1;
	}
	/* the reference's order: ms, then s, m, h, d */
	if (vals[4] > (uint64) PG_INT64_MAX)
		return false;
	ms = neg ? -(int64) vals[4] : (int64) vals[4];
	for (int u = 3; u >= 0; u--)
	{
		int64		prod;

		if (vals[u] > (uint64) PG_INT64_MAX)
			return false;
		if (pg_mul_s64_overflow((int64) vals[u], mult[u], &prod))
			return false;
		if (neg ? pg_sub_s64_overflow(ms, prod, &ms) : pg_add_s64_overflow(ms, prod, &ms))
			return false;
	}
	return true;
}

static bool
two_digits(const char *s, int *v)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

static bool
valid_datetime(const char *s, int len)
{
	int			y,
				mo,
				d,
				h,
				mi,
				se,
				i;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

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
	{
		int			md = mdays[mo - 1];

		if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
			md = 29;
		if (d > md)
			return false;
	}
	if (len == 10)
		return true;
	if (len < 19 || s[10] != 'T' || !two_digits(s + 11, &h) || s[13] != ':' ||
		!two_digits(s + 14, &mi) || s[16] != ':' || !two_digits(s + 17, &se))
		return false;
	i = 19;
	if (i < len && s[i] == '.')
	{
		if (i + 4 > len || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
			return false;
		i += 4;
	}
	if (i < len && s[i] == 'Z')
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-'))
	{
		int			oh,
					om;

		if (i + 5 != len || !two_digits(s + i + 1, &oh) || !two_digits(s + i + 3, &om))
			return false;
		if (h > 23 || mi > 59 || se > 59)
			return false;
		return oh < 24 && om < 60;
	}
	else
		return false;
	if (i != len)
		return false;
	return h <= 23 && mi <= 59 && se <= 59;
}

const char *
cedar_check_extension_literal(const char *name, const char *lit, int len)
{
	if (strcmp(name, "ip") == 0)
		return valid_ip(lit, len) ? NULL : "failed to parse as IP address";
	if (strcmp(name, "decimal") == 0)
		return valid_decimal(lit, len) ? NULL : "failed to parse as a decimal value";
	if (strcmp(name, "datetime") == 0)
		return valid_datetime(lit, len) ? NULL : "failed to parse as a datetime value";
	if (strcmp(name, "duration") == 0)
		return valid_duration(lit, len) ? NULL : "failed to parse as a duration value";
	return NULL;
}
