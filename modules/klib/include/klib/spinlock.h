/*
 * klib/spinlock.h - a test-and-test-and-set spinlock built on the compiler's
 * __atomic builtins (header-only, no assembly; usable in the kernel and on
 * the host).
 *
 * Taking the lock is an acquire, releasing it a release: everything written
 * inside one critical section is visible to the next holder, on any hart.
 * The lock does not disable interrupts, and nothing else does so for its
 * holder. That is sound only while no interrupt handler takes a lock: today
 * the kernel never enables supervisor interrupts (sstatus.SIE stays clear).
 * A lock that a handler will take must be held with interrupts off on the
 * holding hart; saving and restoring them is architecture code, so that
 * variant belongs in axhal, around these calls, not here. The lock is not
 * recursive; taking a lock the hart already holds deadlocks.
 */
#ifndef KLIB_SPINLOCK_H
#define KLIB_SPINLOCK_H

#include <stdbool.h>

struct spinlock {
	int locked;	/* 0 free, 1 held */
};

/* Static initialiser of a free lock: struct spinlock l = SPINLOCK_INIT; */
#define SPINLOCK_INIT { 0 }

/* Makes lock a free lock. */
static inline void spin_init(struct spinlock *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELAXED);
}

/*
 * Takes lock if it is free and returns true; returns false at once, changing
 * nothing, if it is held.
 */
static inline bool spin_trylock(struct spinlock *lock)
{
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) == 0 &&
	       __atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

/* Takes lock, spinning until it is free. */
static inline void spin_lock(struct spinlock *lock)
{
	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		/* Wait with plain loads, so waiters do not bounce the cache line. */
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0)
			;
	}
}

/* Releases lock, which the caller holds. */
static inline void spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#endif
