//! git's pre-push stdin (`<local ref> <local oid> <remote ref> <remote oid>` lines): the parser
//! never panics, and what it accepts round-trips.
#![no_main]

use leakgate::git::{is_zero, parse_push_lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The hook reads stdin into a String; non-UTF-8 input is an error before parsing.
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse_push_lines(input) {
        Ok(updates) => {
            assert!(updates.len() <= input.lines().count());
            for u in &updates {
                for oid in [&u.local_oid, &u.remote_oid] {
                    assert!(matches!(oid.len(), 40 | 64), "accepted an object id of {} digits", oid.len());
                    assert!(oid.bytes().all(|b| b.is_ascii_hexdigit()));
                }
                assert_eq!(u.is_deletion(), is_zero(&u.local_oid));
                for field in [&u.local_ref, &u.remote_ref] {
                    assert!(!field.contains(' ') && !field.contains('\n'));
                }
            }
            // Writing the accepted updates back as git would gives the same updates.
            let again: String = updates
                .iter()
                .map(|u| format!("{} {} {} {}\n", u.local_ref, u.local_oid, u.remote_ref, u.remote_oid))
                .collect();
            assert_eq!(parse_push_lines(&again).expect("re-parse"), updates);
        }
        Err(e) => {
            assert!(e.line >= 1 && e.line <= input.lines().count().max(1), "line {} out of range", e.line);
            let _ = e.to_string();
        }
    }
});
