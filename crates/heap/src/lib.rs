//! leakgate's global allocator: the thread that allocates first (the main thread) takes its
//! blocks of up to 1 MiB from one arena, in power-of-two size classes whose freed blocks are
//! reused before the arena grows; every other allocation goes to a fallback allocator.
//!
//! Why: a hook run lives about three milliseconds, and on the development VM every page it
//! touches for the first time costs about 3 µs (the kernel's page fault, not the copy). With
//! mimalloc alone a hook run touched 131 heap pages for 488 KB allocated and 137 KB live at
//! most: mimalloc gives each size class its own 64 KiB page and writes the free-list links of a
//! fresh page ahead of use. From one arena with reuse the same run touches about 70.
//!
//! Only the owner thread ever reads or writes the arena's bookkeeping, so it needs no lock; the
//! bulk scans' worker threads allocate from the fallback as before. A worker that frees a block
//! of the arena (one the main thread made and sent it) leaves it unused: at most the arena's
//! size is lost.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// The smallest block: 16 bytes (2^4), enough for the free-list link.
const MIN_SHIFT: u32 = 4;
/// The largest block the arena serves: 1 MiB (2^20).
const MAX_SHIFT: u32 = 20;
/// Number of size classes.
const CLASSES: usize = (MAX_SHIFT - MIN_SHIFT + 1) as usize;
/// The largest alignment the arena serves: a cache line (regex-automata aligns its pools' slots
/// to one). A block is aligned to its size up to this.
const MAX_ALIGN: usize = 64;

/// A global allocator: an arena of `BYTES` bytes for the owner thread's blocks, `A` for the rest.
///
/// The arena is mapped (or allocated) at the owner's first allocation.
pub struct OwnerArena<A: GlobalAlloc, const BYTES: usize = { 4 << 20 }> {
    fallback: A,
    /// The owner thread's token (see [`thread_token`]); 0 until a thread allocates.
    owner: AtomicUsize,
    /// The arena; null until set up, or when it could not be made. Written once, by the
    /// owner; read by every thread that frees, to tell the arena's blocks from `A`'s.
    base: AtomicPtr<u8>,
    /// The owner's bookkeeping.
    state: UnsafeCell<State>,
}

// SAFETY: `state` is the only field that is not itself `Sync`, and only the owner thread
// reaches it (every access is behind `is_owner`); the owner is one thread for the allocator's
// whole life (see `thread_token` for the one exception, which is ordered by thread creation).
unsafe impl<A: GlobalAlloc + Sync, const BYTES: usize> Sync for OwnerArena<A, BYTES> {}

/// The owner's bookkeeping.
struct State {
    /// Bytes of the arena handed out so far.
    top: usize,
    /// Whether the arena was set up (successfully or not).
    set_up: bool,
    /// For each size class, the most recently freed block; each free block holds the next one in
    /// its first word.
    free: [*mut u8; CLASSES],
}

impl<A: GlobalAlloc, const BYTES: usize> OwnerArena<A, BYTES> {
    /// An allocator with `fallback` behind its arena.
    pub const fn new(fallback: A) -> Self {
        OwnerArena {
            fallback,
            owner: AtomicUsize::new(0),
            base: AtomicPtr::new(ptr::null_mut()),
            state: UnsafeCell::new(State { top: 0, set_up: false, free: [ptr::null_mut(); CLASSES] }),
        }
    }

    /// Whether the calling thread owns the arena; the first thread to ask takes it.
    fn is_owner(&self) -> bool {
        let Some(me) = thread_token() else {
            return false;
        };
        match self.owner.load(Ordering::Acquire) {
            0 => self.owner.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire).is_ok(),
            owner => owner == me,
        }
    }

    /// Whether `block` lies in the arena.
    fn in_arena(&self, block: *mut u8) -> bool {
        let base = self.base.load(Ordering::Acquire);
        !base.is_null() && block.addr().wrapping_sub(base.addr()) < BYTES
    }

    /// A block of size class `class` from the arena: the last one freed, else a new one; null
    /// when the arena is full or could not be set up.
    ///
    /// # Safety
    /// The calling thread owns the arena.
    unsafe fn take(&self, class: usize) -> *mut u8 {
        // SAFETY: only the owner reaches the state (the caller's promise), and no reference to it
        // outlives this call.
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if !head.is_null() {
            // SAFETY: `head` is a free block of at least 16 bytes, aligned to 16, whose first word
            // `give` set to the next free block.
            state.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        if !state.set_up {
            state.set_up = true;
            self.base.store(self.map_arena(), Ordering::Release);
        }
        let base = self.base.load(Ordering::Relaxed);
        let size = class_size(class);
        // Blocks are aligned to their size up to `MAX_ALIGN` (the arena to a page), so that a
        // freed block serves any layout of its class.
        let start = state.top.next_multiple_of(size.min(MAX_ALIGN));
        if base.is_null() || start > BYTES || BYTES - start < size {
            return ptr::null_mut();
        }
        // SAFETY: `start + size <= BYTES`, so the block lies within the arena's allocation.
        let block = unsafe { base.add(start) };
        state.top = start + size;
        block
    }

    /// The arena's memory (null when there is none): on Unix mapped on its own, at an address
    /// randomised apart from the heap's and the program's, not backed by huge pages (clearing 2
    /// MiB would cost a hook run more than its page faults); elsewhere (and under Miri, which
    /// runs no system calls) asked of the fallback.
    fn map_arena(&self) -> *mut u8 {
        #[cfg(all(unix, not(miri)))]
        {
            use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
            let (prot, flags) = (ProtFlags::READ | ProtFlags::WRITE, MapFlags::PRIVATE | MapFlags::NORESERVE);
            // SAFETY: a new private anonymous mapping at an address the kernel picks; it
            // replaces nothing.
            let Ok(base) = (unsafe { mmap_anonymous(ptr::null_mut(), BYTES, prot, flags) }) else {
                return ptr::null_mut();
            };
            #[cfg(any(target_os = "linux", target_os = "android"))]
            // SAFETY: advice on the mapping just made; failing it only leaves the default.
            let _ = unsafe { rustix::mm::madvise(base, BYTES, rustix::mm::Advice::LinuxNoHugepage) };
            base.cast()
        }
        #[cfg(any(not(unix), miri))]
        match Layout::from_size_align(BYTES, 4096) {
            // SAFETY: the layout's size is not zero (`BYTES` is checked at compile time).
            Ok(arena) => unsafe { self.fallback.alloc(arena) },
            Err(_) => ptr::null_mut(),
        }
    }

    /// Returns a block of size class `class` to the arena.
    ///
    /// # Safety
    /// The calling thread owns the arena, and `block` is a block of class `class` that `take`
    /// handed out and that is no longer in use.
    unsafe fn give(&self, block: *mut u8, class: usize) {
        // SAFETY: only the owner reaches the state (the caller's promise), and no reference to it
        // outlives this call.
        let state = unsafe { &mut *self.state.get() };
        // SAFETY: the block is at least 16 bytes, aligned to 16, and no longer in use.
        unsafe { block.cast::<*mut u8>().write(state.free[class]) };
        state.free[class] = block;
    }
}

impl<A: GlobalAlloc, const BYTES: usize> Drop for OwnerArena<A, BYTES> {
    /// Hands the arena back to the fallback (a global allocator is never dropped; one made for a
    /// test is).
    fn drop(&mut self) {
        let base = *self.base.get_mut();
        if base.is_null() {
            return;
        }
        #[cfg(all(unix, not(miri)))]
        // SAFETY: the arena is `map_arena`'s mapping, and no block of it can be in use once the
        // allocator itself is gone.
        let _ = unsafe { rustix::mm::munmap(base.cast(), BYTES) };
        #[cfg(any(not(unix), miri))]
        if let Ok(arena) = Layout::from_size_align(BYTES, 4096) {
            // SAFETY: the arena is `map_arena`'s allocation with this layout, and no block of it
            // can be in use once the allocator itself is gone.
            unsafe { self.fallback.dealloc(base, arena) };
        }
    }
}

const fn assert_size<const BYTES: usize>() {
    assert!(BYTES >= 4096 && BYTES.is_multiple_of(4096), "the arena is a whole number of 4 KiB pages");
}

// SAFETY: every block handed out is either a whole block of the arena that no one else holds
// (taken from the bump pointer or from a free list that only the owner thread touches) with at
// least the layout's size and alignment, or the fallback's own allocation; `dealloc` and
// `realloc` tell the two apart by address and hand the fallback's blocks back to it.
unsafe impl<A: GlobalAlloc, const BYTES: usize> GlobalAlloc for OwnerArena<A, BYTES> {
    // Out of line: inlined into every allocating call site, it made the code 1 MB larger.
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        const { assert_size::<BYTES>() };
        if let Some(class) = class_of(layout) {
            if self.is_owner() {
                // SAFETY: the calling thread owns the arena.
                let block = unsafe { self.take(class) };
                if !block.is_null() {
                    return block;
                }
            }
        }
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { self.fallback.alloc(layout) }
    }

    // Out of line: inlined into every allocating call site, it made the code 1 MB larger.
    #[inline(never)]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if !self.in_arena(block) {
            // SAFETY: a block outside the arena came from the fallback, with this layout.
            unsafe { self.fallback.dealloc(block, layout) };
            return;
        }
        // Only blocks of a size class are in the arena; another thread's free leaves it unused.
        if let Some(class) = class_of(layout) {
            if self.is_owner() {
                // SAFETY: the owner gives back a block of the class `alloc` took it from (the
                // same layout, or one `realloc` kept in the same class).
                unsafe { self.give(block, class) };
            }
        }
    }

    // Out of line: inlined into every allocating call site, it made the code 1 MB larger.
    #[inline(never)]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.in_arena(block) {
            // SAFETY: a block outside the arena came from the fallback, with this layout; the
            // caller vouches for `new_size`.
            return unsafe { self.fallback.realloc(block, layout, new_size) };
        }
        // SAFETY: the caller promises that `new_size`, rounded up to the alignment, does not
        // overflow, and the alignment is the layout's, a valid one.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class_of(new_layout) == class_of(layout) {
            // The block already has room: every block of a class is the class's size.
            return block;
        }
        // SAFETY: `new_layout` has a non-zero size (the caller's promise).
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks hold at least the smaller size, and they are distinct (the old
            // one is still in use until freed below).
            unsafe { ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size)) };
            // SAFETY: the caller's block and layout; it is no longer used.
            unsafe { self.dealloc(block, layout) };
        }
        moved
    }
}

/// A number that tells the calling thread from every other running thread: the address of one of
/// its thread-locals. `None` while the thread is being torn down.
///
/// A thread that has ended may pass its token on to a thread started later; should the owner
/// thread end, that thread inherits the arena, whose state the thread library's own
/// synchronisation (reusing the thread's memory) orders before it. leakgate's owner is the main
/// thread, which never ends before the process.
fn thread_token() -> Option<usize> {
    thread_local! {
        static TOKEN: u8 = const { 0 };
    }
    TOKEN.try_with(|token| ptr::from_ref(token).addr()).ok()
}

/// The size class of a layout the arena serves: alignment at most 64, size at most 1 MiB.
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > MAX_ALIGN || layout.size() > 1 << MAX_SHIFT {
        return None;
    }
    // A block of the class is aligned to its size up to `MAX_ALIGN`, so at least to `align`.
    let shift = layout.size().max(layout.align()).max(1 << MIN_SHIFT).next_power_of_two().trailing_zeros();
    Some((shift - MIN_SHIFT) as usize)
}

/// The size of the blocks of `class`.
const fn class_size(class: usize) -> usize {
    1 << (class + MIN_SHIFT as usize)
}

#[cfg(test)]
mod tests;
