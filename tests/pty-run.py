#!/usr/bin/env python3
"""Runs a command as a job of a small shell on a pseudo-terminal of its
own, as a user at a terminal would, for tests/live-terminal.test.

    pty-run.py tiocsti -- COMMAND...
        Runs COMMAND in the foreground, then says on stdout what reached
        the terminal's input while it ran ("input: ..."), and its status.
    pty-run.py jobs -- COMMAND...
        Runs COMMAND in the foreground; types Ctrl-Z, says which of its
        processes stopped; continues it as `fg` does; types Ctrl-C, says
        its status and which of its processes are left.

The shell is the session leader and puts the job in a process group of
its own in the foreground, so the job's group is not orphaned: the
terminal's job-control signals act on it as they would under bash.
"""
import os
import pty
import signal
import sys
import termios
import time


def say(fd, msg):
    os.write(fd, (msg + "\n").encode())


def status_text(st):
    if os.WIFEXITED(st):
        return "exit %d" % os.WEXITSTATUS(st)
    if os.WIFSIGNALED(st):
        return "signal %d" % os.WTERMSIG(st)
    return "stopped %d" % os.WSTOPSIG(st)


def shell(argv, report):
    """The pty's session leader: starts the job, reports on it."""
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        os.execvp(argv[0], argv)
    # both sides set the group, as shells do; once the job has exec'd
    # (a loaded machine), the kernel refuses this one with EACCES, and the
    # job's own call has done it
    try:
        os.setpgid(job, job)
    except PermissionError:
        pass
    os.tcsetpgrp(0, job)
    say(report, "job %d" % job)
    while True:
        _, st = os.waitpid(job, os.WUNTRACED)
        say(report, status_text(st))
        if not os.WIFSTOPPED(st):
            break
    # the terminal back, as a shell takes it, and what the job left in
    # its input queue
    os.tcsetpgrp(0, os.getpgrp())
    attrs = termios.tcgetattr(0)
    attrs[3] &= ~(termios.ICANON | termios.ECHO)
    attrs[6][termios.VMIN] = 0
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(0, termios.TCSANOW, attrs)
    left = os.read(0, 4096)
    say(report, "input: %r" % left)
    os._exit(0)


def descendants(pid):
    """pid and every process below it, with their states."""
    found, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/stat" % p) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            found[p] = state
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found


def wait_for(pred, what, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    print("timeout: " + what)
    sys.exit(1)


def main():
    mode, sep, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == "--"
    rfd, wfd = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        os.close(rfd)
        shell(argv, wfd)
    os.close(wfd)
    reports = os.fdopen(rfd)
    job = int(reports.readline().split()[1])

    def drain():
        # the terminal's output, so the job never blocks writing it
        try:
            while os.read(master, 4096):
                pass
        except OSError:
            pass

    os.set_blocking(master, False)
    if mode == "jobs":
        # the command started: the job and a child of it
        wait_for(lambda: len(descendants(job)) >= 2, "the command did not start")
        time.sleep(0.5)
        before = descendants(job)
        os.write(master, b"\x1a")
        line = reports.readline().strip()
        print("after ^Z: " + line)
        wait_for(lambda: all(s == "T" for s in descendants(job).values()),
                 "not every process of the job stopped: %s" % descendants(job))
        print("stopped: %d of %d" % (len(descendants(job)), len(before)))
        os.killpg(job, signal.SIGCONT)
        wait_for(lambda: all(s != "T" for s in descendants(job).values()),
                 "the job did not continue: %s" % descendants(job))
        print("continued")
        time.sleep(0.3)
        os.write(master, b"\x03")
        print("after ^C: " + reports.readline().strip())
        time.sleep(0.3)
        left = [p for p in before if p != job and p in descendants(p)]
        print("left: %s" % left)
    for line in reports:
        print(line.strip())
    drain()
    os.waitpid(pid, 0)


main()
