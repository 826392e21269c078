//! The C ABI. It only translates: C strings and pointers in, `sio_result` codes out, callbacks
//! wrapped into the Rust handlers of [`crate::client`]. Every exported body runs inside
//! `ffi_boundary!`, so no panic crosses into the host.

#![allow(non_camel_case_types)]
// The exported functions check their pointers for NULL; beyond that, the header states what the
// caller guarantees, which Rust cannot see.
#![allow(clippy::missing_safety_doc)]

mod auth;
mod client;
mod dispatch;
mod error;
mod event;
mod log;
mod socket;

use std::ffi::{c_char, c_void, CStr};

pub use auth::*;
pub use client::*;
pub use dispatch::*;
pub use error::*;
pub use event::*;
pub use log::*;
pub use socket::*;

/// Runs an exported function's body, turning a panic into the return type's failure value.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {{
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(_) => $crate::ffi::error::panicked(),
        }
    }};
}
pub(crate) use ffi_boundary;

/// A C copy of `s` for a callback (an interior NUL, impossible in practice, is escaped).
pub(crate) fn cstring(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// Borrows a NUL-terminated UTF-8 argument. NULL and invalid UTF-8 are errors.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(sio_result::SIO_ERR_NULL, format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes)
        .map_err(|e| Failure::new(sio_result::SIO_ERR_UTF8, format!("{what} is not valid UTF-8: {e}")))
}

/// Like [`str_arg`], but NULL gives `None`.
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded caller contract.
        unsafe { str_arg(ptr, what) }.map(Some)
    }
}

/// Borrows an object the caller handed in; NULL is an error.
pub(crate) unsafe fn obj_arg<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: non-NULL pointers come from this library and are valid per the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::new(sio_result::SIO_ERR_NULL, format!("{what} is NULL")))
}

/// A binary buffer passed in: `len` bytes at `data` (`data` may be NULL when `len` is 0).
/// Arguments reference buffer `i` of an array with the placeholder
/// `{"_placeholder":true,"num":i}`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_buffer {
    pub data: *const u8,
    pub len: usize,
}

/// Copies `count` buffers the caller passed in. NULL `buffers` means none (with `count` 0).
///
/// # Safety
/// `buffers` is NULL or points to `count` `sio_buffer`s, each valid for reading `len` bytes.
pub(crate) unsafe fn buffers_arg(buffers: *const sio_buffer, count: usize) -> Result<Vec<Vec<u8>>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if buffers.is_null() {
        return Err(Failure::new(sio_result::SIO_ERR_NULL, format!("buffers is NULL but count is {count}")));
    }
    // SAFETY: `buffers` points to `count` elements per the contract.
    let list = unsafe { std::slice::from_raw_parts(buffers, count) };
    list.iter()
        .enumerate()
        .map(|(i, b)| match (b.data.is_null(), b.len) {
            (_, 0) => Ok(Vec::new()),
            (true, _) => Err(Failure::new(sio_result::SIO_ERR_NULL, format!("buffers[{i}].data is NULL"))),
            // SAFETY: `data` is valid for `len` bytes per the contract.
            (false, len) => Ok(unsafe { std::slice::from_raw_parts(b.data, len) }.to_vec()),
        })
        .collect()
}

/// The arguments of a packet the caller sends: a JSON array (NULL: none) and its buffers.
///
/// # Safety
/// As [`str_arg`] and [`buffers_arg`].
pub(crate) unsafe fn payload_args<'a>(
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
) -> Result<(&'a str, Vec<Vec<u8>>), Failure> {
    // SAFETY: forwarded caller contract.
    let args = unsafe { opt_str_arg(args_json, "args_json") }?.unwrap_or("[]");
    // SAFETY: forwarded caller contract.
    Ok((args, unsafe { buffers_arg(buffers, count) }?))
}

/// The host's user data and its optional finalizer, called exactly once when dropped.
pub(crate) struct Userdata {
    ptr: *mut c_void,
    free: sio_free_cb,
}

// SAFETY: the header documents that user data is handed to callbacks on the library's threads;
// sharing it is the host's decision when it registers it.
unsafe impl Send for Userdata {}
unsafe impl Sync for Userdata {}

impl Userdata {
    pub fn new(ptr: *mut c_void, free: sio_free_cb) -> Userdata {
        Userdata { ptr, free }
    }

    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for Userdata {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the host registered `free` for this pointer and it runs once, here.
            unsafe { free(self.ptr) };
        }
    }
}

/// Finalizes user data the host registered without a callback (a removal).
pub type sio_free_cb = Option<unsafe extern "C" fn(userdata: *mut c_void)>;
