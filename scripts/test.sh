#!/usr/bin/env bash
# `make test`: bring up every engine the suite tests against, then run the whole suite.
#
#   Chromium     Debian's package (the page tests drive it through Playwright)
#   PostgreSQL   Debian's package (the tracker on PostgreSQL)
#   Elasticsearch  its test distribution from Maven Central (the post store at scale)
#
# Missing packages are installed when running as root (after one apt-get update); Elasticsearch
# starts in the background meanwhile. An engine that cannot be had (no root, no package) is
# reported, and its tests are skipped with one line per group at the end, naming the command
# that brings it. With CI=true a missing engine fails the run instead.
#
# Environment: PYTEST_ARGS (extra arguments), PYTEST_WORKERS (default: one per CPU core).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOGS="$ROOT/var/test-engines"
mkdir -p "$LOGS"
CI="${CI:-false}"
PG_URL="postgresql+psycopg://yuqing:yuqing@127.0.0.1:${PG_PORT:-5432}/yuqing_test"
ES_URL="http://127.0.0.1:${YUQING_ES_PORT:-9200}"
declare -A missing=()  # engine group -> the command that brings it

say() { echo "make test: $*" >&2; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# -- packages from Debian, in one go ---------------------------------------------------------
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
[[ -n "$(ls /etc/postgresql 2>/dev/null)" ]] && command -v pg_ctlcluster >/dev/null 2>&1 \
    || packages+=(postgresql)

# Elasticsearch needs no package: it starts while apt-get works.
say "starting Elasticsearch in the background (log: var/test-engines/elasticsearch.log)"
scripts/elasticsearch.sh start >"$LOGS/elasticsearch.log" 2>&1 &
es_job=$!

if ((${#packages[@]})); then
    if is_root && command -v apt-get >/dev/null 2>&1; then
        say "installing ${packages[*]} from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        # Chromium without its recommends (no desktop), PostgreSQL with them, as
        # scripts/chromium.sh and scripts/postgres.sh install them.
        {
            apt-get update -qq
            for package in "${packages[@]}"; do
                if [[ "$package" == chromium ]]; then
                    apt-get install -y -qq --no-install-recommends chromium
                else
                    apt-get install -y -qq "$package"
                fi
            done
        } >"$LOGS/apt.log" 2>&1 || say "apt-get failed; see var/test-engines/apt.log"
    else
        say "not root: cannot install ${packages[*]}"
    fi
fi

if ! command -v chromium >/dev/null 2>&1; then
    missing[chromium]="sudo apt-get install chromium   (or: sudo make test)"
fi

if scripts/postgres.sh start >"$LOGS/postgres.log" 2>&1; then
    export YUQING_TEST__POSTGRES_URL="${YUQING_TEST__POSTGRES_URL:-$PG_URL}"
else
    say "PostgreSQL did not start; see var/test-engines/postgres.log"
    missing[postgres]="sudo scripts/postgres.sh start   (or: sudo make test)"
fi

# The suite looks for Elasticsearch where the script started it (or tried to).
export YUQING_ELASTICSEARCH__URL="${YUQING_ELASTICSEARCH__URL:-$ES_URL}"
if ! wait "$es_job"; then
    say "Elasticsearch did not start; see var/test-engines/elasticsearch.log"
    missing[elasticsearch]="scripts/elasticsearch.sh start   (needs Java 21+ and Maven)"
fi

if [[ "$CI" == true ]] && ((${#missing[@]})); then
    for group in "${!missing[@]}"; do
        say "CI needs $group, and it could not be brought up: ${missing[$group]}"
    done
    exit 1
fi

# The suite's own fixtures skip (or, under CI, fail) a group whose engine does not answer.
# shellcheck disable=SC2086
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" ${PYTEST_ARGS:-}
status=$?

if ((${#missing[@]})); then
    echo
    for group in "${!missing[@]}"; do
        echo "skipped $group tests: bring it with: ${missing[$group]}"
    done
fi
exit "$status"
