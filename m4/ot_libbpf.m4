# OT_BACKEND_LIBBPF
# The libbpf CO-RE backend: libbpf, libelf and zlib at run time; clang
# (-target bpf) and bpftool (gen skeleton) at build time.
AC_DEFUN([OT_BACKEND_LIBBPF], [
AC_ARG_ENABLE([libbpf],
  [AS_HELP_STRING([--disable-libbpf], [do not build the libbpf CO-RE backend])],
  [ot_enable_libbpf=$enableval], [ot_enable_libbpf=auto])
AC_ARG_VAR([BPF_CLANG], [clang used to compile bpf/*.bpf.c])
AC_ARG_VAR([BPFTOOL], [bpftool used to generate BPF skeletons])
ot_libbpf_summary=no
ot_have_libbpf=no
AS_IF([test "x$ot_enable_libbpf" != xno], [
  ot_missing=
  PKG_CHECK_MODULES([LIBBPF], [libbpf >= 0.8], [], [ot_missing="$ot_missing libbpf-dev"])
  PKG_CHECK_MODULES([LIBELF], [libelf], [], [ot_missing="$ot_missing libelf-dev"])
  PKG_CHECK_MODULES([ZLIB], [zlib], [], [ot_missing="$ot_missing zlib1g-dev"])
  AC_PATH_PROGS([BPF_CLANG], [clang clang-16 clang-15 clang-14], [], [$PATH])
  AS_IF([test -z "$BPF_CLANG"], [ot_missing="$ot_missing clang"])
  AC_PATH_PROG([BPFTOOL], [bpftool], [], [$PATH:/usr/sbin:/sbin])
  AS_IF([test -z "$BPFTOOL"], [ot_missing="$ot_missing bpftool"])
  AC_CACHE_CHECK([whether $BPF_CLANG can target bpf], [ot_cv_clang_bpf], [
    ot_cv_clang_bpf=no
    AS_IF([test -n "$BPF_CLANG"], [
      echo 'int x;' > conftest.bpf.c
      AS_IF([$BPF_CLANG -target bpf -O2 -c conftest.bpf.c -o conftest.bpf.o >&AS_MESSAGE_LOG_FD 2>&1],
        [ot_cv_clang_bpf=yes])
      rm -f conftest.bpf.c conftest.bpf.o])])
  AS_IF([test "x$ot_cv_clang_bpf" != xyes && test -n "$BPF_CLANG"], [ot_missing="$ot_missing clang(bpf target)"])
  AS_IF([test -z "$ot_missing"], [ot_have_libbpf=yes; ot_libbpf_summary=yes],
    [test "x$ot_enable_libbpf" = xyes],
      [AC_MSG_ERROR([libbpf backend requested but missing:$ot_missing (run ./setup)])],
    [ot_libbpf_summary="no (missing:$ot_missing)"])
], [ot_libbpf_summary="no (disabled)"])
AS_IF([test "x$ot_have_libbpf" = xyes],
  [AC_DEFINE([HAVE_BACKEND_LIBBPF], [1], [Build the libbpf CO-RE backend])])
AM_CONDITIONAL([BACKEND_LIBBPF], [test "x$ot_have_libbpf" = xyes])
# The light skeleton (bpftool gen skeleton -L): a loader program that the
# kernel runs, doing the CO-RE relocations against its own BTF, so a start
# parses no BTF in user space. Optional: without it every run uses
# libbpf's loader.
ot_have_lskel=no
AS_IF([test "x$ot_have_libbpf" = xyes], [
  AC_CACHE_CHECK([whether $BPFTOOL generates light skeletons], [ot_cv_bpftool_lskel], [
    ot_cv_bpftool_lskel=no
    AS_IF([$BPFTOOL gen help 2>&1 | grep -q -e '--use-loader'], [ot_cv_bpftool_lskel=yes])])
  ot_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $LIBBPF_CFLAGS"
  AC_CHECK_HEADER([bpf/skel_internal.h], [], [ot_cv_bpftool_lskel=no], [[#include <errno.h>]])
  CPPFLAGS=$ot_save_CPPFLAGS
  ot_have_lskel=$ot_cv_bpftool_lskel])
AS_IF([test "x$ot_have_lskel" = xyes],
  [AC_DEFINE([HAVE_LIBBPF_LSKEL], [1], [The libbpf backend has a light skeleton])
   ot_libbpf_summary="$ot_libbpf_summary (light loader too)"])
AM_CONDITIONAL([LIBBPF_LSKEL], [test "x$ot_have_lskel" = xyes])
])
