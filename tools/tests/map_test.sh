#!/usr/bin/env bash
# map_test.sh KMEMFUZZ REGRESSIONS DIR: `kmemfuzz map` draws the classic
# module's machine after its vmalloc: structural checks on the SVG (one line
# per vmalloc page to its frame, hover titles naming op and slot, the guard
# page, the legend, nothing fetched from outside), the HTML form, then a
# headless Chromium screenshot that must not be blank (exit 77 = skipped
# when chromium is absent).
set -u
k="$1"; reg="$2"; d="$3"; mkdir -p "$d"
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
src="$reg/classic-module-get_free_page-kmalloc-vmalloc.kmf"
"$k" map "$src" --at 2 -o "$d/classic.svg" || fail "map exited $?"
"$k" map "$src" --at 2 -o "$d/classic.html" || fail "map (html) exited $?"
python3 - "$d/classic.svg" "$d/classic.html" <<'PY' || exit 1
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
text = open(sys.argv[1]).read()
root = ET.fromstring(text)
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
want = "vmallocmem = vmalloc 1000000 (op 2, slot 2): [0xca800000, 0xca8f5000), 245 pages"
assert want in titles, "no hover title naming the area's op and slot"
assert any(t.startswith("guard page of vmallocmem: [0xca8f5000, 0xca8f6000)") for t in titles), "no guard page"
assert any(t.startswith("direct map: [0xc0000000, 0xca000000)") for t in titles), "no direct map"
assert any("VMALLOC_OFFSET gap: [0xca000000, 0xca800000)" in t for t in titles), "no gap"
assert any(t.startswith("zone Normal: pfn 0x1000-0x9fff") for t in titles), "no zone boundary"
# Runs are per row of 320 cells: pfn 0x1040 starts row 13.
assert "pfn 0x1002-0x103f: vmalloc page of vmallocmem" in titles, "frames not coloured by owner"
assert "pfn 0x1040-0x10f6: vmalloc page of vmallocmem" in titles, "frames not coloured by owner"
assert "pfn 0x1000: alloc_pages / get_free_pages" in titles and any(t.endswith(": page table") for t in titles)
assert any(t.endswith(": slab of cache size-128") for t in titles), "the kmalloc slab is missing"
lines = root.find(".//s:g[@id='page-lines']", ns)
assert lines is not None and len(list(lines)) == 245, "want one line per vmalloc page"
legend = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
for item in ("free, order 0", "free, order 10", "vmalloc page (and area)", "page table", "reserved",
             "guard page", "free highmem", "slab: size-128"):
    assert item in legend, "legend lacks " + item
for bad in ("<script", "href=", "http://", "https://"):
    assert bad not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), "not self-contained: " + bad
html = open(sys.argv[2]).read()
assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "PAGE_OFFSET    0xc0000000" in html
print("svg: structure ok")
PY
out=$("$k" map "$src" -o "$d/x.png" 2>&1); [ $? -eq 2 ] && grep -q 'as .svg or .html' <<<"$out" || fail "bad extension: $out"
out=$("$k" map "$src" --at 99 -o "$d/x.svg" 2>&1); [ $? -eq 2 ] && grep -q -- '--at 99: the program has ops 0..18' <<<"$out" || fail "bad --at: $out"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then echo "SKIP: chromium is not installed (ci/deps.sh installs it)"; exit 77; fi
profile=$(mktemp -d)
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --screenshot="$d/classic.png" --window-size=1200,900 "file://$d/classic.svg" >/dev/null 2>&1
rm -rf "$profile"
[ -s "$d/classic.png" ] || fail "chromium wrote no screenshot"
python3 - "$d/classic.png" <<'PY' || exit 1
# A small PNG reader (no imaging library needed): the picture must not be
# blank: mostly non-white, with the free-frame green and the vmalloc orange.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, nonwhite, i = bytearray(stride), {}, 0, 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 2):  # every other pixel is plenty
        px = bytes(line[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
        nonwhite += px != b"\xff\xff\xff"
    prev = line
total = sum(colours.values())
share = nonwhite / total
green = colours.get(bytes.fromhex("006428"), 0)
orange = colours.get(bytes.fromhex("ff7f0e"), 0)
print(f"screenshot {w}x{h}: {len(colours)} colours, {share:.0%} non-white, green {green}, orange {orange}")
assert share > 0.3, "the screenshot is mostly blank"
assert green > 1000 and orange > 100, "free frames or the vmalloc area are not drawn"
PY
echo "ok: map structure and screenshot"
