#!/usr/bin/env bash
# Manage a local single-node Elasticsearch for development and the test suite, without Docker.
#
#   scripts/elasticsearch.sh install   fetch and unpack the distribution (via Maven)
#   scripts/elasticsearch.sh start     install if needed, start as a daemon, wait until healthy
#   scripts/elasticsearch.sh stop      stop the daemon started by `start`
#   scripts/elasticsearch.sh status    exit 0 if the node answers, 1 otherwise
#
# It uses Elastic's *integ-test* distribution: the server with only transport-netty4,
# x-pack-core and x-pack-security (no analysis-common, ingest-common, painless, reindex or
# mapper-extras), which is all the post store needs. It is published to Maven Central, so it is
# fetched with the Maven dependency plugin and cached in ~/.m2.
#
# Environment:
#   ES_VERSION       distribution version (default 9.5.0)
#   YUQING_ES_HOME   install directory (default <project>/.cache/elasticsearch, git-ignored;
#                    as root /opt/yuqing-elasticsearch, since the unprivileged user that runs
#                    the node may not be able to reach into a checkout under /root)
#   YUQING_ES_PORT   HTTP port on 127.0.0.1 (default 9200)
#   ES_JAVA_HOME     a JDK 21 or newer (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   ES_START_TIMEOUT seconds `start` waits for the node to turn yellow (default 120)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

ES_VERSION="${ES_VERSION:-9.5.0}"
if [[ "$(id -u)" == "0" ]]; then
    ES_HOME="${YUQING_ES_HOME:-/opt/yuqing-elasticsearch}"
else
    ES_HOME="${YUQING_ES_HOME:-$PROJECT_ROOT/.cache/elasticsearch}"
fi
ES_PORT="${YUQING_ES_PORT:-9200}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-120}"
ES_JAVA_HOME="${ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
ES_USER="elasticsearch"
MIN_JAVA=21

DIST_DIR="$ES_HOME/elasticsearch-$ES_VERSION"
DATA_DIR="$ES_HOME/data"
LOG_DIR="$ES_HOME/logs"
PID_FILE="$ES_HOME/elasticsearch.pid"
URL_FILE="$ES_HOME/elasticsearch.url" # where the node of PID_FILE listens
CONSOLE_LOG="$LOG_DIR/console.log"
URL="http://127.0.0.1:$ES_PORT"

die() {
    echo "elasticsearch.sh: $*" >&2
    exit 1
}

log() {
    echo "elasticsearch.sh: $*" >&2
}

is_root() {
    [[ "$(id -u)" == "0" ]]
}

# The major version of a java binary, or nothing if it cannot run.
java_major() {
    local version
    version="$("$1" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')" || return 0
    # "1.8.0_392" is Java 8; "21.0.2" and "25" are what they say.
    if [[ "$version" == 1.* ]]; then
        echo "${version#1.}" | cut -d. -f1
    else
        echo "$version" | cut -d. -f1 | cut -d- -f1
    fi
}

# Sets ES_JAVA_HOME to a JDK >= 21: the configured one, else JAVA_HOME, else java on PATH.
find_java() {
    local candidate major
    local -a candidates=("$ES_JAVA_HOME")
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
    if command -v java >/dev/null 2>&1; then
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    fi
    for candidate in "${candidates[@]}"; do
        [[ -x "$candidate/bin/java" ]] || continue
        major="$(java_major "$candidate/bin/java")"
        if [[ -n "$major" && "$major" -ge "$MIN_JAVA" ]]; then
            ES_JAVA_HOME="$candidate"
            return 0
        fi
    done
    die "Elasticsearch $ES_VERSION needs Java $MIN_JAVA or newer; none found (tried:" \
        "${candidates[*]}). Install a JDK $MIN_JAVA+ and set ES_JAVA_HOME to it."
}

answers() {
    curl -fsS --max-time 3 "$URL/_cluster/health" >/dev/null 2>&1
}

running_pid() {
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # A stale pid file may name a process that reused the pid.
    if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q elasticsearch; then
        return 1
    fi
    echo "$pid"
}

cmd_install() {
    if [[ -x "$DIST_DIR/bin/elasticsearch" ]]; then
        log "Elasticsearch $ES_VERSION is installed in $DIST_DIR"
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed to fetch the distribution"
    command -v unzip >/dev/null 2>&1 || die "unzip is needed to unpack the distribution"
    mkdir -p "$ES_HOME"
    local download
    download="$(mktemp -d "$ES_HOME/download.XXXXXX")"
    # The archive is unpacked beside the target and moved into place last, so a failed
    # install never looks like a finished one.
    log "fetching the Elasticsearch $ES_VERSION test distribution with Maven"
    if ! mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
        "-DoutputDirectory=$download" >&2; then
        rm -rf "$download"
        die "Maven could not fetch org.elasticsearch.distribution.integ-test-zip:$ES_VERSION"
    fi
    if ! unzip -q "$download/elasticsearch-$ES_VERSION.zip" -d "$download/unpacked" ||
        [[ ! -x "$download/unpacked/elasticsearch-$ES_VERSION/bin/elasticsearch" ]]; then
        rm -rf "$download"
        die "the downloaded archive could not be unpacked to elasticsearch-$ES_VERSION/"
    fi
    mv "$download/unpacked/elasticsearch-$ES_VERSION" "$DIST_DIR"
    rm -rf "$download"
    log "installed Elasticsearch $ES_VERSION in $DIST_DIR"
}

# Rewritten on every start so that a changed port or path takes effect.
write_config() {
    mkdir -p "$DATA_DIR" "$LOG_DIR" "$DIST_DIR/config/jvm.options.d"
    cat >"$DIST_DIR/config/elasticsearch.yml" <<EOF
# Written by scripts/elasticsearch.sh; edits are overwritten on the next start.
cluster.name: yuqing-dev
node.name: yuqing-dev-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
path.data: $DATA_DIR
path.logs: $LOG_DIR
xpack.security.enabled: false
# A developer disk that is nearly full must not turn the test indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
    cat >"$DIST_DIR/config/jvm.options.d/yuqing.options" <<EOF
-Xms512m
-Xmx512m
EOF
}

tail_logs() {
    local file
    for file in "$CONSOLE_LOG" "$LOG_DIR/yuqing-dev.log"; do
        if [[ -f "$file" ]]; then
            echo "---- last lines of $file ----" >&2
            tail -n 25 "$file" >&2
        fi
    done
}

cmd_start() {
    if answers; then
        log "Elasticsearch already answers at $URL"
        echo "$URL"
        return 0
    fi
    if pid="$(running_pid)"; then
        if [[ "$(cat "$URL_FILE" 2>/dev/null || true)" != "$URL" ]]; then
            die "the Elasticsearch of $ES_HOME (pid $pid) listens at" \
                "$(cat "$URL_FILE" 2>/dev/null || echo 'another address'), not $URL; stop it first"
        fi
        log "Elasticsearch (pid $pid) is running but does not answer yet; waiting"
    else
        find_java
        cmd_install
        write_config
        rm -f "$PID_FILE"
        echo "$URL" >"$URL_FILE"
        local -a launch=(
            env "ES_JAVA_HOME=$ES_JAVA_HOME" "ES_PATH_CONF=$DIST_DIR/config"
            "$DIST_DIR/bin/elasticsearch" -d -p "$PID_FILE"
        )
        if is_root; then
            # Elasticsearch refuses to run as root, so it runs as a system user of its own.
            if ! id -u "$ES_USER" >/dev/null 2>&1; then
                log "creating the system user $ES_USER"
                useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
            fi
            chown -R "$ES_USER:" "$ES_HOME"
            launch=(runuser -u "$ES_USER" -- "${launch[@]}")
        fi
        log "starting Elasticsearch $ES_VERSION on $URL"
        if ! "${launch[@]}" >"$CONSOLE_LOG" 2>&1; then
            log "Elasticsearch failed to start"
            tail_logs
            exit 1
        fi
    fi
    local deadline=$((SECONDS + ES_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if curl -fsS --max-time 5 \
            "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; then
            log "Elasticsearch is up"
            echo "$URL"
            return 0
        fi
        if ! running_pid >/dev/null; then
            log "Elasticsearch exited while starting"
            tail_logs
            exit 1
        fi
        sleep 1
    done
    log "Elasticsearch did not turn yellow within ${ES_START_TIMEOUT}s"
    tail_logs
    exit 1
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        if answers; then
            die "something answers at $URL but it was not started by this script (no pid file)"
        fi
        log "Elasticsearch is not running"
        return 0
    fi
    log "stopping Elasticsearch (pid $pid)"
    kill "$pid"
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "Elasticsearch (pid $pid) did not stop within 60s; killing it"
            kill -9 "$pid" 2>/dev/null || true
            break
        fi
        sleep 1
    done
    rm -f "$PID_FILE" "$URL_FILE"
    log "stopped"
}

cmd_status() {
    if answers; then
        echo "Elasticsearch answers at $URL"
        return 0
    fi
    echo "Elasticsearch does not answer at $URL"
    return 1
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 {start|stop|status|install}" >&2
        exit 2
        ;;
esac
