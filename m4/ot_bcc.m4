# OT_BACKEND_BCC
# The BCC backend compiles C text at run time through libbcc's C API.
# libbcc is heavy (it pulls in LLVM), so it is only probed here; the
# backend loads it when chosen.
AC_DEFUN([OT_BACKEND_BCC], [
AC_ARG_ENABLE([bcc],
  [AS_HELP_STRING([--disable-bcc], [do not build the BCC backend])],
  [ot_enable_bcc=$enableval], [ot_enable_bcc=auto])
ot_bcc_summary=no
ot_have_bcc=no
AS_IF([test "x$ot_enable_bcc" != xno], [
  AC_CACHE_CHECK([for libbcc (libbpfcc-dev)], [ot_cv_libbcc], [
    ot_cv_libbcc=no
    ot_save_LIBS=$LIBS
    LIBS="-lbcc $LIBS"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[void *bpf_module_create_c_from_string(const char *, unsigned, const char **, int, _Bool, const char *);]],
                                    [[return bpf_module_create_c_from_string(0, 0, 0, 0, 0, 0) != 0;]])],
                   [ot_cv_libbcc=yes])
    LIBS=$ot_save_LIBS])
  dnl The backend includes libbcc's headers only for its prototypes and
  dnl opens the library with dlopen(): nothing links -lbcc.
  AS_IF([test "x$ot_cv_libbcc" = xyes],
    [AC_CHECK_HEADERS([bcc/bcc_common.h bcc/libbpf.h bcc/perf_reader.h], [], [ot_cv_libbcc=no])])
  AS_IF([test "x$ot_cv_libbcc" = xyes],
    [AC_SEARCH_LIBS([dlopen], [dl], [], [ot_cv_libbcc=no])])
  AS_IF([test "x$ot_cv_libbcc" = xyes], [ot_have_bcc=yes; ot_bcc_summary=yes],
    [test "x$ot_enable_bcc" = xyes], [AC_MSG_ERROR([BCC backend requested but libbcc is missing (apt-get install libbpfcc-dev)])],
    [ot_bcc_summary="no (missing: libbpfcc-dev)"])
], [ot_bcc_summary="no (disabled)"])
AS_IF([test "x$ot_have_bcc" = xyes],
  [AC_DEFINE([HAVE_BACKEND_BCC], [1], [libbcc was found at build time])])
AM_CONDITIONAL([BACKEND_BCC], [test "x$ot_have_bcc" = xyes])
])
