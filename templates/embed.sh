#!/bin/sh
# embed.sh SYMBOL FILE: prints a C definition of SYMBOL holding FILE's
# bytes and a final NUL, so templates ship inside the binary.
set -eu
sym=$1
file=$2
printf '/* generated from %s by templates/embed.sh; do not edit */\n' "${file##*/}"
printf 'static const char %s[] = {\n' "$sym"
od -An -v -tx1 "$file" | sed -e 's/ *$//' -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^$/d'
printf '0x00 };\n'
