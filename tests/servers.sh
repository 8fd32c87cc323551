#!/usr/bin/env bash
# Throwaway PostgreSQL, MariaDB and Redis servers for the integration tests.
#
#   tests/servers.sh start DIR   start every server whose binaries exist, data under DIR,
#                                listening on 127.0.0.1 on free ports; writes DIR/env
#   tests/servers.sh stop DIR    stop them (safe to call twice, or after a failed start)
#   tests/servers.sh kill DIR pg|mysql|redis      kill -9 that server (a crash)
#   tests/servers.sh restart DIR pg|mysql|redis   start it again on its port, with its data
#
# DIR/env holds shell assignments the tests read from the environment:
#   PERSISTD_TEST_PG_{HOST,PORT,USER,PASSWORD,SOCKET_DIR}
#   PERSISTD_TEST_MYSQL_{HOST,PORT,USER,PASSWORD,SOCKET}
#   PERSISTD_TEST_REDIS_{HOST,PORT}
# A server whose binaries are missing is left out, and the tests that need it skip (exit 77).
set -u

# Distinctive, so tests/check-secrets.sh can tell a leaked password from the word "persist".
test_password='pw-Sx7q-TEST-9c1e4'

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

log() { echo "servers: $*" >&2; }

# A port on 127.0.0.1 nobody listens on right now, below the kernel's ephemeral range: a port
# in that range may be the local end of some client's connection (no listener to probe, but
# bind() fails with EADDRINUSE).
free_port() {
	local p lo=32768 hi span
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	span=$((lo - 10000))
	[ "$span" -ge 1000 ] || span=0
	for _ in $(seq 1 200); do
		if [ "$span" -gt 0 ]; then
			p=$((10000 + RANDOM % span))
		else
			p=$((20000 + RANDOM % 40000))
		fi
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

as_owner() {
	# PostgreSQL refuses to run as root; run it as the postgres user then.
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$pg_user" -- "$@"
	else
		"$@"
	fi
}

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
	return 1
}

wait_for() { # seconds command...
	local n=$(($1 * 10))
	shift
	for _ in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Start (or start again, after a crash) the server set up in $dir/pg.
launch_pg() {
	local bin port
	bin=$(cat "$dir/pg/bindir") port=$(cat "$dir/pg/port")
	pg_user=$(stat -c %U "$dir/pg/data" 2>/dev/null || id -un)
	as_owner "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
		-o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
		start >/dev/null
}

start_pg() {
	local bin port
	bin=$(pg_bindir) || { log "PostgreSQL not installed, skipping"; return 0; }
	pg_user=$(id -un)
	[ "$(id -u)" = 0 ] && pg_user=postgres
	port=$(free_port) || return 1
	mkdir -p "$dir/pg"
	[ "$(id -u)" = 0 ] && chown -R "$pg_user" "$dir/pg"
	printf 'persist\n' >"$dir/pg/pwfile"
	[ "$(id -u)" = 0 ] && chown "$pg_user" "$dir/pg/pwfile"
	as_owner "$bin/initdb" -D "$dir/pg/data" -U postgres --pwfile="$dir/pg/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		>"$dir/pg/initdb.log" 2>&1 || { log "initdb failed:"; cat "$dir/pg/initdb.log" >&2; return 1; }
	echo "$bin" >"$dir/pg/bindir"
	echo "$port" >"$dir/pg/port"
	launch_pg || { log "PostgreSQL failed to start:"; cat "$dir/pg/server.log" >&2; return 1; }
	as_owner "$bin/psql" -h "$dir/pg" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE persist LOGIN SUPERUSER PASSWORD '$test_password'" \
		-c "CREATE DATABASE persist OWNER persist" >/dev/null || return 1
	cat >>"$dir/env" <<EOT
PERSISTD_TEST_PG_HOST=127.0.0.1
PERSISTD_TEST_PG_PORT=$port
PERSISTD_TEST_PG_USER=persist
PERSISTD_TEST_PG_PASSWORD=$test_password
PERSISTD_TEST_PG_SOCKET_DIR=$dir/pg
EOT
	log "PostgreSQL on 127.0.0.1:$port"
}

stop_pg() {
	[ -f "$dir/pg/bindir" ] || return 0
	local bin
	bin=$(cat "$dir/pg/bindir")
	pg_user=$(stat -c %U "$dir/pg/data" 2>/dev/null || id -un)
	as_owner "$bin/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	rm -f "$dir/pg/bindir"
}

# Start (or start again, after a crash) the server set up in $dir/mysql.
launch_mysql() {
	local server client port user=()
	server=$(cat "$dir/mysql/server") client=$(cat "$dir/mysql/client")
	port=$(cat "$dir/mysql/port")
	[ "$(id -u)" = 0 ] && user=(--user=root)
	"$server" --no-defaults --datadir="$dir/mysql/data" "${user[@]}" \
		--socket="$dir/mysql/sock" --port="$port" --bind-address=127.0.0.1 \
		--pid-file="$dir/mysql/pid" --log-error="$dir/mysql/server.log" \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --skip-name-resolve \
		--max-connections=200 --innodb-flush-log-at-trx-commit=2 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		>/dev/null 2>&1 &
	echo $! >"$dir/mysql/launcher.pid"
	wait_for 60 "$client" --no-defaults -S "$dir/mysql/sock" -uroot -e 'SELECT 1'
}

start_mysql() {
	local server install client port
	server=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd 2>/dev/null) ||
		{ log "MariaDB not installed, skipping"; return 0; }
	install=$(command -v mariadb-install-db || command -v mysql_install_db) ||
		{ log "mariadb-install-db missing, skipping"; return 0; }
	client=$(command -v mariadb || command -v mysql) || { log "mariadb client missing, skipping"; return 0; }
	port=$(free_port) || return 1
	mkdir -p "$dir/mysql"
	local user=()
	[ "$(id -u)" = 0 ] && user=(--user=root)
	"$install" --no-defaults --datadir="$dir/mysql/data" "${user[@]}" \
		--auth-root-authentication-method=normal --skip-test-db \
		>"$dir/mysql/install.log" 2>&1 || { log "mariadb-install-db failed:"; cat "$dir/mysql/install.log" >&2; return 1; }
	echo "$server" >"$dir/mysql/server"
	echo "$client" >"$dir/mysql/client"
	echo "$port" >"$dir/mysql/port"
	launch_mysql || { log "MariaDB failed to start:"; cat "$dir/mysql/server.log" >&2; return 1; }
	"$client" --no-defaults -S "$dir/mysql/sock" -uroot -e "
		CREATE USER 'persist'@'127.0.0.1' IDENTIFIED BY '$test_password';
		CREATE USER 'persist'@'localhost' IDENTIFIED BY '$test_password';
		GRANT ALL PRIVILEGES ON *.* TO 'persist'@'127.0.0.1' WITH GRANT OPTION;
		GRANT ALL PRIVILEGES ON *.* TO 'persist'@'localhost' WITH GRANT OPTION;
		CREATE DATABASE persist;" || return 1
	cat >>"$dir/env" <<EOT
PERSISTD_TEST_MYSQL_HOST=127.0.0.1
PERSISTD_TEST_MYSQL_PORT=$port
PERSISTD_TEST_MYSQL_USER=persist
PERSISTD_TEST_MYSQL_PASSWORD=$test_password
PERSISTD_TEST_MYSQL_SOCKET=$dir/mysql/sock
EOT
	log "MariaDB on 127.0.0.1:$port"
}

stop_mysql() {
	local pid
	for f in "$dir/mysql/pid" "$dir/mysql/launcher.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

# Start (or start again, after a crash) the server set up in $dir/redis. With
# PERSISTD_TEST_REDIS_AOF=1 at set-up, every write is appended and fsynced before it is
# acknowledged, so a kill -9 loses nothing (what the crash test checks).
launch_redis() {
	local server port aof
	server=$(cat "$dir/redis/server") port=$(cat "$dir/redis/port") aof=$(cat "$dir/redis/aof")
	local persistence=(--appendonly no)
	[ "$aof" = 1 ] && persistence=(--appendonly yes --appendfsync always)
	"$server" --port "$port" --bind 127.0.0.1 --dir "$dir/redis" --daemonize yes \
		--pidfile "$dir/redis/pid" --logfile "$dir/redis/server.log" --save '' \
		"${persistence[@]}" --protected-mode yes >/dev/null || return 1
	wait_for 30 redis-cli -h 127.0.0.1 -p "$port" ping
}

start_redis() {
	local server port
	server=$(command -v redis-server) || { log "Redis not installed, skipping"; return 0; }
	port=$(free_port) || return 1
	mkdir -p "$dir/redis"
	echo "$server" >"$dir/redis/server"
	echo "$port" >"$dir/redis/port"
	echo "${PERSISTD_TEST_REDIS_AOF:-0}" >"$dir/redis/aof"
	launch_redis || { log "Redis did not start:"; cat "$dir/redis/server.log" >&2; return 1; }
	cat >>"$dir/env" <<EOT
PERSISTD_TEST_REDIS_HOST=127.0.0.1
PERSISTD_TEST_REDIS_PORT=$port
EOT
	log "Redis on 127.0.0.1:$port"
}

stop_redis() {
	[ -f "$dir/redis/pid" ] || return 0
	local pid
	pid=$(cat "$dir/redis/pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/redis/pid"
}

case "$cmd" in
start)
	mkdir -p "$dir"
	chmod 755 "$dir"
	: >"$dir/env"
	start_pg && start_mysql && start_redis || {
		log "start failed, stopping what started"
		stop_redis; stop_mysql; stop_pg
		exit 1
	}
	;;
stop)
	stop_redis
	stop_mysql
	stop_pg
	;;
kill)
	# kill -9 one server, as a crash would: pg (the postmaster) or mysql
	case "${3:-}" in
	pg) pid=$(head -1 "$dir/pg/data/postmaster.pid" 2>/dev/null) ;;
	mysql) pid=$(cat "$dir/mysql/pid" 2>/dev/null) ;;
	redis) pid=$(cat "$dir/redis/pid" 2>/dev/null) ;;
	*) echo "usage: $0 kill DIR pg|mysql|redis" >&2; exit 2 ;;
	esac
	[ -n "$pid" ] || { log "no $3 server running"; exit 1; }
	kill -9 "$pid"
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	;;
restart)
	# start a killed server again on its port, with its data (crash recovery included)
	case "${3:-}" in
	pg)
		for _ in $(seq 1 20); do launch_pg && exit 0; sleep 0.5; done
		log "PostgreSQL did not restart:"; tail -20 "$dir/pg/server.log" >&2; exit 1
		;;
	mysql)
		launch_mysql && exit 0
		log "MariaDB did not restart:"; tail -20 "$dir/mysql/server.log" >&2; exit 1
		;;
	redis)
		rm -f "$dir/redis/pid"
		launch_redis && exit 0
		log "Redis did not restart:"; tail -20 "$dir/redis/server.log" >&2; exit 1
		;;
	*) echo "usage: $0 restart DIR pg|mysql|redis" >&2; exit 2 ;;
	esac
	;;
*)
	echo "usage: $0 start|stop DIR | kill|restart DIR pg|mysql|redis" >&2
	exit 2
	;;
esac
