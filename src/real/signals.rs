//! OS signals for the real platform, through signal-hook and its mio source.
//!
//! # Consumed signals reach only tonio
//! signal-hook-registry calls the handler it found installed before its own (when that is a
//! function): a Python handler (SIGINT's raises `KeyboardInterrupt`) would still run. So before
//! the registry first installs itself for a signal, the disposition is set to the default: the
//! registry remembers *that* as the previous one, which it never calls. The real previous
//! disposition is saved here and put back when no runtime listens any more.
//!
//! # Restoring dispositions
//! Dispositions are process-wide, and several runtimes (in several threads) may listen to one
//! signal: the disposition a signal had before the first of them started is put back with
//! `sigaction` when the last of them stops (`LISTENED`). signal-hook-registry cannot do that
//! by itself: removing its actions leaves its handler installed (and a signal whose previous
//! disposition was the default would then be ignored). Because the registry still believes its
//! handler is installed afterwards, the handler it installed is remembered per signal and
//! re-installed before a later run subscribes again.

use std::collections::BTreeMap;
use std::io;
use std::sync::Mutex;

use signal_hook_mio::v1_0::Signals;

use crate::common::base::util::lock;

/// Signals that cannot be caught, or must not be (they report faults in the process itself).
pub const FORBIDDEN: [i32; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGSEGV,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGBUS,
];

/// The handler signal-hook-registry installed, per signal, once it has.
static REGISTRY_HANDLERS: Mutex<BTreeMap<i32, SigAction>> = Mutex::new(BTreeMap::new());

#[derive(Clone, Copy)]
struct SigAction(libc::sigaction);

// Safety: a sigaction is plain data (a handler address, flags and a mask); it is only read
// and written under the mutex and passed by value to `sigaction`.
unsafe impl Send for SigAction {}

fn current(signal: i32) -> io::Result<SigAction> {
    // Safety: sigaction with a NULL new action only reads the current disposition into `old`,
    // a zeroed, properly sized struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(SigAction(old))
    }
}

fn install(signal: i32, action: &SigAction) {
    // Safety: installs a disposition previously read from the kernel for this very signal.
    unsafe {
        libc::sigaction(signal, &action.0, std::ptr::null_mut());
    }
}

fn install_default(signal: i32) {
    // Safety: installs the default disposition for a catchable signal (FORBIDDEN ones are
    // refused before a source is created); `action` is a zeroed, properly sized struct.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &action, std::ptr::null_mut());
    }
}

pub struct SignalSource {
    pub signals: Signals,
    numbers: Vec<i32>,
}

/// A signal some runtime of the process listens to: how many do, and its disposition from
/// before the first of them.
struct Listened {
    runtimes: usize,
    before: SigAction,
}

/// Signal handling is process-wide: the signals runtimes listen to, so that the disposition is
/// replaced when the first runtime starts listening and restored when the last one stops (two
/// runtimes in two threads may listen to the same signal).
static LISTENED: Mutex<BTreeMap<i32, Listened>> = Mutex::new(BTreeMap::new());

impl SignalSource {
    /// Starts listening for `numbers`.
    pub fn new(numbers: &[i32]) -> io::Result<SignalSource> {
        {
            let mut listened = lock(&LISTENED);
            for (done, &signal) in numbers.iter().enumerate() {
                if let Err(err) = start_listening(&mut listened, signal) {
                    stop_listening(&mut listened, &numbers[..done]);
                    return Err(err);
                }
            }
        }
        let signals = match Signals::new(numbers) {
            Ok(signals) => signals,
            Err(err) => {
                stop_listening(&mut lock(&LISTENED), numbers);
                return Err(err);
            }
        };
        let mut handlers = lock(&REGISTRY_HANDLERS);
        for &signal in numbers {
            if let (false, Ok(handler)) = (handlers.contains_key(&signal), current(signal)) {
                handlers.insert(signal, handler);
            }
        }
        Ok(SignalSource {
            signals,
            numbers: numbers.to_vec(),
        })
    }

    /// The signal numbers received since the last call.
    pub fn pending(&mut self) -> Vec<i32> {
        self.signals.pending().collect()
    }
}

/// One more runtime listens to `signal`: the first saves its disposition and makes way for the
/// registry's handler.
fn start_listening(listened: &mut BTreeMap<i32, Listened>, signal: i32) -> io::Result<()> {
    if let Some(entry) = listened.get_mut(&signal) {
        entry.runtimes += 1;
        return Ok(());
    }
    let before = current(signal)?;
    match lock(&REGISTRY_HANDLERS).get(&signal) {
        Some(handler) => install(signal, handler),
        // The registry's first install records what it finds as the handler to chain to:
        // leave it the default, which it does not call.
        None => install_default(signal),
    }
    listened.insert(
        signal,
        Listened {
            runtimes: 1,
            before,
        },
    );
    Ok(())
}

/// Runtimes stop listening to `signals`: the last one puts the saved disposition back.
fn stop_listening(listened: &mut BTreeMap<i32, Listened>, signals: &[i32]) {
    for signal in signals {
        let Some(entry) = listened.get_mut(signal) else {
            continue;
        };
        entry.runtimes -= 1;
        if entry.runtimes == 0 {
            install(*signal, &entry.before);
            listened.remove(signal);
        }
    }
}

impl Drop for SignalSource {
    /// Puts the previous dispositions back once no runtime listens any more; dropping
    /// `signals` afterwards unregisters signal-hook's actions (which does not touch the OS
    /// disposition).
    fn drop(&mut self) {
        stop_listening(&mut lock(&LISTENED), &self.numbers);
    }
}
