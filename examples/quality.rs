//! Prints the detection-quality table: recall and precision of the built-in catalog per rule
//! family, on labelled positives and hard negatives generated from a seed.
//!
//! `cargo run --release --example quality [SEED] [--problems]`

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.iter().find_map(|a| a.parse::<u64>().ok()).unwrap_or(1);
    let report = leakgate::rules::quality::run(seed)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "seed {seed}")?;
    out.write_all(report.table().as_bytes())?;
    if args.iter().any(|a| a == "--problems") {
        for problem in &report.problems {
            writeln!(out, "{problem}")?;
        }
    }
    Ok(())
}
