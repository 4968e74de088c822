#!/usr/bin/env bash
# expect_exit.sh CODE REGEX -- COMMAND...: runs COMMAND, passes when it exits
# with CODE and its combined output matches the extended REGEX.
set -u
want="$1"; regex="$2"; shift 2
[ "$1" = "--" ] && shift
out=$("$@" 2>&1); got=$?
if [ "$got" -ne "$want" ]; then
  printf 'expected exit %s, got %s from: %s\n--- output ---\n%s\n' "$want" "$got" "$*" "$out"
  exit 1
fi
if ! grep -Eq -- "$regex" <<<"$out"; then
  printf 'output of %s does not match /%s/\n--- output ---\n%s\n' "$*" "$regex" "$out"
  exit 1
fi
printf 'ok: exit %s, output matches /%s/\n' "$got" "$regex"
