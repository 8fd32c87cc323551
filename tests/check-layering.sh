#!/bin/sh
# Include layering (STYLE.md §1): base ← models ← connectors ← api/cli ← daemon.
# Fails when a folder includes a project header from a layer above it, or a third-party
# header its layer may not use.
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 99
status=0

check() { # folder allowed-project-folders forbidden-system-header-regex
	dir=$1 allowed=$2 forbidden=$3
	[ -d "$dir" ] || return 0
	for f in $(find "$dir" -name '*.[ch]' | sort); do
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
			inc=$(echo "$line" | sed 's/.*"\(.*\)".*/\1/')
			case "$inc" in
			config.h) continue ;;
			esac
			layer=${inc%%/*}
			ok=0
			for a in $allowed; do
				[ "$layer" = "$a" ] && ok=1
			done
			if [ $ok = 0 ]; then
				echo "$f:${line%%:*}: '$dir' may not include \"$inc\""
				echo bad >"$tmp"
			fi
		done
		if [ -n "$forbidden" ] && grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($forbidden)" "$f" >/dev/null; then
			grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($forbidden)" "$f" |
				sed "s|^|$f:|; s|\$|  (third-party header not allowed in $dir/)|"
			echo bad >"$tmp"
		fi
	done
}

tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT
libs='jansson|microhttpd|libpq|postgresql|mysql|mariadb|hiredis|curl|systemd'
check base "base" "$libs"
check models "base models" "$libs"
check connectors "base models connectors" 'microhttpd|systemd'
check api "base models connectors api" 'libpq|postgresql|mysql|mariadb|hiredis|curl|systemd'
check cli "base models connectors cli" 'microhttpd|libpq|postgresql|mysql|mariadb|hiredis|curl|systemd'
check daemon "base models connectors api cli daemon" 'libpq|postgresql|mysql|mariadb|hiredis|curl'
# The systemd header lives in daemon/notify.c only.
for f in $(grep -rl 'include <systemd/' daemon 2>/dev/null); do
	[ "$f" = daemon/notify.c ] || { echo "$f: systemd headers belong in daemon/notify.c only"; echo bad >"$tmp"; }
done
# Each client library's header stays inside its own backend file.
for pair in 'libpq-fe.h:connectors/postgresql.c' 'mysql.h:connectors/mysql.c' \
	'hiredis/:connectors/redis.c' 'curl/:connectors/googlesheets.c'; do
	hdr=${pair%%:*} own=${pair#*:}
	for f in $(grep -rl "include <$hdr" connectors 2>/dev/null); do
		[ "$f" = "$own" ] || { echo "$f: <$hdr> belongs in $own only"; echo bad >"$tmp"; }
	done
done
[ -s "$tmp" ] && status=1
[ $status = 0 ] && echo "layering ok"
exit $status
