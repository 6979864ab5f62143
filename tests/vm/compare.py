#!/usr/bin/env python3
"""compare.py [options] ACCOUNT CSV: the workload's own account of what it
did (tests/vm/lab-opens) against what opentrace printed with
--format csv --fields kind,flags,return,truncated,filename,comm,args
(and full_path with --full), event by event, in order.

Open events count when their comm is the workload's; exec events all
count (the command's first exec is made under opentrace's name).

  --uring        the backend traces io_uring opens (else the account's
                 uring_* events are not expected)
  --full         the CSV has full_path (-F): compare it for opens
  --filter F     keep only the account's events the module's filters let
                 through: failed-rdonly-creat (failed opens, read-only or
                 with O_CREAT; no execs)
  --dir DIR      the workload's directory, written as DIR in --norm
  --norm FILE    write the events every backend reports alike (no
                 io_uring opens, no full paths), one a line, for
                 comparing cells with each other

Prints one line with the count; exits 0 when they match, 1 with each
difference."""
import argparse
import csv
import difflib
import io
import json
import sys

O_CREAT = 0o100
OPEN_KINDS = ('open', 'openat', 'openat2', 'creat', 'uring_openat', 'uring_openat2')


def unhex(s):
    return bytes.fromhex(s)


def account(path, args):
    rows = []
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n'):
            if not line:
                continue
            f = line.decode('ascii').split('\t')
            if f[0] == 'open':
                kind, flags, ret, cut, name, full = f[1:]
                if kind.startswith('uring_') and not args.uring:
                    continue
                row = ('open', kind, int(flags), int(ret), int(cut), unhex(name),
                       unhex(full) if args.full else None)
                if args.filter == 'failed-rdonly-creat' and (
                        row[3] >= 0 or not (row[2] & 3 == 0 or row[2] & O_CREAT)):
                    continue
            else:
                kind, ret, name, argv = f[1:]
                if args.filter:
                    continue
                row = ('exec', kind, int(ret), unhex(name),
                       tuple(unhex(a) for a in argv.split(',')))
            rows.append(row)
    return rows


def traced(path, args):
    rows = []
    with open(path, 'rb') as f:
        # latin-1 maps every byte to one character and back
        text = io.StringIO(f.read().decode('latin-1'), newline='')
    reader = csv.reader(text)
    head = next(reader)
    for rec in reader:
        r = dict(zip(head, rec))
        b = lambda k: r[k].encode('latin-1')
        if r['kind'] in OPEN_KINDS:
            if r['comm'] != 'lab-opens':
                continue
            rows.append(('open', r['kind'], int(r['flags']), int(r['return']),
                         int(r['truncated']), b('filename'),
                         b('full_path') if args.full else None))
        else:
            # JSON strings: bytes that are not UTF-8 come as surrogates
            argv = json.loads(b('args').decode('utf-8')) if r['args'] else []
            rows.append(('exec', r['kind'], int(r['return']), b('filename'),
                         tuple(a.encode('utf-8', 'surrogateescape') for a in argv)))
    return rows


def short(b):
    if len(b) > 80:
        b = b[:40] + b'...(%d bytes)...' % len(b) + b[-20:]
    return repr(b)[1:]


def show(row, sub=None):
    if row is None:
        return 'nothing'
    out = []
    for v in row:
        if isinstance(v, bytes):
            if sub:
                v = v.replace(sub, b'DIR')
            out.append(short(v))
        elif isinstance(v, tuple):
            out.append('[' + ' '.join(short(a.replace(sub, b'DIR') if sub else a)
                                      for a in v) + ']')
        elif v is not None:
            out.append(str(v))
    return ' '.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--uring', action='store_true')
    ap.add_argument('--full', action='store_true')
    ap.add_argument('--filter')
    ap.add_argument('--dir')
    ap.add_argument('--norm')
    ap.add_argument('account')
    ap.add_argument('csv')
    args = ap.parse_args()
    exp = account(args.account, args)
    got = traced(args.csv, args)
    sub = args.dir.encode() if args.dir else None
    if args.norm:
        with open(args.norm, 'w') as f:
            for row in got:
                if row[1].startswith('uring_'):
                    continue
                f.write(show(row[:-1] if row[0] == 'open' else row, sub) + '\n')
    if exp == got:
        print('%d of %d events as expected' % (len(got), len(exp)))
        return 0
    sm = difflib.SequenceMatcher(None, exp, got, autojunk=False)
    good = sum(b.size for b in sm.get_matching_blocks())
    print('%d of %d events as expected, %d reported; the differences (- expected, + reported):'
          % (good, len(exp), len(got)))
    diff = difflib.unified_diff([show(r, sub) for r in exp], [show(r, sub) for r in got],
                                'account', 'trace', n=1, lineterm='')
    for i, line in enumerate(list(diff)[2:]):
        if i == 40:
            print('  (more left out)')
            break
        print('  ' + line)
    return 1


sys.exit(main())
