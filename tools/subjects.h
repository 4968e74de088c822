// subjects.h — `kmemfuzz … --subject NAME`: the built-in subjects the tool
// runs generic programs on, and the rule for which input form each takes.
//
//   subject         kind     inputs
//   kernel          —        .kmf scripts, fuzz_kernel/fuzz_buddy/… binary inputs (the default)
//   first-fit       arena    .kmfa text programs, generic binary inputs
//   buddy-arena     arena    ″
//   pmr             object   ″  (Boost.Container's unsynchronized_pool_resource)
//   mimalloc        object   ″  (libmimalloc.so.2, dlopen()ed RTLD_LOCAL)
//   mimalloc-aligned object  ″  (the same, allocating with mi_heap_malloc_aligned)
//   jemalloc        object   ″  (libjemalloc.so.2, dlopen()ed RTLD_LOCAL)
//   kernel-pages    page     ″  (kmf::Kernel alloc_pages)
//   kernel-kmalloc  object   ″  (kmf::Kernel kmalloc)
//   kernel-vmalloc  virtual  ″  (kmf::Kernel vmalloc)
//
// Which form a file has is decided before anything runs, and a mismatch is
// an error (exit 2) that names the subject or binary that takes the file:
//   .kmf                    a kernel script: only the kernel
//   .kmfa                   a generic text program: only a generic subject
//   .bin                    bytes, whatever they look like (the subject's decoder)
//   other, text-looking     parsed as what it looks like (a generic program's
//                           first word, or a kernel script that parses), and
//                           refused where that form does not belong
//   other                   binary bytes, decoded for the chosen subject
// No input is ever decoded as a form it does not have.
//
// The allocators under test never share the tool's malloc: mimalloc and
// jemalloc are loaded with dlopen(RTLD_LOCAL), which does not interpose
// malloc, and the adapters (examples/mimalloc, examples/jemalloc) take their
// entry points from dlsym. jemalloc's initial-exec TLS does not fit glibc's
// default static TLS surplus, so the tool re-executes itself once with
// GLIBC_TUNABLES=glibc.rtld.optional_static_tls raised.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmf::tools {

/// The default subject: kmf::Kernel running .kmf programs.
inline constexpr std::string_view KERNEL_SUBJECT = "kernel";

/// Every --subject name, the kernel first.
std::vector<std::string> subject_names();
/// One line per subject for --help.
std::string subject_help();

/// Program files and standard input are read up to this size (inclusive).
inline constexpr std::uintmax_t MAX_PROGRAM_BYTES = 16 * 1024 * 1024;

/// Reads a program file (the kernel's and every subject's): nothing and
/// `bytes` filled, or why it cannot be a program (missing, a directory,
/// empty, over MAX_PROGRAM_BYTES, unreadable), prefixed with `name`.
std::optional<std::string> read_program_file(const std::string& name, std::string& bytes);

/// For the kernel's own path: the message refusing `file` (a .kmfa file, or
/// bytes that read as a generic text program), or nothing when the kernel takes it.
std::optional<std::string> refuse_for_kernel(const std::string& file, std::string_view bytes);

struct GenericFlags {
  bool verbose = false;
  bool json = false;
};

/// `kmemfuzz run|replay FILE... --subject NAME`: the exit code (0 pass,
/// 1 violation, 2 bad input) for the worst file.
int run_files(const std::string& subject, const std::vector<std::string>& files, const GenericFlags& flags,
              bool replay);
/// `kmemfuzz minimize FILE -o OUT --subject NAME`: writes the smallest
/// program found that still breaks the same invariant, as .kmfa text.
int minimize_file(const std::string& subject, const std::string& in, const std::string& out);
/// `kmemfuzz convert FILE [-o OUT] [--to-binary] --subject NAME`: generic
/// bytes → .kmfa text, or (--to-binary) text → the bytes the subject's fuzz
/// target decodes to the same program.
int convert_file(const std::string& subject, const std::string& in, const std::string& out, bool to_binary);

}  // namespace kmf::tools
