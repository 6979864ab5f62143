# OT_BACKEND_STAP
# The SystemTap backend generates a script and runs the stap binary, so it
# needs nothing at build time; stap is looked up at run time (STAP_PATH,
# then PATH). configure only reports whether one is present here.
AC_DEFUN([OT_BACKEND_STAP], [
AC_ARG_ENABLE([stap],
  [AS_HELP_STRING([--disable-stap], [do not build the SystemTap backend])],
  [ot_enable_stap=$enableval], [ot_enable_stap=yes])
AS_IF([test "x$ot_enable_stap" != xno], [
  AC_PATH_PROG([STAP], [stap], [], [$PATH:/usr/bin])
  AS_IF([test -n "$STAP"], [ot_stap_summary="yes (stap: $STAP)"],
        [ot_stap_summary="yes (no stap here; needed at run time)"])
  AC_DEFINE([HAVE_BACKEND_STAP], [1], [Build the SystemTap backend])
], [ot_stap_summary="no (disabled)"])
AM_CONDITIONAL([BACKEND_STAP], [test "x$ot_enable_stap" != xno])
])
