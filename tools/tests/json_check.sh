#!/usr/bin/env bash
# json_check.sh KMEMFUZZ INPUTS REGRESSIONS: `run --json` writes JSON and
# nothing else on stdout (one object per file and line), puts `print` output
# inside the object, and keeps -v (each op's result and addresses).
set -u
k="$1"; in="$2"; reg="$3"
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
out=$("$k" run --json "$in/leaky.kmf" "$reg/documents-experiment.kmf") || fail "exit $?"
python3 - "$out" <<'PY' || exit 1
import json, sys
lines = sys.argv[1].split("\n")
assert len(lines) == 2, f"want one line per file, got {len(lines)}"
a, b = (json.loads(l) for l in lines)  # raises on anything that is not JSON
assert a["file"].endswith("leaky.kmf") and a["verdict"] == "ok", a
assert a["printed"] and a["printed"][0].startswith("slabinfo - version: 2.1"), a["printed"]
assert [r["kind"] for r in a["reports"]] == ["bad_order", "double_free"], a["reports"]
assert [l["name"] for l in a["leaks"]] == ["p", "v"] and a["leaks"][1]["line"] == 7, a["leaks"]
assert "trace" not in a, "no trace without -v"
assert b["verdict"] == "ok" and b["leaks"] == [] and b["reports"] == [], b
PY
out=$("$k" run --json -v "$in/leaky.kmf") || fail "exit $? with -v"
python3 - "$out" <<'PY' || exit 1
import json, sys
o = json.loads(sys.argv[1])
t = o["trace"]
assert len(t) == 7, t
assert t[0]["op"] == "p = get_free_pages order=1 gfp=GFP_KERNEL" and t[0]["line"] == 2, t[0]
assert t[0]["addresses"] == ["0xc0002000", "0x00002000"], t[0]
assert t[1]["result"] == "report bad_order", t[1]
PY
out=$("$k" run --json "$in/long-failing.kmf"); code=$?
[ "$code" -eq 1 ] || fail "a failing file exits 1, got $code"
python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["verdict"]=="expect_failed" and o["line"]==200, o' "$out" || exit 1
out=$("$k" run --json "$in/write-past.kmf" "$in/missing.kmf" 2>/dev/null); code=$?
[ "$code" -eq 2 ] || fail "bad inputs exit 2, got $code"
python3 - "$out" <<'PY' || exit 1
import json, sys
a, b = (json.loads(l) for l in sys.argv[1].split("\n"))
assert a["verdict"] == "bad_input" and "write-past.kmf:3:11: write k: length 200" in a["error"], a
assert b["verdict"] == "bad_input" and b["error"].endswith("missing.kmf: no such file"), b
PY
echo "ok: --json is pure JSON, with -v kept"
