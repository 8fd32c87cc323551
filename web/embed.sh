#!/bin/sh
# embed.sh DIR FILE...: print a C file holding each DIR/FILE as a byte array, and the table
# web_assets[] (declared in api/handlers.h) that api/handlers-web.c serves. POSIX sh, od, awk.
set -e
dir=$1
shift
echo '/* Generated from web/ by web/embed.sh; edit the files in web/ instead. */'
echo '#include "config.h"'
echo
echo '#include "api/handlers.h"'
i=0
for f in "$@"; do
	if [ ! -s "$dir/$f" ]; then
		echo "embed.sh: $dir/$f is missing or empty" >&2
		exit 1
	fi
	echo
	echo "static const unsigned char asset_$i[] = {"
	od -An -v -tu1 "$dir/$f" | awk '
		{ for (i = 1; i <= NF; i++) { line = line $i ","; if (length(line) > 90) { print line; line = "" } } }
		END { if (line != "") print line }'
	echo '};'
	i=$((i + 1))
done
echo
echo 'const struct web_asset web_assets[] = {'
i=0
for f in "$@"; do
	echo "	{ \"$f\", asset_$i, sizeof(asset_$i) },"
	i=$((i + 1))
done
echo '};'
echo
echo 'const size_t web_n_assets = sizeof(web_assets) / sizeof(web_assets[0]);'
