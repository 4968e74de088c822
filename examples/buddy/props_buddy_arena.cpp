// props_buddy_arena.cpp — the buddy example's RapidCheck properties: the
// fixed allocator keeps every generic invariant; with the planted shrink bug
// the same property fails (ctest expects that, naming RESIZE).
#include "buddy_arena.h"
#include "front/props.h"

KMF_PROPERTY(BuddyArena, keeps_every_generic_invariant, example::BuddyArenaSubject)
KMF_PROPERTY(BuddyArenaPlantedBug, is_found, example::BuddyArenaSubject, /*planted_bug=*/true)
