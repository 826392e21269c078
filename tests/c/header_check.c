/* Compiled by `make header-check` as C99 -pedantic and as C++17: the header must be valid in
 * both, and safe to include twice in one translation unit. */
#include "sio.h"
#include "sio.h"

#if !defined(SIO_VERSION_MAJOR) || !defined(SIO_VERSION_MINOR) || !defined(SIO_VERSION_PATCH)
#error "version macros missing"
#endif

int main(void) {
    sio_result r = SIO_OK;
    sio_event_cb on_event = 0;
    sio_ack_cb on_ack = 0;
    sio_buffer buffer = {0, 0};
    (void)buffer;
    (void)on_event;
    (void)on_ack;
    return (int)r + (sio_version() == 0);
}
