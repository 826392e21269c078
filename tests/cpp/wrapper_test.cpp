// Checks of the C++ wrapper (include/sio.hpp), run by tests/cpp.rs against tests/server/server.js:
//
//   wrapper_test CASE URL
//
// Each case prints one line per check ("ok: …" or "FAIL: …") plus "sid NS SID" lines for the
// Rust side to compare with the server's records; the exit status is 1 if a check failed. It
// also builds with -fno-exceptions (without the checks of what exceptions do).
// Handlers run on libsio's dispatch thread and report to the test thread through a mailbox.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sio.hpp"

using namespace std::chrono_literals;

namespace {

/// Upper bound for anything to happen (valgrind is slow); checks normally take far less.
constexpr auto T = 60s;

int failures = 0;

void check(bool ok, const char* what, int line) {
    std::printf("%s: line %d: %s\n", ok ? "ok" : "FAIL", line, what);
    std::fflush(stdout);
    if (!ok) failures++;
}

void check_eq(const std::string& got, const std::string& want, const char* what, int line) {
    const bool ok = got == want;
    std::printf("%s: line %d: %s == %s", ok ? "ok" : "FAIL", line, what, want.c_str());
    if (!ok) std::printf(" (got %s)", got.c_str());
    std::printf("\n");
    std::fflush(stdout);
    if (!ok) failures++;
}

#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_EQ(got, want) check_eq((got), (want), #got, __LINE__)

std::string str(std::string_view s) { return std::string(s); }

std::string code(const sio::error& e) { return sio_result_str(e.code()); }

/// The code of a failed result, or "ok".
template <class R>
std::string outcome(const R& r) {
    return r ? "ok" : code(r.error());
}

std::string hex(sio::bytes_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::uint8_t b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

/// Named values the handlers put, for the test thread to wait for.
class mailbox {
  public:
    void put(const std::string& key, std::string value = "") {
        {
            std::lock_guard<std::mutex> lock(m_);
            items_.emplace_back(key, std::move(value));
        }
        cv_.notify_all();
    }

    /// The value of the `n`th item (from 0) put under `key`, waiting up to T; "(none)" if it
    /// does not come.
    std::string wait(const std::string& key, std::size_t n = 0) {
        std::unique_lock<std::mutex> lock(m_);
        std::optional<std::string> found;
        cv_.wait_for(lock, T, [&] { return (found = nth(key, n)).has_value(); });
        return found.value_or("(none)");
    }

    std::size_t count(const std::string& key) {
        std::lock_guard<std::mutex> lock(m_);
        std::size_t n = 0;
        for (const auto& item : items_) n += item.first == key;
        return n;
    }

  private:
    std::optional<std::string> nth(const std::string& key, std::size_t n) const {
        for (const auto& item : items_) {
            if (item.first == key && n-- == 0) return item.second;
        }
        return std::nullopt;
    }

    std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::pair<std::string, std::string>> items_;
};

/// Counts its live copies: handlers capture one, so that the test sees when the library
/// destroys them (exactly once each: a second destruction would make the count drift below
/// what the test expects, and ASan/valgrind report it).
struct probe {
    static std::atomic<int> live;
    probe() { ++live; }
    probe(const probe&) { ++live; }
    probe& operator=(const probe&) = default;
    ~probe() { --live; }
};
std::atomic<int> probe::live{0};

/// Waits up to T for `done` (for what happens on the dispatch thread after it told the mailbox).
bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + T;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// ---------------------------------------------------------------------------------------------

/// The library's version; namespaces: the default one, /a, /admin with auth, and /admin
/// refused without it.
void connect_case(const std::string& url) {
    CHECK_EQ(str(sio::version()), std::to_string(SIO_VERSION_MAJOR) + "." + std::to_string(SIO_VERSION_MINOR) + "." +
                                      std::to_string(SIO_VERSION_PATCH));
    mailbox box;  // declared before the clients: it outlives their handlers
    auto client = sio::client::connect(url).value();
    sio::socket root = client.of().value();
    sio::socket a = client.of("/a").value();
    sio::socket admin = client.of("/admin", R"({"token":"secret"})").value();
    CHECK(root.name() == "/");
    CHECK(a.name() == "/a");
    CHECK(client.of("a").value() == a);  // the same socket: "a" means "/a"
    for (sio::socket s : {root, a, admin}) {
        s.on_connect([&box](sio::socket joined, std::string_view sid) {
             box.put("connect " + str(joined.name()), str(sid));
         }).value();
        s.on("welcome", [&box](sio::event_view ev) {
             box.put("welcome " + str(ev.socket().name()), str(ev.args()));
         }).value();
        s.on_disconnect([&box](sio::socket left, std::string_view reason) {
             box.put("disconnect " + str(left.name()), str(reason));
         }).value();
        s.connect().value();
    }
    for (std::string ns : {"/", "/a", "/admin"}) {
        const std::string sid = box.wait("connect " + ns);
        std::printf("sid %s %s\n", ns.c_str(), sid.c_str());
        CHECK_EQ(box.wait("welcome " + ns), R"([{"ns":")" + ns + R"(","sid":")" + sid + R"("}])");
    }

    auto other = sio::client::connect(url).value();
    sio::socket refused = other.of("/admin").value();
    refused.on_connect_error([&box](sio::socket s, std::string_view message, std::string_view data) {
               box.put("refused " + str(s.name()), str(message) + " " + str(data));
           }).value();
    refused.connect().value();
    CHECK_EQ(box.wait("refused /admin"), R"(not authorized {"code":401})");
    CHECK_EQ(outcome(other.wait(T)), "ok");  // nothing joined or joining: closed

    for (sio::socket s : {root, a, admin}) s.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
    CHECK_EQ(box.wait("disconnect /a"), "io client disconnect");
}

/// Emits, acks both ways (with binary in the answer), the blocking call, timeouts, and what
/// handlers may and may not call.
void emit_case(const std::string& url) {
    mailbox box;
    std::mutex acks_lock;
    std::vector<sio::ack> acks;  // taken in a handler, answered by the test thread
    auto client = sio::client::connect(url).value();
    sio::socket io = client.of().value();
    io.on("question", [&](sio::event_view ev) {
          sio::ack ack = ev.take_ack();
          const bool again = bool(ev.take_ack());  // taken once only
          const std::string what = str(ev.args()) + (ack ? " +ack" : " no ack") + (again ? " again" : "");
          {
              std::lock_guard<std::mutex> lock(acks_lock);
              acks.push_back(std::move(ack));
          }
          box.put("question", what);
      }).value();
    io.on("echo", [&box](sio::event_view ev) {
          // Inside a handler: the blocking call refuses, emit_with_ack works.
          box.put("call in handler", outcome(ev.socket().call("ack", "[1]")));
          auto on_reply = [&box](sio::result<sio::event_view> r) {
              box.put("ack in handler", r ? str(r->args()) : code(r.error()));
          };
          auto sent = ev.socket().emit_with_ack("ack", R"(["from a handler"])", on_reply);
          box.put("emit_with_ack in handler", outcome(sent));
      }).value();
    io.connect().value();

    io.emit("hello", R"([1,"two",{"three":3}])").value();
    io.emit("no args").value();
    io.emit_with_ack("ack", R"(["x",{"y":null}])", [&box](sio::result<sio::event_view> reply) {
          box.put("ack", reply ? "name '" + str(reply->name()) + "' " + str(reply->args()) : code(reply.error()));
      }).value();
    CHECK_EQ(box.wait("ack"), R"(name '' ["x",{"y":null}])");

    // The server never acks "nobody": the handler gets the timeout.
    io.emit_with_ack("nobody", "[]", {}, 200ms, [&box](sio::result<sio::event_view> reply) {
          box.put("nobody", reply ? "a reply" : code(reply.error()) + " / " + reply.error().message());
      }).value();
    const std::string timeout = sio_result_str(SIO_ERR_TIMEOUT);
    CHECK_EQ(box.wait("nobody"), timeout + " / " + timeout);  // no detail: the code's text

    auto reply = io.call("ack", "[7]", {}, T);
    CHECK_EQ(outcome(reply), "ok");
    sio::event moved = std::move(reply).value();  // the owned reply, moved out of the result
    CHECK_EQ(str(moved.args()), "[7]");
    CHECK_EQ(str(moved.name()), "");
    CHECK_EQ(outcome(io.call("nobody", "[]", {}, 100ms)), sio_result_str(SIO_ERR_TIMEOUT));

    io.emit("echo", "[]").value();
    CHECK_EQ(box.wait("call in handler"), sio_result_str(SIO_ERR_IN_CALLBACK));
    CHECK_EQ(box.wait("emit_with_ack in handler"), "ok");
    CHECK_EQ(box.wait("ack in handler"), R"(["from a handler"])");

    // The server asks with an ack request; another thread answers, later, with binary.
    io.emit("ask", R"(["6*7?"])").value();
    CHECK_EQ(box.wait("question"), R"(["6*7?"] +ack)");
    sio::ack ack;
    {
        std::lock_guard<std::mutex> lock(acks_lock);
        ack = std::move(acks.at(0));  // move assignment
    }
    CHECK(bool(ack));
    std::thread answerer([&box, ack = std::move(ack)]() mutable {
        const std::vector<std::uint8_t> bytes{1, 2, 3};
        auto bad = ack.send("[no json");
        box.put("bad answer", outcome(bad) + (ack ? " kept" : " lost"));  // a failed send keeps it
        auto sent = ack.send(R"(["answer",42,{"_placeholder":true,"num":0}])", {bytes});
        box.put("answer", outcome(sent) + (ack ? " kept" : " used up"));
        box.put("answer again", outcome(ack.send("[]")));
    });
    answerer.join();
    CHECK_EQ(box.wait("bad answer"), std::string(sio_result_str(SIO_ERR_JSON)) + " kept");
    CHECK_EQ(box.wait("answer"), "ok used up");
    CHECK_EQ(box.wait("answer again"), sio_result_str(SIO_ERR_NULL));

    io.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
}

/// Binary both ways: buffers referenced from nested arguments, an empty buffer, a reply's.
void binary_case(const std::string& url) {
    mailbox box;
    auto client = sio::client::connect(url).value();
    sio::socket io = client.of().value();
    io.on("binary", [&box](sio::event_view ev) {
          std::string bytes;
          for (sio::bytes_view b : ev.buffers()) bytes += "<" + hex(b) + ">";
          box.put("binary", str(ev.args()) + " " + bytes);
      }).value();
    io.connect().value();

    const std::vector<std::uint8_t> bytes{0, 1, 2, 255};
    const std::string text = "text";
    const std::string args = R"(["file",{"_placeholder":true,"num":0},)"
                             R"({"nested":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":2}])";
    io.emit("binary", args, {bytes, text, sio::bytes_view()}).value();
    CHECK_EQ(box.wait("binary"), args + " <000102ff><74657874><>");

    const std::uint8_t raw[] = {9, 8, 7};
    auto reply = io.call("binary", R"([{"_placeholder":true,"num":0}])", {sio::bytes_view(raw, sizeof raw)}, T);
    CHECK_EQ(outcome(reply), "ok");
    if (reply) {
        CHECK_EQ(str(reply->args()), R"([{"_placeholder":true,"num":0}])");
        CHECK(reply->buffer_count() == 1);
        CHECK(reply->buffer(0).to_vector() == std::vector<std::uint8_t>({9, 8, 7}));
        CHECK(reply->buffer(1).empty());  // out of range
    }
    // A buffer no placeholder references.
    auto unreferenced = io.emit("binary", "[]", {bytes});
    CHECK_EQ(outcome(unreferenced), sio_result_str(SIO_ERR_JSON));

    io.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
}

#if SIO_HPP_EXCEPTIONS
mailbox* exception_box = nullptr;

void record_exception(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        exception_box->put("exception", x.what());
    }
}
#endif

/// Handlers with captured state: replaced, removed, catch-all, unhandled, registered from a
/// handler, throwing; moved clients and options.
void handlers_case(const std::string& url) {
    mailbox box;
    sio::options opts;
    opts.reconnection(false).value();
    sio::options moved_opts = std::move(opts);
    auto first = sio::client::connect(url, moved_opts).value();
    sio::client client = std::move(first);  // move construction
    CHECK(!first);
    CHECK(bool(client));
    sio::socket io = client.of().value();

    auto counter = std::make_shared<int>(0);  // touched on the dispatch thread only
    io.on("echo", [&box, counter, p = probe()](sio::event_view ev) {
          ++*counter;
          box.put("echo", "v1 #" + std::to_string(*counter) + " " + str(ev.args()));
      }).value();
    CHECK(probe::live == 1);
    io.on_any([&box](sio::event_view ev) { box.put("any " + str(ev.name()), str(ev.args())); }).value();
    io.on_unhandled([&box](sio::event_view ev) { box.put("unhandled " + str(ev.name()), str(ev.args())); }).value();
    io.connect().value();
    CHECK(box.wait("unhandled welcome") != "(none)");

    io.emit("echo", "[1]").value();
    io.emit("echo", "[2]").value();
    CHECK_EQ(box.wait("echo", 0), "v1 #1 [1]");
    CHECK_EQ(box.wait("echo", 1), "v1 #2 [2]");

    // Replacing destroys the old handler, with its captures (once the dispatch thread, which
    // may still hold it for a moment after the last call, lets it go).
    io.on("echo", [&box, p = probe()](sio::event_view ev) { box.put("echo", "v2 " + str(ev.args())); }).value();
    CHECK(eventually([&] { return probe::live == 1 && counter.use_count() == 1; }));
    io.emit("echo", "[3]").value();
    CHECK_EQ(box.wait("echo", 2), "v2 [3]");
    io.off("echo").value();
    CHECK(eventually([] { return probe::live == 0; }));
    io.emit("echo", "[4]").value();
    CHECK_EQ(box.wait("unhandled echo"), "[4]");
    CHECK(box.count("any echo") == 4);
    CHECK(box.count("echo") == 3);

    // A handler that registers another.
    io.on("echo", [&box](sio::event_view ev) {
          ev.socket().on("late", [&box](sio::event_view late) { box.put("late", str(late.args())); }).value();
          box.put("registered");
      }).value();
    io.emit("echo", "[]").value();
    box.wait("registered");
    io.emit("broadcast", R"(["late",5])").value();  // the server emits "late" [5]
    CHECK_EQ(box.wait("late", 0), "[5]");

#if SIO_HPP_EXCEPTIONS
    // An exception leaving a handler goes to the hook; dispatch goes on.
    exception_box = &box;
    CHECK(sio::set_handler_exception_hook(&record_exception) == nullptr);
    io.on("echo", [](sio::event_view ev) { throw std::runtime_error("boom " + str(ev.args())); }).value();
    io.emit("echo", "[6]").value();
    CHECK_EQ(box.wait("exception"), "boom [6]");
    io.emit("broadcast", R"(["late",7])").value();
    CHECK_EQ(box.wait("late", 1), "[7]");
    CHECK(sio::set_handler_exception_hook(nullptr) == &record_exception);
#endif

    // Move assignment frees the client assigned over, with its handlers.
    auto other = sio::client::connect(url).value();
    other.of("/a").value().on("x", [p = probe()](sio::event_view) {}).value();
    CHECK(probe::live == 1);
    other = std::move(client);
    CHECK(probe::live == 0);
    CHECK(!client);
    const std::size_t lates = box.count("late");
    io.emit("broadcast", R"(["late",8])").value();  // `io` belongs to the moved client: still valid
    CHECK_EQ(box.wait("late", lates), "[8]");
    other.close().value();
    CHECK_EQ(outcome(other.wait(T)), "ok");
}

/// Destruction: the client destroyed while handlers (and a pending ack) hold captured objects,
/// and a client destroyed from inside its own handler.
void lifetime_case(const std::string& url) {
    mailbox box;
    {
        auto client = sio::client::connect(url).value();
        client.on_reconnect([p = probe()](sio_reconnect_event, std::uint32_t, std::string_view) {}).value();
        for (const char* ns : {"/", "/a", "/b"}) {
            sio::socket s = client.of(ns).value();
            s.on("welcome", [&box, p = probe()](sio::event_view ev) { box.put("welcome " + str(ev.socket().name())); })
                .value();
            s.on_any([p = probe()](sio::event_view) {}).value();
            s.on_unhandled([p = probe()](sio::event_view) {}).value();
            s.on_connect([&box, p = probe()](sio::socket joined, std::string_view sid) {
                 box.put("connect " + str(joined.name()), str(sid));
             }).value();
            s.on_disconnect([p = probe()](sio::socket, std::string_view) {}).value();
            s.on_connect_error([p = probe()](sio::socket, std::string_view, std::string_view) {}).value();
            s.connect().value();
        }
        CHECK(probe::live == 1 + 3 * 6);
        for (std::string ns : {"/", "/a", "/b"}) {
            CHECK(box.wait("welcome " + ns) != "(none)");
            std::printf("sid %s %s\n", ns.c_str(), box.wait("connect " + ns).c_str());
        }
        // No reply ever comes: the handler waits until the client goes.
        client.of().value().emit_with_ack("nobody", "[]", [&box, p = probe()](sio::result<sio::event_view> reply) {
            box.put("pending", reply ? "a reply" : code(reply.error()));
        }).value();
        CHECK(probe::live == 1 + 3 * 6 + 1);
    }  // the client is destroyed here, with every handler
    CHECK(probe::live == 0);
    CHECK_EQ(box.wait("pending"), sio_result_str(SIO_ERR_CLOSED));
    CHECK(box.count("pending") == 1);

    // A handler destroys its own client; the running handler itself is destroyed when it returns.
    auto holder = std::make_unique<sio::client>(sio::client::connect(url).value());
    sio::socket io = holder->of().value();
    io.on("welcome", [&holder, &box, p = probe()](sio::event_view ev) {
          holder.reset();
          box.put("freed", outcome(ev.socket().emit("after", "[]")));
      }).value();
    io.on_disconnect([p = probe()](sio::socket, std::string_view) {}).value();
    io.on_connect([&box, p = probe()](sio::socket, std::string_view sid) { box.put("self-freed", str(sid)); }).value();
    io.connect().value();
    CHECK_EQ(box.wait("freed"), sio_result_str(SIO_ERR_CLOSED));
    std::printf("sid self-freed %s\n", box.wait("self-freed").c_str());
    CHECK(eventually([] { return probe::live == 0; }));
    CHECK(!holder);
}

/// The error path: codes and messages of the library and of the wrapper.
void errors_case(const std::string& url) {
    mailbox box;
    auto bad_url = sio::client::connect("ftp://example.com");
    CHECK_EQ(outcome(bad_url), sio_result_str(SIO_ERR_URL));
    CHECK(!bad_url.error().message().empty());

    auto client = sio::client::connect(url).value();
    sio::socket io = client.of().value();

    auto bad_json = io.emit("x", "[1,");
    CHECK_EQ(outcome(bad_json), sio_result_str(SIO_ERR_JSON));
    CHECK(bad_json.error().code() == SIO_ERR_JSON);
    CHECK(bad_json.error().message().find("JSON") != std::string::npos);
    CHECK(str(bad_json.error().name()) == sio_result_str(SIO_ERR_JSON));
    std::printf("message %s\n", bad_json.error().message().c_str());
    // The message was taken at the failure: later failures do not change it.
    CHECK_EQ(outcome(io.emit("connect")), sio_result_str(SIO_ERR_RESERVED_EVENT));
    CHECK(bad_json.error().message().find("JSON") != std::string::npos);

    CHECK_EQ(outcome(io.emit("x", R"({"not":"an array"})")), sio_result_str(SIO_ERR_JSON));
    CHECK_EQ(outcome(io.emit("\xff")), sio_result_str(SIO_ERR_UTF8));
    auto nul = io.emit(std::string_view("a\0b", 3));
    CHECK_EQ(outcome(nul), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(nul.error().message(), "event contains a NUL byte");
    CHECK_EQ(outcome(client.of("/a", "[1]")), sio_result_str(SIO_ERR_JSON));
    CHECK_EQ(outcome(sio::ack().send("[]")), sio_result_str(SIO_ERR_NULL));

    // A refused registration still destroys the handler, once.
    auto reserved = io.on("disconnect", [p = probe()](sio::event_view) {});
    CHECK_EQ(outcome(reserved), sio_result_str(SIO_ERR_RESERVED_EVENT));
    CHECK(probe::live == 0);
    // A refused emit_with_ack never calls its handler, and destroys it.
    auto refused = io.emit_with_ack("x", "[", [p = probe()](sio::result<sio::event_view>) { std::abort(); });
    CHECK_EQ(outcome(refused), sio_result_str(SIO_ERR_JSON));
    CHECK(probe::live == 0);

    sio::options opts;
    CHECK_EQ(outcome(opts.randomization_factor(2.0)), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(opts.connect_timeout(0ms)), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(opts.connect_timeout(-5ms)), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(opts.reconnection_delay(5s, 1s)), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(opts.add_header("bad name", "v")), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(opts.transport(static_cast<sio_transport>(9))), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(opts.ca_file(std::nullopt)), "ok");

#if SIO_HPP_EXCEPTIONS
    try {
        io.emit("x", "[1,").value();
        CHECK(false);
    } catch (const sio::exception& e) {
        CHECK(e.code() == SIO_ERR_JSON);
        CHECK(str(e.what()) == e.error().message());
    }
#endif

    io.on_connect([&box](sio::socket, std::string_view sid) { box.put("connect", str(sid)); }).value();
    io.connect().value();
    CHECK(box.wait("connect") != "(none)");
    CHECK_EQ(outcome(client.wait(50ms)), sio_result_str(SIO_ERR_TIMEOUT));  // still joined
    client.close().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
    CHECK_EQ(outcome(io.emit("x", "[]")), sio_result_str(SIO_ERR_CLOSED));
    CHECK_EQ(outcome(io.call("x", "[]")), sio_result_str(SIO_ERR_CLOSED));
}

/// Reconnection: the server drops the connection, the client comes back by itself.
void reconnect_case(const std::string& url) {
    mailbox box;
    sio::options opts;
    opts.reconnection_delay(100ms, 200ms).value();
    opts.randomization_factor(0).value();
    auto client = sio::client::connect(url, opts).value();
    client.on_reconnect([&box](sio_reconnect_event what, std::uint32_t attempt, std::string_view error) {
              box.put("reconnect", std::to_string(what) + " " + std::to_string(attempt) + str(error));
          }).value();
    sio::socket io = client.of().value();
    io.on_connect([&box](sio::socket, std::string_view sid) { box.put("connect", str(sid)); }).value();
    io.on_disconnect([&box](sio::socket, std::string_view reason) { box.put("disconnect", str(reason)); }).value();
    io.connect().value();
    std::printf("sid 1 %s\n", box.wait("connect", 0).c_str());

    io.emit("close").value();  // the server closes the Engine.IO connection
    CHECK_EQ(box.wait("disconnect"), "transport close");
    CHECK_EQ(box.wait("reconnect", 0), std::to_string(SIO_RECONNECT_ATTEMPT) + " 1");
    CHECK_EQ(box.wait("reconnect", 1), std::to_string(SIO_RECONNECT_SUCCESS) + " 1");
    std::printf("sid 2 %s\n", box.wait("connect", 1).c_str());
    io.emit("after", "[1]").value();

    io.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
}

/// The auth handler: a fresh token for every CONNECT (the first answered inside the handler, the
/// one after a reconnection later from another thread); a request dropped unanswered refuses.
void auth_case(const std::string& url) {
    mailbox box;
    std::mutex held_lock;
    std::optional<sio::auth_request> held;  // the second request, answered by another thread
    sio::options opts;
    opts.reconnection_delay(100ms, 200ms).value();
    opts.randomization_factor(0).value();
    auto client = sio::client::connect(url, opts).value();
    sio::socket admin = client.of("/admin").value();  // no static auth: the handler gives it
    int asked = 0;                                      // on the dispatch thread only
    admin.on_auth([&box, &held, &held_lock, &asked, p = probe()](sio::socket s, sio::auth_request request) {
             box.put("asked", str(s.name()) + " " + std::to_string(++asked));
             if (asked == 1) {
                 auto sent = request.reply(R"({"token":"secret","gen":1})");
                 box.put("reply 1", outcome(sent) + (request ? " kept" : " used up"));
             } else if (asked == 2) {
                 std::lock_guard<std::mutex> lock(held_lock);
                 held = std::move(request);
             }  // the third goes out of scope unanswered: refused
         }).value();
    CHECK(probe::live == 1);
    admin.on_connect([&box](sio::socket, std::string_view sid) { box.put("connect", str(sid)); }).value();
    admin.on_disconnect([&box](sio::socket, std::string_view why) { box.put("disconnect", str(why)); }).value();
    admin.on_connect_error([&box](sio::socket, std::string_view message, std::string_view) {
             box.put("connect_error", str(message));
         }).value();
    admin.connect().value();
    CHECK_EQ(box.wait("reply 1"), "ok used up");
    std::printf("sid 1 %s\n", box.wait("connect", 0).c_str());

    admin.emit("close").value();  // the server drops the connection: reconnection asks again
    CHECK_EQ(box.wait("disconnect", 0), "transport close");
    CHECK_EQ(box.wait("asked", 1), "/admin 2");
    sio::auth_request later;
    CHECK(eventually([&] {
        std::lock_guard<std::mutex> lock(held_lock);
        if (!held) return false;
        later = std::move(*held);  // move assignment
        return true;
    }));
    CHECK(box.count("connect") == 1);  // the join waits for the answer
    std::thread answerer([&box, request = std::move(later)]() mutable {
        auto bad = request.reply("[1]");
        box.put("bad reply", outcome(bad) + (request ? " kept" : " lost"));  // a failed reply keeps it
        auto sent = request.reply(R"({"token":"secret","gen":2})");
        box.put("reply 2", outcome(sent) + (request ? " kept" : " used up"));
        box.put("reply again", outcome(request.reply("{}")));
    });
    answerer.join();
    CHECK_EQ(box.wait("bad reply"), std::string(sio_result_str(SIO_ERR_JSON)) + " kept");
    CHECK_EQ(box.wait("reply 2"), "ok used up");
    CHECK_EQ(box.wait("reply again"), sio_result_str(SIO_ERR_NULL));
    std::printf("sid 2 %s\n", box.wait("connect", 1).c_str());

    admin.emit("kick").value();  // the server disconnects the namespace: no rejoin by itself
    CHECK_EQ(box.wait("disconnect", 1), "io server disconnect");
    CHECK_EQ(outcome(client.wait(T)), "ok");
    admin.connect().value();
    CHECK_EQ(box.wait("asked", 2), "/admin 3");
    CHECK_EQ(box.wait("connect_error"), "no auth: the auth request was freed without a reply");
    CHECK_EQ(outcome(client.wait(T)), "ok");
    CHECK(box.count("connect") == 2);

    CHECK_EQ(outcome(admin.on_auth(nullptr)), "ok");  // removed: the handler is destroyed
    CHECK(eventually([] { return probe::live == 0; }));
    CHECK_EQ(outcome(sio::auth_request().reply("{}")), sio_result_str(SIO_ERR_NULL));
}

/// Manual dispatch: no dispatch thread; every handler runs on this thread, inside dispatch() when
/// poll() says the client's descriptor is readable, or inside wait().
void dispatch_case(const std::string& url) {
    const std::thread::id self = std::this_thread::get_id();
    std::atomic<int> elsewhere{0};  // handlers that ran on another thread
    std::vector<std::string> seen;  // no lock: touched by handlers, all on this thread (checked)
    std::vector<std::string> inside;
    sio::options opts;
    opts.dispatch(SIO_DISPATCH_MANUAL).value();
    auto client = sio::client::connect(url, opts).value();
    const auto here = [&elsewhere, self] {
        if (std::this_thread::get_id() != self) elsewhere++;
    };
    sio::socket io = client.of().value();
    io.on_connect([&](sio::socket s, std::string_view sid) {
          here();
          seen.push_back("connect");
          std::printf("sid / %s\n", str(sid).c_str());
          // The blocking calls refuse inside a handler; emits work.
          inside.push_back(outcome(client.dispatch()));
          inside.push_back(outcome(client.dispatch_wait(0ms)));
          inside.push_back(outcome(client.wait(0ms)));
          s.emit("echo", "[1]").value();
      }).value();
    io.on("echo", [&](sio::event_view ev) {
          here();
          seen.push_back("echo " + str(ev.args()));
          const std::string n = str(ev.args()).substr(1, 1);
          ev.socket().emit_with_ack("ack", "[" + n + "]", [&](sio::result<sio::event_view> reply) {
              here();
              seen.push_back("ack " + (reply ? str(reply->args()) : code(reply.error())));
          }).value();
          if (n != "3") ev.socket().emit("echo", "[" + std::to_string(std::stoi(n) + 1) + "]").value();
      }).value();
    io.on_disconnect([&](sio::socket, std::string_view reason) {
          here();
          seen.push_back("disconnect " + str(reason));
      }).value();
    io.connect().value();

    const int fd = client.fd().value();
    pollfd readable{fd, POLLIN, 0};
    CHECK(::poll(&readable, 1, static_cast<int>(std::chrono::milliseconds(T).count())) == 1);
    CHECK(seen.empty());  // pending, but nothing runs until this thread dispatches
    std::size_t ran = 0;
    const auto deadline = std::chrono::steady_clock::now() + T;
    while (seen.size() < 7 && std::chrono::steady_clock::now() < deadline) {
        readable.revents = 0;
        if (::poll(&readable, 1, 100) == 1) ran += client.dispatch().value();
    }
    const std::string all = std::accumulate(seen.begin(), seen.end(), std::string(),
                                            [](std::string a, const std::string& b) { return a + b + "; "; });
    CHECK_EQ(all, "connect; echo [1]; ack [1]; echo [2]; ack [2]; echo [3]; ack [3]; ");
    CHECK(ran >= 8);  // and the "welcome" event, which has no handler
    const std::string in_callback = sio_result_str(SIO_ERR_IN_CALLBACK);
    CHECK(inside == std::vector<std::string>({in_callback, in_callback, in_callback}));
    CHECK_EQ(outcome(client.dispatch_wait(0ms)), sio_result_str(SIO_ERR_TIMEOUT));  // none pending
    CHECK(client.dispatch().value() == 0);

    io.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");  // runs the disconnect handler here
    CHECK_EQ(seen.back(), "disconnect io client disconnect");
    CHECK(elsewhere == 0);

    // A client with a dispatch thread has no descriptor and refuses dispatching.
    auto threaded = sio::client::connect(url).value();
    CHECK_EQ(outcome(threaded.fd()), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(threaded.dispatch()), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(threaded.dispatch_wait(0ms)), sio_result_str(SIO_ERR_INVALID));
    CHECK_EQ(outcome(sio::client().fd()), sio_result_str(SIO_ERR_NULL));
}

/// What may be queued: a bounded buffer while not joined, volatile emits, the socket's ack
/// timeout, and at-least-once delivery with retries.
void delivery_case(const std::string& url) {
    mailbox box;
    sio::options opts;
    opts.max_buffered(3).value();
    opts.transport(SIO_TRANSPORT_WEBSOCKET).value();  // volatile: one transport, writable when idle
    auto client = sio::client::connect(url, opts).value();
    sio::socket a = client.of("/a").value();
    a.on_connect([&box](sio::socket, std::string_view sid) { box.put("connect", str(sid)); }).value();

    // Not joined: emits are held, three at most; a volatile one is dropped.
    CHECK_EQ(outcome(a.emit_volatile("v", "[0]")), sio_result_str(SIO_ERR_DISCONNECTED));
    for (int i = 0; i < 3; i++) a.emit("n", "[" + std::to_string(i) + "]").value();
    auto full = a.emit("n", "[3]");
    CHECK_EQ(outcome(full), sio_result_str(SIO_ERR_BUFFER_FULL));
    CHECK_EQ(full.error().message(), "the emit buffer is full");
    auto refused = a.emit_with_ack("n", "[4]", [p = probe()](sio::result<sio::event_view>) { std::abort(); });
    CHECK_EQ(outcome(refused), sio_result_str(SIO_ERR_BUFFER_FULL));
    CHECK(probe::live == 0);
    a.connect().value();
    std::printf("sid /a %s\n", box.wait("connect").c_str());
    CHECK_EQ(outcome(a.emit_volatile("v", "[1]")), "ok");
    for (int i = 5; i < 10; i++) a.emit("n", "[" + std::to_string(i) + "]").value();  // joined: no limit

    // The socket's default ack timeout, used by an emit given client_default.
    CHECK_EQ(outcome(a.set_ack_timeout(200ms)), "ok");
    a.emit_with_ack("nobody", "[]", [&box](sio::result<sio::event_view> reply) {
         box.put("nobody", reply ? "a reply" : code(reply.error()));
     }).value();
    CHECK_EQ(box.wait("nobody"), sio_result_str(SIO_ERR_TIMEOUT));
    CHECK_EQ(outcome(a.set_ack_timeout(sio::client_default)), "ok");

    // Retries: each try waits 300 ms for its ack; the server withholds the first k.
    sio::options retrying;
    retrying.retries(3).value();
    auto second = sio::client::connect(url, retrying).value();
    sio::socket b = second.of("/b").value();
    b.set_ack_timeout(300ms).value();
    for (const char* args : {"[1,2]", "[2,9]"}) {  // [id, withheld]
        b.emit_with_ack("flaky", args, [&box, args](sio::result<sio::event_view> reply) {
             box.put(std::string("flaky ") + args, reply ? str(reply->args()) : code(reply.error()));
         }).value();
    }
    b.connect().value();
    CHECK_EQ(box.wait("flaky [1,2]"), "[1,3]");  // acked at the third reception
    CHECK_EQ(box.wait("flaky [2,9]"), sio_result_str(SIO_ERR_TIMEOUT));  // 4 tries, no ack

    a.disconnect().value();
    b.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
    CHECK_EQ(outcome(second.wait(T)), "ok");
}

/// The receive limits and read coalescing: refused and accepted values; then two clients, one
/// with coalescing off and a small message size, one with the widest window and one attachment
/// allowed, take a stream of events in order, until the server sends past their limit.
void limits_case(const std::string& url) {
    const std::string invalid = sio_result_str(SIO_ERR_INVALID);
    sio::options checked;
    auto zero = checked.max_message_size(0);
    CHECK_EQ(outcome(zero), invalid);
    CHECK_EQ(zero.error().message(), "the maximum message size must be above 0");
    auto wide = checked.read_coalescing(100001us);
    CHECK_EQ(outcome(wide), invalid);
    CHECK_EQ(wide.error().message(), "the read-coalescing window is at most 100000 µs");
    CHECK_EQ(outcome(checked.read_coalescing(std::chrono::hours(2))), invalid);  // beyond uint32 µs
    auto negative = checked.read_coalescing(-1us);
    CHECK_EQ(outcome(negative), invalid);
    CHECK_EQ(negative.error().message(), "read coalescing window is negative");
    for (auto r : {checked.max_message_size(1), checked.max_attachments(0), checked.max_attachments(SIZE_MAX),
                   checked.read_coalescing(0us), checked.read_coalescing(100ms), checked.max_pending(0),
                   checked.max_pending(SIZE_MAX)}) {
        CHECK_EQ(outcome(r), "ok");
    }

    mailbox box;
    sio::options small;
    small.read_coalescing(0us).value();
    small.max_message_size(1024).value();
    small.max_pending(2).value();  // the stream makes it stop and start reading again
    sio::options widest;
    widest.read_coalescing(100ms).value();
    widest.max_attachments(1).value();
    std::vector<sio::client> clients;
    std::vector<sio::socket> sockets;
    for (auto [tag, opts] : {std::pair{"small", &small}, std::pair{"widest", &widest}}) {
        opts->transport(SIO_TRANSPORT_WEBSOCKET).value();  // coalescing is WebSocket's
        opts->reconnection(false).value();
        clients.push_back(sio::client::connect(url, *opts).value());
        sio::socket io = clients.back().of().value();
        const std::string t = tag;
        io.on_connect([&box, t](sio::socket, std::string_view sid) { box.put(t + " connect", str(sid)); }).value();
        io.on_any([&box, t](sio::event_view ev) {
              box.put(t + " " + str(ev.name()), str(ev.args()) + " " + std::to_string(ev.buffer_count()));
          }).value();
        io.on_disconnect([&box, t](sio::socket, std::string_view reason) { box.put(t + " disconnect", str(reason)); })
            .value();
        io.connect().value();
        std::printf("sid %s %s\n", tag, box.wait(t + " connect").c_str());
        io.emit("emit_n", R"([20,"tick"])").value();
        sockets.push_back(io);
    }
    for (std::string tag : {"small", "widest"}) {
        CHECK_EQ(box.wait(tag + " emit_n_done"), "[20] 0");
        std::string ticks;
        for (std::size_t i = 0; i < box.count(tag + " tick"); i++) ticks += box.wait(tag + " tick", i) + "; ";
        std::string want;
        for (int i = 0; i < 20; i++) want += R"([{"i":)" + std::to_string(i) + "}] 0; ";
        CHECK_EQ(ticks, want);
    }

    // Within the limits, then past them: the client drops the connection.
    sio::socket small_io = sockets[0], widest_io = sockets[1];
    small_io.emit("echo", R"([")" + std::string(900, 'x') + R"("])").value();
    CHECK(box.wait("small echo").size() == 900 + 6);
    small_io.emit("echo", R"([")" + std::string(1100, 'x') + R"("])").value();
    CHECK_EQ(box.wait("small disconnect"), "message too large");
    CHECK(box.count("small echo") == 1);

    const std::vector<std::uint8_t> bytes{1, 2};
    widest_io.emit("binary", R"([{"_placeholder":true,"num":0}])", {bytes}).value();
    CHECK_EQ(box.wait("widest binary"), R"([{"_placeholder":true,"num":0}] 1)");
    widest_io.emit("binary", R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", {bytes, bytes})
        .value();
    CHECK_EQ(box.wait("widest disconnect"), "too many attachments");
    CHECK(box.count("widest binary") == 1);

    for (const sio::client& c : clients) CHECK_EQ(outcome(c.wait(T)), "ok");  // no reconnection: closed
}

/// The log handler: lines of a session, on libsio's threads, destroyed when nothing uses it.
void log_case(const std::string& url) {
    const std::thread::id self = std::this_thread::get_id();
    std::mutex lock;
    std::vector<std::pair<sio_log_level, std::string>> lines;
    std::atomic<bool> other_thread{false};
    mailbox box;
    sio::client client;
    {
        sio::options opts;
        opts.log(SIO_LOG_DEBUG, [&, p = probe()](sio_log_level level, std::string_view message) {
                if (std::this_thread::get_id() != self) other_thread = true;
                std::lock_guard<std::mutex> g(lock);
                lines.emplace_back(level, message);
            }).value();
        CHECK(probe::live == 1);
        // 7: no level, yet within the enum's range of values (9 would be undefined behaviour).
        auto bad = opts.log(static_cast<sio_log_level>(7), [p = probe()](sio_log_level, std::string_view) {});
        CHECK_EQ(outcome(bad), sio_result_str(SIO_ERR_INVALID));  // refused, and destroyed at once
        CHECK(probe::live == 1);
        client = sio::client::connect(url, opts).value();
    }
    CHECK(probe::live == 1);  // the options are gone, the client still logs
    sio::socket io = client.of().value();
    io.on_connect([&box](sio::socket, std::string_view sid) { box.put("connect", str(sid)); }).value();
    io.connect().value();
    std::printf("sid / %s\n", box.wait("connect").c_str());
    io.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
    client = sio::client();
    CHECK(eventually([] { return probe::live == 0; }));
    CHECK(other_thread);  // the I/O thread logs
    std::lock_guard<std::mutex> g(lock);
    for (const auto& [level, message] : lines) std::printf("log %d %s\n", static_cast<int>(level), message.c_str());

    sio::options off;
    CHECK_EQ(outcome(off.log(SIO_LOG_OFF, [p = probe()](sio_log_level, std::string_view) {})), "ok");
    CHECK(probe::live == 0);  // turned off: the handler is not kept
}

/// Connection state recovery (server --recovery): the connection drops, the server emits while
/// the client is away, and the session comes back with the missed events.
void recovery_case(const std::string& url) {
    mailbox box;
    sio::options opts;
    opts.reconnection_delay(50ms, 200ms).value();
    auto client = sio::client::connect(url, opts).value();
    sio::socket io = client.of().value();
    io.on_connect([&box](sio::socket s, std::string_view sid) {
          box.put("connect", str(sid) + (s.recovered() ? " recovered" : " fresh"));
          box.put("missed before connect", std::to_string(box.count("missed")));
      }).value();
    io.on("missed", [&box](sio::event_view ev) { box.put("missed", str(ev.args())); }).value();
    io.on_disconnect([&box](sio::socket, std::string_view reason) { box.put("disconnect", str(reason)); }).value();
    CHECK(!io.recovered());
    io.connect().value();
    const std::string first = box.wait("connect", 0);
    const std::string sid = first.substr(0, first.find(' '));
    CHECK_EQ(first, sid + " fresh");
    std::printf("sid / %s\n", sid.c_str());

    io.emit("away", R"([2,"missed"])").value();
    CHECK_EQ(box.wait("disconnect"), "transport close");
    CHECK_EQ(box.wait("connect", 1), sid + " recovered");
    CHECK_EQ(box.wait("missed before connect", 1), "2");
    // The server's offset stays as the last argument.
    CHECK(box.wait("missed", 0).rfind(R"([{"i":0},")", 0) == 0);
    CHECK(box.wait("missed", 1).rfind(R"([{"i":1},")", 0) == 0);
    CHECK(io.recovered());

    io.disconnect().value();
    CHECK_EQ(outcome(client.wait(T)), "ok");
}

/// A first connection that fails (URL where nothing listens): connect_error by default; with
/// retry_initial_connect, retried through the reconnect handler until the attempts run out.
void initial_case(const std::string& url) {
    mailbox box;
    for (bool retried : {false, true}) {
        sio::options opts;
        opts.retry_initial_connect(retried).value();
        opts.reconnection_attempts(2).value();
        opts.reconnection_delay(50ms, 100ms).value();
        auto client = sio::client::connect(url, opts).value();
        const std::string tag = retried ? "retried " : "default ";
        client.on_reconnect([&box, tag](sio_reconnect_event what, std::uint32_t attempt, std::string_view error) {
                  box.put(tag + "reconnect", std::to_string(what) + " " + std::to_string(attempt) +
                                                 (error.empty() ? "" : " error"));
              }).value();
        sio::socket io = client.of().value();
        io.on_connect_error([&box, tag](sio::socket, std::string_view, std::string_view) {
              box.put(tag + "connect_error");
          }).value();
        io.connect().value();
        CHECK_EQ(outcome(client.wait(T)), "ok");
        if (retried) {
            const std::string a = std::to_string(SIO_RECONNECT_ATTEMPT), e = std::to_string(SIO_RECONNECT_ERROR);
            std::string got;
            for (std::size_t i = 0; i < box.count(tag + "reconnect"); i++) got += box.wait(tag + "reconnect", i) + "; ";
            CHECK_EQ(got, a + " 1; " + e + " 1 error; " + a + " 2; " + e + " 2 error; " +
                              std::to_string(SIO_RECONNECT_FAILED) + " 2; ");
            CHECK(box.count(tag + "connect_error") == 0);
        } else {
            CHECK(box.count(tag + "connect_error") == 1);
            CHECK(box.count(tag + "reconnect") == 0);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::map<std::string, void (*)(const std::string&)> cases = {
        {"connect", connect_case}, {"emit", emit_case},         {"binary", binary_case},
        {"handlers", handlers_case}, {"lifetime", lifetime_case}, {"errors", errors_case},
        {"reconnect", reconnect_case}, {"auth", auth_case},         {"dispatch", dispatch_case},
        {"delivery", delivery_case},   {"log", log_case},           {"recovery", recovery_case},
        {"initial", initial_case},     {"limits", limits_case},
    };
    const auto found = argc == 3 ? cases.find(argv[1]) : cases.end();
    if (found == cases.end()) {
        std::fprintf(stderr, "usage: %s CASE URL\n", argv[0]);
        return 2;
    }
    found->second(argv[2]);
    return failures == 0 ? 0 : 1;
}
