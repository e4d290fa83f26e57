# keycard: PGXS build, plus the two set-up commands `make demo` and `make test`.

EXTENSION = keycard
EXTVERSION = $(shell grep default_version $(EXTENSION).control | sed -e "s/default_version[[:space:]]*=[[:space:]]*'\([^']*\)'/\1/")

MODULE_big = keycard
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/cedar/*.c src/registry/*.c)))
# Every object depends on every header: PGXS out of tree has no automatic
# dependency tracking, and a stale object after a header change is worse than a
# full rebuild.
KEYCARD_HEADERS = $(wildcard src/*.h src/cedar/*.h src/registry/*.h)

# The install script of the current version is built from its parts by layer,
# sql/install/NN-name.sql, concatenated in name order (foundations, tables,
# security, registry C, registry, API: what a part declares needs only what
# the parts before it create).  Every upgrade step is its own file.  The
# install scripts of released versions are kept frozen, so a database can be
# created at an old version and upgraded (the upgrade test).
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
# Released versions, whose install scripts are kept frozen.
RELEASED_VERSIONS = 0.1.0 0.2.0
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql) $(RELEASED_VERSIONS:%=sql/$(EXTENSION)--%.sql)
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql

# pg_regress inputs: every sql/<feature>.sql that is not an install or upgrade
# script (sql/*.sql only: the parts in sql/install/ are not tests).
REGRESS = $(sort $(notdir $(basename $(filter-out sql/$(EXTENSION)%.sql,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=$(EXTENSION)
# The regress files include shared helpers from test/ (\getenv repo KC_REPO).
export KC_REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
SHLIB_LINK += -lcrypto

EXTRA_CLEAN = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--$(EXTVERSION).sql.tmp

# PG is the PostgreSQL major version the set-up targets install and test
# (Debian 12 has 15, Debian 13 has 17).  A version this machine's Debian does
# not ship is tested inside a Debian root of the release that does
# (tools/debian-root): DEBIAN_ROOT names it, and DEBIAN_ROOT= (empty) runs
# here whatever PG is.
PG ?= 15
export PG
DEBIAN_ROOT_17 = trixie
DEBIAN_ROOT ?= $(DEBIAN_ROOT_$(PG))

# Debian keeps one pg_config per major version; prefer PG's over the wrapper.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/$(PG)/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(PGXS),)
include $(PGXS)
else
# Not set up yet: only the set-up targets below can run.
all:
	@echo "PostgreSQL server headers are missing: run 'make test' or 'make demo' (they install them)." >&2; exit 1
endif

$(OBJS): $(KEYCARD_HEADERS)

# The psql guard once at the top, then each part; sql/install itself is a
# prerequisite so that removing a part rebuilds the script too.
sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS) sql/install
	{ printf '%s\n' '-- keycard $(EXTVERSION) install script, built by make from sql/install/ (edit the parts there)' '' \
		'\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $(INSTALL_PARTS); do printf '\n'; cat "$$f"; done; } >$@.tmp
	mv $@.tmp $@

.PHONY: deps demo test bench fuzz fuzz-schema fuzz-eval fuzz-clang fuzz-diff dist

# Installs what a fresh Debian 12 machine lacks (apt-get, npm ci for test-only packages).
deps:
	test/deps.sh

# Each set-up target re-enters make, so PGXS is read after deps installed it.
ifneq ($(DEBIAN_ROOT),)
# The same target inside the Debian root (made by debootstrap and cached on
# first use), on a copy of this work tree.
test:
	tools/debian-root $(DEBIAN_ROOT) run make -j2 test PG=$(PG) DEBIAN_ROOT=
else
test: deps
	$(MAKE) all
	$(MAKE) install
	test/run
endif

demo: deps
	$(MAKE) all
	$(MAKE) install
	test/demo.sh

bench: deps
	$(MAKE) all
	$(MAKE) install
	bench/run

# libFuzzer (+ASan/UBSan) harnesses, built outside the server with the
# backend stand-ins of fuzz/shim.c.  make fuzz: the Cedar policy
# lexer/parser/printer (fuzz/build/cedar_fuzz, corpus fuzz/corpus); make
# fuzz-schema: the schema text parser, builder and printers
# (fuzz/build/cedar_schema_fuzz, corpus fuzz/schema-corpus); make fuzz-eval:
# authorization (policy set, entity store, request, evaluator, with the
# decision's invariants; fuzz/build/cedar_eval_fuzz, corpus fuzz/eval-corpus).
# Each runs FUZZ_SECONDS; new finds go to fuzz/build/corpus,
# fuzz/build/schema-corpus or fuzz/build/eval-corpus; make test replays the
# saved corpora (test/suites/21-cedar-fuzz-corpus).
FUZZ_SECONDS ?= 120
FUZZ_CC = clang -g -O1 -D_GNU_SOURCE -Wno-ignored-attributes -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Isrc -Ifuzz -I$(shell $(PG_CONFIG) --includedir-server)
FUZZ_LIBS = $(shell $(PG_CONFIG) --pkglibdir)/libpgcommon.a $(shell $(PG_CONFIG) --pkglibdir)/libpgport.a
FUZZ_CEDAR = fuzz/shim.c src/cedar/lexer.c src/cedar/parser.c src/cedar/ast.c src/cedar/printer.c src/cedar/escape.c src/cedar/error.c
fuzz-clang:
	@command -v clang >/dev/null || (apt-get update -qq && apt-get install -y -qq clang >/dev/null)
fuzz: fuzz-clang
	mkdir -p fuzz/build/corpus
	$(FUZZ_CC) -o fuzz/build/cedar_fuzz fuzz/cedar_fuzz.c $(FUZZ_CEDAR) $(FUZZ_LIBS)
	fuzz/build/cedar_fuzz -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/cedar.dict -max_len=4096 \
		-print_final_stats=1 fuzz/build/corpus fuzz/corpus
fuzz-schema: fuzz-clang
	mkdir -p fuzz/build/schema-corpus
	$(FUZZ_CC) -o fuzz/build/cedar_schema_fuzz fuzz/cedar_schema_fuzz.c $(FUZZ_CEDAR) \
		src/cedar/schema.c src/cedar/schema_parse.c src/cedar/schema_build.c src/cedar/jsonb_read.c $(FUZZ_LIBS)
	fuzz/build/cedar_schema_fuzz -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/schema.dict -max_len=4096 \
		-timeout=1 -artifact_prefix=fuzz/build/ -print_final_stats=1 fuzz/build/schema-corpus fuzz/schema-corpus
fuzz-eval: fuzz-clang
	mkdir -p fuzz/build/eval-corpus
	$(FUZZ_CC) -o fuzz/build/cedar_eval_fuzz fuzz/cedar_eval_fuzz.c $(FUZZ_CEDAR) \
		src/cedar/schema.c src/cedar/schema_parse.c src/cedar/schema_build.c src/cedar/jsonb_read.c \
		src/cedar/value.c src/cedar/eval.c src/cedar/entities.c src/cedar/json_value.c \
		src/cedar/authorize.c src/cedar/extension.c $(FUZZ_LIBS)
	fuzz/build/cedar_eval_fuzz -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/eval.dict -max_len=4096 \
		-timeout=1 -artifact_prefix=fuzz/build/ -print_final_stats=1 fuzz/build/eval-corpus fuzz/eval-corpus

# Differential fuzzing of the Cedar front end against the reference
# (cedar-wasm): the checks of test/suites/2x-cedar-*-diff with
# FUZZ_DIFF_CASES generated cases per suite from FUZZ_DIFF_SEED (default: a
# new seed, printed), against the installed build on a throwaway cluster.
fuzz-diff: deps
	$(MAKE) all
	$(MAKE) install
	test/cedar-gen/fuzz-diff

# The source archive for PGXN: the committed tree (git archive of HEAD, so
# commit first) as keycard-VERSION.zip and .tar.gz, with META.json, whose
# version must be the control file's.
dist:
	@grep -q '"version": "$(EXTVERSION)"' META.json || \
		{ echo "META.json does not give version $(EXTVERSION) (keycard.control)" >&2; exit 1; }
	git archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD
	git archive --format=tar.gz --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).tar.gz HEAD
