/*-------------------------------------------------------------------------
 *
 * parser.h
 *	  Internal helpers shared by the Cedar policy front end's files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KEYCARD_CEDAR_PARSER_H
#define KEYCARD_CEDAR_PARSER_H

#include "cedar/ast.h"

/* Reserved identifiers: never names, attributes after `.`, or record keys */
extern bool cedarpol_is_reserved(const char *s, int len);

/* True if s is [_a-zA-Z][_a-zA-Z0-9]* */
extern bool cedarpol_is_ident(const char *s, int len);

/*
 * True if s is a valid entity type or extension name: identifiers joined
 * by "::", none reserved (including `__cedar`).
 */
extern bool cedarpol_is_valid_name(const char *s, int len);

/* True if uid's type is `Action` or ends in `::Action` */
extern bool cedarpol_is_action_type(const CedarString *type);

/* "principal", "action", "resource" or "context" */
extern const char *cedarpol_var_name(CedarVar var);

/* Allocation helpers */
extern CedarExpr *cedarpol_new_expr(CedarExprKind kind, int start, int end);
extern CedarString cedarpol_make_string(const char *data, int len);

#endif							/* KEYCARD_CEDAR_PARSER_H */
