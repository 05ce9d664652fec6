// libFuzzer target: `gox parse FILE` end to end without the command line:
// the input goes through a file descriptor (LineReader), the tokenizer and the
// model builder, then both reports are rendered.
#include <gox/model/build.hpp>
#include <gox/report/report.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fd = ::memfd_create("fuzz_parse", MFD_CLOEXEC);
    if (fd < 0) std::abort();
    for (std::size_t done = 0; done < size;) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) std::abort();
        done += static_cast<std::size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
    gox::model::Build b = gox::model::parse_trace_fd(fd);
    ::close(fd);
    std::string json = gox::report::render_json(b);
    std::string text = gox::report::render_text(b, {.color = true, .max_listed = 5});
    if (json.empty() || text.empty()) std::abort();
    return 0;
}
