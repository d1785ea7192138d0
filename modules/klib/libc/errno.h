/*
 * errno.h - error numbers for the kernel, with Linux's values. Kernel
 * functions return them negated (0 or -EINVAL, -ENOMEM, ...); there is no
 * errno variable.
 */
#ifndef KLIB_LIBC_ERRNO_H
#define KLIB_LIBC_ERRNO_H

#define EPERM 1		/* operation not permitted */
#define ENOENT 2	/* no such entry: not mapped, not allocated */
#define ESRCH 3		/* no such process */
#define EINTR 4		/* interrupted */
#define EIO 5		/* I/O error */
#define ENXIO 6		/* no such device or address */
#define E2BIG 7		/* argument list too long */
#define ENOEXEC 8	/* bad executable format */
#define EBADF 9		/* bad file descriptor */
#define ECHILD 10	/* no child processes */
#define EAGAIN 11	/* try again */
#define ENOMEM 12	/* out of memory */
#define EACCES 13	/* permission denied */
#define EFAULT 14	/* bad address */
#define EBUSY 16	/* resource busy (e.g. would cut a huge page) */
#define EEXIST 17	/* already exists: overlap, already mapped */
#define EXDEV 18	/* cross-device link */
#define ENODEV 19	/* no such device */
#define ENOTDIR 20	/* not a directory */
#define EISDIR 21	/* is a directory */
#define EINVAL 22	/* invalid argument or alignment */
#define ENFILE 23	/* too many open files in the system */
#define EMFILE 24	/* too many open files */
#define ENOTTY 25	/* inappropriate ioctl */
#define EFBIG 27	/* file too large */
#define ENOSPC 28	/* no space left */
#define ESPIPE 29	/* illegal seek */
#define EROFS 30	/* read-only file system */
#define EMLINK 31	/* too many links */
#define EPIPE 32	/* broken pipe */
#define EDOM 33		/* argument out of domain */
#define ERANGE 34	/* result out of range */
#define EDEADLK 35	/* deadlock would occur */
#define ENAMETOOLONG 36 /* name too long */
#define ENOSYS 38	/* function not implemented */
#define ENOTEMPTY 39	/* directory not empty */
#define ELOOP 40	/* too many levels of symbolic links */
#define EOVERFLOW 75	/* value too large for its type */
#define EOPNOTSUPP 95	/* operation not supported */
#define ETIMEDOUT 110	/* timed out */
#define EALREADY 114	/* operation already in progress */
#define EINPROGRESS 115 /* operation in progress */
#define ECANCELED 125	/* operation canceled */

#define EWOULDBLOCK EAGAIN
#define EDEADLOCK EDEADLK
#define ENOTSUP EOPNOTSUPP

#endif
