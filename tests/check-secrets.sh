#!/usr/bin/env bash
# Fail when a secret of the test suite shows up in any log the suite wrote: the passwords of the
# test servers (PERSISTD_TEST_*_PASSWORD), the API tokens the HTTP tests use, and any value of
# a PERSISTD_TEST_SECRET_* variable. Run after the suite:
#   tests/check-secrets.sh BUILD_DIR
# Every *.log under BUILD_DIR is read (the test logs hold the output of the persistd and
# persist processes the tests started).
set -u
dir=${1:?usage: $0 BUILD_DIR}

secrets=("s3cret-api" "s3cret-read" "data-api-secret-7Hq" "data-api-refresh-3Kx" "csecret-S3CRET"
	"refresh-S3CRET" "wrong-pw-9Zq")
while IFS='=' read -r name value; do
	case "$name" in
	PERSISTD_TEST_*_PASSWORD | PERSISTD_TEST_SECRET_*)
		[ ${#value} -ge 6 ] && secrets+=("$value")
		;;
	esac
done < <(env)

logs=$(find "$dir" -name '*.log' -type f 2>/dev/null)
[ -n "$logs" ] || { echo "check-secrets: no logs under $dir" >&2; exit 0; }
status=0
for s in "${secrets[@]}"; do
	# shellcheck disable=SC2086
	hits=$(grep -lF -- "$s" $logs 2>/dev/null | grep -v '/config\.log$' || true)
	if [ -n "$hits" ]; then
		echo "check-secrets: a secret of the test suite (${s:0:3}...) is in:" >&2
		echo "$hits" | sed 's/^/  /' >&2
		status=1
	fi
done
n=$(echo "$logs" | wc -l)
[ $status -eq 0 ] && echo "check-secrets: ${#secrets[@]} secrets, none in $n logs"
exit $status
