/*
 * libsio for C++17: a header-only wrapper over sio.h (link with -lsio as for C).
 *
 *   auto client = sio::client::connect("http://127.0.0.1:3000").value();
 *   sio::socket chat = client.of("/chat").value();
 *   chat.on("user message", [](sio::event_view ev) { std::cout << ev.args() << "\n"; }).value();
 *   chat.connect().value();
 *   chat.emit("nickname", R"(["bot"])").value();
 *   client.wait().value();
 *
 * Types
 *   options, client, event, ack,  own a C object: RAII, move-only
 *   auth_request
 *   socket, event_view            borrowed views (a pointer): copy them freely; a socket is
 *                                 valid while its client lives, an event_view while the
 *                                 callback that received it runs
 *   bytes_view                    a binary buffer, {pointer, size}, borrowed
 *   result<T>, error              the outcome of every fallible call
 *
 * Errors: expected-style, not exceptions. Every fallible call returns a [[nodiscard]]
 * sio::result<T>: a T, or a sio::error holding the sio_result code and the text of
 * sio_last_error() taken right after the failure (so it stays right when other calls follow).
 * Why: the wrapper then works unchanged with -fno-exceptions (common in games and embedded
 * hosts, the users who most need a C library); most failures are ordinary outcomes checked
 * where they happen (an ack timeout, a closed client, a call refused inside a callback); and
 * nothing can throw on the library's threads. Code that prefers exceptions calls .value(),
 * which throws sio::exception (a std::runtime_error carrying the sio::error); built with
 * -fno-exceptions, .value() on an error prints the message to stderr and aborts instead. The
 * wrapper itself may still throw std::bad_alloc (it copies strings to NUL-terminate them).
 *
 * Handlers are std::function objects (lambdas with captures welcome). Each is moved to the
 * heap and registered with the C API's userdata and free_userdata: the library destroys it
 * exactly once (when it is replaced or removed, or when the client is freed; a handler running
 * at that moment is destroyed when it returns), so whatever it captured lives as long as the
 * handler. An ack handler is destroyed after its one call. Handlers run on the client's
 * dispatch thread, one at a time; see "Thread safety" in sio.h for what they may call
 * (everything but the blocking socket::call, client::wait, client::dispatch and
 * client::dispatch_wait). With options::dispatch(SIO_DISPATCH_MANUAL) there is no dispatch
 * thread: handlers run on the host's thread inside client::dispatch, client::dispatch_wait or
 * client::wait (poll client::fd() to know when). The log handler (options::log) is the
 * exception: it runs on libsio's own threads, the I/O thread included, possibly on several at
 * once, and must return quickly without calling libsio. An exception thrown by a handler
 * never reaches the C library: the wrapper catches it and passes it to the hook set with
 * sio::set_handler_exception_hook; the default hook calls std::terminate, as for an exception
 * leaving a std::thread, so that a bug is loud. A hook that logs and returns lets dispatch go on
 * with the next callback.
 *
 * Threads: the C++ objects are as thread-safe as the C ones they hold (see sio.h): const
 * member functions of client, socket and event_view may be called from any thread at once;
 * moving, assigning or destroying an object, and options, want one thread at a time.
 *
 * Strings are std::string_view (copied and NUL-terminated for the C API; one with an embedded
 * NUL is refused with SIO_ERR_INVALID). Event arguments are a JSON array text, and binary
 * buffers travel beside it, referenced by {"_placeholder":true,"num":i}, as in sio.h. An empty
 * args_json means "no arguments" (NULL for the C API).
 */
#ifndef SIO_HPP
#define SIO_HPP

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sio.h"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define SIO_HPP_EXCEPTIONS 1
#else
#define SIO_HPP_EXCEPTIONS 0
#endif

namespace sio {

/// For timeouts of emit_with_ack and call: the client's default (options::ack_timeout).
inline constexpr std::chrono::milliseconds client_default{-1};
/// For client::wait: no limit.
inline constexpr std::chrono::milliseconds forever{-1};

/// The loaded library's version, e.g. "0.1.0" (sio_version): the SIO_VERSION_* macros of sio.h
/// when the header and the library come from the same release.
inline std::string_view version() noexcept { return sio_version(); }

// ---------------------------------------------------------------------------------------------
// Errors

/// A failed call: its code and the message the library gave for it.
class error {
  public:
    error(sio_result code, std::string message) : code_(code), message_(std::move(message)) {}

    sio_result code() const noexcept { return code_; }
    /// The detailed message, e.g. "invalid JSON: EOF while parsing a value at line 1 column 3".
    const std::string& message() const noexcept { return message_; }
    /// The static name of the code, e.g. "SIO_ERR_JSON: invalid JSON".
    const char* name() const noexcept { return sio_result_str(static_cast<int>(code_)); }

  private:
    sio_result code_;
    std::string message_;
};

#if SIO_HPP_EXCEPTIONS
/// Thrown by result::value() on an error; what() is the error's message.
class exception : public std::runtime_error {
  public:
    explicit exception(sio::error e) : std::runtime_error(e.message()), error_(std::move(e)) {}

    sio_result code() const noexcept { return error_.code(); }
    const sio::error& error() const noexcept { return error_; }

  private:
    sio::error error_;
};
#endif

namespace detail {

/// result::value() on an error: throws, or (without exceptions) reports and aborts.
[[noreturn]] inline void fail(const error& e) {
#if SIO_HPP_EXCEPTIONS
    throw exception(e);
#else
    std::fprintf(stderr, "sio: value() of a failed result: %s (%s)\n", e.message().c_str(), e.name());
    std::abort();
#endif
}

/// The error of a call that just returned `code`, with this thread's sio_last_error().
inline error last_error(sio_result code) {
    const char* message = sio_last_error();
    return error(code, message != nullptr && *message != '\0' ? message : sio_result_str(code));
}

}  // namespace detail

/// The outcome of a fallible call: a T or an error (like C++23's std::expected).
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_same_v<T, sio::error>, "result<error> is ambiguous");

  public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(sio::error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value; on an error throws sio::exception (without exceptions: aborts).
    T& value() & {
        check();
        return *std::get_if<0>(&v_);
    }
    const T& value() const& {
        check();
        return *std::get_if<0>(&v_);
    }
    T value() && {
        check();
        return std::move(*std::get_if<0>(&v_));
    }
    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
    }

    /// Unchecked access: only after testing has_value().
    T& operator*() & noexcept { return *std::get_if<0>(&v_); }
    const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
    T* operator->() noexcept { return std::get_if<0>(&v_); }
    const T* operator->() const noexcept { return std::get_if<0>(&v_); }

    /// The error: only when has_value() is false.
    const sio::error& error() const noexcept { return *std::get_if<1>(&v_); }

  private:
    void check() const {
        if (!has_value()) detail::fail(error());
    }

    std::variant<T, sio::error> v_;
};

/// The outcome of a fallible call that returns nothing.
template <>
class [[nodiscard]] result<void> {
  public:
    result() noexcept = default;
    result(sio::error e) : e_(std::move(e)) {}

    bool has_value() const noexcept { return !e_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    /// Throws sio::exception on an error (without exceptions: aborts).
    void value() const {
        if (e_) detail::fail(*e_);
    }
    /// The error: only when has_value() is false.
    const sio::error& error() const noexcept { return *e_; }

  private:
    std::optional<sio::error> e_;
};

/// Receives an exception a handler threw (see the top of this file). It runs on the thread that
/// ran the handler (for the log handler, a libsio thread) and must not throw.
using handler_exception_hook = void (*)(std::exception_ptr);

namespace detail {
inline std::atomic<handler_exception_hook> exception_hook{nullptr};
}

/// Sets the process-wide hook for exceptions thrown by handlers (nullptr: std::terminate, the
/// default) and returns the previous one. Thread: any.
inline handler_exception_hook set_handler_exception_hook(handler_exception_hook hook) noexcept {
    return detail::exception_hook.exchange(hook);
}

// ---------------------------------------------------------------------------------------------
// Binary buffers

/// A borrowed run of bytes: a buffer to send, or one received (valid as long as its event).
class bytes_view {
  public:
    constexpr bytes_view() noexcept = default;
    bytes_view(const void* data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t*>(data)), size_(size) {}
    /// Any contiguous container of bytes: std::vector<std::uint8_t>, std::string,
    /// std::array<std::byte, N>, … (not a built-in array: a string literal's NUL would count).
    template <class C, class P = decltype(std::data(std::declval<const C&>())),
              class V = std::remove_cv_t<std::remove_pointer_t<P>>,
              class = std::enable_if_t<sizeof(V) == 1 && std::is_trivially_copyable_v<V> &&
                                       !std::is_array_v<C> && !std::is_same_v<C, bytes_view>>>
    bytes_view(const C& bytes) noexcept : bytes_view(std::data(bytes), std::size(bytes)) {}

    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const std::uint8_t* begin() const noexcept { return data_; }
    const std::uint8_t* end() const noexcept { return data_ + size_; }
    std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }
    /// An owned copy.
    std::vector<std::uint8_t> to_vector() const { return std::vector<std::uint8_t>(begin(), end()); }

  private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Handles

class socket;

/// The right to answer one ack request of the server (event_view::take_ack): answer with
/// send(), from any thread, at any time; dropping it unanswered frees it. Move-only.
class ack {
  public:
    ack() noexcept = default;
    /// Takes ownership of a C ack (may be NULL).
    explicit ack(sio_ack* raw) noexcept : p_(raw) {}
    ack(ack&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    ack& operator=(ack&& other) noexcept {
        if (this != &other) sio_ack_free(std::exchange(p_, std::exchange(other.p_, nullptr)));
        return *this;
    }
    ack(const ack&) = delete;
    ack& operator=(const ack&) = delete;
    ~ack() { sio_ack_free(p_); }

    /// Whether there is an ack to answer (false once sent, or if the server asked for none).
    explicit operator bool() const noexcept { return p_ != nullptr; }
    /// Answers with `args_json` (a JSON array; empty: no arguments) and `buffers`. On success
    /// the ack is used up; on failure it is kept, to retry with fixed arguments.
    result<void> send(std::string_view args_json = {}, const std::vector<bytes_view>& buffers = {});

    sio_ack* get() const noexcept { return p_; }
    /// Gives up ownership of the C ack.
    sio_ack* release() noexcept { return std::exchange(p_, nullptr); }

  private:
    sio_ack* p_ = nullptr;
};

/// A request for the auth of one CONNECT (socket::on_auth): answer it once with reply(), from
/// any thread, now or later; the join waits for it. Destroying it unanswered (or refuse())
/// refuses the join: the socket's connect_error handler is told "no auth: …", and the
/// namespace stays out until socket::connect(). Move-only.
class auth_request {
  public:
    auth_request() noexcept = default;
    /// Takes ownership of a C auth request (may be NULL).
    explicit auth_request(sio_auth_request* raw) noexcept : p_(raw) {}
    auth_request(auth_request&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    auth_request& operator=(auth_request&& other) noexcept {
        if (this != &other) sio_auth_request_free(std::exchange(p_, std::exchange(other.p_, nullptr)));
        return *this;
    }
    auth_request(const auth_request&) = delete;
    auth_request& operator=(const auth_request&) = delete;
    ~auth_request() { refuse(); }

    /// Whether it still waits for an answer.
    explicit operator bool() const noexcept { return p_ != nullptr; }
    /// Sends the CONNECT with `auth_json` (a JSON object; empty: no auth). On success the
    /// request is used up; on failure (SIO_ERR_JSON, SIO_ERR_CLOSED; SIO_ERR_NULL once used up)
    /// it is kept, to retry or refuse. An answer that comes after the connection was lost is
    /// ignored: the next connection asks again.
    result<void> reply(std::string_view auth_json = {});
    /// Refuses the join now (nothing if already answered).
    void refuse() noexcept { sio_auth_request_free(std::exchange(p_, nullptr)); }

    sio_auth_request* get() const noexcept { return p_; }
    /// Gives up ownership of the C request.
    sio_auth_request* release() noexcept { return std::exchange(p_, nullptr); }

  private:
    sio_auth_request* p_ = nullptr;
};

/// A borrowed event (or ack reply): valid while the callback that received it runs.
class event_view {
  public:
    explicit event_view(const sio_event* raw) noexcept : p_(raw) {}

    /// The event name ("" for an ack reply).
    std::string_view name() const noexcept;
    /// The arguments as a JSON array text; binary ones are placeholders (see buffer()).
    std::string_view args() const noexcept;
    std::size_t buffer_count() const noexcept { return sio_event_buffer_count(p_); }
    /// Buffer `index` (empty if out of range).
    bytes_view buffer(std::size_t index) const noexcept;
    std::vector<bytes_view> buffers() const;
    /// The namespace the event arrived on.
    sio::socket socket() const noexcept;
    /// The server's ack request, to answer now or later from any thread; an empty ack if the
    /// server asked for none or it was already taken.
    ack take_ack() const noexcept { return ack(sio_event_take_ack(p_)); }

    const sio_event* get() const noexcept { return p_; }

  protected:
    const sio_event* p_;
};

/// An event owned by the caller: the reply of socket::call. Move-only.
class event : public event_view {
  public:
    /// Takes ownership of a C event returned by sio_call.
    explicit event(sio_event* raw) noexcept : event_view(raw) {}
    event(event&& other) noexcept : event_view(std::exchange(other.p_, nullptr)) {}
    event& operator=(event&& other) noexcept {
        if (this != &other) {
            sio_event_free(const_cast<sio_event*>(std::exchange(p_, std::exchange(other.p_, nullptr))));
        }
        return *this;
    }
    event(const event&) = delete;
    event& operator=(const event&) = delete;
    ~event() { sio_event_free(const_cast<sio_event*>(p_)); }
};

using event_handler = std::function<void(event_view)>;
/// Told the socket id.
using connect_handler = std::function<void(socket, std::string_view sid)>;
/// Told the reason, e.g. "io server disconnect" (see sio_disconnect_cb).
using disconnect_handler = std::function<void(socket, std::string_view reason)>;
/// Told the server's message and its data as JSON text ("null" if none).
using connect_error_handler =
    std::function<void(socket, std::string_view message, std::string_view data_json)>;
/// Called once: the reply (an event named "" whose args are the ack's), or an error with
/// SIO_ERR_TIMEOUT, SIO_ERR_DISCONNECTED or SIO_ERR_CLOSED.
using ack_handler = std::function<void(result<event_view>)>;
/// Told how reconnection goes; `error` is empty except with SIO_RECONNECT_ERROR.
using reconnect_handler =
    std::function<void(sio_reconnect_event, std::uint32_t attempt, std::string_view error)>;
/// Asked for the auth of each CONNECT of a namespace (first and after every reconnection): answer
/// the request (now, or later from any thread), or drop it to refuse the join.
using auth_handler = std::function<void(socket, auth_request)>;
/// Receives one log line (without a newline), on libsio's threads: see options::log.
using log_handler = std::function<void(sio_log_level, std::string_view message)>;

/// One namespace of a client (client::of): a borrowed view, valid until the client is
/// destroyed. Every call may be made from any thread, including handlers.
class socket {
  public:
    explicit socket(sio_socket* raw = nullptr) noexcept : p_(raw) {}

    /// The namespace, e.g. "/chat".
    std::string_view name() const noexcept;
    /// Joins (the connect or connect_error handler tells the outcome).
    result<void> connect() const;
    /// Leaves; the last namespace to leave closes the connection.
    result<void> disconnect() const;

    /// Emits `event` with `args_json` (a JSON array; empty: none) and binary `buffers`.
    result<void> emit(std::string_view event, std::string_view args_json = {},
                      const std::vector<bytes_view>& buffers = {}) const;
    /// Emits and asks for an ack: `on_reply` runs once, on the dispatch thread.
    result<void> emit_with_ack(std::string_view event, std::string_view args_json,
                               ack_handler on_reply) const {
        return emit_with_ack(event, args_json, {}, client_default, std::move(on_reply));
    }
    result<void> emit_with_ack(std::string_view event, std::string_view args_json,
                               const std::vector<bytes_view>& buffers, std::chrono::milliseconds timeout,
                               ack_handler on_reply) const;
    /// Emits, asks for an ack and blocks until the reply. Not from a handler
    /// (SIO_ERR_IN_CALLBACK): use emit_with_ack there.
    result<event> call(std::string_view event, std::string_view args_json = {},
                       const std::vector<bytes_view>& buffers = {},
                       std::chrono::milliseconds timeout = client_default) const;
    /// Emits only if the namespace is connected and the transport can take it now, else drops
    /// it (for values the next one supersedes): SIO_ERR_DISCONNECTED when not connected; ok
    /// means queued, and the I/O thread may still drop it silently. Never held nor retried.
    result<void> emit_volatile(std::string_view event, std::string_view args_json = {},
                               const std::vector<bytes_view>& buffers = {}) const;
    /// This socket's default ack timeout, for emits given client_default (and each try with
    /// options::retries): > 0 that long, 0 no limit, client_default the client's again.
    result<void> set_ack_timeout(std::chrono::milliseconds timeout) const;
    /// Whether the server recovered the session at the last connect (connection state
    /// recovery): call it in the connect handler. False before the first connect.
    bool recovered() const noexcept { return sio_socket_recovered(p_); }

    /// Sets the handler of events named `event` (an empty handler removes it).
    result<void> on(std::string_view event, event_handler handler) const;
    /// Removes the handler of events named `event`.
    result<void> off(std::string_view event) const { return on(event, nullptr); }
    /// Sets the catch-all handler, called for every event before its named handler.
    result<void> on_any(event_handler handler) const;
    /// Sets the handler of events that have no named handler.
    result<void> on_unhandled(event_handler handler) const;
    result<void> on_connect(connect_handler handler) const;
    result<void> on_disconnect(disconnect_handler handler) const;
    result<void> on_connect_error(connect_error_handler handler) const;
    /// Sets the auth handler (sio_socket_set_auth_callback), asked before every CONNECT; while
    /// set, it replaces the auth given to client::of. An empty handler removes it.
    result<void> on_auth(auth_handler handler) const;

    sio_socket* get() const noexcept { return p_; }
    friend bool operator==(socket a, socket b) noexcept { return a.p_ == b.p_; }
    friend bool operator!=(socket a, socket b) noexcept { return a.p_ != b.p_; }

  private:
    sio_socket* p_;
};

/// Connection options (sio_options_*). Move-only; not synchronized (one thread at a time).
class options {
  public:
    /// The defaults (see sio_options_new).
    options() : p_(sio_options_new()) {
        if (p_ == nullptr) throw_or_abort_oom();
    }
    options(options&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    options& operator=(options&& other) noexcept {
        if (this != &other) sio_options_free(std::exchange(p_, std::exchange(other.p_, nullptr)));
        return *this;
    }
    options(const options&) = delete;
    options& operator=(const options&) = delete;
    ~options() { sio_options_free(p_); }

    result<void> path(std::string_view path);
    result<void> add_query(std::string_view key, std::string_view value);
    result<void> add_header(std::string_view name, std::string_view value);
    result<void> connect_timeout(std::chrono::milliseconds timeout);
    result<void> transport(sio_transport transport);
    result<void> protocol(sio_protocol protocol);
    /// An empty optional reads the environment (the default); "" means no proxy.
    result<void> proxy(std::optional<std::string_view> url);
    result<void> reconnection(bool enabled);
    result<void> reconnection_attempts(std::uint32_t attempts);
    result<void> reconnection_delay(std::chrono::milliseconds min, std::chrono::milliseconds max);
    result<void> randomization_factor(double factor);
    result<void> ack_timeout(std::chrono::milliseconds timeout);
    /// An empty optional goes back to the system's trust store.
    result<void> ca_file(std::optional<std::string_view> path);
    /// Empty optionals remove the client certificate.
    result<void> client_cert(std::optional<std::string_view> cert_file,
                             std::optional<std::string_view> key_file);
    result<void> insecure(bool insecure);
    /// How many emits a namespace may hold while not connected (and, with retries, queue):
    /// beyond it emits fail with SIO_ERR_BUFFER_FULL. 0: no limit; default 1000.
    result<void> max_buffered(std::size_t packets);
    /// At-least-once delivery: every emit goes through a FIFO queue and is sent again when its
    /// ack does not come within the ack timeout, up to `retries` more times (0: off).
    result<void> retries(std::uint32_t retries);
    /// The largest message taken from the server (default 16 MiB; 0 is SIO_ERR_INVALID): a
    /// server that sends more is disconnected with the reason "message too large".
    result<void> max_message_size(std::size_t bytes);
    /// How many binary attachments one packet from the server may announce (default 10): a
    /// server that announces more is disconnected with the reason "too many attachments".
    result<void> max_attachments(std::size_t n);
    /// While the server streams 8 messages or more per `window`, the I/O thread reads once per
    /// `window` instead of once per message, for at most `window` of added latency (default
    /// 400us; 0us: off; above 100ms, or negative: SIO_ERR_INVALID). WebSocket only.
    result<void> read_coalescing(std::chrono::microseconds window);
    /// Most callbacks waiting to run (default 10000; 0: no limit): at that many the client
    /// stops reading from the server until half of them have run.
    result<void> max_pending(std::size_t n);
    /// Retries a failed first connection as a lost one (reconnect handler, no connect_error).
    result<void> retry_initial_connect(bool enabled);
    /// Who runs the handlers: the client's dispatch thread (the default) or, with
    /// SIO_DISPATCH_MANUAL, the host's thread inside client::dispatch / dispatch_wait / wait, or
    /// with SIO_DISPATCH_INLINE the client's I/O thread (see the header's Thread safety).
    result<void> dispatch(sio_dispatch_mode mode);
    /// Sends libsio's log lines up to `max_level` to `handler` (SIO_LOG_OFF or an empty handler:
    /// off, the default). It runs on libsio's threads, possibly on several at once, must return
    /// quickly and must not call libsio. It is destroyed when nothing uses it any more: these
    /// options destroyed or given another log, and every client made with them destroyed.
    result<void> log(sio_log_level max_level, log_handler handler);

    const sio_options* get() const noexcept { return p_; }
    sio_options* get() noexcept { return p_; }

  private:
    [[noreturn]] static void throw_or_abort_oom() {
#if SIO_HPP_EXCEPTIONS
        throw std::bad_alloc();
#else
        std::abort();
#endif
    }

    sio_options* p_;
};

/// A client: one connection, shared by its namespaces. Destroying it frees the client
/// (sio_client_free): every handler is destroyed and no callback runs after. It may be
/// destroyed inside one of its own handlers. Move-only; its calls may be made from any thread.
class client {
  public:
    /// An empty client (as after a move); assign one from connect().
    client() noexcept = default;
    /// Takes ownership of a C client.
    explicit client(sio_client* raw) noexcept : p_(raw) {}
    client(client&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    client& operator=(client&& other) noexcept {
        if (this != &other) sio_client_free(std::exchange(p_, std::exchange(other.p_, nullptr)));
        return *this;
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client() { sio_client_free(p_); }

    /// Creates a client for `url` and starts its threads; nothing is sent until a socket
    /// connects, so register handlers first.
    static result<client> connect(std::string_view url) { return connect_raw(url, nullptr); }
    static result<client> connect(std::string_view url, const options& opts) {
        return connect_raw(url, opts.get());
    }

    /// The URL's namespace.
    result<sio::socket> of() const;
    /// Namespace `nsp` ("/chat"), with `auth_json` (a JSON object; empty: none, or the auth
    /// given before) sent when joining.
    result<sio::socket> of(std::string_view nsp, std::string_view auth_json = {}) const;
    /// Leaves every namespace and closes the connection for good; returns at once.
    result<void> close() const;
    /// Blocks until the client is closed (SIO_ERR_TIMEOUT if still open after `timeout`). Not
    /// from a handler (SIO_ERR_IN_CALLBACK). With manual dispatch it runs the handlers that
    /// come meanwhile on the calling thread (SIO_ERR_CLOSED if one of them freed the client).
    result<void> wait(std::chrono::milliseconds timeout = forever) const;
    /// Sets the reconnection handler (an empty handler removes it).
    result<void> on_reconnect(reconnect_handler handler) const;

    // Manual dispatch (options::dispatch(SIO_DISPATCH_MANUAL)): each fails with SIO_ERR_INVALID
    // on a client with a dispatch thread, and with SIO_ERR_IN_CALLBACK inside a handler.

    /// Runs the pending handlers on the calling thread (at most `max`; 0: all those pending when
    /// it starts) and returns how many ran; returns 0 at once if none is pending.
    result<std::size_t> dispatch(std::size_t max = 0) const;
    /// Waits up to `timeout` (forever: no limit) for the next handler and runs it;
    /// SIO_ERR_TIMEOUT if none came.
    result<void> dispatch_wait(std::chrono::milliseconds timeout = forever) const;
    /// A descriptor readable while handlers are pending (level-triggered), for poll/epoll and
    /// event loops: then call dispatch(). Owned by the client, which closes it when destroyed.
    result<int> fd() const;

    explicit operator bool() const noexcept { return p_ != nullptr; }
    sio_client* get() const noexcept { return p_; }
    /// Gives up ownership: the caller frees it with sio_client_free.
    sio_client* release() noexcept { return std::exchange(p_, nullptr); }

  private:
    static result<client> connect_raw(std::string_view url, const sio_options* opts);

    sio_client* p_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Implementation
//
// Wrapping a new C registration function (sio_on_xxx(obj, callback, userdata, free_userdata)):
// a std::function alias above, a noexcept trampoline below that calls it through guarded(), and
// a method that returns detail::install(handler, &trampoline, [&](cb, ud, fr) { return
// sio_on_xxx(p_, cb, ud, fr); }). A new fallible call: detail::c_arg for its strings, and
// detail::check (or detail::last_error) for its sio_result.

namespace detail {

inline result<void> check(sio_result code) {
    if (code == SIO_OK) return {};
    return last_error(code);
}

/// A NUL-terminated copy of a string argument for the C API (NULL when absent).
class c_arg {
  public:
    /// `what` names the argument in errors.
    c_arg(std::string_view text, const char* what) : text_(text), what_(what), null_(false) {}
    c_arg(std::optional<std::string_view> text, const char* what)
        : text_(text.value_or(std::string_view())), what_(what), null_(!text) {}

    const char* get() const noexcept { return null_ ? nullptr : text_.c_str(); }
    /// SIO_ERR_INVALID if the text has an embedded NUL, which C would cut it at.
    std::optional<error> nul_error() const {
        if (text_.find('\0') == std::string::npos) return std::nullopt;
        return error(SIO_ERR_INVALID, std::string(what_) + " contains a NUL byte");
    }

  private:
    std::string text_;
    const char* what_;
    bool null_;
};

/// `text` as a C argument, NULL if empty (an optional JSON argument).
inline std::optional<std::string_view> empty_is_null(std::string_view text) {
    if (text.empty()) return std::nullopt;
    return text;
}

/// The first embedded-NUL error among `args`, if any.
inline std::optional<error> nul_error(std::initializer_list<const c_arg*> args) {
    for (const c_arg* a : args) {
        if (auto e = a->nul_error()) return e;
    }
    return std::nullopt;
}

inline std::vector<sio_buffer> c_buffers(const std::vector<bytes_view>& buffers) {
    std::vector<sio_buffer> out;
    out.reserve(buffers.size());
    for (const bytes_view& b : buffers) out.push_back(sio_buffer{b.data(), b.size()});
    return out;
}

/// A duration in milliseconds as a C timeout: negative values become -1.
inline std::int64_t c_timeout(std::chrono::milliseconds timeout) noexcept {
    const std::int64_t ms = timeout.count();
    return ms < 0 ? -1 : ms;
}

/// A duration in milliseconds as an unsigned 32-bit C option, or SIO_ERR_INVALID.
inline result<std::uint32_t> c_millis(std::chrono::milliseconds d, const char* what) {
    if (d.count() < 0 || d.count() > static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max())) {
        return error(SIO_ERR_INVALID, std::string(what) + " is out of range (0 to 4294967295 ms)");
    }
    return static_cast<std::uint32_t>(d.count());
}

inline std::string_view view(const char* text) noexcept {
    return text == nullptr ? std::string_view() : std::string_view(text);
}

/// Runs a handler body: an exception goes to the hook, never into the C library.
template <class Body>
void guarded(Body&& body) noexcept {
#if SIO_HPP_EXCEPTIONS
    try {
        body();
    } catch (...) {
        handler_exception_hook hook = exception_hook.load();
        if (hook == nullptr) std::terminate();
        hook(std::current_exception());
    }
#else
    body();
#endif
}

/// The free_userdata of a heap-allocated handler of type F.
template <class F>
void destroy(void* userdata) noexcept {
    delete static_cast<F*>(userdata);
}

/// Registers `handler` through `c_register(callback, userdata, free_userdata)`, where
/// `callback` is `trampoline` or (for an empty handler) NULL. The library owns the heap copy
/// from then on, and finalizes it even if registration fails.
template <class F, class Callback, class Register>
result<void> install(F handler, Callback trampoline, Register&& c_register) {
    if (!handler) return check(c_register(Callback{nullptr}, nullptr, nullptr));
    return check(c_register(trampoline, new F(std::move(handler)), &destroy<F>));
}

// The C callbacks: each calls the std::function its userdata points to.

inline void on_event(void* userdata, const sio_event* ev) noexcept {
    guarded([&] { (*static_cast<event_handler*>(userdata))(event_view(ev)); });
}

inline void on_connect(void* userdata, sio_socket* s, const char* sid) noexcept {
    guarded([&] { (*static_cast<connect_handler*>(userdata))(socket(s), view(sid)); });
}

inline void on_disconnect(void* userdata, sio_socket* s, const char* reason) noexcept {
    guarded([&] { (*static_cast<disconnect_handler*>(userdata))(socket(s), view(reason)); });
}

inline void on_connect_error(void* userdata, sio_socket* s, const char* message, const char* data) noexcept {
    guarded([&] { (*static_cast<connect_error_handler*>(userdata))(socket(s), view(message), view(data)); });
}

inline void on_reconnect(void* userdata, sio_reconnect_event what, std::uint32_t attempt,
                         const char* e) noexcept {
    guarded([&] { (*static_cast<reconnect_handler*>(userdata))(what, attempt, view(e)); });
}

inline void on_auth(void* userdata, sio_socket* s, sio_auth_request* request) noexcept {
    // The handler owns the request from here: unanswered, it is refused as it goes.
    guarded([&] { (*static_cast<auth_handler*>(userdata))(socket(s), auth_request(request)); });
}

/// Logs on libsio's threads: the line is borrowed for the call only.
inline void on_log(void* userdata, sio_log_level level, const char* message) noexcept {
    guarded([&] { (*static_cast<log_handler*>(userdata))(level, view(message)); });
}

/// An ack callback runs exactly once, so it owns (and then destroys) its handler.
inline void on_ack(void* userdata, sio_result status, const sio_event* reply) noexcept {
    std::unique_ptr<ack_handler> handler(static_cast<ack_handler*>(userdata));
    guarded([&] {
        if (status == SIO_OK) {
            (*handler)(event_view(reply));
        } else {
            (*handler)(error(status, sio_result_str(static_cast<int>(status))));
        }
    });
}

}  // namespace detail

inline result<void> ack::send(std::string_view args_json, const std::vector<bytes_view>& buffers) {
    const detail::c_arg args(detail::empty_is_null(args_json), "args_json");
    if (auto e = args.nul_error()) return *e;
    const std::vector<sio_buffer> c = detail::c_buffers(buffers);
    const sio_result code = sio_ack_send(p_, args.get(), c.data(), c.size());
    if (code == SIO_OK) p_ = nullptr;  // consumed
    return detail::check(code);
}

inline result<void> auth_request::reply(std::string_view auth_json) {
    const detail::c_arg auth(detail::empty_is_null(auth_json), "auth_json");
    if (auto e = auth.nul_error()) return *e;
    const sio_result code = sio_auth_reply(p_, auth.get());
    if (code == SIO_OK) p_ = nullptr;  // consumed
    return detail::check(code);
}

inline std::string_view event_view::name() const noexcept { return detail::view(sio_event_name(p_)); }

inline std::string_view event_view::args() const noexcept { return detail::view(sio_event_args(p_)); }

inline bytes_view event_view::buffer(std::size_t index) const noexcept {
    std::size_t len = 0;
    const std::uint8_t* data = sio_event_buffer(p_, index, &len);
    return bytes_view(data, data == nullptr ? 0 : len);
}

inline std::vector<bytes_view> event_view::buffers() const {
    std::vector<bytes_view> out;
    out.reserve(buffer_count());
    for (std::size_t i = 0; i < buffer_count(); i++) out.push_back(buffer(i));
    return out;
}

inline sio::socket event_view::socket() const noexcept { return sio::socket(sio_event_socket(p_)); }

inline result<void> socket::connect() const { return detail::check(sio_socket_connect(p_)); }

inline result<void> socket::disconnect() const { return detail::check(sio_socket_disconnect(p_)); }

inline std::string_view socket::name() const noexcept { return detail::view(sio_socket_namespace(p_)); }

inline result<void> socket::emit(std::string_view event, std::string_view args_json,
                                 const std::vector<bytes_view>& buffers) const {
    const detail::c_arg name(event, "event"), args(detail::empty_is_null(args_json), "args_json");
    if (auto e = detail::nul_error({&name, &args})) return *e;
    const std::vector<sio_buffer> c = detail::c_buffers(buffers);
    return detail::check(sio_emit(p_, name.get(), args.get(), c.data(), c.size()));
}

inline result<void> socket::emit_with_ack(std::string_view event, std::string_view args_json,
                                          const std::vector<bytes_view>& buffers,
                                          std::chrono::milliseconds timeout, ack_handler on_reply) const {
    const detail::c_arg name(event, "event"), args(detail::empty_is_null(args_json), "args_json");
    if (auto e = detail::nul_error({&name, &args})) return *e;
    if (!on_reply) return error(SIO_ERR_NULL, "on_reply is empty");
    const std::vector<sio_buffer> c = detail::c_buffers(buffers);
    auto handler = std::make_unique<ack_handler>(std::move(on_reply));
    const sio_result code = sio_emit_with_ack(p_, name.get(), args.get(), c.data(), c.size(),
                                              detail::c_timeout(timeout), &detail::on_ack, handler.get());
    // On success the callback owns the handler (it runs exactly once); on failure it never runs.
    if (code == SIO_OK) handler.release();
    return detail::check(code);
}

inline result<event> socket::call(std::string_view event, std::string_view args_json,
                                  const std::vector<bytes_view>& buffers,
                                  std::chrono::milliseconds timeout) const {
    const detail::c_arg name(event, "event"), args(detail::empty_is_null(args_json), "args_json");
    if (auto e = detail::nul_error({&name, &args})) return *e;
    const std::vector<sio_buffer> c = detail::c_buffers(buffers);
    sio_event* reply = nullptr;
    const sio_result code =
        sio_call(p_, name.get(), args.get(), c.data(), c.size(), detail::c_timeout(timeout), &reply);
    if (code != SIO_OK) return detail::last_error(code);
    return sio::event(reply);
}

inline result<void> socket::emit_volatile(std::string_view event, std::string_view args_json,
                                          const std::vector<bytes_view>& buffers) const {
    const detail::c_arg name(event, "event"), args(detail::empty_is_null(args_json), "args_json");
    if (auto e = detail::nul_error({&name, &args})) return *e;
    const std::vector<sio_buffer> c = detail::c_buffers(buffers);
    return detail::check(sio_emit_volatile(p_, name.get(), args.get(), c.data(), c.size()));
}

inline result<void> socket::set_ack_timeout(std::chrono::milliseconds timeout) const {
    return detail::check(sio_socket_set_ack_timeout(p_, detail::c_timeout(timeout)));
}

inline result<void> socket::on(std::string_view event, event_handler handler) const {
    const detail::c_arg name(event, "event");
    if (auto e = name.nul_error()) return *e;
    return detail::install(std::move(handler), &detail::on_event,
                           [&](sio_event_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on(p_, name.get(), cb, ud, fr);
                           });
}

inline result<void> socket::on_any(event_handler handler) const {
    return detail::install(std::move(handler), &detail::on_event,
                           [&](sio_event_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on_any(p_, cb, ud, fr);
                           });
}

inline result<void> socket::on_unhandled(event_handler handler) const {
    return detail::install(std::move(handler), &detail::on_event,
                           [&](sio_event_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on_unhandled(p_, cb, ud, fr);
                           });
}

inline result<void> socket::on_connect(connect_handler handler) const {
    return detail::install(std::move(handler), &detail::on_connect,
                           [&](sio_connect_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on_connect(p_, cb, ud, fr);
                           });
}

inline result<void> socket::on_disconnect(disconnect_handler handler) const {
    return detail::install(std::move(handler), &detail::on_disconnect,
                           [&](sio_disconnect_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on_disconnect(p_, cb, ud, fr);
                           });
}

inline result<void> socket::on_connect_error(connect_error_handler handler) const {
    return detail::install(std::move(handler), &detail::on_connect_error,
                           [&](sio_connect_error_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on_connect_error(p_, cb, ud, fr);
                           });
}

inline result<void> socket::on_auth(auth_handler handler) const {
    return detail::install(std::move(handler), &detail::on_auth,
                           [&](sio_auth_cb cb, void* ud, sio_free_cb fr) {
                               return sio_socket_set_auth_callback(p_, cb, ud, fr);
                           });
}

inline result<void> options::path(std::string_view path) {
    const detail::c_arg p(path, "path");
    if (auto e = p.nul_error()) return *e;
    return detail::check(sio_options_set_path(p_, p.get()));
}

inline result<void> options::add_query(std::string_view key, std::string_view value) {
    const detail::c_arg k(key, "key"), v(value, "value");
    if (auto e = detail::nul_error({&k, &v})) return *e;
    return detail::check(sio_options_add_query(p_, k.get(), v.get()));
}

inline result<void> options::add_header(std::string_view name, std::string_view value) {
    const detail::c_arg n(name, "name"), v(value, "value");
    if (auto e = detail::nul_error({&n, &v})) return *e;
    return detail::check(sio_options_add_header(p_, n.get(), v.get()));
}

inline result<void> options::connect_timeout(std::chrono::milliseconds timeout) {
    auto ms = detail::c_millis(timeout, "connect timeout");
    if (!ms) return ms.error();
    return detail::check(sio_options_set_connect_timeout(p_, *ms));
}

inline result<void> options::transport(sio_transport transport) {
    return detail::check(sio_options_set_transport(p_, static_cast<int>(transport)));
}

inline result<void> options::protocol(sio_protocol protocol) {
    return detail::check(sio_options_set_protocol(p_, static_cast<int>(protocol)));
}

inline result<void> options::proxy(std::optional<std::string_view> url) {
    const detail::c_arg u(url, "proxy url");
    if (auto e = u.nul_error()) return *e;
    return detail::check(sio_options_set_proxy(p_, u.get()));
}

inline result<void> options::reconnection(bool enabled) {
    return detail::check(sio_options_set_reconnection(p_, enabled ? 1 : 0));
}

inline result<void> options::reconnection_attempts(std::uint32_t attempts) {
    return detail::check(sio_options_set_reconnection_attempts(p_, attempts));
}

inline result<void> options::reconnection_delay(std::chrono::milliseconds min,
                                                std::chrono::milliseconds max) {
    auto lo = detail::c_millis(min, "minimum reconnection delay");
    if (!lo) return lo.error();
    auto hi = detail::c_millis(max, "maximum reconnection delay");
    if (!hi) return hi.error();
    return detail::check(sio_options_set_reconnection_delay(p_, *lo, *hi));
}

inline result<void> options::randomization_factor(double factor) {
    return detail::check(sio_options_set_randomization_factor(p_, factor));
}

inline result<void> options::ack_timeout(std::chrono::milliseconds timeout) {
    auto ms = detail::c_millis(timeout, "ack timeout");
    if (!ms) return ms.error();
    return detail::check(sio_options_set_ack_timeout(p_, *ms));
}

inline result<void> options::ca_file(std::optional<std::string_view> path) {
    const detail::c_arg p(path, "ca file");
    if (auto e = p.nul_error()) return *e;
    return detail::check(sio_options_set_ca_file(p_, p.get()));
}

inline result<void> options::client_cert(std::optional<std::string_view> cert_file,
                                         std::optional<std::string_view> key_file) {
    const detail::c_arg c(cert_file, "cert file"), k(key_file, "key file");
    if (auto e = detail::nul_error({&c, &k})) return *e;
    return detail::check(sio_options_set_client_cert(p_, c.get(), k.get()));
}

inline result<void> options::insecure(bool insecure) {
    return detail::check(sio_options_set_insecure(p_, insecure ? 1 : 0));
}

inline result<void> options::max_buffered(std::size_t packets) {
    return detail::check(sio_options_set_max_buffered(p_, packets));
}

inline result<void> options::retries(std::uint32_t retries) {
    return detail::check(sio_options_set_retries(p_, retries));
}

inline result<void> options::max_message_size(std::size_t bytes) {
    return detail::check(sio_options_set_max_message_size(p_, bytes));
}

inline result<void> options::max_attachments(std::size_t n) {
    return detail::check(sio_options_set_max_attachments(p_, n));
}

inline result<void> options::max_pending(std::size_t n) {
    return detail::check(sio_options_set_max_pending(p_, n));
}

inline result<void> options::read_coalescing(std::chrono::microseconds window) {
    if (window.count() < 0) return error(SIO_ERR_INVALID, "read coalescing window is negative");
    // Beyond uint32 is beyond the library's limit too: it refuses it with its own message.
    constexpr std::uint32_t top = std::numeric_limits<std::uint32_t>::max();
    const std::uint32_t us = window.count() > top ? top : static_cast<std::uint32_t>(window.count());
    return detail::check(sio_options_set_read_coalescing(p_, us));
}

inline result<void> options::retry_initial_connect(bool enabled) {
    return detail::check(sio_options_set_retry_initial_connect(p_, enabled ? 1 : 0));
}

inline result<void> options::dispatch(sio_dispatch_mode mode) {
    return detail::check(sio_options_set_dispatch(p_, static_cast<int>(mode)));
}

inline result<void> options::log(sio_log_level max_level, log_handler handler) {
    return detail::install(std::move(handler), &detail::on_log,
                           [&](sio_log_cb cb, void* ud, sio_free_cb fr) {
                               return sio_options_set_log(p_, static_cast<int>(max_level), cb, ud, fr);
                           });
}

inline result<client> client::connect_raw(std::string_view url, const sio_options* opts) {
    const detail::c_arg u(url, "url");
    if (auto e = u.nul_error()) return *e;
    sio_client* raw = nullptr;
    const sio_result code = sio_connect(u.get(), opts, &raw);
    if (code != SIO_OK) return detail::last_error(code);
    return client(raw);
}

inline result<sio::socket> client::of() const {
    sio_socket* raw = nullptr;
    const sio_result code = sio_of(p_, nullptr, nullptr, &raw);
    if (code != SIO_OK) return detail::last_error(code);
    return sio::socket(raw);
}

inline result<sio::socket> client::of(std::string_view nsp, std::string_view auth_json) const {
    const detail::c_arg n(nsp, "nsp"), auth(detail::empty_is_null(auth_json), "auth_json");
    if (auto e = detail::nul_error({&n, &auth})) return *e;
    sio_socket* raw = nullptr;
    const sio_result code = sio_of(p_, n.get(), auth.get(), &raw);
    if (code != SIO_OK) return detail::last_error(code);
    return sio::socket(raw);
}

inline result<void> client::close() const { return detail::check(sio_client_close(p_)); }

inline result<void> client::wait(std::chrono::milliseconds timeout) const {
    return detail::check(sio_wait(p_, detail::c_timeout(timeout)));
}

inline result<void> client::on_reconnect(reconnect_handler handler) const {
    return detail::install(std::move(handler), &detail::on_reconnect,
                           [&](sio_reconnect_cb cb, void* ud, sio_free_cb fr) {
                               return sio_on_reconnect(p_, cb, ud, fr);
                           });
}

inline result<std::size_t> client::dispatch(std::size_t max) const {
    std::size_t ran = 0;
    const sio_result code = sio_dispatch(p_, max, &ran);
    if (code != SIO_OK) return detail::last_error(code);
    return ran;
}

inline result<void> client::dispatch_wait(std::chrono::milliseconds timeout) const {
    return detail::check(sio_dispatch_wait(p_, detail::c_timeout(timeout)));
}

inline result<int> client::fd() const {
    const int fd = sio_client_fd(p_);
    if (fd >= 0) return fd;
    // sio_client_fd has no result code: NULL, or a client with a dispatch thread.
    return detail::last_error(p_ == nullptr ? SIO_ERR_NULL : SIO_ERR_INVALID);
}

}  // namespace sio

#endif  // SIO_HPP
