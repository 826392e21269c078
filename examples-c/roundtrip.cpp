/*
 * roundtrip: libsio from C++ (include/sio.hpp), against tests/server/server.js.
 *
 *   roundtrip http://127.0.0.1:PORT
 *
 * Joins the default namespace, then checks four round trips: an event the server echoes, an
 * emit with an ack, binary data through a blocking call, and a question the server asks (an ack
 * request) that main answers from its own thread. Handlers are lambdas running on libsio's
 * dispatch thread; they hand what they receive to main through promises. Exits 1 if a reply is
 * wrong or missing.
 */
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "sio.hpp"

using namespace std::chrono_literals;

namespace {

int failures = 0;

void check(bool ok, const char* what, const std::string& got) {
    std::printf("%s: %s (got %s)\n", ok ? "ok" : "FAIL", what, got.c_str());
    if (!ok) failures++;
}

/// The value of `future`, or `nothing` if none comes within 10 s.
template <class T>
T get(std::future<T>& future, T nothing) {
    if (future.wait_for(10s) != std::future_status::ready) return nothing;
    return future.get();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s URL   (a tests/server/server.js server)\n", argv[0]);
        return 2;
    }
    // Declared before the client, so that they outlive the handlers that capture them.
    std::promise<std::string> echoed, acked;
    std::promise<sio::ack> question;

    auto connected = sio::client::connect(argv[1]);
    if (!connected) {
        std::fprintf(stderr, "roundtrip: %s\n", connected.error().message().c_str());
        return 1;
    }
    sio::client client = std::move(connected).value();
    sio::socket io = client.of("/").value();  // value(): throws sio::exception on an error

    // Handlers first, then join: no event is missed.
    io.on_connect([](sio::socket s, std::string_view sid) {
          std::printf("connected to %.*s as %.*s\n", int(s.name().size()), s.name().data(), int(sid.size()),
                      sid.data());
      }).value();
    io.on_disconnect([](sio::socket, std::string_view reason) {
          std::printf("disconnected (%.*s)\n", int(reason.size()), reason.data());
      }).value();
    io.on("echo", [&echoed](sio::event_view ev) { echoed.set_value(std::string(ev.args())); }).value();
    io.on("question", [&question](sio::event_view ev) { question.set_value(ev.take_ack()); }).value();
    io.connect().value();

    // 1. An event the server sends back (held until the namespace is joined).
    io.emit("echo", R"(["hello",{"n":1}])").value();
    auto echo = echoed.get_future();
    const std::string echo_args = get(echo, std::string("(nothing)"));
    check(echo_args == R"(["hello",{"n":1}])", "echo comes back", echo_args);

    // 2. An emit with an ack: the reply comes to a lambda.
    io.emit_with_ack("ack", "[1,2,3]", [&acked](sio::result<sio::event_view> reply) {
          acked.set_value(reply ? std::string(reply->args()) : reply.error().message());
      }).value();
    auto ack = acked.get_future();
    const std::string ack_args = get(ack, std::string("(nothing)"));
    check(ack_args == "[1,2,3]", "the ack carries the arguments", ack_args);

    // 3. Binary data through a blocking call: the server acks with the same bytes.
    const std::vector<std::uint8_t> pixels{0x89, 'P', 'N', 'G', 0x00, 0xff};
    auto reply = io.call("binary", R"(["pixels",{"_placeholder":true,"num":0}])", {pixels}, 10s);
    if (reply) {
        check(reply->buffer_count() == 1 && reply->buffer(0).to_vector() == pixels, "the bytes come back",
              std::to_string(reply->buffer(0).size()) + " bytes");
    } else {
        check(false, "the bytes come back", reply.error().message());
    }

    // 4. The server asks a question with an ack request; main answers it.
    io.emit("ask", R"(["what is 6 * 7?"])").value();
    auto asked = question.get_future();
    sio::ack answer = get(asked, sio::ack());
    check(bool(answer), "the question asks for an ack", answer ? "an ack" : "none");
    if (answer) {
        auto sent = answer.send("[42]");
        check(bool(sent), "the answer is sent", sent ? "sent" : sent.error().message());
    }

    io.disconnect().value();  // the last namespace: the client closes
    auto closed = client.wait(10s);
    check(bool(closed), "the client closes", closed ? "closed" : closed.error().message());
    return failures == 0 ? 0 : 1;
}
