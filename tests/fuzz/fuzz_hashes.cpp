// libFuzzer target: the GODEBUG=gocachehash=1 record parser
// (trace/hash_stream.hpp, told go's hashing order by analysis::HashCollector),
// the chunk classifier and the record diff that names rebuild reasons.
#include <gox/analysis/hashes.hpp>
#include <gox/trace/hash_stream.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    gox::analysis::HashCollector hc;
    while (!in.empty()) {
        auto nl = in.find('\n');
        hc.feed(in.substr(0, nl));
        if (nl == std::string_view::npos) break;
        in.remove_prefix(nl + 1);
    }
    hc.finish();
    const auto& recs = hc.records();
    if (recs.size() > hc.stats().kept) std::abort(); // every stored record was counted
    for (const auto& r : recs) {
        for (std::size_t i = 0; i < r.chunk_count(); ++i) (void)gox::analysis::classify_chunk(r.chunk(i), i == 0);
        if (r.verified() && !r.complete()) std::abort();
        (void)r.action_id();
    }
    // Diff each record against the next one: any two chunk lists must compare.
    for (std::size_t i = 1; i < recs.size() && i < 64; ++i)
        for (const auto& c : gox::analysis::diff_records(recs[i - 1], recs[i])) (void)gox::analysis::describe(c);
    return 0;
}
