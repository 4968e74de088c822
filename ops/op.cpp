// op.cpp — slots and canonical names.
#include "ops/op.h"

namespace kmf {

Slot op_dst(const Op& op) {
  return std::visit(
      [](const auto& o) -> Slot {
        if constexpr (requires { o.dst; })
          return o.dst;
        else
          return NO_SLOT;
      },
      op);
}

std::string canonical_name(const Op& op, Slot slot) {
  const char* prefix = std::visit(
      [](const auto& o) -> const char* {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, AllocPagesOp>)
          return "a";
        else if constexpr (std::is_same_v<T, GetFreePagesOp>)
          return "p";
        else if constexpr (std::is_same_v<T, KmallocOp> || std::is_same_v<T, KreallocOp>)
          return "k";
        else if constexpr (std::is_same_v<T, CacheCreateOp>)
          return "c";
        else if constexpr (std::is_same_v<T, CacheAllocOp>)
          return "o";
        else if constexpr (std::is_same_v<T, VmallocOp>)
          return "v";
        else if constexpr (std::is_same_v<T, IoremapOp>)
          return "r";
        else
          return "x";
      },
      op);
  return prefix + std::to_string(slot);
}

Slot Program::add(Op op, std::string name) {
  const Slot next = static_cast<Slot>(names.size());
  const bool binds = std::visit(
      [](const auto& o) {
        return requires { o.dst; };
      },
      op);
  if (binds) {
    std::visit(
        [&](auto& o) {
          if constexpr (requires { o.dst; }) o.dst = next;
        },
        op);
    names.push_back(name.empty() ? canonical_name(op, next) : std::move(name));
  }
  ops.push_back(std::move(op));
  return binds ? next : NO_SLOT;
}

bool operator==(const Program& a, const Program& b) {
  return a.machine == b.machine && a.ops == b.ops && a.names == b.names;
}

}  // namespace kmf
