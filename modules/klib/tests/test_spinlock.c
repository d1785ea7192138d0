/*
 * test_spinlock.c - <klib/spinlock.h>: trylock semantics, and mutual
 * exclusion between host threads (a non-atomic counter must not lose
 * increments).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <klib/spinlock.h>

#include "console_capture.h"

#define NR_THREADS 4
#define NR_INCREMENTS 1000000

static struct spinlock counter_lock = SPINLOCK_INIT;
static volatile unsigned long counter;

static void test_trylock(void **state)
{
	(void)state;
	struct spinlock lock;

	spin_init(&lock);
	assert_true(spin_trylock(&lock));
	assert_false(spin_trylock(&lock));
	assert_int_equal(lock.locked, 1);
	spin_unlock(&lock);
	assert_int_equal(lock.locked, 0);
	spin_lock(&lock);
	assert_false(spin_trylock(&lock));
	spin_unlock(&lock);
	assert_true(spin_trylock(&lock));
	spin_unlock(&lock);
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < NR_INCREMENTS; i++) {
		spin_lock(&counter_lock);
		counter = counter + 1;	/* a separate load and store, racy without the lock */
		spin_unlock(&counter_lock);
	}
	return NULL;
}

static void test_mutual_exclusion(void **state)
{
	(void)state;
	pthread_t threads[NR_THREADS];

	counter = 0;
	for (int i = 0; i < NR_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, worker, NULL), 0);
	for (int i = 0; i < NR_THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	assert_int_equal(counter, (unsigned long)NR_THREADS * NR_INCREMENTS);
	assert_int_equal(counter_lock.locked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trylock),
		cmocka_unit_test(test_mutual_exclusion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
