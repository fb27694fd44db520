# shellcheck shell=bash
# A throwaway PostgreSQL cluster for the tests of finkit-pool's `postgres` feature.
#
# Usage (from .ci/run or a shell):
#
#   source .ci/postgres.sh
#   pg_start            # installs PostgreSQL if needed, starts a cluster, exports FINKIT_PG_URL
#                       # and FINKIT_PG_REQUIRED=1 (the PostgreSQL tests then fail, not skip,
#                       # when the server is missing or unreachable)
#   cargo test -p finkit-pool --features postgres
#   # pg_stop runs from an EXIT trap that pg_start installs, also when the tests fail
#
# What pg_start does:
# - installs the distribution's `postgresql` package when no `initdb` is found;
# - runs initdb into a fresh temporary directory, as the `postgres` OS user when this shell is
#   root (PostgreSQL refuses to run as root);
# - listens on 127.0.0.1 only, on a random free port, with its socket in the temporary
#   directory;
# - authentication: `trust` for the test roles `finkit` and `finkit_reader` over TCP from
#   127.0.0.1 only, `peer` for the cluster owner over the private socket, everything else
#   rejected;
# - creates the database `finkit_test` owned by `finkit` (which has CREATEROLE, so that pools
#   can create their group roles) and exports
#   FINKIT_PG_URL=postgresql://finkit@127.0.0.1:PORT/finkit_test and
#   FINKIT_PG_READER_URL=postgresql://finkit_reader@127.0.0.1:PORT/finkit_test, a second
#   login with no rights of its own, to test what the database enforces (no password: nothing
#   secret is printed);
# - installs `trap pg_stop EXIT`, chained after any EXIT trap already set.
#
# pg_stop stops the server (fast shutdown), removes the temporary directory and unsets the
# three variables; calling it twice is harmless.

PG_TMP=""
PG_BIN=""
PG_OWNER=""

_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u "$PG_OWNER" -- "$@")
  else
    "$@"
  fi
}

_pg_find_bin() {
  # The real bin directory (initdb, pg_ctl, psql and postgres side by side), newest first.
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then
    echo "$d"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
  fi
}

_pg_free_port() {
  python3 - <<'EOF' 2>/dev/null && return
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
  # Fallback without python: probe random ports with bash's /dev/tcp.
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  return 1
}

pg_start() {
  # From here on the PostgreSQL tests are mandatory in this shell: without a reachable server
  # they fail instead of skipping (also when pg_start itself fails below).
  export FINKIT_PG_REQUIRED=1
  PG_BIN=$(_pg_find_bin)
  if [ -z "$PG_BIN" ]; then
    echo "pg_start: initdb not found; installing the distribution's postgresql package"
    if [ "$(id -u)" != 0 ]; then
      echo "pg_start: need root to install postgresql" >&2
      return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null || return 1
    PG_BIN=$(_pg_find_bin)
    [ -n "$PG_BIN" ] || { echo "pg_start: initdb still missing" >&2; return 1; }
  fi
  if [ "$(id -u)" = 0 ]; then
    PG_OWNER=postgres
    id "$PG_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home "$PG_OWNER" || return 1
  else
    PG_OWNER=$(id -un)
  fi
  PG_TMP=$(mktemp -d /tmp/finkit-pg.XXXXXX) || return 1
  chmod 700 "$PG_TMP"
  [ "$(id -u)" = 0 ] && chown "$PG_OWNER" "$PG_TMP"
  local port
  port=$(_pg_free_port) || { echo "pg_start: no free port" >&2; return 1; }

  _pg_as_owner "$PG_BIN/initdb" -D "$PG_TMP/data" -U "$PG_OWNER" --encoding=UTF8 --locale=C \
    --auth-local=peer --auth-host=reject >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  # Trust for the test role from 127.0.0.1 only; the first matching line wins.
  _pg_as_owner sh -c "cat > '$PG_TMP/data/pg_hba.conf'" <<EOF
local all $PG_OWNER peer
host all finkit 127.0.0.1/32 trust
host all finkit_reader 127.0.0.1/32 trust
host all all 0.0.0.0/0 reject
host all all ::/0 reject
EOF
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_TMP -c max_connections=100" \
    start >/dev/null || { cat "$PG_TMP/server.log" >&2; return 1; }

  # From here on the server runs: stop it on exit whatever happens.
  local previous
  previous=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
  if [ -n "$previous" ]; then
    # shellcheck disable=SC2064
    trap "pg_stop; $previous" EXIT
  else
    trap pg_stop EXIT
  fi

  _pg_as_owner "$PG_BIN/psql" -q -h "$PG_TMP" -p "$port" -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE finkit LOGIN CREATEROLE" -c "CREATE ROLE finkit_reader LOGIN" \
    -c "CREATE DATABASE finkit_test OWNER finkit" >/dev/null \
    || { echo "pg_start: cannot create the test roles and database" >&2; return 1; }
  export FINKIT_PG_URL="postgresql://finkit@127.0.0.1:$port/finkit_test"
  export FINKIT_PG_READER_URL="postgresql://finkit_reader@127.0.0.1:$port/finkit_test"
  echo "pg_start: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PG_TMP), FINKIT_PG_URL exported"
}

pg_stop() {
  if [ -n "$PG_TMP" ] && [ -d "$PG_TMP/data" ]; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
    echo "pg_stop: PostgreSQL stopped"
  fi
  PG_TMP=""
  unset FINKIT_PG_URL FINKIT_PG_READER_URL FINKIT_PG_REQUIRED
}
