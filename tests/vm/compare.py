#!/usr/bin/env python3
"""compare.py EXPECTED CSV [FILTER]: the workload's own account of its opens
(lab-opens) against what opentrace printed (--format csv --fields
kind,flags,return,truncated,filename,comm), in order, for the workload's
comm only. FILTER keeps a subset of EXPECTED, as the module's filters did:
  failed-rdonly-creat   failed opens, read-only or with O_CREAT
Exit 0 when they match, 1 with the differences."""
import csv
import io
import sys

O_CREAT = 0o100


def expected(path, filt):
    rows = []
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n'):
            if not line:
                continue
            kind, flags, ret, cut, hexpath = line.split(b'\t')
            row = (kind.decode(), int(flags), int(ret), int(cut), bytes.fromhex(hexpath.decode()))
            if filt == 'failed-rdonly-creat':
                if row[2] >= 0 or not (row[1] & 3 == 0 or row[1] & O_CREAT):
                    continue
            rows.append(row)
    return rows


def traced(path):
    rows = []
    with open(path, 'rb') as f:
        # latin-1 maps every byte to one character and back
        text = io.StringIO(f.read().decode('latin-1'), newline='')
    reader = csv.reader(text)
    head = next(reader)
    for rec in reader:
        r = dict(zip(head, rec))
        if r['comm'] != 'lab-opens':
            continue
        rows.append((r['kind'], int(r['flags']), int(r['return']), int(r['truncated']),
                     r['filename'].encode('latin-1')))
    return rows


def short(row):
    if row is None:
        return 'nothing'
    path = row[4]
    if len(path) > 80:
        path = path[:40] + b'...(%d bytes)...' % len(path) + path[-20:]
    return repr(row[:4] + (path,))


def main():
    exp = expected(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else None)
    got = traced(sys.argv[2])
    if exp == got:
        print('%s: %d events as expected' % (sys.argv[2], len(got)))
        return 0
    print('%s: %d events, expected %d' % (sys.argv[2], len(got), len(exp)))
    for i in range(max(len(exp), len(got))):
        e = exp[i] if i < len(exp) else None
        g = got[i] if i < len(got) else None
        if e != g:
            print('  #%d expected %s\n  #%d got      %s' % (i, short(e), i, short(g)))
    return 1


sys.exit(main())
