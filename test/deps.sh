#!/usr/bin/env bash
# Installs what building and testing keycard needs on Debian (12 with
# PostgreSQL 15, 13 with 17), and nothing that is already there: Debian
# packages with apt-get, test-only Node packages with npm ci from
# test/package-lock.json.  PG (default 15) is the PostgreSQL major version.
set -euo pipefail
cd "$(dirname "$0")"
pg=${PG:-15}

packages=(
	"postgresql-$pg"            # the server the tests start
	"postgresql-server-dev-$pg" # PGXS and server headers
	gcc libc6-dev              # the C compiler PGXS calls (the server headers bring only clang)
	procps                     # kill and ps for the crash-recovery suite
	libssl-dev                 # OpenSSL 3: SHA-256, RSA, Ed25519, AES-GCM
	libipc-run-perl            # PostgreSQL's TAP framework
	nginx                      # the shipped site config, tested for real
	curl                       # HTTP requests in the demo and the HTTP suite
	nodejs npm                 # differential tests against the Cedar reference
	openssl                    # the demo's key-encryption key, benchmark baselines
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (a newer npm is fine).
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	if [[ $(id -u) != 0 ]]; then
		echo "deps: missing packages and not root; install them with: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test-only Node packages, pinned by the lockfile; reinstalled only when it changes.
if [[ -f package-lock.json ]] && ! cmp -s package-lock.json node_modules/.keycard-lock 2>/dev/null; then
	npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json node_modules/.keycard-lock
fi
