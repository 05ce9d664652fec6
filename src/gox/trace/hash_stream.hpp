#pragma once
// Reader for what GODEBUG=gocachehash=1 makes the go command print on stderr
// (cmd/go/internal/cache/hash.go, Go 1.19 to 1.27): every cache key it computes,
// as the inputs written into the hash and the resulting sum. This reassembles
// the records; what each chunk means, and how two records differ, is
// analysis/hashes.hpp (which also tells the collector go's hashing order).
//
// Line shapes (NAME is e.g. "build example.com/x", "link example.com/x/cmd/y",
// "vet example.com/x", "testResult", "moduleIndex"):
//   HASH[NAME]                   a hash named NAME starts (NewHash)
//   HASH[NAME]: "chunk"          one Write, Go %q-quoted; the first is always the
//                                salt = runtime.Version(), e.g. "go1.26.8"
//   HASH[NAME]: <64 hex>         the sum (the action ID for build/link)
//   HASH /abs/file: <64 hex>     a source file's content hash (once per file)
//   HASH /abs/file: <error>      ... or why it could not be hashed
//   HASH subkey <64 hex> "desc" = <64 hex>   a derived key (only counted here)
// Lines of different records interleave (parallel actions, and a testInputs
// hash computes getenv hashes in the middle of its own).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gox::trace {

// The go command's 20-character form of a hash (cmd/internal/buildid
// HashToString): base64 URL encoding without padding of the first 15 bytes.
// This is -debug-actiongraph's "ActionID" and the first part of a build ID.
// "" unless hex is 64 lowercase hex digits.
std::string hash_to_action_id(std::string_view hex64);
// The inverse: the 30 hex digits an action's cache files start with in
// GOCACHE ("" unless id is 20 characters of base64 URL encoding).
std::string action_id_to_hex(std::string_view id);

// SHA-256 of data as 64 lowercase hex digits. A record's sum is the SHA-256 of
// its chunks, concatenated (cache.Hash writes the salt and every chunk through
// the same sha256), which lets the collector check its reassembly.
std::string sha256_hex(std::string_view data);

// Salt chunks: a record's first chunk is runtime.Version() ("go1.26.8",
// "devel go1.27-abc ..."), with no "\n".
bool looks_like_salt(std::string_view chunk);

// Where a chunk sits in go's hashing order: all the collector needs to know
// about what a chunk means, to route interleaved chunks of records with the
// same name. The meaning itself is analysis's (analysis/hashes.hpp places
// chunks from its table of hash-input kinds).
struct ChunkPlace {
    std::string_view id; // the input kind's id (static storage); "" for none
    int rank = -1;       // position in go's order; -1: unknown, may come anywhere
    bool once = false;   // a record has this input at most once
    bool leads = false;  // nothing of its rank comes before it in a record
};
// Places a chunk; first: it is the record's first chunk (always the salt).
using ChunkPlacer = ChunkPlace (*)(std::string_view chunk, bool first);

// One hash computation: the chunks written between HASH[NAME] and its sum.
// The chunks are stored unquoted, back to back in one string.
class HashRecord {
public:
    explicit HashRecord(std::string name);

    const std::string& name() const { return m_name; }
    std::string_view kind() const;    // first word of the name: build, link, vet, testInputs, ...
    std::string_view subject() const; // the rest (the import path), "" if none

    std::size_t chunk_count() const { return m_ends.size(); }
    std::string_view chunk(std::size_t i) const; // unquoted, usually ending in "\n"
    std::vector<std::string> chunks() const;     // copies, for diff_inputs
    std::size_t chunk_bytes() const { return m_arena.size(); }

    const std::string& sum() const { return m_sum; } // 64 hex, "" if the sum never came
    std::string action_id() const;                   // hash_to_action_id(sum()), "" if none
    bool complete() const { return !m_sum.empty(); }
    // The chunks as reassembled hash to sum(): nothing was lost, cut, mangled
    // or given to the wrong record. False for incomplete records.
    bool verified() const { return m_verified; }

    // 0 for the first record with this name in the stream, 1 for the second...
    // (build P runs once for P and once more for the test variant of P).
    std::size_t occurrence() const { return m_occurrence; }
    // Another record with the same name was open at the same time, so which of
    // them got which interleaved chunk (and sum) had to be worked out; unless
    // verified(), it is a guess. See HashCollector.
    bool ambiguous() const { return m_ambiguous; }
    // Chunks came for the name with no record open: go wrote more to a hash
    // after taking its sum (gccCompilerID does this; the second sum covers
    // everything since the HASH[NAME] line). The chunks of the record that sum
    // closed, if kept, are copied in first; without one the start is missing.
    bool continued() const { return m_continued; }

private:
    friend class HashCollector;
    bool add_chunk(std::string_view c);

    std::string m_name;
    std::string m_arena;
    std::vector<std::uint32_t> m_ends; // end offset of each chunk in m_arena
    std::string m_sum;
    std::size_t m_occurrence = 0;
    bool m_ambiguous = false;
    bool m_continued = false;
    bool m_verified = false;
};

struct HashStats {
    std::size_t lines = 0;           // lines fed
    std::size_t opens = 0;           // HASH[NAME] lines, all kinds
    std::size_t sums = 0;            // sums that closed a record
    std::size_t chunks = 0;          // chunk lines that went to an open record (kept or not)
    std::size_t kept = 0;            // records stored (see HashCollector::keeps_kind)
    std::size_t ignored = 0;         // records of other kinds: only counted
    std::size_t file_hashes = 0;     // HASH /abs/file: <64 hex>
    std::size_t file_errors = 0;     // HASH /abs/file: <error>
    std::size_t subkeys = 0;         // HASH subkey ...
    std::size_t bad_lines = 0;       // not a HASH line, or no known HASH line shape
    std::size_t bad_quoting = 0;     // chunk text that is not a valid Go quoted string
    std::size_t orphan_chunks = 0;   // chunk for a name with no open record
    std::size_t orphan_sums = 0;     // sum for a name with no open record (ignored)
    std::size_t duplicate_opens = 0; // HASH[NAME] while a kept record named NAME was open
    std::size_t truncated = 0;       // kept records without a sum at finish() (or evicted)
    std::size_t unverified = 0;      // kept records whose sum is not the SHA-256 of their chunks
    std::map<std::string, std::size_t, std::less<>> opens_by_kind;
};

// Reassembles records from stderr lines fed one at a time.
//
// Records are matched by name; lines of records with different names can
// interleave freely. The same name twice at once (go computing build P for P
// and for P's test variant in parallel, testInputs of two packages, or a hash
// go abandoned without a sum, as computeTestInputsID does on a bad test log)
// forms a group:
//   - Each chunk goes at once to one open record of that name: the salt to the
//     oldest record with no chunk yet, any other chunk to the record furthest
//     along in go's hashing order that has not passed the chunk's place in it
//     (a record with a dir line takes no second one), ties to the older.
//   - Each sum goes to the newest record whose chunks hash to it (SHA-256),
//     else to the one furthest along.
//   - Then the group's lines since it formed are explained again as a whole: a
//     bounded search for an owner of every chunk and sum such that each sum is
//     the SHA-256 of its record's chunks at that point. If one is found it
//     replaces the guesses above (a later sum can still correct how an earlier
//     record's chunks were split off from the others). In tests this always
//     succeeds for two records at once; with three or more it may run out of
//     budget, and then the guesses stay.
//   - A record still open after kAbandonedAfter later records of its name
//     were closed is taken as abandoned and leaves the group.
// All records of a group are marked ambiguous(); verified() says whether a
// record's chunks reproduce go's sum. With -p=1, build/link/vet hashes do not
// interleave at all.
//
// Memory: records of kinds that keeps_kind() rejects (moduleIndex, getenv,
// open, stat, gccCompilerID, preprocess PGO profile...) are only counted, never
// stored; kept records store their chunks in one string each. At most kMaxOpen
// records are open at once (ignored kinds are dropped first, then the oldest
// kept one, as truncated), and a group keeps at most kMaxGroupEvents lines.
class HashCollector {
public:
    explicit HashCollector(ChunkPlacer place) : m_place(place) {}

    static constexpr std::size_t kMaxOpen = 4096;
    static constexpr std::size_t kMaxGroupEvents = 1024;
    // A record still open after this many later records of its name closed is
    // taken as abandoned by go (it never gets a sum) and counted as truncated.
    static constexpr std::size_t kAbandonedAfter = 8;

    // One stderr line, without its "\n" (a trailing "\r" is ignored).
    void feed(std::string_view line);
    // End of stream: records still open stay incomplete (no sum) and are counted
    // as truncated. feed() may not be called afterwards.
    void finish();

    // Kept records in the order of their HASH[NAME] lines (complete or not).
    const std::vector<HashRecord>& records() const { return m_records; }
    // Ends the stream (finish()) and hands the records over; find() finds
    // nothing afterwards.
    std::vector<HashRecord> take_records();
    // The occurrence-th record named name, or nullptr.
    const HashRecord* find(std::string_view name, std::size_t occurrence = 0) const;

    // HASH /abs/file: <64 hex>, path -> hex; and the lines with an error instead.
    const std::map<std::string, std::string, std::less<>>& file_hashes() const { return m_files; }
    const std::map<std::string, std::string, std::less<>>& file_errors() const {
        return m_file_errors;
    }

    const HashStats& stats() const { return m_stats; }

    // build, link, linkShared, vet and test* (testResult, testInputs, testmain).
    static bool keeps_kind(std::string_view kind);

private:
    // Records with the same name open at the same time ("a group"): the lines
    // since the group formed, so that each sum can re-explain all of them.
    struct GroupEvent {
        enum Type : std::uint8_t { Open, Chunk, Sum } type;
        std::string text;   // the chunk or the sum
        std::size_t member; // index into members: the tentative owner
    };
    struct OpenSet {
        std::vector<std::size_t> kept;     // indexes into m_records, oldest first
        std::size_t ignored = 0;           // open records of a kind not kept
        std::vector<std::size_t> members;  // the group, in open order (empty: no group)
        std::vector<std::uint32_t> prefix; // chunks each member had when the group formed
        std::vector<GroupEvent> events;
    };
    struct Seen {
        std::size_t count = 0;                // records opened with this name
        std::size_t last_complete = SIZE_MAX; // index of the last one closed by a sum
        std::vector<std::size_t> indexes;     // into m_records, by occurrence
    };

    void open_record(std::string_view name);
    void add_chunk(std::string_view name, std::string_view chunk);
    void close_record(std::string_view name, std::string_view sum);
    void file_line(std::string_view rest);
    std::size_t new_record(std::string_view name, bool continued);
    std::size_t route_chunk(const std::vector<std::size_t>& open, std::string_view chunk) const;
    bool solve_group(OpenSet& os);
    void dissolve_group(OpenSet& os);
    void drop_abandoned(OpenSet& os);
    void evict_if_full();

    std::vector<HashRecord> m_records;
    std::map<std::string, OpenSet, std::less<>> m_open;
    std::size_t m_open_count = 0;
    std::map<std::string, Seen, std::less<>> m_seen; // kept names only
    std::map<std::string, std::string, std::less<>> m_files;
    std::map<std::string, std::string, std::less<>> m_file_errors;
    HashStats m_stats;
    ChunkPlacer m_place;
    bool m_finished = false;
};

} // namespace gox::trace
