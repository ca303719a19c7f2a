/* Force-included into every C file of the bundled Python and its SQLite (packaging/build_python.sh): bind the
 * libm functions whose symbol version glibc 2.29 renewed to their older version, so that a build on glibc 2.31
 * runs on glibc 2.28 (麒麟 V10, 统信 V20). The older versions are the same functions without the 2.29 error
 * handling changes (errno on overflow), which Python's math module checks itself. */
#if defined(__x86_64__)
#define ARCHIVE_OLD_LIBM "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define ARCHIVE_OLD_LIBM "GLIBC_2.17"
#endif
#ifdef ARCHIVE_OLD_LIBM
__asm__(".symver exp,exp@" ARCHIVE_OLD_LIBM);
__asm__(".symver exp2,exp2@" ARCHIVE_OLD_LIBM);
__asm__(".symver log,log@" ARCHIVE_OLD_LIBM);
__asm__(".symver log2,log2@" ARCHIVE_OLD_LIBM);
__asm__(".symver pow,pow@" ARCHIVE_OLD_LIBM);
#endif
