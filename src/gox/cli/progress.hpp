#pragma once
// The wrapper's status line while go runs and its GOX_TIMING step timer.

#include <gox/process/go_process.hpp>
#include <gox/trace/event.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace gox::cli::wrap {

// One status line on a terminal while go runs, erased before any of go's
// own output is written and at the end, so what go prints is never mixed
// with it.
class Progress {
public:
    explicit Progress(bool enabled) : m_enabled(enabled) {}
    void on_event(const trace::Event& ev) {
        if (!m_enabled) return;
        if (ev.kind == trace::Kind::Compile) {
            ++m_compiled;
            m_current.assign(ev.text == "main" ? std::string_view("main package") : ev.text);
        } else if (ev.kind == trace::Kind::Link) {
            ++m_linked;
            m_current = "linking";
        } else if (ev.kind == trace::Kind::TestRun) {
            m_current = "running " + std::string(util::base_name(ev.path));
        } else {
            return;
        }
        auto now = std::chrono::steady_clock::now();
        if (m_drawn && now - m_last < std::chrono::milliseconds(80)) return;
        m_last = now;
        std::string s = fmt::format("\r\x1b[Kgox: {} compiled, {} linked · {}", m_compiled, m_linked, m_current);
        if (s.size() > 100) s.resize(100);
        process::write_all(2, s);
        m_drawn = true;
    }
    void clear() {
        if (!m_drawn) return;
        process::write_all(2, "\r\x1b[K");
        m_drawn = false;
    }

private:
    bool m_enabled;
    bool m_drawn = false;
    std::size_t m_compiled = 0, m_linked = 0;
    std::string m_current;
    std::chrono::steady_clock::time_point m_last{};
};

// GOX_TIMING=1: how long each step of a wrapped run took, printed on
// stderr at the end ("gox: timing: go 312.4 ms (cpu 0.1), model 0.2 ms
// (cpu 0.2), ..., after go 12.3 ms (cpu 9.8)"): wall time, and the CPU time
// gox itself used (all its threads, not its children), which a loaded
// machine does not stretch.
class StepTimer {
public:
    explicit StepTimer(bool enabled) : m_enabled(enabled), m_last(now()) {}
    void step(const char* name) {
        if (!m_enabled) return;
        auto t = now();
        Step s{name, t.wall - m_last.wall, t.cpu - m_last.cpu};
        m_last = t;
        m_steps.push_back(s);
        if (m_after_go) {
            m_after.wall += s.wall;
            m_after.cpu += s.cpu;
        }
        if (std::string_view(name) == "go") m_after_go = true;
    }
    void print() const {
        if (!m_enabled) return;
        std::string line = "gox: timing:";
        for (const auto& s : m_steps) line += fmt::format(" {} {:.1f} ms (cpu {:.1f}),", s.name, s.wall, s.cpu);
        line += fmt::format(" after go {:.1f} ms (cpu {:.1f})\n", m_after.wall, m_after.cpu);
        process::write_all(2, line);
    }

private:
    struct Times {
        double wall = 0, cpu = 0; // ms
    };
    struct Step {
        const char* name;
        double wall, cpu;
    };
    static Times now() {
        timespec w{}, c{};
        ::clock_gettime(CLOCK_MONOTONIC, &w);
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
        return {w.tv_sec * 1e3 + w.tv_nsec / 1e6, c.tv_sec * 1e3 + c.tv_nsec / 1e6};
    }
    bool m_enabled;
    bool m_after_go = false;
    Times m_last, m_after;
    std::vector<Step> m_steps;
};

} // namespace gox::cli::wrap
