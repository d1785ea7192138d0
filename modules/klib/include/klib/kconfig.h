/*
 * klib/kconfig.h - IS_ENABLED: test a Kconfig option in C code, so that the
 * code of a disabled option is still compiled (parsed and type-checked) and
 * only then dropped as dead code (header-only, usable in the kernel and on
 * the host).
 *
 * IS_ENABLED(CONFIG_FOO) is the integer constant 1 when CONFIG_FOO is a
 * macro defined to 1 (how autoconf.h, or -DCONFIG_FOO=1, sets a bool
 * option), and 0 when it is undefined or defined to anything else (0,
 * nothing, 2, ...). It works in `if`, `#if` and static assertions:
 *
 *	if (IS_ENABLED(CONFIG_FOO))
 *		foo_only_function();
 *
 * compiles the call in every configuration; when the option is off the
 * compiler drops it, so foo_only_function may be left undefined then (it
 * must still be declared).
 *
 * How: pasting the option's expansion onto KCONFIG_ONE_IS_ gives the macro
 * KCONFIG_ONE_IS_1 only for the value 1, and that macro expands to a comma,
 * which moves the 1 that follows it into the argument slot that
 * KCONFIG_SECOND_ picks; any other value pastes into a plain identifier,
 * and the slot holds the 0.
 */
#ifndef KLIB_KCONFIG_H
#define KLIB_KCONFIG_H

#define IS_ENABLED(option) KCONFIG_IS_ONE_(option)

/* Helpers of IS_ENABLED: one level each, so that every argument is expanded first. */
#define KCONFIG_IS_ONE_(value)		    KCONFIG_PICK_(KCONFIG_ONE_IS_##value)
#define KCONFIG_ONE_IS_1		    ~,
#define KCONFIG_PICK_(comma_or_name)	    KCONFIG_SECOND_(comma_or_name 1, 0, ~)
#define KCONFIG_SECOND_(first, second, ...) second

#endif
