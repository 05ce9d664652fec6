// The GOCACHEPROG server loop: requests in on one thread, handled on a pool,
// answers written whole under one lock; every request recorded.

#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/protocol.hpp>
#include <gox/cacheprog/record.hpp>
#include <gox/cacheprog/server.hpp>
#include <gox/cacheprog/upstream.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <unistd.h>

namespace gox::cacheprog {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t micros_since(Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}
std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A fixed pool of threads over one queue.
class Pool {
public:
    explicit Pool(unsigned n) {
        for (unsigned i = 0; i < n; ++i) m_threads.emplace_back([this] { work(); });
    }
    ~Pool() {
        {
            std::lock_guard lock(m_mu);
            m_stop = true;
        }
        m_cv.notify_all();
        for (auto& t : m_threads) t.join();
    }
    void submit(std::function<void()> f) {
        {
            std::lock_guard lock(m_mu);
            m_queue.push_back(std::move(f));
            ++m_busy;
        }
        m_cv.notify_one();
    }
    // Until every task submitted so far has finished.
    void wait_idle() {
        std::unique_lock lock(m_mu);
        m_idle.wait(lock, [&] { return m_busy == 0; });
    }

private:
    void work() {
        while (true) {
            std::function<void()> f;
            {
                std::unique_lock lock(m_mu);
                m_cv.wait(lock, [&] { return m_stop || !m_queue.empty(); });
                if (m_queue.empty()) return;
                f = std::move(m_queue.front());
                m_queue.pop_front();
            }
            f();
            std::lock_guard lock(m_mu);
            if (--m_busy == 0) m_idle.notify_all();
        }
    }
    std::mutex m_mu;
    std::condition_variable m_cv, m_idle;
    std::deque<std::function<void()>> m_queue;
    std::size_t m_busy = 0;
    bool m_stop = false;
    std::vector<std::thread> m_threads;
};

class Server {
public:
    Server(const ServerOptions& o, int out_fd, RecordLog* kept) : m_o(o), m_out(out_fd), m_kept(kept) {
        if (o.local) m_store.emplace(o.gocache);
    }

    int run(int in_fd);

private:
    void send(const Response& r);
    void handle(Request req, Clock::time_point t0, std::int64_t start_ns);
    void get_local(const Request& req, Response& res, RequestRecord& rec);
    void get_upstream(const Request& req, Response& res, RequestRecord& rec, bool pass_through);
    void put_local(Request& req, Response& res, RequestRecord& rec, Clock::time_point t0);
    void put_upstream(const Request& req, Response* res, TierResult& tier);
    bool upstream_can(const std::string& cmd);
    bool start_upstream();
    void finish();

    const ServerOptions& m_o;
    int m_out;
    RecordLog* m_kept;
    std::optional<DiskStore> m_store;
    std::unique_ptr<Upstream> m_up;
    std::once_flag m_up_ready;
    RecordWriter m_record;
    std::mutex m_out_mu;
    std::atomic<bool> m_out_broken{false};
};

void Server::send(const Response& r) {
    std::string line = encode_response(r);
    std::lock_guard lock(m_out_mu);
    if (m_out_broken) return;
    if (!write_all(m_out, line)) {
        m_out_broken = true;
        m_record.problem("writing to go failed: go has gone");
    }
}

bool Server::start_upstream() {
    if (m_o.upstream.empty()) return false;
    auto argv = split_command(m_o.upstream);
    if (!argv || argv->empty()) {
        m_record.problem(fmt::format("--upstream '{}': not a command", m_o.upstream));
        return false;
    }
    m_up = std::make_unique<Upstream>([this](const std::string& line) { m_record.problem("upstream stderr: " + line); });
    std::string err;
    if (!m_up->start(*argv, &err)) {
        m_record.problem(err);
        return false;
    }
    return true;
}

bool Server::upstream_can(const std::string& cmd) {
    if (!m_up) return false;
    std::call_once(m_up_ready, [&] {
        std::string err;
        if (!m_up->wait_ready(&err)) m_record.problem("upstream gave no capabilities: " + err);
    });
    return m_up->can(cmd);
}

void Server::get_local(const Request& req, Response& res, RequestRecord& rec) {
    auto t = Clock::now();
    Lookup l = m_store->get(req.action_id);
    rec.local.asked = true;
    rec.local.latency_us = micros_since(t);
    if (l.entry) {
        rec.local.outcome = "hit";
        res.output_id = l.entry->output_id;
        res.size = l.entry->size;
        res.time_ns = l.entry->time_ns;
        res.disk_path = l.entry->disk_path;
        return;
    }
    rec.local.outcome = l.problem.empty() ? "miss" : "error";
    rec.local.error = l.problem;
    res.miss = true;
}

// pass_through: go gets the upstream's answer as it is (errors included);
// otherwise an upstream error is a miss for go, and a hit is kept locally.
void Server::get_upstream(const Request& req, Response& res, RequestRecord& rec, bool pass_through) {
    auto t = Clock::now();
    std::string err;
    rec.upstream.asked = true;
    std::optional<Response> up;
    if (!upstream_can("get")) err = "upstream cannot get";
    else up = m_up->call(req, &err);
    if (up && !up->err.empty()) err = up->err;
    if (!up || !up->err.empty()) {
        rec.upstream.latency_us = micros_since(t);
        rec.upstream.outcome = "error";
        rec.upstream.error = err;
        res = Response{};
        res.id = req.id;
        if (pass_through) res.err = err;
        else res.miss = true;
        return;
    }
    if (up->miss) {
        rec.upstream.latency_us = micros_since(t);
        rec.upstream.outcome = "miss";
        res = Response{};
        res.id = req.id;
        res.miss = true;
        return;
    }
    rec.upstream.outcome = "hit";
    if (up->disk_path.empty()) {
        rec.upstream.outcome = "error";
        rec.upstream.error = "upstream hit without a DiskPath";
    }
    Response out = *up;
    out.id = req.id;
    if (!pass_through && rec.upstream.outcome == "hit") {
        // Keep it locally, and serve the local copy. If it cannot be kept
        // (a full disk), serve the upstream's file; if that is unusable (gone,
        // wrong size or hash), it is a miss.
        std::string perr;
        bool bad_source = false;
        auto path = m_store->put_file(req.action_id, up->output_id, up->size, up->disk_path, &perr, &bad_source);
        if (path) {
            out.disk_path = *path;
        } else if (bad_source) {
            rec.upstream.outcome = "error";
            rec.upstream.error = "upstream DiskPath: " + perr;
        } else {
            rec.local.error = "keeping the upstream's hit: " + perr;
        }
    }
    rec.upstream.latency_us = micros_since(t);
    if (rec.upstream.outcome != "hit") {
        res = Response{};
        res.id = req.id;
        if (pass_through) res.err = rec.upstream.error;
        else res.miss = true;
        return;
    }
    res = out;
}

void Server::put_upstream(const Request& req, Response* res, TierResult& tier) {
    auto t = Clock::now();
    tier.asked = true;
    std::string err;
    std::optional<Response> up;
    if (!upstream_can("put")) err = "upstream cannot put";
    else up = m_up->call(req, &err);
    tier.latency_us = micros_since(t);
    if (up && !up->err.empty()) err = up->err;
    else if (up && up->disk_path.empty()) err = "upstream put answered without a DiskPath";
    if (err.empty()) {
        tier.outcome = "stored";
    } else {
        tier.outcome = "error";
        tier.error = err;
    }
    if (res) {
        Response out = up && up->err.empty() ? *up : Response{};
        if (!up) out.err = err;
        else if (!up->err.empty()) out.err = up->err;
        out.id = req.id;
        *res = out;
    }
}

void Server::handle(Request req, Clock::time_point t0, std::int64_t start_ns) {
    RequestRecord rec;
    rec.id = req.id;
    rec.cmd = req.command;
    rec.action_id = hex(req.action_id);
    rec.start_ns = start_ns;
    Response res;
    res.id = req.id;
    bool upstream_put_after = false;
    if (req.command == "get") {
        if (m_store) get_local(req, res, rec);
        if (!m_store) res.miss = true; // no local tier: the upstream decides
        if (res.miss && m_up) get_upstream(req, res, rec, !m_store);
        if (!res.err.empty()) {
            rec.outcome = "error";
            rec.error = res.err;
        } else if (res.miss) {
            rec.outcome = "miss";
            rec.error = !rec.upstream.error.empty() ? rec.upstream.error : rec.local.error;
        } else {
            rec.outcome = "hit";
            rec.source = rec.upstream.asked ? "upstream" : "local";
            rec.output_id = hex(res.output_id);
            rec.bytes = res.size;
        }
    } else if (req.command == "put") {
        rec.output_id = hex(req.output_id);
        rec.bytes = req.body_size;
        if (m_store) {
            auto t = Clock::now();
            std::string err;
            auto path = m_store->put(req.action_id, req.output_id, req.body, &err);
            rec.local = {true, path ? "stored" : "error", micros_since(t), err};
            if (path) {
                res.disk_path = *path;
                upstream_put_after = m_up != nullptr;
            } else if (m_up) {
                put_upstream(req, &res, rec.upstream); // served by the upstream alone
            } else {
                res.err = err;
            }
        } else if (m_up) {
            put_upstream(req, &res, rec.upstream);
        } else {
            res.err = "no cache tier";
        }
        rec.outcome = res.err.empty() ? "stored" : "error";
        rec.error = res.err;
        if (res.err.empty()) rec.source = rec.local.outcome == "stored" ? "local" : "upstream";
    } else {
        res.err = fmt::format("gox cacheprog: unknown command \"{}\"", req.command);
        rec.outcome = "error";
        rec.error = res.err;
    }
    send(res);
    rec.latency_us = micros_since(t0);
    // The upstream gets the put after go has its answer: a slow upstream
    // does not hold up the build (close waits for it).
    if (upstream_put_after) put_upstream(req, nullptr, rec.upstream);
    m_record.request(std::move(rec));
}

int Server::run(int in_fd) {
    std::string session = fmt::format("{}-{}", ::getpid(), wall_ns());
    if (!m_o.record.empty()) {
        m_record.open(m_o.record, session);
        m_record.start(m_o.gocache, m_o.upstream, m_o.local);
    }
    if (m_kept) {
        m_record.keep(m_kept, session);
        if (m_o.local && !m_o.gocache.empty()) m_kept->local_gocache[m_record.session()] = m_o.gocache;
    }
    bool have_up = start_upstream();
    Response hello;
    hello.known_commands = {"get", "put", "close"};
    if (!m_o.local) {
        // A pure pass-through says what its upstream says it can do.
        bool any = have_up && (upstream_can("get") || upstream_can("put") || upstream_can("close"));
        if (any) {
            hello.known_commands.clear();
            for (const auto& c : m_up->known_commands())
                if (c == "get" || c == "put" || c == "close") hello.known_commands.push_back(c);
            if (std::find(hello.known_commands.begin(), hello.known_commands.end(), "close") == hello.known_commands.end())
                hello.known_commands.push_back("close");
        }
    }
    send(hello);

    unsigned n = m_o.workers ? m_o.workers : std::clamp(2 * std::thread::hardware_concurrency(), 4u, 32u);
    int status = 0;
    {
        Pool pool(n);
        LineIn in(in_fd);
        std::string line, body;
        while (in.next(line)) {
            if (line.empty()) continue;
            auto t0 = Clock::now();
            std::int64_t start_ns = wall_ns();
            std::string why;
            auto req = parse_request(line, &why);
            if (!req) {
                m_record.problem(fmt::format("unreadable request ({}): {}", why, line.substr(0, 200)));
                continue;
            }
            if (req->body_size > 0) {
                // go's encoder ends the object with a newline and go adds
                // another: blank lines come before the body.
                bool got = false;
                while ((got = in.next(body)) && body.empty()) {
                }
                auto b = got ? parse_body(body) : std::nullopt;
                if (!b || static_cast<std::int64_t>(b->size()) != req->body_size) {
                    m_record.problem(fmt::format("request {}: body unreadable or not {} bytes", req->id, req->body_size));
                    Response r;
                    r.id = req->id;
                    r.err = "gox cacheprog: unreadable body";
                    send(r);
                    continue;
                }
                req->body = std::move(*b);
            }
            if (req->command == "close") {
                pool.wait_idle();
                finish();
                RequestRecord rec;
                rec.id = req->id;
                rec.cmd = "close";
                rec.outcome = "ok";
                rec.start_ns = start_ns;
                Response r;
                r.id = req->id;
                send(r);
                rec.latency_us = micros_since(t0);
                m_record.request(rec);
                m_record.close_event();
                return status;
            }
            pool.submit([this, r = std::move(*req), t0, start_ns]() mutable { handle(std::move(r), t0, start_ns); });
        }
        pool.wait_idle();
    }
    // End of input without close: go has gone (or closed us after close).
    finish();
    m_record.close_event();
    return status;
}

void Server::finish() {
    if (!m_up) return;
    std::string how = m_up->close();
    if (!how.empty()) m_record.problem("upstream " + how);
    m_up.reset();
}

} // namespace

int serve(const ServerOptions& o, int in_fd, int out_fd, RecordLog* kept) {
    Server s(o, out_fd, kept);
    return s.run(in_fd);
}

} // namespace gox::cacheprog
