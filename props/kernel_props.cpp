// kernel_props.cpp — the catalog's claims as properties over generated
// programs on the whole Kernel, one property per invariant id, each named as
// its claim and run on programs shaped to exercise it.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "check/catalog.h"
#include "props/generators.h"
#include "props/props_util.h"

namespace kmf::props {
namespace {

const Shape PAGES{.pages = true, .slab = false, .vmalloc = false};
const Shape SLAB{.pages = false, .slab = true, .vmalloc = false, .fragment = false};
const Shape VM{.pages = false, .slab = false, .vmalloc = true, .fragment = false};
const Shape ALL{};
const Shape HOSTILE{.misuse = true, .atomic = true, .faults = true};

// Each property runs full programs with every check on, so a break of any id
// fails it; the name says which claim the program shape aims at.
#define KMF_CLAIM(Name, ShapeValue)                      \
  RC_GTEST_PROP(Claims, Name, ()) {                      \
    const Program p = *gen_program(ShapeValue);          \
    assert_clean(p, {.level = CheckLevel::incremental}); \
  }

KMF_CLAIM(b_align_every_order_k_block_starts_at_a_multiple_of_2_pow_k, PAGES)
KMF_CLAIM(b_freelist_free_blocks_are_on_the_list_of_their_order_and_counts_match, PAGES)
KMF_CLAIM(b_coalesce_no_free_block_has_a_free_buddy_of_its_order, PAGES)
KMF_CLAIM(b_account_free_plus_allocated_plus_reserved_is_the_zone_size, ALL)
KMF_CLAIM(b_order_orders_above_10_always_fail_cleanly, PAGES)
KMF_CLAIM(b_avail_an_allocation_fails_only_when_no_eligible_zone_can_serve_it, PAGES)
KMF_CLAIM(b_zone_dma_frames_are_below_16_MiB_and_non_highmem_frames_are_lowmem, PAGES)
KMF_CLAIM(b_wmark_only_atomic_requests_dip_below_min_and_never_below_their_reserve, HOSTILE)
KMF_CLAIM(b_restore_freeing_everything_restores_the_boot_free_lists, ALL)
KMF_CLAIM(s_object_live_objects_lie_in_a_slab_of_their_cache, SLAB)
KMF_CLAIM(s_freelist_slab_free_lists_are_acyclic_and_counted, SLAB)
KMF_CLAIM(s_limit_kmalloc_above_the_limit_fails, SLAB)
KMF_CLAIM(s_ksize_is_at_least_the_request_and_equals_the_size_class, SLAB)
KMF_CLAIM(s_align_objects_honour_their_alignment, SLAB)
KMF_CLAIM(phys_contig_kmalloc_and_page_memory_is_physically_contiguous, ALL)
KMF_CLAIM(v_contig_every_vmalloc_page_is_mapped_inside_the_vmalloc_area, VM)
KMF_CLAIM(v_guard_the_page_after_every_area_is_unmapped, VM)
KMF_CLAIM(v_frames_frames_behind_vmalloc_pages_are_distinct_and_allocated, VM)
KMF_CLAIM(v_unmap_vfree_and_iounmap_leave_no_pte_and_free_the_frames, VM)
KMF_CLAIM(ioremap_maps_exactly_the_range_and_allocates_no_frames, VM)
KMF_CLAIM(layout_direct_map_and_vmalloc_addresses_are_where_the_profile_puts_them, ALL)
KMF_CLAIM(no_overlap_no_two_live_allocations_share_a_byte_or_a_frame, ALL)
KMF_CLAIM(zero_zeroed_memory_reads_zero, ALL)
KMF_CLAIM(integrity_payload_stamps_read_back_unchanged, ALL)
KMF_CLAIM(debug_detect_slab_debug_notices_corruption_it_is_shown, (Shape{.misuse = true}))
KMF_CLAIM(misuse_every_misuse_op_yields_exactly_its_report_and_changes_nothing, HOSTILE)
KMF_CLAIM(no_leak_nothing_is_live_after_teardown, ALL)
KMF_CLAIM(fault_an_injected_failure_returns_null_and_changes_nothing, (Shape{.faults = true}))

// The shapes the claims above meet only by chance, focused: half of each
// program is GFP_DMA exhaustion, watermark-window pressure or multi-slab
// churn; scribbles at the size class and red zone with misuse on.
const Shape PRESSURE{.vmalloc = false, .atomic = true, .fragment = false, .heavy = true};
const Shape CHURN{.pages = false, .vmalloc = false, .fragment = false, .pressure = false, .heavy = true};
KMF_CLAIM(b_wmark_dma_exhaustion_and_the_watermark_window_keep_every_zone_rule, PRESSURE)
KMF_CLAIM(s_freelist_multi_slab_churn_keeps_free_lists_and_slab_lists_right, CHURN)
KMF_CLAIM(debug_detect_scribbles_at_the_size_class_and_red_zone_are_noticed,
          (Shape{.vmalloc = false, .misuse = true, .fragment = false, .pressure = false}))

TEST(Claims, every_catalog_id_has_a_property) {
  // 28 kernel invariants above; the 15 generic ids (IN-BOUNDS .. STATS)
  // have theirs in props/generic_props.cpp; EXPECT is the scripts' own id.
  EXPECT_EQ(NR_INVARIANTS, 44u);
}

RC_GTEST_PROP(Kernel, the_same_program_and_seed_give_the_same_addresses, ()) {
  const Program p = *gen_program(HOSTILE);
  const ExecResult a = execute(p, {.trace = true});
  const ExecResult b = execute(p, {.trace = true});
  RC_ASSERT(a.trace == b.trace);
  RC_ASSERT(a.ok() == b.ok());
}

RC_GTEST_PROP(Kernel, incremental_and_full_checking_agree, ()) {
  const Program p = *gen_program(ALL, 1, 16);
  const bool inc = execute(p, {.level = CheckLevel::incremental}).ok();
  const bool full = execute(p, {.level = CheckLevel::full}).ok();
  RC_ASSERT(inc == full);
}

}  // namespace
}  // namespace kmf::props
