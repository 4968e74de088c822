// fault_shadow.cpp — fault injection predicted from the rules, not from alloc/.
#include "check/fault_shadow.h"

#include "alloc/types.h"

namespace kmf {
namespace {

constexpr std::uint64_t PAGE_ALLOC_SEED = 0x70616765616c6c6fULL;  // "pageallo"
constexpr std::uint64_t FAILSLAB_SEED = 0x6661696c736c6162ULL;    // "failslab"

bool may_sleep(gfp_t gfp) { return (gfp & GFP_DIRECT_RECLAIM) != 0; }

std::string describe(const FaultCall& c) {
  if (c.slab) return "failslab call (cache " + c.cache + ", gfp " + gfp_to_string(c.gfp) + ")";
  return "fail_page_alloc call (order " + std::to_string(c.order) + ", gfp " + gfp_to_string(c.gfp) + ")";
}

}  // namespace

FaultShadow::FaultShadow(std::uint64_t machine_seed) {
  page_.seed = machine_seed ^ PAGE_ALLOC_SEED;
  slab_.seed = machine_seed ^ FAILSLAB_SEED;
  off();
}

void FaultShadow::configure(bool slab, const FaultConfig& config) { (slab ? slab_ : page_).config = config; }

void FaultShadow::off() {
  for (Target* t : {&page_, &slab_}) {
    t->config = FaultConfig{};
    t->counted = 0;
    t->rng = Rng(t->seed);
  }
}

bool FaultShadow::decide(Target& t, std::uint64_t size) {
  FaultConfig& c = t.config;
  if (c.probability == 0 || c.times == 0) return false;
  if (c.space > size) {
    c.space -= size;
    return false;
  }
  ++t.counted;
  if (c.interval > 1 && t.counted % c.interval != 0) return false;
  if (c.probability < 100 && t.rng.below(100) >= c.probability) return false;
  if (c.times > 0) --c.times;
  return true;
}

bool FaultShadow::predict(const FaultCall& call) {
  if (call.gfp & GFP_NOFAIL) return false;
  if (call.slab) {
    const FaultConfig& c = slab_.config;
    if (c.probability == 0) return false;
    if (c.ignore_gfp_wait && may_sleep(call.gfp)) return false;
    if (!c.cache_filter.empty() && c.cache_filter != call.cache) return false;
    return decide(slab_, call.size);
  }
  const FaultConfig& c = page_.config;
  if (c.probability == 0) return false;
  if (call.order < c.min_order) return false;
  if (c.ignore_gfp_highmem && (call.gfp & GFP_HIGHMEM)) return false;
  if (c.ignore_gfp_wait && may_sleep(call.gfp)) return false;
  return decide(page_, PAGE_SIZE << call.order);
}

Check FaultShadow::judge(std::span<const FaultCall> calls) {
  for (const FaultCall& call : calls) {
    const Target& t = call.slab ? slab_ : page_;
    const std::uint64_t counted_before = t.counted;
    const bool want = predict(call);
    ++judged_;
    if (want == call.failed) continue;
    const FaultConfig& c = t.config;
    std::string why = describe(call) + " #" + std::to_string(judged_) + ": ";
    why += want ? "the shadow model says it must fail" : "the shadow model says it must pass";
    why += " (probability " + std::to_string(c.probability) + ", interval " + std::to_string(c.interval) +
           ", times left " + std::to_string(c.times) + ", space left " + std::to_string(c.space) +
           ", counted calls " + std::to_string(counted_before) + " -> " + std::to_string(t.counted) + ")";
    why += want ? ", but the subject let it pass" : ", but the subject injected a failure";
    return Finding{Inv::FAULT, {}, why};
  }
  return std::nullopt;
}

}  // namespace kmf
