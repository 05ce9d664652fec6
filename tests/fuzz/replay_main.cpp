// main() for a fuzz target in a build without libFuzzer (gcc, the default
// test build, which is compiled with ASan and UBSan): it feeds the target
// every input file named on the command line (directories are walked), then,
// with --mutate=N, N deterministic mutations of each of them (bit flips, byte
// overwrites with characters the trace formats care about, cut, duplicated
// and deleted spans, a splice of two inputs). The pseudo-random sequence
// depends only on --seed, so a failure is reproduced by the same command;
// with --artifact=FILE each mutated input is written there before it runs,
// so after a crash FILE holds the input that crashed.
// It finds less than coverage-guided fuzzing does (clang's -Dfuzz=true build,
// tests/fuzz/README.md), but it runs every committed reproducer and the
// seeds cut from real traces through the sanitizers on every test run.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

constexpr std::size_t max_len = 16384; // as the libFuzzer runs (run.py)

void run_one(const std::string& input) {
    std::string copy = input.substr(0, max_len); // an exact-size heap copy: ASan sees overreads
    std::vector<std::uint8_t> bytes(copy.begin(), copy.end());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

std::string mutate(const std::string& in, const std::string& other, std::mt19937_64& rng) {
    using namespace std::string_view_literals;
    static constexpr std::string_view interesting = "\n\r\t \"'\\$#{}[]:,=-/0123456789\x00\xff"sv;
    std::string s = in;
    auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
        switch (rng() % 6) {
        case 0: // flip one bit
            if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << (rng() % 8));
            break;
        case 1: // overwrite a byte with one the formats treat specially
            if (!s.empty()) s[pick(s.size())] = interesting[pick(interesting.size())];
            break;
        case 2: // cut the tail
            s.resize(pick(s.size() + 1));
            break;
        case 3: { // duplicate a span in place
            std::size_t a = pick(s.size() + 1), n = std::min<std::size_t>(pick(256) + 1, s.size() - a);
            s.insert(a, s.substr(a, n));
            break;
        }
        case 4: { // delete a span
            std::size_t a = pick(s.size() + 1), n = std::min<std::size_t>(pick(256) + 1, s.size() - a);
            s.erase(a, n);
            break;
        }
        default: // splice: a prefix of this input, a suffix of another
            s = s.substr(0, pick(s.size() + 1)) + other.substr(pick(other.size() + 1));
            break;
        }
    }
    return s;
}

bool read_file(const std::filesystem::path& p, std::string& out) {
    std::ifstream f(p, std::ios::binary);
    if (!f) return false;
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

} // namespace

int main(int argc, char** argv) {
    long mutations = 0;
    unsigned long long seed = 1;
    std::string artifact;
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.rfind("--mutate=", 0) == 0) {
            mutations = std::strtol(argv[i] + 9, nullptr, 10);
        } else if (a.rfind("--seed=", 0) == 0) {
            seed = std::strtoull(argv[i] + 7, nullptr, 10);
        } else if (a.rfind("--artifact=", 0) == 0) {
            artifact = std::string(a.substr(11));
        } else if (std::filesystem::is_directory(a)) {
            for (auto& e : std::filesystem::recursive_directory_iterator(a))
                if (e.is_regular_file()) files.push_back(e.path());
        } else {
            files.emplace_back(a);
        }
    }
    std::sort(files.begin(), files.end()); // the same order, so the same mutations, everywhere
    std::vector<std::string> inputs;
    for (auto& p : files) {
        std::string s;
        if (!read_file(p, s)) {
            std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
            return 2;
        }
        std::fprintf(stderr, "replay: %s\n", p.c_str());
        run_one(s);
        inputs.push_back(std::move(s));
    }
    std::mt19937_64 rng(seed);
    long runs = static_cast<long>(inputs.size());
    for (long m = 0; m < mutations && !inputs.empty(); ++m) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            std::string in = mutate(inputs[i], inputs[rng() % inputs.size()], rng);
            if (!artifact.empty()) std::ofstream(artifact, std::ios::binary | std::ios::trunc) << in;
            run_one(in);
            ++runs;
        }
    }
    std::printf("replay: %zu inputs, %ld runs, seed %llu\n", inputs.size(), runs, seed);
    return 0;
}
