# Sourced by the bcc tests: the matrix of plans whose generated text is
# checked against tests/golden/bcc/NAME.h and compiled. One line each:
# NAME, then opentrace's arguments (no spaces inside an argument).
bcc_variants_()
{
	cat <<'VARIANTS'
all
pid -p 1
pids -p 1,2,3
follow -p 1 -f
command -- true
tid -t 42
uid -u 1000
comm -n cat
failed -x
latency -L 250
flags-one --flags O_WRONLY
flags-formula --flags (O_WRONLY|O_RDWR)&~O_TRUNC
flags-rdonly --flags O_RDONLY|O_CREAT&~O_EXCL
pid-comm-failed -p 1 -n sh -x
uid-flags-latency -u 0 --flags O_CREAT -L 10
everything -p 1 -f -t 7 -n ab -x --flags O_WRONLY&~O_APPEND -L 1
cgroup --cgroup /
new-cgroup --new-cgroup -- true
exec --events exec
exec-open-args --events open,exec --max-args 128 -p 1 -f -x
exec-filters --events exec -u 0 -n sh -L 5 --max-args 1
VARIANTS
}
