// subjects.cpp — the built-in generic subjects of `kmemfuzz --subject` and
// the verbs on them (run, replay, minimize, convert). See subjects.h.
#include "tools/subjects.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <span>

#include "alloc/kernel.h"
#include "check/pmr_subject.h"
#include "check/subjects/kernel_kmalloc_subject.h"
#include "check/subjects/kernel_subjects.h"
#include "examples/buddy/buddy_arena.h"
#include "examples/first_fit/first_fit.h"
#if KMF_HAVE_JEMALLOC
#include "examples/jemalloc/jemalloc_adapter.h"
#endif
#if KMF_HAVE_MIMALLOC
#include "examples/mimalloc/mimalloc_adapter.h"
#endif
#include "front/front.h"
#include "ops/generic_binary.h"
#include "ops/generic_executor.h"
#include "ops/generic_text.h"
#include "ops/kmf_text.h"

namespace kmf::tools {
namespace {

namespace fs = std::filesystem;

/// Bad input or an unusable subject: printed as `kmemfuzz: MESSAGE`, exit 2.
struct Error {
  std::string message;
};

#if KMF_HAVE_MIMALLOC || KMF_HAVE_JEMALLOC
// ---- libraries loaded without taking over malloc -----------------------------------------------

/// Runs this program again with a larger static TLS surplus (once): a
/// library built with initial-exec TLS (jemalloc) cannot be dlopen()ed
/// without it. Returns only when that is impossible.
void reexec_with_static_tls() {
  if (std::getenv("KMEMFUZZ_STATIC_TLS_REEXEC")) return;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t pos = 0; pos < cmdline.size();) {
    const std::size_t end = cmdline.find('\0', pos);
    args.push_back(cmdline.substr(pos, end - pos));
    pos = end == std::string::npos ? cmdline.size() : end + 1;
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string tunables = std::getenv("GLIBC_TUNABLES") ? std::getenv("GLIBC_TUNABLES") : "";
  tunables += (tunables.empty() ? "" : ":") + std::string("glibc.rtld.optional_static_tls=16384");
  ::setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  ::setenv("KMEMFUZZ_STATIC_TLS_REEXEC", "1", 1);
  std::fflush(nullptr);
  ::execv("/proc/self/exe", argv.data());
}

/// dlopen(RTLD_LOCAL): the library's malloc does not replace the tool's.
void* open_local(const char* soname, const char* package) {
  void* h = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const std::string why = ::dlerror();
    if (why.find("static TLS") != std::string::npos) {
      reexec_with_static_tls();
      h = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    }
    if (!h) throw Error{"cannot load " + std::string(soname) + " (Debian package " + package + "): " + why};
  }
  return h;
}

template <class F>
void resolve(void* lib, const char* soname, const char* symbol, F& out) {
  void* p = ::dlsym(lib, symbol);
  if (!p) throw Error{std::string(soname) + " has no symbol " + symbol};
  out = reinterpret_cast<F>(p);
}

#endif

#if KMF_HAVE_MIMALLOC
const example::MimallocApi& mimalloc_api() {
  static const example::MimallocApi api = [] {
    constexpr const char* so = "libmimalloc.so.2";
    void* lib = open_local(so, "libmimalloc2.0");
    example::MimallocApi a;
    resolve(lib, so, "mi_heap_new", a.heap_new);
    resolve(lib, so, "mi_heap_malloc_aligned", a.heap_malloc_aligned);
    resolve(lib, so, "mi_heap_malloc_aligned_at", a.heap_malloc_aligned_at);
    resolve(lib, so, "mi_heap_realloc_aligned", a.heap_realloc_aligned);
    resolve(lib, so, "mi_usable_size", a.usable_size);
    resolve(lib, so, "mi_free", a.free);
    resolve(lib, so, "mi_heap_visit_blocks", a.heap_visit_blocks);
    resolve(lib, so, "mi_heap_destroy", a.heap_destroy);
    return a;
  }();
  return api;
}
#endif

#if KMF_HAVE_JEMALLOC
const example::JemallocApi& jemalloc_api() {
  static const example::JemallocApi api = [] {
    constexpr const char* so = "libjemalloc.so.2";
    void* lib = open_local(so, "libjemalloc2");
    example::JemallocApi a;
    resolve(lib, so, "mallctl", a.mallctl);
    resolve(lib, so, "mallocx", a.mallocx);
    resolve(lib, so, "rallocx", a.rallocx);
    resolve(lib, so, "xallocx", a.xallocx);
    resolve(lib, so, "nallocx", a.nallocx);
    resolve(lib, so, "sallocx", a.sallocx);
    resolve(lib, so, "sdallocx", a.sdallocx);
    return a;
  }();
  return api;
}
#endif

// ---- the table --------------------------------------------------------------------------------

struct Subject {
  std::string name, kind, help;
  std::function<GenericTarget()> target;  ///< also loads the subject's library
  std::function<GenericResult(const GenericProgram&, const GenericExecOptions&)> execute;
};

/// A subject from a factory; every call gets a fresh instance.
template <class Make>
Subject entry(std::string name, std::string kind, std::string help, Make make) {
  return {std::move(name), std::move(kind), std::move(help),
          [make] {
            auto s = make();
            return generic_target(s);
          },
          // execute_generic_fresh gives arenas their twin (RESTORE's bisection).
          [make](const GenericProgram& p, const GenericExecOptions& o) {
            return execute_generic_fresh(make, p, o);
          }};
}

const std::vector<Subject>& subjects() {
  static const std::vector<Subject> table = [] {
    std::vector<Subject> t;
    t.push_back(entry("first-fit", "arena", "the first-fit example (examples/first_fit)",
                      [] { return example::FirstFitSubject{}; }));
    t.push_back(entry("buddy-arena", "arena", "the resizable buddy example (examples/buddy)",
                      [] { return example::BuddyArenaSubject{}; }));
    t.push_back(entry("pmr", "object", "Boost.Container's unsynchronized_pool_resource",
                      [] { return PmrPoolSubject{}; }));
#if KMF_HAVE_MIMALLOC
    t.push_back(
        entry("mimalloc", "object", "mimalloc on a private heap (libmimalloc.so.2, dlopen RTLD_LOCAL)",
              [] { return example::MimallocSubject(example::MimallocMode::aligned_at, mimalloc_api()); }));
    t.push_back(
        entry("mimalloc-aligned", "object",
              "the same through mi_heap_malloc_aligned (misaligned before mimalloc 2.1: upstream issue 700)",
              [] { return example::MimallocSubject(example::MimallocMode::aligned, mimalloc_api()); }));
#endif
#if KMF_HAVE_JEMALLOC
    t.push_back(entry("jemalloc", "object",
                      "jemalloc on a private arena (libjemalloc.so.2, dlopen RTLD_LOCAL)",
                      [] { return example::JemallocSubject(example::JemallocBug::none, jemalloc_api()); }));
#endif
    t.push_back(entry("kernel-pages", "page", "kmf::Kernel alloc_pages/free_pages (16 MiB)",
                      [] { return KernelPageSubject{}; }));
    t.push_back(entry("kernel-kmalloc", "object", "kmf::Kernel kmalloc/krealloc/ksize/kfree (16 MiB)",
                      [] { return KernelKmallocSubject{}; }));
    t.push_back(entry("kernel-vmalloc", "virtual", "kmf::Kernel vmalloc/vfree (16 MiB)",
                      [] { return KernelVmallocSubject{}; }));
    return t;
  }();
  return table;
}

const Subject& find_subject(const std::string& name) {
  for (const Subject& s : subjects())
    if (s.name == name) return s;
  throw Error{"unknown subject '" + name + "'"};  // CLI11 checks names first
}

// ---- input forms ------------------------------------------------------------------------------

std::string read_file(const std::string& name) {
  std::string bytes;
  if (const auto why = read_program_file(name, bytes)) throw Error{*why};
  return bytes;
}

bool has_ext(const std::string& file, std::string_view ext) { return fs::path(file).extension() == ext; }

bool parses_as_kernel_script(std::string_view bytes) {
  const ParseResult r = parse_kmf(bytes);
  return r.ok() && !r.program().ops.empty();
}

std::string generic_names() {
  std::string out;
  for (const Subject& s : subjects()) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

/// The program `file` stands for on `subject`, by the rules in subjects.h.
GenericProgram load(const Subject& subject, const GenericTarget& target, const std::string& file) {
  const std::string bytes = read_file(file);
  if (has_ext(file, ".kmf"))
    throw Error{file + ": a kernel script (.kmf) is not a program for --subject " + subject.name +
                "; run it without --subject (the kernel)"};
  // As the fuzz targets read a file they replay: text when it looks like a
  // generic program (a .kmfa file always), else the bytes are decoded.
  if (has_ext(file, ".bin"))
    return decode_generic({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, target);
  const bool text = has_ext(file, ".kmfa") || looks_like_generic_text(bytes);
  GenericParseResult r = text ? parse_generic(bytes, file) : GenericParseResult(GenericProgram{});
  if (!r.ok() || !text) {
    if (parses_as_kernel_script(bytes))
      throw Error{file + ": reads as a kernel script, not a program for --subject " + subject.name +
                  "; name it .kmf and run it without --subject (the kernel)"};
    if (!text)
      return decode_generic({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, target);
  }
  if (!r.ok()) throw Error{r.error().to_string()};
  GenericProgram p = std::move(r).program();
  if (p.arena && target.kind != SubjectKind::arena)
    throw Error{file + ": has arena_init, but " + subject.name + " is " + subject.kind +
                " subject, not an arena; arena subjects: first-fit, buddy-arena"};
  return p;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string json_verdict(const std::string& subject, const std::string& file, const GenericProgram& p,
                         const GenericResult& r) {
  std::string out = "{\"file\":\"" + json_escape(file) + "\",\"subject\":\"" + subject +
                    "\",\"ops\":" + std::to_string(p.ops.size());
  if (r.ok()) return out + ",\"verdict\":\"ok\"}";
  const Violation& v = *r.violation;
  out += ",\"verdict\":\"violation\",\"invariant\":\"" + std::string(invariant_name(v.id)) +
         "\",\"op_index\":" + std::to_string(v.op_index) + ",\"op\":\"" + json_escape(v.op_text) +
         "\",\"explanation\":\"" + json_escape(v.explanation) + "\"}";
  return out;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error{path + ": cannot open for writing"};
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw Error{path + ": write error"};
}

int guarded(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    std::cerr << "kmemfuzz: " << e.message << '\n';
  } catch (const std::exception& e) {
    std::cerr << "kmemfuzz: error: " << e.what() << '\n';
  }
  return 2;
}

int run_one(const Subject& s, const GenericTarget& target, const std::string& file, const GenericFlags& f,
            bool replay) {
  const GenericProgram p = load(s, target, file);
  const GenericResult r = s.execute(p, {.trace = f.verbose});
  if (f.json) {
    std::cout << json_verdict(s.name, file, p, r) << '\n';
    return r.ok() ? 0 : 1;
  }
  if (f.verbose)
    for (const std::string& line : r.trace) std::cout << "  " << line << '\n';
  if (r.ok()) {
    std::cout << "PASS " << file << " (" << p.ops.size() << " ops, subject " << s.name << ")\n";
    return 0;
  }
  std::cout << "FAIL " << file << " (subject " << s.name << ")\n" << format_violation(*r.violation);
  if (!f.verbose) {
    const GenericResult t = s.execute(p, {.trace = true});
    std::cout << "  trace:\n";
    for (const std::string& line : t.trace) std::cout << "    " << line << '\n';
  }
  if (replay) std::cout << "  reproducer (.kmfa):\n" << print_generic(p);
  return 1;
}

}  // namespace

std::vector<std::string> subject_names() {
  std::vector<std::string> names{std::string(KERNEL_SUBJECT)};
  for (const Subject& s : subjects()) names.push_back(s.name);
  return names;
}

std::string subject_help() {
  std::string out =
      "Subjects (--subject NAME of run, replay, minimize, convert); all but the kernel take .kmfa text "
      "programs\n"
      "and the generic binary inputs their fuzz targets decode:\n  kernel            .kmf scripts and "
      "fuzz_kernel-style binary inputs (the "
      "default)\n";
  for (const Subject& s : subjects()) {
    std::string line = "  " + s.name;
    line.resize(20, ' ');
    out += line + s.kind + ": " + s.help + "\n";
  }
  return out;
}

std::optional<std::string> refuse_for_kernel(const std::string& file, std::string_view bytes) {
  const std::string hint =
      "; give --subject NAME (" + generic_names() + ") or replay it with the fuzz binary that wrote it";
  if (has_ext(file, ".kmfa")) return file + ": a generic program (.kmfa) is not a kernel program" + hint;
  if (has_ext(file, ".kmf") || has_ext(file, ".bin")) return std::nullopt;
  if (parses_as_kernel_script(bytes))
    return file + ": reads as a kernel script but is not named .kmf; rename it to FILE.kmf to run it as one";
  if (looks_like_generic_text(bytes))
    return file + ": reads as a generic text program, not a kernel input" + hint;
  return std::nullopt;
}

int run_files(const std::string& subject, const std::vector<std::string>& files, const GenericFlags& flags,
              bool replay) {
  const Subject* s = nullptr;
  GenericTarget target;
  if (const int bad = guarded([&] {
        s = &find_subject(subject);
        target = s->target();
        return 0;
      }))
    return bad;
  int worst = 0;
  for (const std::string& f : files)
    worst = std::max(worst, guarded([&] { return run_one(*s, target, f, flags, replay); }));
  return worst;
}

int minimize_file(const std::string& subject, const std::string& in, const std::string& out) {
  return guarded([&] {
    const Subject& s = find_subject(subject);
    const GenericProgram p = load(s, s.target(), in);
    const GenericResult r = s.execute(p, {});
    if (r.ok()) throw Error{in + ": the program passes on " + subject + "; there is nothing to minimize"};
    const Inv id = r.violation->id;
    std::size_t runs = 0;
    const GenericProgram small = front::minimize_generic(p, [&](const GenericProgram& q) {
      ++runs;
      const GenericResult rq = s.execute(q, {});
      return !rq.ok() && rq.violation->id == id;
    });
    write_file(out, "# minimized by kmemfuzz --subject " + subject + " from " + in + ": still " +
                        std::string(invariant_name(id)) + " (" + std::to_string(p.ops.size()) + " -> " +
                        std::to_string(small.ops.size()) + " ops, " + std::to_string(runs) + " runs)\n" +
                        print_generic(small));
    std::cout << "minimized " << in << ": " << p.ops.size() << " -> " << small.ops.size() << " ops, still "
              << invariant_name(id) << " on " << subject << " (" << runs << " runs) -> " << out << '\n';
    return 0;
  });
}

int convert_file(const std::string& subject, const std::string& in, const std::string& out, bool to_binary) {
  return guarded([&] {
    const Subject& s = find_subject(subject);
    const GenericTarget target = s.target();
    const GenericProgram p = load(s, target, in);
    std::string data;
    if (to_binary) {
      std::size_t dropped = 0;
      const std::vector<std::uint8_t> bytes = encode_generic(p, target, &dropped);
      data.assign(bytes.begin(), bytes.end());
      if (dropped) std::cerr << "kmemfuzz: " << dropped << " ops " << subject << " cannot run were dropped\n";
    } else {
      data = print_generic(p);
    }
    if (out.empty())
      std::cout << data;
    else
      write_file(out, data);
    return 0;
  });
}

std::optional<std::string> read_program_file(const std::string& name, std::string& bytes) {
  std::error_code ec;
  const auto status = fs::status(name, ec);
  if (ec || !fs::exists(status)) return name + ": no such file";
  if (fs::is_directory(status)) return name + ": is a directory, not a program file";
  const auto size = fs::file_size(name, ec);
  if (ec) return name + ": cannot read: " + ec.message();
  if (size == 0) return name + ": empty file: a program needs at least one statement or byte";
  if (size > MAX_PROGRAM_BYTES)
    return name + ": file is " + std::to_string(size) + " bytes; programs are at most " +
           std::to_string(MAX_PROGRAM_BYTES) + " bytes (16 MiB)";
  std::ifstream in(name, std::ios::binary);
  if (!in) return name + ": cannot open for reading";
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return name + ": read error";
  return std::nullopt;
}

}  // namespace kmf::tools
