//! `leakgate redact`: every secret replaced by `[REDACTED:<rule>:<fingerprint prefix>]`, every
//! other byte unchanged, in constant memory on a large stream through a pipe.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use leakgate::secret::Secret;

use crate::harness::{leakgate_bin, Fakes, TestRepo};

fn placeholder(rule: &str, value: &str) -> String {
    let fp = Secret::new(value.as_bytes()).fingerprint(rule);
    format!("[REDACTED:{rule}:{}]", &fp[..12])
}

#[test]
fn redact_replaces_secrets_and_keeps_every_other_byte() {
    let repo = TestRepo::new();
    let mut fakes = Fakes::new(801);
    let (key, token, pem) = (fakes.aws_key_id(), fakes.github_token(), fakes.pem_block());
    let mut input = b"caf\xc3\xa9 \xff not utf-8\r\n".to_vec();
    input.extend_from_slice(
        format!("export AWS_ACCESS_KEY_ID={key}\r\nclone https://{token}@example.invalid/x.git\n{pem}\nend")
            .as_bytes(),
    );
    let run = repo.leakgate_stdin(&["redact"], &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let mut expected = b"caf\xc3\xa9 \xff not utf-8\r\n".to_vec();
    expected.extend_from_slice(
        format!(
            "export AWS_ACCESS_KEY_ID={}\r\nclone https://{}@example.invalid/x.git\n{}\nend",
            placeholder("aws.access-key-id", &key),
            placeholder("github.pat-classic", &token),
            placeholder("private-key.rsa", &pem)
        )
        .as_bytes(),
    );
    let out = std::process::Command::new(leakgate_bin())
        .arg("redact")
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("stdin").write_all(&input)?;
            child.wait_with_output()
        })
        .expect("redact runs");
    assert_eq!(out.stdout, expected, "redact changed bytes it should keep");
    for value in [&key, &token] {
        run.assert_no_leak(value);
    }

    let verbose = repo.leakgate_stdin(&["-v", "redact"], &input);
    assert!(verbose.stderr.contains("redacted 3 secrets"), "{}", verbose.stderr);
    assert_eq!(repo.leakgate_stdin(&["redact"], b"").stdout, "");
}

/// The generated log: one record per index, some holding secrets.
struct LogGen {
    tokens: Vec<String>,
    pem: String,
}

impl LogGen {
    fn new() -> LogGen {
        let mut fakes = Fakes::new(802);
        LogGen { tokens: (0..4).map(|_| fakes.github_token()).collect(), pem: fakes.pem_block() }
    }

    /// The input record `i` and what redact must turn it into.
    fn record(&self, i: u64) -> (Vec<u8>, Vec<u8>) {
        if i % 5000 == 17 {
            let t = &self.tokens[(i / 5000 % 4) as usize];
            let line = |v: &str| {
                format!("2026-11-23T10:00:00Z DEBUG upload {i} authenticated with {v} ok\n").into_bytes()
            };
            (line(t), line(&placeholder("github.pat-classic", t)))
        } else if i % 40_000 == 999 {
            let block = |v: &str| format!("dumping config {i}:\n{v}\n").into_bytes();
            (block(&self.pem), block(&placeholder("private-key.rsa", &self.pem)))
        } else if i.is_multiple_of(7) {
            let line = format!("2026-11-23T10:00:00Z WARN bytes \u{1F512} {i}\r\n").into_bytes();
            let mut raw = line.clone();
            raw.insert(30, 0xff); // not UTF-8, must pass unchanged
            (raw.clone(), raw)
        } else {
            let line = format!(
                "2026-11-23T10:00:00Z INFO GET /api/v1/items/{i} status=200 took={}ms user=alice\n",
                i % 97
            )
            .into_bytes();
            (line.clone(), line)
        }
    }
}

/// Peak resident memory of a live process, from `/proc/<pid>/status` (Linux), in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Streams `total` bytes of generated log through `leakgate redact` and checks every output
/// byte against the expected stream, without holding either in memory. Returns the input size,
/// the number of secrets planted and redact's peak RSS (KiB) once all input was read.
fn redact_stream(total: u64) -> (u64, u64, Option<u64>) {
    let mut child = Command::new(leakgate_bin())
        .arg("redact")
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redact");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let writer = std::thread::spawn(move || {
        let gen = LogGen::new();
        let (mut written, mut i, mut secrets) = (0u64, 0u64, 0u64);
        let mut buf = Vec::with_capacity(1 << 16);
        while written < total {
            let (input, expected) = gen.record(i);
            secrets += u64::from(input != expected);
            buf.extend_from_slice(&input);
            written += input.len() as u64;
            i += 1;
            if buf.len() >= 1 << 16 {
                stdin.write_all(&buf).expect("write to redact");
                buf.clear();
            }
        }
        stdin.write_all(&buf).expect("write to redact");
        // Everything is written; redact is still alive, waiting for the end of input.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let hwm = vm_hwm_kib(pid);
        drop(stdin);
        (i, secrets, hwm, written)
    });
    // The reader regenerates the expected output and compares chunk by chunk.
    let gen = LogGen::new();
    let (mut pending, mut next) = (Vec::<u8>::new(), 0u64);
    let mut chunk = vec![0u8; 1 << 16];
    let mut compared = 0u64;
    loop {
        let n = stdout.read(&mut chunk).expect("read redact output");
        if n == 0 {
            break;
        }
        while pending.len() < n {
            pending.extend_from_slice(&gen.record(next).1);
            next += 1;
        }
        assert!(chunk[..n] == pending[..n], "output differs from the expected stream near byte {compared}");
        pending.drain(..n);
        compared += n as u64;
    }
    let (records, secrets, hwm, written) = writer.join().expect("writer");
    let status = child.wait().expect("wait");
    assert!(status.success(), "redact failed");
    assert!(pending.is_empty() && next == records, "output ended early: {next} of {records} records");
    assert!(compared > written / 2, "output much shorter than the input");
    (written, secrets, hwm)
}

#[test]
#[allow(clippy::print_stderr)] // prints the measurement (visible with --nocapture)
fn redact_streams_a_large_log_in_constant_memory() {
    // 64 MiB in the normal suite (debug build); LEAKGATE_REDACT_MIB raises it for a manual run.
    let mib: u64 = std::env::var("LEAKGATE_REDACT_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let (_, _, small_hwm) = redact_stream(4 << 20);
    let (bytes, secrets, hwm) = redact_stream(mib << 20);
    assert!(bytes >= mib << 20);
    assert!(secrets > 100, "the stream planted too few secrets: {secrets}");
    if let (Some(small), Some(kib)) = (small_hwm, hwm) {
        eprintln!("redact: peak RSS {small} KiB for 4 MiB, {kib} KiB for {mib} MiB ({secrets} secrets)");
        // The filter keeps at most ~1.1 MiB of input whatever the size: memory stays flat.
        assert!(kib <= small + 4 * 1024, "peak RSS grew from {small} to {kib} KiB with the input size");
        assert!(kib < 48 * 1024, "peak RSS {kib} KiB for a {mib} MiB stream");
    }
}
