// Compiled by `make header-check` as C++17 (with and without exceptions): the C++ wrapper must
// compile cleanly and be safe to include twice in one translation unit.
#include "sio.hpp"
#include "sio.hpp"

int main() {
    sio::result<void> ok;
    sio::bytes_view empty;
    sio::event_handler on_event = [](sio::event_view) {};
    return ok.has_value() && empty.empty() && on_event ? 0 : 1;
}
