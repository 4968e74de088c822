// fuzz_buddy_arena.cpp — the buddy example's fuzz target. Built twice:
// fuzz_buddy_arena (fixed) and fuzz_buddy_arena_buggy (-DPLANTED_BUG=1).
#include "buddy_arena.h"
#include "front/fuzz_target.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif

KMF_FUZZ_TARGET(example::BuddyArenaSubject, PLANTED_BUG)
