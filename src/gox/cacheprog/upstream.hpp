#pragma once
// Another GOCACHEPROG helper run as gox's upstream: started with pipes,
// spoken to in the same protocol go speaks to gox, from many threads at
// once (each call gets its own request id; responses are matched by id, in
// any order). Its stderr never reaches the user: each line goes to a
// callback (the record). When it exits or breaks the protocol, every pending
// and later call fails with an error naming why.

#include <gox/cacheprog/protocol.hpp>

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gox::cacheprog {

class Upstream {
public:
    using LineSink = std::function<void(const std::string&)>;
    explicit Upstream(LineSink on_stderr);
    ~Upstream();
    Upstream(const Upstream&) = delete;
    Upstream& operator=(const Upstream&) = delete;

    // Starts argv; false with why in *error when it cannot be spawned.
    bool start(const std::vector<std::string>& argv, std::string* error);
    // Waits for the helper's first message (its KnownCommands); false when
    // it died or broke the protocol first, with why in *error.
    bool wait_ready(std::string* error);
    bool can(const std::string& command) const;
    const std::vector<std::string>& known_commands() const { return m_known; }

    // Sends r (its id replaced) and waits for the answer; nullopt with why in
    // *error when the helper is gone or answered garbage.
    std::optional<Response> call(Request r, std::string* error);

    // A close request when it knows one, then its stdin closed; waits for it
    // to exit (killing it after grace_ms). Its exit status as text ("" for 0).
    std::string close(int grace_ms = 10000);

private:
    struct Pending {
        bool done = false;
        std::optional<Response> response;
        std::string error;
    };
    void read_loop();
    void stderr_loop();
    void fail_all(const std::string& why);

    LineSink m_on_stderr;
    pid_t m_pid = -1;
    int m_in = -1, m_out = -1, m_err = -1;
    std::thread m_reader, m_stderr;
    std::mutex m_write_mu;
    mutable std::mutex m_mu;
    std::condition_variable m_cv;
    std::map<std::int64_t, std::shared_ptr<Pending>> m_pending;
    std::int64_t m_next_id = 0;
    bool m_ready = false;
    std::string m_dead; // why it can no longer answer ("" while it can)
    std::vector<std::string> m_known;
    std::set<std::string> m_can;
    bool m_reaped = false;
    int m_status = 0;
};

} // namespace gox::cacheprog
