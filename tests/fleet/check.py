#!/usr/bin/env python3
"""check.py RESULTS HOST=EXPECTED:STATUS:MODE:BACKEND:RELEASE...

What the fleet playbook merged into RESULTS (events.jsonl, events.csv,
summary.txt) against what each guest's workload (tests/vm/lab-opens) says
it did, in EXPECTED (empty for a host that cannot have events):

  - every event belongs to a host named here, and the events are ordered
    by their wall-clock time;
  - each host's events, in the order it wrote them, are exactly its
    workload's opens (kind, flags, return, truncated, the path's bytes),
    none missing, none invented;
  - the CSV holds the same events, in the same order, byte for byte;
  - each host has one summary record with the STATUS, MODE, BACKEND and
    kernel RELEASE given, its events counted, nothing lost or unmatched,
    and a reason when it produced nothing; summary.txt lists every host.

Exit 0 when all hold, 1 with what differs."""
import csv
import datetime
import io
import json
import os
import sys

errors = []


def err(msg):
    errors.append(msg)
    print('check: ' + msg)


def workload(path):
    """The account of lab-opens --opens-only: one line per open, "open",
    KIND, FLAGS, RET, TRUNCATED, the path in hex and the path -F would
    give, which the fleet's traces (no -F) do not have."""
    rows = []
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n'):
            if line:
                what, kind, flags, ret, cut, hexpath, _ = line.split(b'\t')
                if what != b'open':
                    raise SystemExit('check: %s: not an open: %r' % (path, line))
                rows.append((kind.decode(), int(flags), int(ret), bool(int(cut)),
                             bytes.fromhex(hexpath.decode())))
    return rows


def raw(s):
    return s.encode('utf-8', 'surrogateescape')


def main():
    results = sys.argv[1]
    hosts = {}
    for spec in sys.argv[2:]:
        name, rest = spec.split('=', 1)
        expected, status, mode, backend, release = rest.split(':')
        hosts[name] = {'expected': workload(expected) if expected else [],
                       'status': status, 'mode': mode or None,
                       'backend': backend or None, 'kernel_release': release or None}

    events, summaries = [], {}
    with open(os.path.join(results, 'events.jsonl'), 'rb') as f:
        for n, line in enumerate(f, 1):
            rec = json.loads(line.decode('utf-8'))
            if rec['type'] == 'event':
                if summaries:
                    err('events.jsonl:%d: an event after the summary records' % n)
                events.append(rec)
            elif rec['type'] == 'summary':
                if rec['host'] in summaries:
                    err('two summary records for %s' % rec['host'])
                summaries[rec['host']] = rec
    times = [datetime.datetime.fromisoformat(e['time'].replace('Z', '+00:00')) for e in events]
    if times != sorted(times):
        err('the merged events are not ordered by time')

    for name, want in hosts.items():
        got = [(e['kind'], e['flags'], e['return'], e['truncated'], raw(e['filename']))
               for e in events if e['host'] == name]
        if got != want['expected']:
            err('%s: %d events, its workload made %d opens; first difference:' %
                (name, len(got), len(want['expected'])))
            for i, (g, w) in enumerate(zip(got + [None] * len(want['expected']),
                                           want['expected'] + [None] * len(got))):
                if g != w:
                    print('  #%d traced %r\n  #%d made   %r' % (i, g, i, w))
                    break
        bad = [e for e in events if e['host'] == name and e['comm'] != 'lab-opens']
        if bad:
            err('%s: events of other commands: %r' % (name, bad[:3]))
        s = summaries.get(name)
        if s is None:
            err('%s: no summary record' % name)
            continue
        for k in ('status', 'mode', 'backend', 'kernel_release'):
            if s.get(k) != want[k]:
                err('%s: summary says %s %r, expected %r (reason: %s)' %
                    (name, k, s.get(k), want[k], s.get('reason')))
        if want['status'] == 'ok':
            if (s.get('events'), s.get('lost'), s.get('unmatched')) != (len(want['expected']), 0, 0):
                err('%s: summary counts %s events, %s lost, %s unmatched; expected %d, 0, 0' %
                    (name, s.get('events'), s.get('lost'), s.get('unmatched'),
                     len(want['expected'])))
        elif not s.get('reason'):
            err('%s: %s without a reason' % (name, s.get('status')))
    strangers = {e['host'] for e in events} - set(hosts)
    if strangers:
        err('events of hosts not in the inventory: %s' % sorted(strangers))

    with open(os.path.join(results, 'events.csv'), 'rb') as f:
        # latin-1 maps every byte to one character and back
        rows = list(csv.DictReader(io.StringIO(f.read().decode('latin-1'), newline='')))
    if len(rows) != len(events):
        err('events.csv has %d rows, events.jsonl %d events' % (len(rows), len(events)))
    for i, (r, e) in enumerate(zip(rows, events)):
        got = (r['host'], r['time'], r['filename'].encode('latin-1'), int(r['return']))
        want = (e['host'], e['time'], raw(e['filename']), e['return'])
        if got != want:
            err('events.csv row %d is %r, events.jsonl has %r' % (i + 1, got, want))
            break

    with open(os.path.join(results, 'summary.txt')) as f:
        table = f.read()
    for name, want in hosts.items():
        if not any(line.split()[:2] == [name, want['status']] for line in table.splitlines()):
            err('summary.txt has no line for %s %s' % (name, want['status']))

    if errors:
        sys.exit(1)
    print('check: %d events of %d hosts merged in time order, each host\'s exactly as its '
          'workload made them; the summary right for every host' % (len(events), len(hosts)))


if __name__ == '__main__':
    main()
