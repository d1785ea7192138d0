/*
 * specs.c - the workload tables the app and the host benchmark share (see
 * workloads.h).
 */
#include "workloads.h"

const struct wl_spec wl_arceos[WL_NR_ARCEOS] = {
    {"vec_push_3M", wl_vec_push, 3000000, 0},
    {"vec_rand_free_25K_64", wl_rand_free, 25000, 64},
    {"vec_rand_free_7500_520", wl_rand_free, 7500, 520},
    {"btree_map_50K", wl_btree_map, 50000, 0},
};

const size_t wl_pair_sizes[WL_NR_PAIR_SIZES] = {16, 32, 64, 128, 256};
