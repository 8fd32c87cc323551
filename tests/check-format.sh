#!/bin/sh
# Report (never fix) C files that differ from .clang-format. Skips without clang-format 14.
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 99
command -v clang-format >/dev/null 2>&1 || { echo "clang-format not installed"; exit 77; }
clang-format --version | grep -q 'version 14\.' || { echo "clang-format is not version 14"; exit 77; }
bad=0
for f in $(find base models connectors api cli daemon tests bench -name '*.[ch]' 2>/dev/null | sort); do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=1
	fi
done
exit $bad
