#pragma once
// What the inputs of a go cache key mean: each chunk of a GODEBUG=gocachehash=1
// record (read by trace/hash_stream.hpp) classified as one kind of hash input,
// and two records of the same hash compared input by input, which says *why*
// a package was rebuilt (diff_inputs). One table (GOX_HASH_INPUTS) defines the
// kinds: their order in go's hashing, how they are matched, and the reason id
// a change of each maps to.

#include <gox/analysis/reasons.hpp>
#include <gox/trace/hash_stream.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

using trace::hash_to_action_id;
using trace::HashRecord;
using trace::HashStats;
using trace::sha256_hex;

// Places a chunk in go's hashing order from the hash-input table
// (GOX_HASH_INPUTS, below), for the collector.
trace::ChunkPlace place_chunk(std::string_view chunk, bool first);

// The stream reader, told go's hashing order by place_chunk.
class HashCollector : public trace::HashCollector {
public:
    HashCollector() : trace::HashCollector(&place_chunk) {}
};

// The kinds of hash input: one row each, the one place that knows them.
//   rank:   position in go's hashing order. Build and link share one scale
//           (the kinds they have in common come in the same relative order);
//           vet and test kinds only need to be consistent among themselves;
//           -1: anywhere (an unknown input sorts after the one before it).
//   keyed:  compared by key (a file, a dependency, an env variable...), see
//           diff_inputs; the others by kind and occurrence.
//   once:   a record has it at most once, so a record that has one has passed
//           that point (reassembly uses this). Besides: testInputs always
//           starts with test_env GODEBUG, which counts as once (place_chunk).
//   reason: the reason a change of it maps to (why.cpp, testwhy.cpp), before
//           the finer cases there (which file, which build-info entry...).
// X(kind, id, rank, keyed, once, reason)
#define GOX_HASH_INPUTS(X)                                                       \
    /* build (buildActionID) */                                                  \
    X(Toolchain, "toolchain", 0, false, true, ToolchainChanged)                  \
    X(Compile, "compile", 1, false, true, InputsChanged)                         \
    X(Module, "module", 3, false, true, ModuleVersionChanged)                    \
    X(PackageDir, "package_dir", 4, false, true, PackageDirChanged)              \
    X(GoDirective, "go_directive", 5, false, true, GoDirectiveChanged)           \
    X(Target, "target", 6, false, true, InputsChanged)                           \
    X(ImportPath, "import_path", 7, false, true, InputsChanged)                  \
    X(OmitDebug, "omitdebug", 8, false, true, GcflagsChanged)                    \
    X(Trimpath, "trimpath", 10, false, true, GcflagsChanged)                     \
    X(ForceLibrary, "forcelibrary", 11, false, true, GcflagsChanged)             \
    X(CgoTool, "cgo_tool", 12, false, true, CgoToolchainChanged)                 \
    X(CgoFlags, "cgo_flags", 13, true, false, EnvChanged)                        \
    X(CgoToolchain, "cgo_toolchain", 13, true, false, CgoToolchainChanged)       \
    X(Cover, "cover", 15, false, true, GcflagsChanged)                           \
    X(Fuzz, "fuzz", 16, false, true, GcflagsChanged)                             \
    X(Modinfo, "modinfo", 17, false, true, InputsChanged)                        \
    X(CompileTool, "compile_tool", 18, false, true, GcflagsChanged)              \
    X(AsmFlags, "asm_flags", 20, false, true, AsmflagsChanged)                   \
    X(Env, "env", 21, true, false, EnvChanged)                                   \
    X(NoCache, "nocache", 21, false, true, InputsChanged)                        \
    X(File, "file", 22, true, false, SourceFileChanged)                          \
    X(Dependency, "dependency", 23, true, false, DependencyChanged)              \
    X(Pgo, "pgo", 23, false, true, InputsChanged)                                \
    /* link (linkActionID) */                                                    \
    X(Link, "link", 1, false, true, InputsChanged)                               \
    X(BuildMode, "buildmode", 2, false, true, InputsChanged)                     \
    X(DefaultGodebug, "defaultgodebug", 9, false, true, InputsChanged)           \
    X(LinkTool, "link_tool", 18, false, true, InputsChanged)                     \
    X(Ldflags, "ldflags", 19, false, true, InputsChanged)                        \
    X(LinkDependency, "link_dependency", 23, true, false, InputsChanged)         \
    X(PackageMain, "packagemain", 23, false, true, InputsChanged)                \
    X(LinkShlib, "link_shlib", 23, true, false, InputsChanged)                   \
    /* vet */                                                                    \
    X(VetTool, "vet_tool", 1, false, true, InputsChanged)                        \
    X(VetXOnly, "vetxonly", 2, false, true, InputsChanged)                       \
    X(VetFlags, "vetflags", 3, false, true, InputsChanged)                       \
    X(VetPackage, "vet_package", 4, false, true, InputsChanged)                  \
    X(VetDependency, "vet_dependency", 5, true, false, InputsChanged)            \
    /* testResult, testInputs */                                                 \
    X(TestBinary, "test_binary", 1, false, true, InputsChanged)                  \
    X(TestEnv, "test_env", 1, true, false, TestEnvChanged)                       \
    X(TestChdir, "test_chdir", 1, true, false, TestFileChanged)                  \
    X(TestStat, "test_stat", 1, true, false, TestFileChanged)                    \
    X(TestOpen, "test_open", 1, true, false, TestFileChanged)                    \
    /* anything else */                                                          \
    X(Other, "other", -1, false, false, InputsChanged)

enum class InputKind : std::uint8_t {
#define X(kind, id, rank, keyed, once, reason) kind,
    GOX_HASH_INPUTS(X)
#undef X
};

struct InputKindInfo {
    InputKind kind;
    std::string_view id;
    int rank;
    bool keyed, once;
    Reason reason;
};

// Every row of GOX_HASH_INPUTS, in its order.
std::span<const InputKindInfo> input_kind_table();
const InputKindInfo& input_kind(InputKind k);
// The row of a HashInput id, or nullptr.
const InputKindInfo* find_input_kind(std::string_view id);
// The reason a change of input id maps to (inputs_changed for an unknown id).
Reason input_reason(std::string_view id);

// One input of a cache key, from one chunk. Ids, in go's hashing order:
//   build (buildActionID): toolchain (the salt: value "go1.26.8"), compile,
//     module (value M@V, -trimpath), package_dir (value the absolute dir),
//     go_directive ("1.22"), target ("linux/amd64"), import_path,
//     omitdebug, trimpath, forcelibrary, cgo_tool, cgo_flags (key CC|CXX|FC,
//     value the quoted flag lists), cgo_toolchain (key CC|CXX|FC, value the
//     compiler's version line, or "error: ..."), cover (key tool id, value
//     mode), fuzz, modinfo (value the unquoted build info: path, mod, dep,
//     build settings, vcs.revision/vcs.time/vcs.modified), compile_tool (key
//     tool id "compile version go1.26.8", value "[forced gcflags] [gcflags]"),
//     asm_flags (key tool id, value the two flag lists), env (key GOAMD64,
//     GOARM, ..., GOEXPERIMENT, or the magic GOSSAFUNC etc.; value the setting),
//     nocache (1.19), file (key file name, value its 20-char hash), dependency
//     (key import path, value the dependency's 20-char content ID), pgo.
//   link (linkActionID): toolchain, link, buildmode ("default goos linux goarch
//     amd64"), import_path, omitdebug, defaultgodebug, trimpath, link_tool (key
//     tool id, value "[forced ldflags] exe"), ldflags ("[-ldflags]"), env (arch
//     variable, GOEXPERIMENT, GOROOT, GO_EXTLINK_ENABLED), link_dependency (key
//     import path, value content ID), packagemain (value actionID/contentID),
//     link_shlib (key import path).
//   vet: vet_tool, vetxonly (1.27), vetflags, vet_package (value: the build
//     action ID in hex), vet_dependency (key import path, value hash).
//   testResult: test_binary (key the test binary's ID, value args and execcmd);
//   testInputs: test_env (key variable), test_chdir, test_stat, test_open (key
//     path); value the hex hash.
//   anything else: other (value the chunk).
// Every id is a row of GOX_HASH_INPUTS.
// Values and keys have the chunk's trailing "\n" removed and Go quoting undone.
struct HashInput {
    std::string id, key, value;
};

// first: the chunk is a record's first one (always the salt). Without it the
// salt is recognised by its text ("go1..." or "devel ..." with no "\n").
HashInput classify_chunk(std::string_view chunk, bool first = false);

// Keyed inputs are compared by key (a file, a dependency, an env variable...):
// the keyed column of GOX_HASH_INPUTS.
bool is_keyed_input(std::string_view id);

struct HashChange {
    enum What { Added, Removed, Changed };
    std::string id; // a HashInput id
    // The input's key. For modinfo and defaultgodebug: the entry that changed
    // ("vcs.revision", "-gcflags", "GOAMD64", "mod", "dep golang.org/x/mod",
    // "=> golang.org/x/mod" for its replacement; a GODEBUG setting's name).
    std::string key;
    std::string old_value, new_value; // "" for Added / Removed respectively
    What what = Changed;
};

// Compares two chunk lists of the same record (the previous run's and this run's
// `build P`, say) in input terms. Keyed inputs (is_keyed_input) are matched by
// key: added, removed, or changed old -> new value. The others are matched by id
// and occurrence: changed, or added/removed when only one side has it. When such
// an input's key differs (compile_tool, asm_flags, link_tool, cover: a new tool
// version), key is "" and the values hold "key value" of each side. modinfo and
// defaultgodebug are compared entry by entry. The result is in go's hashing
// order, so the first change is the first input that made the sums differ.
// Identical lists give an empty result.
std::vector<HashChange> diff_inputs(const std::vector<std::string>& old_chunks,
                                    const std::vector<std::string>& new_chunks);
std::vector<HashChange> diff_records(const HashRecord& old_record, const HashRecord& new_record);

// One line for people: "file greet.go changed: Jl02... -> Kx9f...".
std::string describe(const HashChange& c);

} // namespace gox::analysis
