/*
 * fault.h - axhal-private: where page faults on low-half addresses go.
 */
#ifndef AXHAL_RISCV64_FAULT_H
#define AXHAL_RISCV64_FAULT_H

#include <axhal/mem.h>

/* Set by axhal_activate_page_table (mem.c), called by the trap handler (trap.c). */
extern axhal_fault_handler_t axhal_fault_handler;

#endif
