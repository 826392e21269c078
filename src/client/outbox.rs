//! The emits of one namespace on their way out, without I/O, threads or a clock of its own (time
//! comes in as `now`): the emits held while the namespace is not connected (bounded, counted in a
//! [`Gauge`] the callers check), the acks waited for and their deadlines, and with `retries` the
//! at-least-once FIFO of the JS client (`protocol.md` §3.7). The I/O thread feeds it what happens
//! and carries out the [`Step`]s it returns.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::shared::Outgoing;
use crate::Error;

/// What the callers of one namespace can see of its outbox: whether it is connected, and how
/// many emits it holds (those queued for the I/O thread that were counted at call time included).
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    connected: AtomicBool,
    held: AtomicUsize,
}

impl Gauge {
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Caller side, before queuing an emit for the I/O thread: counts it as held if it is going
    /// to be (always with `queued`, the retry FIFO; otherwise while the namespace is not
    /// connected), unless `limit` emits (0: no limit) are held already. Returns whether it was
    /// counted: an emit counted but not queued after all must be [`Gauge::uncount`]ed.
    pub fn admit(&self, limit: usize, queued: bool) -> Result<bool, Error> {
        if !queued && self.connected() {
            return Ok(false);
        }
        let mut n = self.held.load(Ordering::Acquire);
        loop {
            if limit != 0 && n >= limit {
                return Err(Error::BufferFull);
            }
            match self.held.compare_exchange_weak(n, n + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(true),
                Err(now) => n = now,
            }
        }
    }

    pub fn uncount(&self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
    }

    fn count(&self) {
        self.held.fetch_add(1, Ordering::AcqRel);
    }
}

/// An emit handed to the outbox.
pub(crate) struct Emit<A> {
    pub packet: Outgoing,
    /// The ack id the packet carries: set when `reply` is, and always in retry mode.
    pub id: Option<u64>,
    /// Told the reply, or why none came (`A` is the ack callback).
    pub reply: Option<A>,
    /// How long to wait for the ack: from now without retries; for each try with them.
    pub timeout: Option<Duration>,
    /// [`Gauge::admit`] counted it.
    pub counted: bool,
}

/// What the I/O thread must do.
pub(crate) enum Step<A> {
    /// Put this packet on the wire now.
    Send(Outgoing),
    /// Call this ack callback with this error (`Timeout`, `Disconnected` or `Closed`).
    Fail(A, Error),
}

/// A packet of the retry FIFO.
struct Queued<A> {
    packet: Outgoing,
    id: u64,
    reply: Option<A>,
    timeout: Option<Duration>,
    /// How many times it was sent.
    tries: u32,
    /// Sent on the current connection and waiting for its ack until this deadline (`None`:
    /// waiting without limit); `None` when not in flight.
    in_flight: Option<Option<Instant>>,
}

pub(crate) struct Outbox<A> {
    gauge: std::sync::Arc<Gauge>,
    /// Re-sends after an ack timeout; 0: no retry FIFO.
    retries: u32,
    connected: bool,
    /// Emits waiting for the namespace to connect, with their ack ids (no retries).
    held: VecDeque<(Outgoing, Option<u64>)>,
    /// Ack callbacks waiting for their reply, held packets' included (no retries).
    acks: HashMap<u64, A>,
    /// The retry FIFO: only its head is ever in flight.
    queue: VecDeque<Queued<A>>,
    /// Ack deadlines: (when, ack id). Entries whose ack is gone, or whose try is over, are
    /// skipped when they come up.
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
}

impl<A> Outbox<A> {
    pub fn new(gauge: std::sync::Arc<Gauge>, retries: u32) -> Outbox<A> {
        Outbox {
            gauge,
            retries,
            connected: false,
            held: VecDeque::new(),
            acks: HashMap::new(),
            queue: VecDeque::new(),
            timers: BinaryHeap::new(),
        }
    }

    /// An emit: sent now if the namespace is connected (and, in retry mode, nothing is waiting
    /// before it), held otherwise.
    pub fn emit(&mut self, e: Emit<A>, now: Instant, out: &mut Vec<Step<A>>) {
        if let (true, Some(id)) = (self.retries > 0, e.id) {
            if !e.counted {
                self.gauge.count();
            }
            let q = Queued {
                packet: e.packet,
                id,
                reply: e.reply,
                timeout: e.timeout,
                tries: 0,
                in_flight: None,
            };
            self.queue.push_back(q);
            self.drain(now, out);
            return;
        }
        if let (Some(id), Some(reply)) = (e.id, e.reply) {
            self.acks.insert(id, reply);
            if let Some(deadline) = e.timeout.and_then(|t| now.checked_add(t)) {
                self.timers.push(Reverse((deadline, id)));
            }
        }
        if self.connected {
            if e.counted {
                self.gauge.uncount();
            }
            out.push(Step::Send(e.packet));
        } else {
            if !e.counted {
                self.gauge.count();
            }
            self.held.push_back((e.packet, e.id));
        }
    }

    /// The namespace is connected: the held emits go, in order, then the head of the retry
    /// FIFO (again, if it was in flight on the previous connection).
    pub fn connected(&mut self, now: Instant, out: &mut Vec<Step<A>>) {
        self.connected = true;
        self.gauge.connected.store(true, Ordering::Release);
        for (packet, _) in self.held.drain(..) {
            self.gauge.uncount();
            out.push(Step::Send(packet));
        }
        if let Some(head) = self.queue.front_mut() {
            head.in_flight = None;
        }
        self.drain(now, out);
    }

    /// The namespace is not connected any more: the acks of the packets that were sent fail
    /// with `Disconnected` (none is held while connected), and the retry FIFO waits for the next
    /// connection. Nothing happens if it was not connected.
    pub fn disconnected(&mut self, out: &mut Vec<Step<A>>) {
        if !self.connected {
            return;
        }
        self.connected = false;
        self.gauge.connected.store(false, Ordering::Release);
        debug_assert!(self.held.is_empty());
        self.fail_acks(Error::Disconnected, out);
        if let Some(head) = self.queue.front_mut() {
            head.in_flight = None;
        }
    }

    /// The ack with `id` arrived: returns the callback to give the reply to, if there is one
    /// (an internal ack of the retry FIFO has none); the FIFO moves on.
    pub fn ack(&mut self, id: u64, now: Instant, out: &mut Vec<Step<A>>) -> Option<A> {
        if self.queue.front().is_some_and(|head| head.id == id) {
            let head = self.queue.pop_front()?;
            self.gauge.uncount();
            self.drain(now, out);
            return head.reply;
        }
        self.acks.remove(&id)
    }

    /// When [`Outbox::expire`] has something to do next (maybe nothing: stale deadlines are only
    /// dropped then).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// Ack deadlines up to `now`: without retries the callback gets `Timeout` and a packet still
    /// held is dropped; in retry mode the head is sent again, or, after `retries` re-sends,
    /// dropped (its callback gets `Timeout`) and the FIFO moves on.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<Step<A>>) {
        // Deadlines set by the re-sends below wait for the next call, even a zero timeout's.
        let mut due = Vec::new();
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            due.push((t, id));
        }
        for (t, id) in due {
            if let Some(reply) = self.acks.remove(&id) {
                if let Some(i) = self.held.iter().position(|(_, held)| *held == Some(id)) {
                    self.held.remove(i);
                    self.gauge.uncount();
                }
                out.push(Step::Fail(reply, Error::Timeout));
                continue;
            }
            let Some(head) = self.queue.front_mut() else { continue };
            if head.id != id || head.in_flight != Some(Some(t)) {
                continue;
            }
            head.in_flight = None;
            if head.tries > self.retries {
                if let Some(head) = self.queue.pop_front() {
                    self.gauge.uncount();
                    if let Some(reply) = head.reply {
                        out.push(Step::Fail(reply, Error::Timeout));
                    }
                }
            }
            self.drain(now, out);
        }
    }

    /// The client is closed for good: every callback still waiting gets `Closed` and every
    /// held packet is dropped.
    pub fn close(&mut self, out: &mut Vec<Step<A>>) {
        self.connected = false;
        self.gauge.connected.store(false, Ordering::Release);
        for _ in self.held.drain(..) {
            self.gauge.uncount();
        }
        for q in self.queue.drain(..) {
            self.gauge.uncount();
            if let Some(reply) = q.reply {
                out.push(Step::Fail(reply, Error::Closed));
            }
        }
        self.fail_acks(Error::Closed, out);
        self.timers.clear();
    }

    /// Every callback of `acks` gets `e`, in emit order.
    fn fail_acks(&mut self, e: Error, out: &mut Vec<Step<A>>) {
        let mut acks: Vec<(u64, A)> = self.acks.drain().collect();
        acks.sort_unstable_by_key(|(id, _)| *id);
        out.extend(acks.into_iter().map(|(_, reply)| Step::Fail(reply, e.clone())));
    }

    /// Sends the head of the retry FIFO if the namespace is connected and it is not in flight.
    fn drain(&mut self, now: Instant, out: &mut Vec<Step<A>>) {
        if !self.connected {
            return;
        }
        let Some(head) = self.queue.front_mut() else { return };
        if head.in_flight.is_some() {
            return;
        }
        head.tries += 1;
        let deadline = head.timeout.and_then(|t| now.checked_add(t));
        if let Some(d) = deadline {
            self.timers.push(Reverse((d, head.id)));
        }
        head.in_flight = Some(deadline);
        out.push(Step::Send(head.packet.clone()));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn packet(n: u32) -> Outgoing {
        Outgoing { text: n.to_string(), attachments: Vec::new() }
    }

    /// Emit number `n`, with ack id `n` if it has a callback (whose tag is `n` too) or `queued`.
    fn emit(n: u32, reply: bool, timeout: Option<Duration>) -> Emit<u32> {
        Emit { packet: packet(n), id: Some(n.into()), reply: reply.then_some(n), timeout, counted: false }
    }

    fn plain(n: u32) -> Emit<u32> {
        Emit { packet: packet(n), id: None, reply: None, timeout: None, counted: false }
    }

    fn sent(out: &mut Vec<Step<u32>>) -> Vec<u32> {
        let mut numbers = Vec::new();
        out.retain(|s| match s {
            Step::Send(p) => {
                numbers.push(p.text.parse().unwrap());
                false
            }
            Step::Fail(..) => true,
        });
        numbers
    }

    fn failed(out: &mut Vec<Step<u32>>) -> Vec<(u32, Error)> {
        let mut fails = Vec::new();
        out.retain(|s| match s {
            Step::Fail(n, e) => {
                fails.push((*n, e.clone()));
                false
            }
            Step::Send(_) => true,
        });
        fails
    }

    fn outbox(retries: u32) -> (Outbox<u32>, Arc<Gauge>) {
        let gauge = Arc::new(Gauge::default());
        (Outbox::new(gauge.clone(), retries), gauge)
    }

    #[test]
    fn emits_are_held_until_connected_then_sent_in_order() {
        let (mut o, gauge) = outbox(0);
        let (t0, mut out) = (Instant::now(), Vec::new());
        for n in 0..3 {
            o.emit(plain(n), t0, &mut out);
        }
        o.emit(emit(3, true, None), t0, &mut out);
        assert!(out.is_empty());
        assert_eq!((gauge.held(), gauge.connected()), (4, false));
        o.connected(t0, &mut out);
        assert_eq!(sent(&mut out), [0, 1, 2, 3]);
        assert_eq!((gauge.held(), gauge.connected()), (0, true));
        o.emit(plain(4), t0, &mut out);
        assert_eq!(sent(&mut out), [4], "connected: sent at once");
        assert_eq!(o.ack(3, t0, &mut out), Some(3));
        assert_eq!(o.ack(3, t0, &mut out), None, "a second ack with the same id is ignored");
        assert!(out.is_empty());
    }

    #[test]
    fn the_gauge_refuses_emits_beyond_the_limit_only_when_they_would_be_held() {
        let gauge = Gauge::default();
        assert_eq!(gauge.admit(2, false), Ok(true));
        assert_eq!(gauge.admit(2, false), Ok(true));
        assert_eq!(gauge.admit(2, false), Err(Error::BufferFull));
        assert_eq!(gauge.admit(0, false), Ok(true), "0: no limit");
        gauge.uncount();
        gauge.connected.store(true, Ordering::Release);
        assert_eq!(gauge.admit(1, false), Ok(false), "connected: not held, not counted");
        assert_eq!(gauge.admit(2, true), Err(Error::BufferFull), "the retry FIFO counts while connected");
        assert_eq!(gauge.held(), 2);
    }

    #[test]
    fn counts_stay_right_whichever_side_saw_the_connection_change() {
        let (mut o, gauge) = outbox(0);
        let (t0, mut out) = (Instant::now(), Vec::new());
        // Counted by the caller (not connected then), but connected when it arrives: sent.
        let counted = gauge.admit(10, false).unwrap();
        o.connected(t0, &mut out);
        o.emit(Emit { counted, ..plain(0) }, t0, &mut out);
        assert_eq!((sent(&mut out), gauge.held()), (vec![0], 0));
        // Not counted (connected then), but disconnected when it arrives: held and counted.
        let counted = gauge.admit(10, false).unwrap();
        o.disconnected(&mut out);
        o.emit(Emit { counted, ..plain(1) }, t0, &mut out);
        assert_eq!(gauge.held(), 1);
        o.connected(t0, &mut out);
        assert_eq!((sent(&mut out), gauge.held()), (vec![1], 0));
    }

    #[test]
    fn an_ack_timeout_drops_a_held_packet_for_good() {
        let (mut o, gauge) = outbox(0);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.emit(emit(0, true, Some(SEC)), t0, &mut out);
        o.emit(emit(1, true, Some(3 * SEC)), t0, &mut out);
        o.emit(plain(2), t0, &mut out);
        assert_eq!(o.next_deadline(), Some(t0 + SEC));
        o.expire(t0 + SEC - Duration::from_millis(1), &mut out);
        assert!(out.is_empty(), "not yet");
        o.expire(t0 + SEC, &mut out);
        assert_eq!(failed(&mut out), [(0, Error::Timeout)]);
        assert_eq!(gauge.held(), 2);
        o.connected(t0 + 2 * SEC, &mut out);
        assert_eq!(sent(&mut out), [1, 2], "the timed-out emit is never sent");
        o.expire(t0 + 3 * SEC, &mut out);
        assert_eq!(failed(&mut out), [(1, Error::Timeout)], "sent, but no ack came in time");
        assert_eq!(o.ack(1, t0 + 4 * SEC, &mut out), None, "a late ack finds nobody");
    }

    #[test]
    fn a_disconnect_fails_the_acks_of_sent_packets_only() {
        let (mut o, _) = outbox(0);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.connected(t0, &mut out);
        o.emit(emit(0, true, None), t0, &mut out);
        o.disconnected(&mut out);
        o.emit(emit(1, true, None), t0, &mut out);
        assert_eq!(sent(&mut out), [0]);
        assert_eq!(failed(&mut out), [(0, Error::Disconnected)]);
        o.disconnected(&mut out);
        assert!(out.is_empty(), "the held one keeps its ack for the next connection");
        o.connected(t0, &mut out);
        assert_eq!(sent(&mut out), [1]);
        assert_eq!(o.ack(1, t0, &mut out), Some(1));
    }

    #[test]
    fn close_fails_every_waiting_callback_once_and_empties_the_gauge() {
        let (mut o, gauge) = outbox(0);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.connected(t0, &mut out);
        o.emit(emit(0, true, Some(SEC)), t0, &mut out);
        o.disconnected(&mut out);
        out.clear();
        o.emit(emit(1, true, Some(SEC)), t0, &mut out);
        o.emit(plain(2), t0, &mut out);
        o.close(&mut out);
        assert_eq!(failed(&mut out), [(1, Error::Closed)]);
        assert_eq!((gauge.held(), o.next_deadline()), (0, None));
        o.expire(t0 + SEC, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn retries_send_one_packet_at_a_time_again_until_acked() {
        let (mut o, gauge) = outbox(2);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.connected(t0, &mut out);
        o.emit(emit(0, true, Some(SEC)), t0, &mut out);
        o.emit(emit(1, false, Some(SEC)), t0, &mut out);
        assert_eq!(sent(&mut out), [0], "one in flight");
        assert_eq!(gauge.held(), 2, "queued until acked");
        o.expire(t0 + SEC, &mut out);
        assert_eq!(sent(&mut out), [0], "no ack in time: sent again (same id)");
        assert_eq!(o.ack(0, t0 + SEC, &mut out), Some(0));
        assert_eq!(sent(&mut out), [1], "acked: the next one goes");
        assert_eq!(o.ack(1, t0 + SEC, &mut out), None, "an internal ack has no callback");
        assert!(out.is_empty());
        assert_eq!(gauge.held(), 0);
        // A stale deadline of an acked try does nothing.
        o.expire(t0 + 2 * SEC, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn retries_give_up_after_the_last_try_and_move_on() {
        let (mut o, gauge) = outbox(2);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.connected(t0, &mut out);
        o.emit(emit(0, true, Some(SEC)), t0, &mut out);
        o.emit(emit(1, true, Some(SEC)), t0, &mut out);
        assert_eq!(sent(&mut out), [0]);
        let mut t = t0;
        for _ in 0..2 {
            t += SEC;
            o.expire(t, &mut out);
            assert_eq!(sent(&mut out), [0]);
        }
        t += SEC;
        o.expire(t, &mut out);
        assert_eq!(failed(&mut out), [(0, Error::Timeout)], "3 tries: retries used up");
        assert_eq!(sent(&mut out), [1]);
        assert_eq!(o.ack(0, t, &mut out), None, "a late ack of a dropped packet is ignored");
        assert_eq!(o.ack(1, t, &mut out), Some(1));
        assert_eq!(gauge.held(), 0);
    }

    #[test]
    fn the_retry_fifo_waits_while_disconnected_and_resends_its_head_on_connect() {
        let (mut o, _) = outbox(5);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.emit(emit(0, true, Some(SEC)), t0, &mut out);
        o.emit(emit(1, true, Some(SEC)), t0, &mut out);
        o.expire(t0 + 10 * SEC, &mut out);
        assert!(out.is_empty(), "nothing sent, no deadline runs while not connected");
        o.connected(t0, &mut out);
        assert_eq!(sent(&mut out), [0]);
        o.disconnected(&mut out);
        assert!(out.is_empty(), "a disconnect fails nothing in the FIFO");
        o.expire(t0 + SEC, &mut out);
        assert!(out.is_empty(), "the try of the lost connection has no deadline any more");
        o.connected(t0 + 2 * SEC, &mut out);
        assert_eq!(sent(&mut out), [0], "the head goes again on the new connection");
        assert_eq!(o.ack(0, t0 + 2 * SEC, &mut out), Some(0));
        assert_eq!(sent(&mut out), [1]);
    }

    #[test]
    fn a_zero_timeout_resends_once_per_call_not_in_a_loop() {
        let (mut o, _) = outbox(u32::MAX);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.connected(t0, &mut out);
        o.emit(emit(0, false, Some(Duration::ZERO)), t0, &mut out);
        o.expire(t0, &mut out);
        assert_eq!(sent(&mut out), [0, 0]);
    }

    #[test]
    fn without_a_timeout_a_try_waits_as_long_as_the_connection() {
        let (mut o, _) = outbox(1);
        let (t0, mut out) = (Instant::now(), Vec::new());
        o.connected(t0, &mut out);
        o.emit(emit(0, true, None), t0, &mut out);
        assert_eq!((sent(&mut out), o.next_deadline()), (vec![0], None));
        o.disconnected(&mut out);
        o.connected(t0, &mut out);
        assert_eq!(sent(&mut out), [0]);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Emit {
            ack: bool,
            timeout: Option<u8>,
        },
        Connect,
        Disconnect,
        /// The server acks the `n`-th packet sent so far (modulo), maybe late or twice.
        Ack(usize),
        Advance(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<bool>(), proptest::option::of(0u8..5)).prop_map(|(ack, timeout)| Op::Emit { ack, timeout }),
            1 => Just(Op::Connect),
            1 => Just(Op::Disconnect),
            3 => any::<usize>().prop_map(Op::Ack),
            2 => (0u8..4).prop_map(Op::Advance),
        ]
    }

    proptest! {
        /// Whatever happens: packets go out in emit order (each once without retries; with them,
        /// all tries of one before the next, at most one in flight), never after their callback
        /// ran; every callback is called exactly once by the end (close); the gauge counts what
        /// is held.
        #[test]
        fn delivery_invariants(retries in 0u32..3, ops in proptest::collection::vec(op(), 0..80)) {
            let (mut o, gauge) = outbox(retries);
            let t0 = Instant::now();
            let (mut now, mut out, mut sends) = (t0, Vec::new(), Vec::<u32>::new());
            let mut completions: Vec<u32> = Vec::new();
            let (mut emitted, mut callbacks, mut connects, mut connected) = (0u32, 0usize, 0u32, false);
            let mut waiting_for_ack: Option<u32> = None;
            for op in ops {
                match op {
                    Op::Emit { ack, timeout } => {
                        let timeout = timeout.map(|s| Duration::from_secs(s.into()));
                        let e = if ack || retries > 0 { emit(emitted, ack, timeout) } else { plain(emitted) };
                        callbacks += usize::from(ack);
                        emitted += 1;
                        o.emit(e, now, &mut out);
                    }
                    Op::Connect if !connected => {
                        connected = true;
                        connects += 1;
                        o.connected(now, &mut out);
                    }
                    Op::Disconnect if connected => {
                        connected = false;
                        o.disconnected(&mut out);
                    }
                    Op::Ack(i) if !sends.is_empty() => {
                        let n = sends[i % sends.len()];
                        if let Some(reply) = o.ack(n.into(), now, &mut out) {
                            completions.push(reply);
                        }
                    }
                    Op::Advance(s) => {
                        now += Duration::from_secs(s.into());
                        o.expire(now, &mut out);
                    }
                    _ => {}
                }
                for step in out.drain(..) {
                    match step {
                        Step::Send(p) => {
                            prop_assert!(connected);
                            let n: u32 = p.text.parse().unwrap();
                            prop_assert!(!completions.contains(&n), "{n} sent after its callback ran");
                            if let Some(&last) = sends.last() {
                                prop_assert!(n >= last, "out of order: {n} after {last}");
                                prop_assert!(retries > 0 || n > last, "{n} sent twice without retries");
                            }
                            if retries > 0 {
                                waiting_for_ack = Some(n);
                            }
                            sends.push(n);
                        }
                        Step::Fail(n, _) => completions.push(n),
                    }
                }
                if retries > 0 {
                    let tries = waiting_for_ack.map_or(0, |n| sends.iter().filter(|&&s| s == n).count());
                    prop_assert!(tries as u32 <= retries + connects, "{tries} tries");
                    prop_assert_eq!(gauge.held(), o.queue.len());
                } else {
                    prop_assert_eq!(gauge.held(), o.held.len());
                }
            }
            o.close(&mut out);
            completions.extend(out.drain(..).filter_map(|s| match s {
                Step::Fail(n, e) => Some((n, e)).filter(|(_, e)| *e == Error::Closed).map(|(n, _)| n),
                Step::Send(_) => None,
            }));
            let mut unique = completions.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), completions.len(), "a callback called twice: {:?}", completions);
            prop_assert_eq!(completions.len(), callbacks, "a callback never called");
            prop_assert_eq!(gauge.held(), 0);
        }
    }
}
