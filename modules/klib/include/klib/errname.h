/*
 * klib/errname.h - the name of an error code, for messages and logs.
 */
#ifndef KLIB_ERRNAME_H
#define KLIB_ERRNAME_H

#include <errno.h>

/*
 * The name of a result of the kernel's functions, which return 0 or a
 * negated errno: "0", "-EINVAL", "-ENOMEM", "-EEXIST", "-ENOENT", "-EFAULT",
 * "-EBUSY", or "another error" for any other value.
 */
static inline const char *err_name(int err)
{
	switch (err) {
	case 0:
		return "0";
	case -EINVAL:
		return "-EINVAL";
	case -ENOMEM:
		return "-ENOMEM";
	case -EEXIST:
		return "-EEXIST";
	case -ENOENT:
		return "-ENOENT";
	case -EFAULT:
		return "-EFAULT";
	case -EBUSY:
		return "-EBUSY";
	default:
		return "another error";
	}
}

#endif
