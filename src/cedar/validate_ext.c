/*-------------------------------------------------------------------------
 *
 * validate_ext.c
 *	  Literal checks of the extension constructors, as the reference's
 *	  validator runs them on string literals: ip("..."), decimal("..."),
 *	  datetime("..."), duration("...").  The parsers are the evaluator's
 *	  (cedar/extension.c), so a literal the validator accepts always
 *	  evaluates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cedar/extension.h"
#include "cedar/validate.h"

const char *
cedar_check_extension_literal(const char *name, const char *lit, int len)
{
	CedarIpAddr ip;
	int64		v;

	if (strcmp(name, "ip") == 0)
		return cedar_ipaddr_parse(lit, len, &ip) ? NULL : "failed to parse as IP address";
	if (strcmp(name, "decimal") == 0)
		return cedar_decimal_parse(lit, len, &v) ? NULL : "failed to parse as a decimal value";
	if (strcmp(name, "datetime") == 0)
		return cedar_datetime_parse(lit, len, &v) ? NULL : "failed to parse as a datetime value";
	if (strcmp(name, "duration") == 0)
		return cedar_duration_parse(lit, len, &v) ? NULL : "failed to parse as a duration value";
	return NULL;
}
