// libFuzzer target: the -debug-actiongraph JSON reader, the merge into a
// Build and the timing computation. The input is "trace\n--graph--\njson" (or
// only json): the merge is exercised against the model of that trace. The
// reader is also checked against the DOM reader it replaced: both read the
// same graph or both fail.
#include "../unit/actiongraph_dom.hpp"

#include <gox/model/actiongraph.hpp>
#include <gox/model/build.hpp>
#include <gox/report/report.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string_view trace, graph = in;
    if (auto p = in.find("--graph--\n"); p != std::string_view::npos) {
        trace = in.substr(0, p);
        graph = in.substr(p + 10);
    }
    std::string err;
    auto g = gox::model::parse_actiongraph(graph, err);
    (void)gox::model::parse_rfc3339(graph.substr(0, 40));
    if (!gox::testref::same_graph(g, gox::testref::dom_parse_actiongraph(graph))) {
        std::fprintf(stderr, "fuzz_actiongraph: the reader and the DOM reader disagree (%s)\n",
                     g ? "the reader read it" : err.c_str());
        std::abort();
    }
    if (!g) return 0;
    (void)gox::model::compute_timing(*g);
    gox::model::Build b = gox::model::parse_trace_text(trace);
    gox::model::merge_actiongraph(b, *g);
    (void)gox::report::render_json(b);
    return 0;
}
