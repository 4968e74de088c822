// vmap_area.cpp — the free-range treap: split/merge, lowest fit, merging frees.
#include "alloc/vmap_area.h"

#include <algorithm>
#include <cassert>

#include "alloc/types.h"

namespace kmf {

VmapAreaAllocator::VmapAreaAllocator(std::uint64_t start, std::uint64_t end, std::uint64_t seed)
    : lo_(start), hi_(end), rng_(seed) {
  assert(page_aligned(start) && page_aligned(end) && start < end);
  insert(start, end);
}

std::uint32_t VmapAreaAllocator::new_node(std::uint64_t start, std::uint64_t end) {
  const auto prio = static_cast<std::uint32_t>(rng_.next() >> 32);
  const Node n{start, end, end - start, NIL, NIL, prio};
  if (!spare_.empty()) {
    const std::uint32_t i = spare_.back();
    spare_.pop_back();
    nodes_[i] = n;
    return i;
  }
  nodes_.push_back(n);
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void VmapAreaAllocator::pull(std::uint32_t t) {
  Node& n = nodes_[t];
  n.max_len = n.end - n.start;
  if (n.left != NIL) n.max_len = std::max(n.max_len, nodes_[n.left].max_len);
  if (n.right != NIL) n.max_len = std::max(n.max_len, nodes_[n.right].max_len);
}

// l receives the nodes with start < key, r the rest.
void VmapAreaAllocator::split(std::uint32_t t, std::uint64_t key, std::uint32_t& l, std::uint32_t& r) {
  if (t == NIL) {
    l = r = NIL;
    return;
  }
  if (nodes_[t].start < key) {
    std::uint32_t rl = NIL, rr = NIL;
    split(nodes_[t].right, key, rl, rr);
    nodes_[t].right = rl;
    l = t;
    r = rr;
  } else {
    std::uint32_t ll = NIL, lr = NIL;
    split(nodes_[t].left, key, ll, lr);
    nodes_[t].left = lr;
    l = ll;
    r = t;
  }
  pull(t);
}

// Every start in a is below every start in b.
std::uint32_t VmapAreaAllocator::merge(std::uint32_t a, std::uint32_t b) {
  if (a == NIL) return b;
  if (b == NIL) return a;
  if (nodes_[a].prio > nodes_[b].prio) {
    const std::uint32_t m = merge(nodes_[a].right, b);
    nodes_[a].right = m;
    pull(a);
    return a;
  }
  const std::uint32_t m = merge(a, nodes_[b].left);
  nodes_[b].left = m;
  pull(b);
  return b;
}

void VmapAreaAllocator::insert(std::uint64_t start, std::uint64_t end) {
  const std::uint32_t n = new_node(start, end);
  std::uint32_t l = NIL, r = NIL;
  split(root_, start, l, r);
  root_ = merge(merge(l, n), r);
  ++nr_ranges_;
  free_bytes_ += end - start;
}

void VmapAreaAllocator::erase(std::uint64_t start) {
  std::uint32_t l = NIL, mid = NIL, r = NIL;
  split(root_, start, l, r);
  split(r, start + 1, mid, r);
  assert(mid != NIL && nodes_[mid].start == start && nodes_[mid].left == NIL && nodes_[mid].right == NIL);
  free_bytes_ -= nodes_[mid].end - nodes_[mid].start;
  spare_.push_back(mid);
  --nr_ranges_;
  root_ = merge(l, r);
}

void VmapAreaAllocator::refresh(std::uint32_t t, std::uint64_t key) {
  if (t == NIL) return;
  if (key < nodes_[t].start)
    refresh(nodes_[t].left, key);
  else if (key > nodes_[t].start)
    refresh(nodes_[t].right, key);
  pull(t);
}

std::uint32_t VmapAreaAllocator::lowest_fit(std::uint64_t need) const {
  std::uint32_t t = root_;
  if (t == NIL || nodes_[t].max_len < need) return NIL;
  while (true) {
    const Node& n = nodes_[t];
    if (n.left != NIL && nodes_[n.left].max_len >= need) {
      t = n.left;
    } else if (n.end - n.start >= need) {
      return t;
    } else {
      t = n.right;  // the subtree maximum says it fits somewhere on the right
      assert(t != NIL && nodes_[t].max_len >= need);
    }
  }
}

std::uint32_t VmapAreaAllocator::floor(std::uint64_t key) const {
  std::uint32_t best = NIL;
  for (std::uint32_t t = root_; t != NIL;) {
    if (nodes_[t].start <= key) {
      best = t;
      t = nodes_[t].right;
    } else {
      t = nodes_[t].left;
    }
  }
  return best;
}

std::uint32_t VmapAreaAllocator::ceil(std::uint64_t key) const {
  std::uint32_t best = NIL;
  for (std::uint32_t t = root_; t != NIL;) {
    if (nodes_[t].start >= key) {
      best = t;
      t = nodes_[t].left;
    } else {
      t = nodes_[t].right;
    }
  }
  return best;
}

std::optional<std::uint64_t> VmapAreaAllocator::alloc(std::uint64_t size, std::uint64_t align) {
  assert(size > 0 && page_aligned(size));
  assert(align >= PAGE_SIZE && (align & (align - 1)) == 0);
  const std::uint64_t slack = align - PAGE_SIZE;
  if (size > hi_ - lo_ || slack > hi_ - lo_ - size) return std::nullopt;
  const std::uint32_t t = lowest_fit(size + slack);
  if (t == NIL) return std::nullopt;
  const std::uint64_t s = nodes_[t].start, e = nodes_[t].end;
  const std::uint64_t a = (s + align - 1) & ~(align - 1);
  assert(a >= s && a + size <= e);
  if (a == s && a + size == e) {
    erase(s);
    return a;
  }
  free_bytes_ -= size;
  if (a == s) {
    nodes_[t].start = a + size;  // the order is kept: nothing lies in [s, a + size)
    refresh(root_, a + size);
  } else if (a + size == e) {
    nodes_[t].end = a;
    refresh(root_, s);
  } else {
    nodes_[t].end = a;
    refresh(root_, s);
    free_bytes_ -= e - (a + size);  // insert() adds the upper piece back
    insert(a + size, e);
  }
  return a;
}

void VmapAreaAllocator::free(std::uint64_t start, std::uint64_t size) {
  const std::uint64_t end = start + size;
  assert(size > 0 && start >= lo_ && end <= hi_ && end > start);
  const std::uint32_t p = floor(start);
  const std::uint32_t s = ceil(start);
  assert(p == NIL || nodes_[p].end <= start);
  assert(s == NIL || nodes_[s].start >= end);
  const bool join_prev = p != NIL && nodes_[p].end == start;
  const bool join_next = s != NIL && nodes_[s].start == end;
  if (join_prev && join_next) {
    const std::uint64_t next_end = nodes_[s].end;
    erase(nodes_[s].start);  // removes its bytes from free_bytes_: added back below
    free_bytes_ += next_end - end + size;
    nodes_[p].end = next_end;
    refresh(root_, nodes_[p].start);
  } else if (join_prev) {
    nodes_[p].end = end;
    free_bytes_ += size;
    refresh(root_, nodes_[p].start);
  } else if (join_next) {
    nodes_[s].start = start;  // still above the previous range's end: the order holds
    free_bytes_ += size;
    refresh(root_, start);
  } else {
    insert(start, end);
  }
}

bool VmapAreaAllocator::is_free(std::uint64_t start, std::uint64_t size) const {
  const std::uint32_t p = floor(start);
  return p != NIL && nodes_[p].end > start && size <= nodes_[p].end - start;
}

bool VmapAreaAllocator::is_allocated(std::uint64_t start, std::uint64_t size) const {
  const std::uint64_t end = start + size;
  const std::uint32_t p = floor(start);
  if (p != NIL && nodes_[p].end > start) return false;
  const std::uint32_t s = ceil(start);
  return s == NIL || nodes_[s].start >= end;
}

std::uint64_t VmapAreaAllocator::largest_free() const { return root_ == NIL ? 0 : nodes_[root_].max_len; }

void VmapAreaAllocator::walk(std::uint32_t t,
                             const std::function<void(std::uint64_t, std::uint64_t)>& fn) const {
  if (t == NIL) return;
  walk(nodes_[t].left, fn);
  fn(nodes_[t].start, nodes_[t].end);
  walk(nodes_[t].right, fn);
}

void VmapAreaAllocator::for_each_free(const std::function<void(std::uint64_t, std::uint64_t)>& fn) const {
  walk(root_, fn);
}

bool VmapAreaAllocator::validate(std::uint32_t t, std::uint64_t& prev_end, bool& first, std::size_t& count,
                                 std::uint64_t& bytes) const {
  if (t == NIL) return true;
  const Node& n = nodes_[t];
  if (n.left != NIL && nodes_[n.left].prio > n.prio) return false;
  if (n.right != NIL && nodes_[n.right].prio > n.prio) return false;
  if (!validate(n.left, prev_end, first, count, bytes)) return false;
  if (n.start >= n.end || n.start < lo_ || n.end > hi_) return false;
  if (!page_aligned(n.start) || !page_aligned(n.end)) return false;
  if (!first && n.start <= prev_end) return false;  // overlapping or touching: should have merged
  first = false;
  prev_end = n.end;
  ++count;
  bytes += n.end - n.start;
  std::uint64_t max_len = n.end - n.start;
  if (n.left != NIL) max_len = std::max(max_len, nodes_[n.left].max_len);
  if (n.right != NIL) max_len = std::max(max_len, nodes_[n.right].max_len);
  if (max_len != n.max_len) return false;
  return validate(n.right, prev_end, first, count, bytes);
}

bool VmapAreaAllocator::validate() const {
  std::uint64_t prev_end = 0, bytes = 0;
  bool first = true;
  std::size_t count = 0;
  if (!validate(root_, prev_end, first, count, bytes)) return false;
  return count == nr_ranges_ && bytes == free_bytes_ && nodes_.size() == count + spare_.size();
}

}  // namespace kmf
