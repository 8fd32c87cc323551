#!/usr/bin/env bash
# Run the cmocka tests and the fuzz corpus replays under valgrind's memcheck, with every
# persistd they start under memcheck too (PERSISTD_TEST_WRAPPER, tests/helpers/proc.c).
#   tests/valgrind.sh PROGRAM...     (run from the build directory; `make check-valgrind`)
# A test fails when it fails, or when memcheck reports an error or a definite leak in it or in
# a daemon it started. Prints one line per test and a summary; exits 1 on any failure.
set -u
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 77; }

logs=$(mktemp -d /tmp/persistd-valgrind.XXXXXX)
trap 'rm -rf "$logs"' EXIT
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	--show-leak-kinds=definite --track-origins=no --num-callers=30)
# the daemons write their reports to files of their own (they are killed or stopped by tests)
export PERSISTD_TEST_WRAPPER="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --log-file=$logs/persistd.%p.log"
# memcheck is ~30x slower: the daemon-restarting tests do fewer rounds
export PERSISTD_KILL_ITERATIONS=${PERSISTD_KILL_ITERATIONS:-5}
export ASAN_OPTIONS= UBSAN_OPTIONS=

pass=0 fail=0 skip=0 failed=()
for prog in "$@"; do
	case "$prog" in
	tests/unit/* | tests/integration/* | tests/fuzz/*) ;;
	*) continue ;;
	esac
	[ -x "$prog" ] || continue
	name=${prog##*/}
	rm -f "$logs"/persistd.*.log
	"${vg[@]}" --log-file="$logs/$name.vg" "./$prog" >"$logs/$name.out" 2>&1
	st=$?
	bad=""
	[ $st -ne 0 ] && [ $st -ne 77 ] && bad="exit $st"
	for f in "$logs/$name.vg" "$logs"/persistd.*.log; do
		[ -s "$f" ] || continue
		if grep -qE 'ERROR SUMMARY: [1-9]|Invalid (read|write)|uninitialised|definitely lost: [1-9]' "$f"; then
			bad="${bad:+$bad, }memcheck report in ${f##*/}"
			echo "==== $f" >&2
			head -60 "$f" >&2
		fi
	done
	if [ -n "$bad" ]; then
		echo "FAIL: $prog ($bad)"
		tail -30 "$logs/$name.out" >&2
		fail=$((fail + 1))
		failed+=("$prog")
	elif [ $st -eq 77 ]; then
		echo "SKIP: $prog"
		skip=$((skip + 1))
	else
		echo "PASS: $prog"
		pass=$((pass + 1))
	fi
done
echo "valgrind: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
