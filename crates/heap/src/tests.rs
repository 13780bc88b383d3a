use std::alloc::System;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;

use super::*;

/// The system allocator, counting the allocations it makes.
#[derive(Default)]
struct Counting {
    allocs: AtomicUsize,
}

// SAFETY: forwards to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.allocs.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: the caller's block and layout.
        unsafe { System.dealloc(block, layout) }
    }
}

type Small = OwnerArena<Counting, { 64 << 10 }>;

fn small() -> Small {
    OwnerArena::new(Counting::default())
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("valid layout")
}

fn alloc(heap: &Small, layout: Layout) -> *mut u8 {
    // SAFETY: test layouts have a non-zero size.
    let block = unsafe { heap.alloc(layout) };
    assert!(!block.is_null());
    block
}

fn dealloc(heap: &Small, block: *mut u8, layout: Layout) {
    // SAFETY: tests free the blocks they allocated, with their layout, once.
    unsafe { heap.dealloc(block, layout) }
}

fn fallback_allocs(heap: &Small) -> usize {
    heap.fallback.allocs.load(Ordering::Relaxed)
}

/// A block filled with `byte`, to check later that no other block wrote over it.
fn fill(block: *mut u8, len: usize, byte: u8) {
    // SAFETY: the block holds at least `len` bytes.
    unsafe { ptr::write_bytes(block, byte, len) }
}

fn holds(block: *mut u8, len: usize, byte: u8) -> bool {
    // SAFETY: the block holds at least `len` initialised bytes.
    let bytes = unsafe { std::slice::from_raw_parts(block, len) };
    bytes.iter().all(|&b| b == byte)
}

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn random_work_keeps_blocks_aligned_apart_and_intact() {
    let runs: u64 = if cfg!(miri) { 1 } else { 20 };
    for seed in 1..=runs {
        let heap = small();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // Live blocks by address: (block, layout, fill byte).
        let mut live: BTreeMap<usize, (*mut u8, Layout, u8)> = BTreeMap::new();
        let steps = if cfg!(miri) { 150 } else { 3000 };
        for step in 0..steps {
            let byte = (step % 251) as u8;
            match rng.below(10) {
                0..=4 => {
                    let most = [24, 200, 5000, 40_000][rng.below(4)];
                    let size = 1 + rng.below(most);
                    let align = [1, 8, 16, 32, 64, 128][rng.below(6)];
                    let layout = layout(size, align);
                    let block = alloc(&heap, layout);
                    assert_eq!(block.addr() % align, 0, "aligned to {align}");
                    fill(block, size, byte);
                    live.insert(block.addr(), (block, layout, byte));
                }
                5..=7 if !live.is_empty() => {
                    let key = *live.keys().nth(rng.below(live.len())).expect("a live block");
                    let (block, layout, old) = live.remove(&key).expect("a live block");
                    assert!(holds(block, layout.size(), old), "block {step} kept its bytes");
                    dealloc(&heap, block, layout);
                }
                _ if !live.is_empty() => {
                    let key = *live.keys().nth(rng.below(live.len())).expect("a live block");
                    let (block, old_layout, old) = live.remove(&key).expect("a live block");
                    let new_size = 1 + rng.below(30_000);
                    // SAFETY: a live block with its layout, and a non-zero new size.
                    let moved = unsafe { heap.realloc(block, old_layout, new_size) };
                    assert!(!moved.is_null());
                    assert!(holds(moved, old_layout.size().min(new_size), old), "realloc kept the bytes");
                    fill(moved, new_size, byte);
                    live.insert(moved.addr(), (moved, layout(new_size, old_layout.align()), byte));
                }
                _ => {}
            }
            let mut end = 0;
            for (&start, &(_, layout, _)) in &live {
                assert!(start >= end, "live blocks do not overlap");
                end = start + layout.size();
            }
        }
        for (_, (block, layout, byte)) in live {
            assert!(holds(block, layout.size(), byte));
            dealloc(&heap, block, layout);
        }
    }
}

#[test]
fn a_freed_block_is_reused_before_the_arena_grows() {
    let heap = small();
    let a = alloc(&heap, layout(100, 8));
    let b = alloc(&heap, layout(100, 8));
    assert_ne!(a, b);
    dealloc(&heap, a, layout(100, 8));
    assert_eq!(alloc(&heap, layout(120, 8)), a, "same size class (128 bytes)");
    assert!(heap.in_arena(a) && heap.in_arena(b));
    let arena_allocated = cfg!(any(not(unix), miri));
    assert_eq!(fallback_allocs(&heap), usize::from(arena_allocated), "the arena is mapped on Unix");
}

#[test]
fn large_and_over_aligned_blocks_come_from_the_fallback() {
    let heap = small();
    alloc(&heap, layout(8, 8));
    let before = fallback_allocs(&heap);
    for layout in [layout(64, 128), layout(4096, 4096), layout((1 << 20) + 1, 8)] {
        let block = alloc(&heap, layout);
        assert!(!heap.in_arena(block));
        dealloc(&heap, block, layout);
    }
    assert_eq!(fallback_allocs(&heap), before + 3);
}

#[test]
fn a_full_arena_falls_back() {
    let heap = small();
    let quarter = layout(16 << 10, 16);
    let blocks: Vec<_> = (0..4).map(|_| alloc(&heap, quarter)).collect();
    assert!(blocks.iter().all(|&b| heap.in_arena(b)), "four quarters fill the 64 KiB arena");
    let more = alloc(&heap, layout(16, 8));
    assert!(!heap.in_arena(more), "nothing left, not even 16 bytes");
    dealloc(&heap, more, layout(16, 8));
    dealloc(&heap, blocks[2], quarter);
    assert_eq!(alloc(&heap, quarter), blocks[2], "a freed block is still reused");
}

#[test]
fn realloc_keeps_a_block_within_its_class_and_moves_it_across() {
    let heap = small();
    let block = alloc(&heap, layout(40, 8));
    fill(block, 40, 7);
    // SAFETY: a live block with its layout.
    let same = unsafe { heap.realloc(block, layout(40, 8), 64) };
    assert_eq!(same, block, "40 and 64 bytes are both in the 64-byte class");
    // SAFETY: the same block, now with 64 bytes.
    let moved = unsafe { heap.realloc(same, layout(64, 8), 65) };
    assert_ne!(moved, block);
    assert!(holds(moved, 40, 7));
    // SAFETY: the moved block with its layout; out of the arena's classes.
    let large = unsafe { heap.realloc(moved, layout(65, 8), 2 << 20) };
    assert!(!heap.in_arena(large));
    assert!(holds(large, 40, 7));
    // SAFETY: the large block with its layout.
    let back = unsafe { heap.realloc(large, layout(2 << 20, 8), 16) };
    assert!(!heap.in_arena(back), "a fallback block stays with the fallback");
    assert!(holds(back, 16, 7));
    dealloc(&heap, back, layout(16, 8));
}

#[test]
fn only_the_first_thread_uses_the_arena() {
    let heap = small();
    let mine = alloc(&heap, layout(32, 8));
    assert!(heap.in_arena(mine));
    let other = std::thread::scope(|s| {
        s.spawn(|| {
            let block = alloc(&heap, layout(32, 8));
            let in_arena = heap.in_arena(block);
            dealloc(&heap, block, layout(32, 8));
            in_arena
        })
        .join()
        .expect("thread")
    });
    assert!(!other, "another thread allocates from the fallback");
}

#[test]
fn a_block_freed_by_another_thread_is_left_unused() {
    let heap = small();
    let sent = alloc(&heap, layout(48, 8)).addr();
    std::thread::scope(|s| {
        s.spawn(|| {
            let block = heap.base.load(Ordering::Acquire).with_addr(sent);
            fill(block, 48, 1);
            dealloc(&heap, block, layout(48, 8));
        });
    });
    let next = alloc(&heap, layout(48, 8));
    assert_ne!(next.addr(), sent, "not handed out again");
    fill(next, 48, 2);
}
