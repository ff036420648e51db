# PostgreSQL for the review store tests (tests/review, parametrized sqlite/postgres).
# Debian's packaged cluster stays down; start_postgres runs a throwaway server on
# loopback with trust auth and exports CROSSFOOT_TEST_PG_URL for the tests.
APT_PACKAGES+=(postgresql)

start_postgres() {
  local bin port dir
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  port=${CROSSFOOT_TEST_PG_PORT:-54329}
  dir=$(mktemp -d /tmp/crossfoot-pg.XXXXXX)
  chown postgres: "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  export CROSSFOOT_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  # Stop the server when CI's shell exits, pass or fail, after any exit trap already set.
  local previous
  previous=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
  trap "${previous:+$previous; }runuser -u postgres -- $bin/pg_ctl -D $dir/data -m fast stop >/dev/null 2>&1 || true" EXIT
  echo "postgres on 127.0.0.1:$port"
}
