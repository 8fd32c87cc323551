#!/bin/sh
# Run the toml-test suite (files listed in files-toml-1.0.0) through tests/toml-decoder:
# every valid case must decode to its JSON (compared as toml-test compares), every invalid
# case must be rejected with exit status 1. Skips (77) when the corpus is absent.
dir=${PERSIST_CONFORMANCE_DIR:-${abs_top_srcdir:-.}/../shared/conformance}/toml-test
build=${abs_top_builddir:-.}
list=$dir/files-toml-1.0.0
if [ ! -f "$list" ]; then
	echo "toml-test: corpus not found in $dir, skipping"
	exit 77
fi
decoder=$build/tests/toml-decoder
compare=$build/tests/toml/json-compare
[ -x "$decoder" ] && [ -x "$compare" ] || { echo "toml-test: programs not built"; exit 99; }

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
vpass=0 vfail=0 ipass=0 ifail=0 n=0
: >"$tmp/pairs"
: >"$tmp/names"
while IFS= read -r f; do
	case $f in
	valid/*.toml)
		n=$((n + 1))
		if "$decoder" <"$dir/$f" >"$tmp/$n.json" 2>"$tmp/err"; then
			# Compared in one batch below: one process instead of one per case.
			echo "$dir/${f%.toml}.json $tmp/$n.json" >>"$tmp/pairs"
			echo "$n $f" >>"$tmp/names"
		else
			vfail=$((vfail + 1))
			echo "FAIL $f: rejected: $(head -c 300 "$tmp/err")"
		fi
		;;
	invalid/*.toml)
		"$decoder" <"$dir/$f" >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 1 ]; then
			ipass=$((ipass + 1))
		else
			ifail=$((ifail + 1))
			if [ $rc -eq 0 ]; then
				echo "FAIL $f: accepted"
			else
				echo "FAIL $f: exit status $rc: $(head -c 300 "$tmp/err")"
			fi
		fi
		;;
	esac
done <"$list"
compared=$(wc -l <"$tmp/pairs")
"$compare" - <"$tmp/pairs" >"$tmp/diffs"
[ $? -le 1 ] || { echo "toml-test: comparison failed"; exit 99; }
differ=$(grep -c '^FAIL ' "$tmp/diffs")
while IFS= read -r line; do
	num=${line#FAIL "$tmp"/}
	num=${num%%.json:*}
	name=$(grep "^$num " "$tmp/names" | cut -d' ' -f2-)
	echo "FAIL $name: ${line#*.json: }"
done <"$tmp/diffs"
vpass=$((vpass + compared - differ))
vfail=$((vfail + differ))
echo "toml-test valid: $vpass passed, $vfail failed"
echo "toml-test invalid: $ipass passed, $ifail failed"
echo "toml-test: $((vpass + ipass)) passed, $((vfail + ifail)) failed"
[ $((vfail + ifail)) -eq 0 ] && [ $((vpass + ipass)) -gt 0 ]
