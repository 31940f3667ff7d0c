//! Run queues and idle workers.
//!
//! Each worker owns a FIFO deque; other workers steal from it. Tasks scheduled by a worker for
//! its own run go to its deque; tasks scheduled from any other thread go to the global injector.
//!
//! # Waking idle workers
//! Waking a parked worker costs ~10 µs here, a spinning one notices new work in ~0.3 µs. So:
//! - a worker out of work first *searches* (spins over the queues) before it parks;
//! - new work wakes a parked worker only if nobody is searching, and only one.
//!
//! # No lost wake-ups
//! A worker registers as sleeping, then re-checks every queue, then parks; a scheduler pushes,
//! then reads the sleeper count. Both sides put a `SeqCst` fence between their write and their
//! read, so at least one of them sees the other. `std::thread::park` keeps an unpark that
//! arrives before the park.
//!
//! # No late timers
//! A parking worker publishes the deadline it will sleep until (`parked_until`, first as
//! "any", then the deadline it read); arming a timer that becomes the earliest reads those
//! after its own `SeqCst` fence and wakes every worker that sleeps until later (`timer_armed`).
//! Same argument: either the worker's read of the next deadline sees the new timer, or the
//! timer's arming sees the worker's published deadline and wakes it.

use std::cell::RefCell;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use super::reactor::Reactor;
use crate::common::base::time::{Ticks, NEVER};
use crate::common::base::util::lock;
use crate::common::run::task::Task;

pub type TaskRef = Arc<Task>;

/// `Scheduler::parked_until` of a worker that is not parked.
const NOT_PARKED: Ticks = 0;

pub struct Scheduler {
    /// The reactor a parking worker may block in (see `reactor.rs`).
    pub reactor: Arc<Reactor>,
    /// `index + 1` of the worker blocked in the reactor's poll, 0 if none.
    poller: AtomicUsize,
    injector: Injector<TaskRef>,
    stealers: Vec<Stealer<TaskRef>>,
    /// Thread handles of the workers, by index, set once each starts.
    threads: Vec<OnceLock<Thread>>,
    sleeping: Mutex<Vec<usize>>,
    /// Per worker: the deadline it parks until (`NEVER`: no timer, or not known yet), 0 when it
    /// is not parked.
    parked_until: Vec<AtomicU64>,
    num_sleeping: AtomicUsize,
    num_searching: AtomicUsize,
    stopping: AtomicBool,
}

/// The worker context of the current thread: its deque and the scheduler it belongs to.
struct Local {
    scheduler: Arc<Scheduler>,
    queue: Worker<TaskRef>,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

impl Scheduler {
    /// Creates a scheduler for `workers` workers; returns it with each worker's deque.
    pub fn new(workers: usize, reactor: Arc<Reactor>) -> (Arc<Scheduler>, Vec<Worker<TaskRef>>) {
        let queues: Vec<Worker<TaskRef>> = (0..workers).map(|_| Worker::new_fifo()).collect();
        let scheduler = Arc::new(Scheduler {
            reactor,
            poller: AtomicUsize::new(0),
            injector: Injector::new(),
            stealers: queues.iter().map(Worker::stealer).collect(),
            threads: (0..workers).map(|_| OnceLock::new()).collect(),
            sleeping: Mutex::new(Vec::new()),
            parked_until: (0..workers).map(|_| AtomicU64::new(NOT_PARKED)).collect(),
            num_sleeping: AtomicUsize::new(0),
            num_searching: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        (scheduler, queues)
    }

    /// Installs the calling thread as worker `index` with its deque.
    pub fn install_worker(self: &Arc<Self>, index: usize, queue: Worker<TaskRef>) {
        let _ = self.threads[index].set(std::thread::current());
        LOCAL.with(|local| {
            *local.borrow_mut() = Some(Local {
                scheduler: self.clone(),
                queue,
            });
        });
    }

    /// Removes the calling thread's worker context.
    pub fn uninstall_worker() {
        LOCAL.with(|local| local.borrow_mut().take());
    }

    /// True if the calling thread is one of this scheduler's workers.
    pub fn on_worker(self: &Arc<Self>) -> bool {
        LOCAL.with(|local| {
            local
                .borrow()
                .as_ref()
                .is_some_and(|l| Arc::ptr_eq(&l.scheduler, self))
        })
    }

    /// Makes `task` runnable.
    pub fn schedule(self: &Arc<Self>, task: TaskRef) {
        let task = LOCAL.with(|local| match local.borrow().as_ref() {
            Some(l) if Arc::ptr_eq(&l.scheduler, self) => {
                l.queue.push(task);
                None
            }
            _ => Some(task),
        });
        if let Some(task) = task {
            self.injector.push(task);
        }
        self.notify_one();
    }

    /// Wakes one parked worker if there is work nobody is looking for.
    fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.num_searching.load(Ordering::SeqCst) > 0
            || self.num_sleeping.load(Ordering::SeqCst) == 0
        {
            return;
        }
        let index = lock(&self.sleeping).pop();
        if let Some(index) = index {
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
            self.wake_worker(index);
        }
    }

    /// Wakes worker `index`: through the reactor if it is blocked in the poll.
    fn wake_worker(&self, index: usize) {
        if self.poller.load(Ordering::SeqCst) == index + 1 {
            self.reactor.wake();
        } else if let Some(thread) = self.threads[index].get() {
            thread.unpark();
        }
    }

    /// Worker `index` is about to block in the reactor's poll (call before registering as a
    /// sleeper, so a notifier that picks it knows how to wake it).
    pub fn set_poller(&self, index: usize) {
        self.poller.store(index + 1, Ordering::SeqCst);
    }

    pub fn clear_poller(&self) {
        self.poller.store(0, Ordering::SeqCst);
    }

    /// The next task for the calling worker: its own deque, then the injector, then stealing.
    pub fn next_task(&self, index: usize, prefer_injector: bool) -> Option<TaskRef> {
        LOCAL.with(|local| {
            let local = local.borrow();
            let queue = &local.as_ref()?.queue;
            if prefer_injector {
                if let Some(task) = steal_one(|| self.injector.steal_batch_and_pop(queue)) {
                    return Some(task);
                }
            }
            queue
                .pop()
                .or_else(|| steal_one(|| self.injector.steal_batch_and_pop(queue)))
                .or_else(|| self.steal_from_others(index, queue))
        })
    }

    fn steal_from_others(&self, index: usize, queue: &Worker<TaskRef>) -> Option<TaskRef> {
        let n = self.stealers.len();
        (1..n)
            .map(|offset| (index + offset) % n)
            .find_map(|victim| steal_one(|| self.stealers[victim].steal_batch_and_pop(queue)))
    }

    /// True if any queue holds a task.
    pub fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Starts a search unless it cannot pay: with one worker nobody else produces work.
    /// Returns whether the caller searches (then it must call `end_search`).
    pub fn begin_search(&self) -> bool {
        if self.stealers.len() < 2 {
            return false;
        }
        self.num_searching.fetch_add(1, Ordering::SeqCst);
        true
    }

    pub fn end_search(&self) {
        self.num_searching.fetch_sub(1, Ordering::SeqCst);
    }

    /// Worker `index` is about to park: returns the deadline to park until, published first
    /// (see "No late timers"). Call `unpark_deadline` once awake.
    pub fn park_deadline(&self, index: usize, next_deadline: impl Fn() -> Ticks) -> Ticks {
        self.parked_until[index].store(NEVER, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let deadline = next_deadline();
        self.parked_until[index].store(deadline, Ordering::SeqCst);
        deadline
    }

    pub fn unpark_deadline(&self, index: usize) {
        self.parked_until[index].store(NOT_PARKED, Ordering::SeqCst);
    }

    /// A timer due at `deadline` became the earliest: wake the workers parked until later.
    pub fn timer_armed(&self, deadline: Ticks) {
        fence(Ordering::SeqCst);
        for (index, until) in self.parked_until.iter().enumerate() {
            let until = until.load(Ordering::SeqCst);
            if until != NOT_PARKED && deadline < until {
                self.wake_worker(index);
            }
        }
    }

    /// Registers worker `index` as sleeping. Call `has_work` afterwards, then park.
    pub fn register_sleeper(&self, index: usize) {
        lock(&self.sleeping).push(index);
        self.num_sleeping.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// Removes worker `index` from the sleepers if a notification did not already.
    pub fn unregister_sleeper(&self, index: usize) {
        let mut sleeping = lock(&self.sleeping);
        if let Some(position) = sleeping.iter().position(|&i| i == index) {
            sleeping.swap_remove(position);
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
        }
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Tells every worker to exit its loop.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        for thread in self.threads.iter().filter_map(OnceLock::get) {
            thread.unpark();
        }
        self.reactor.wake();
    }
}

fn steal_one(mut attempt: impl FnMut() -> Steal<TaskRef>) -> Option<TaskRef> {
    loop {
        match attempt() {
            Steal::Success(task) => return Some(task),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}
